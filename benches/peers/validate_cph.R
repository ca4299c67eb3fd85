# Peer timing for benches/validate.rs (validate_cox_n2000_p20): rms cph + validate.cph(B = 200)
# + calibrate.cph(B = 200, u = 24) on n = 2,000, p = 20 simulated survival data.
#
# Run: Rscript benches/peers/validate_cph.R
suppressMessages(library(rms))
peer_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(peer_dir, "simulate_x20.R"))
d <- simulate_x20(2000)
s <- survival_x20(d$x)
df <- data.frame(d$x, time = s$time, event = s$event)
f_text <- paste("Surv(time, event) ~", paste(paste0("X", 1:P), collapse = " + "))
cat(sprintf("%s; rms %s\n", R.version.string, packageVersion("rms")))
set.seed(1)
t_val <- system.time({
  f <- cph(as.formula(f_text), data = df, x = TRUE, y = TRUE, surv = TRUE, time.inc = 24)
  v <- validate(f, B = 200)
})[["elapsed"]]
cat(sprintf("cph + validate.cph(B = 200): %.2f s\n", t_val))
t_cal <- system.time(calibrate(f, B = 200, u = 24))[["elapsed"]]
cat(sprintf("calibrate.cph(B = 200, u = 24): %.2f s\n", t_cal))
cat(sprintf("all: %.2f s\n", t_val + t_cal))
