# Peer timing for benches/validate.rs: rms lrm + validate(B = 200) + calibrate(B = 200) on
# n = 2,000 rows and 20 numeric predictors, y ~ x1 + ... + x20.
#
# Run: Rscript benches/peers/validate_rms.R [repeats]      (default 3)
#
# Same data recipe as benches/validate.rs and benches/peers/fit_rms.R (R's RNG, so not the
# same numbers): columns j %% 4 == 3 (0-based) are Bernoulli(0.3), the others normal with mean
# j/4 and sd 1 + (j %% 3)/2; logit P(y=1) = -1.5 + sum_j b_j (x_j - mean_j), b_j = +-0.15.
# Prints the median elapsed time of each part and of the whole, over the repeats.
suppressMessages(library(rms))

N <- 2000
P <- 20
B <- 200
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
  d <- as.data.frame(x)
  names(d) <- paste0("x", 1:P)
  d$y <- as.numeric(runif(n) < plogis(eta))
  d
}

args <- commandArgs(trailingOnly = TRUE)
repeats <- if (length(args)) as.integer(args[1]) else 3
d <- simulate(N)
f <- as.formula(paste("y ~", paste(paste0("x", 1:P), collapse = " + ")))

times <- replicate(repeats, {
  set.seed(1)
  t_fit <- system.time(fit <- lrm(f, data = d, x = TRUE, y = TRUE))[["elapsed"]]
  t_val <- system.time(v <- validate(fit, B = B))[["elapsed"]]
  t_cal <- system.time(invisible(capture.output(cal <- calibrate(fit, B = B))))[["elapsed"]]
  c(lrm = t_fit, validate = t_val, calibrate = t_cal, total = t_fit + t_val + t_cal)
})
cat(sprintf("rms %s, R %s, nproc %s, n = %d, p = %d, B = %d, %d repeats\n",
            packageVersion("rms"), getRversion(), parallel::detectCores(), N, P, B, repeats))
med <- apply(times, 1, median)
for (k in names(med)) cat(sprintf("%-10s %8.3f s (median)\n", k, med[k]))
