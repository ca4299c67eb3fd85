# Peer timings for benches/fit.rs (fit_cox_x20): survival::coxph (Efron and Breslow) and
# rms::cph on n x 20 simulated designs with censored, tied survival times.
#
# Run: Rscript benches/peers/fit_cox.R [sizes...]      (default 10000 100000 1000000)
# Data: simulate_x20.R (the recipe of benches/common/x20.rs, with R's RNG).
suppressMessages({library(survival); library(rms)})
peer_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(peer_dir, "simulate_x20.R"))
median_time <- function(f, repeat_) median(replicate(repeat_, system.time(f())[["elapsed"]]))
args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.numeric(args) else c(1e4, 1e5, 1e6)
cat(sprintf("%s; survival %s; cpus %d\n", R.version.string, packageVersion("survival"), parallel::detectCores()))
for (n in sizes) {
  d <- simulate_x20(n)
  s <- survival_x20(d$x)
  y <- Surv(s$time, s$event)
  rep_ <- if (n >= 1e6) 3 else 5
  for (ties in c("efron", "breslow")) {
    t <- median_time(function() coxph(y ~ d$x, ties = ties), rep_)
    cat(sprintf("survival::coxph %-8s n=%9d p=%d: median %.3f s\n", ties, n, P, t))
  }
}
