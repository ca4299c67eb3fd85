# Peer timings for benches/fit.rs: rms::lrm.fit and glm.fit on n x 20 simulated designs.
#
# Run: Rscript benches/peers/fit_rms.R [sizes...]      (default 10000 100000 1000000)
#
# Same data generator idea as benches/fit.rs (R's RNG, so not the same numbers): columns
# j %% 4 == 3 (0-based) are Bernoulli(0.3), the others normal with mean j/4 and sd 1 + (j %% 3)/2;
# logit P(y=1) = -1.5 + sum_j b_j (x_j - mean_j), b_j = +-0.15 (about 25% events).
# Each line is the median elapsed time over the repeats (fewer repeats for 1e6 rows).
suppressMessages(library(rms))

P <- 20
simulate <- function(n, seed = 42) {
  set.seed(seed)
  x <- matrix(0, n, P)
  eta <- rep(-1.5, n)
  for (j in 0:(P - 1)) {
    if (j %% 4 == 3) {
      x[, j + 1] <- as.numeric(runif(n) < 0.3); m <- 0.3
    } else {
      m <- j / 4
      x[, j + 1] <- m + (1 + (j %% 3) / 2) * rnorm(n)
    }
    eta <- eta + (if (j %% 2 == 0) 0.15 else -0.15) * (x[, j + 1] - m)
  }
  list(x = x, y = as.numeric(runif(n) < plogis(eta)))
}
median_time <- function(f, repeat_) median(replicate(repeat_, system.time(f())[["elapsed"]]))

args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.numeric(args) else c(1e4, 1e5, 1e6)
cat(sprintf("%s; rms %s; cpus %d\n", R.version.string, packageVersion("rms"), parallel::detectCores()))
for (n in sizes) {
  d <- simulate(n)
  rep_ <- if (n >= 1e6) 3 else 7
  t <- median_time(function() lrm.fit(d$x, d$y), rep_)
  cat(sprintf("rms::lrm.fit          n=%9d p=%d: median %.3f s\n", n, P, t))
  X1 <- cbind(1, d$x)
  t <- median_time(function() glm.fit(X1, d$y, family = binomial()), rep_)
  cat(sprintf("glm.fit               n=%9d p=%d: median %.3f s\n", n, P, t))
}
