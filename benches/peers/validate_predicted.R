# Peer of `mbdrisk validate --predicted p --outcome y` on a file of predictions: R read.csv,
# pROC (AUC with DeLong CI) and rms::val.prob (which draws the lowess calibration curve).
# Run: Rscript benches/peers/validate_predicted.R FILE.csv [runs]
suppressMessages({library(pROC); library(rms)})
args <- commandArgs(trailingOnly = TRUE)
runs <- if (length(args) > 1) as.integer(args[2]) else 3
t <- replicate(runs, system.time({
  d <- read.csv(args[1])
  r <- roc(d$y, d$p, quiet = TRUE, direction = "<")
  ci <- ci.auc(r, method = "delong")
  pdf(NULL); v <- val.prob(d$p, d$y); dev.off()
})[["elapsed"]])
cat(sprintf("R %s: read.csv + pROC DeLong + val.prob, n = %d: median %.2f s (runs %s)\n",
            getRversion(), nrow(read.csv(args[1])), median(t), paste(sprintf("%.2f", t), collapse = " ")))
