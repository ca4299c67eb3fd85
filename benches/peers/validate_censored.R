# Peer of `mbdrisk validate --predicted risk --time time --event event --horizon H` on a file of
# predictions with a censored outcome: R read.csv + riskRegression::Score (IPCW AUC and Brier at
# H with standard errors, Kaplan-Meier censoring weights, the null model), the call the golden
# values of tests/golden/censored come from.
# Run: Rscript benches/peers/validate_censored.R FILE.csv H [runs]
suppressMessages({library(survival); library(riskRegression); library(prodlim)})
args <- commandArgs(trailingOnly = TRUE)
H <- as.numeric(args[2])
runs <- if (length(args) > 2) as.integer(args[3]) else 3
t <- replicate(runs, system.time({
  d <- read.csv(args[1])
  s <- Score(list(model = d$risk), formula = Hist(time, event) ~ 1, data = d, times = H,
             metrics = c("auc", "brier"), cens.model = "km", null.model = TRUE, se.fit = TRUE)
})[["elapsed"]])
cat(sprintf("R %s, riskRegression %s: read.csv + Score (IPCW AUC, Brier, SE), n = %d: median %.2f s (runs %s)\n",
            getRversion(), packageVersion("riskRegression"), nrow(read.csv(args[1])), median(t),
            paste(sprintf("%.2f", t), collapse = " ")))
