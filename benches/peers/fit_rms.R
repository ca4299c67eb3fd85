# Peer timings for benches/fit.rs: rms::lrm.fit and glm.fit on n x 20 simulated designs.
#
# Run: Rscript benches/peers/fit_rms.R [sizes...]      (default 10000 100000 1000000)
#
# Data: simulate_x20.R (the recipe of benches/common/x20.rs, with R's RNG).
# Each line is the median elapsed time over the repeats (fewer repeats for 1e6 rows).
suppressMessages(library(rms))

# Sourced from this script's folder, so it runs from any working directory.
peer_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(peer_dir, "simulate_x20.R"))
simulate <- simulate_x20
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
