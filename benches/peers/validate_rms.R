# Peer timing for benches/validate.rs: rms lrm + validate(B = 200) + calibrate(B = 200) on
# n = 2,000 rows and 20 numeric predictors, y ~ x1 + ... + x20.
#
# Run: Rscript benches/peers/validate_rms.R [repeats]      (default 3)
#
# Data: simulate_x20.R, as fit_rms.R (the recipe of benches/common/x20.rs, with R's RNG).
# Prints the median elapsed time of each part and of the whole, over the repeats.
suppressMessages(library(rms))

N <- 2000
B <- 200
# Sourced from this script's folder, so it runs from any working directory.
peer_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(peer_dir, "simulate_x20.R"))
simulate <- function(n) {
  s <- simulate_x20(n)
  d <- as.data.frame(s$x)
  names(d) <- paste0("x", 1:P)
  d$y <- s$y
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
