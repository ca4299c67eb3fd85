# Cross-check of the simulator acceptance numbers (tests/simulate.rs) with R survival.
# Usage: Rscript simulated_cohort_hr.R DIR   where DIR holds cohort.csv of the 20,000-patient
# cohort simulated with seed 20261125 and the default parameters (e.g. written by
# `MBDRISK_SIM_OUT=DIR cargo test --test simulate -- --ignored diagnostics`, or by
# `mbdrisk simulate --patients 20000 --seed 20261125 --out DIR`).
# Prints the univariate coxph (Efron) hazard ratios with 95% CI and the KM 24-month rate.
library(survival)
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(file.path(args[1], "cohort.csv"), na.strings = "")
hr <- function(f) {
  s <- summary(coxph(f, data = d, ties = "efron"))$conf.int
  sprintf("%.4f (%.4f-%.4f)", s[1, 1], s[1, 3], s[1, 4])
}
cat("HR MRD positive vs negative:", hr(Surv(time_months, event) ~ I(mrd == "positive")), "\n")
cat("HR PET non_CMR vs CMR:      ", hr(Surv(time_months, event) ~ I(pet == "non_CMR")), "\n")
km <- survfit(Surv(time_months, event) ~ 1, data = d)
cat(sprintf("KM 1 - S(24): %.4f\n", 1 - summary(km, times = 24)$surv))
