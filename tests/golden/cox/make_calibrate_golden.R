# Golden values for the overfitting-corrected calibration of a Cox model at a horizon
# (tests/suite/cox_golden.rs, calibrate part), on lung.csv (written by make_goldens.R).
# Run from this folder:  Rscript make_calibrate_golden.R
#
# 1. rms::calibrate.cph(cmethod = "KM", u = 365, m = 40, B = 40) after set.seed(777): its
#    bootstrap draws are sample(n, replace = TRUE) once per replicate (predab.resample, in
#    chunks of 10 that continue the same stream), recorded here so the Rust replay uses them.
# 2. The smooth corrected curve as mbdrisk defines it (calibrate.cph's "observed - predicted"
#    bootstrap with the Austin et al. 2020 smoother, a coxph of the outcome on
#    rcs(cloglog(risk), 3), in place of polspline::hare), computed here independently on the
#    same draws with coxph/survfit.
suppressMessages({library(survival); library(rms)})
options(digits = 15)
cc <- read.csv("lung.csv", stringsAsFactors = FALSE)
cc$ecog <- as.character(cc$ecog)
dd <- datadist(cc); options(datadist = "dd")
num <- function(v) paste0("[", paste(ifelse(is.finite(v), sprintf("%.15g", v), "null"), collapse = ", "), "]")
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
u <- 365; m <- 40; B <- 40
f <- cph(Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, data = cc, x = TRUE, y = TRUE,
         surv = TRUE, time.inc = u, eps = 1e-12)
n <- nrow(cc)
set.seed(777)
idx <- lapply(seq_len(B), function(i) sample(n, replace = TRUE))
set.seed(777)
cal <- calibrate(f, cmethod = "KM", u = u, m = m, B = B)
# cph's survival at u at its centre (the S0 calibrate uses)
s0_cph <- f$surv.summary[2, 1, 1]
ce <- coxph(Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, data = cc, ties = "efron",
            control = ctl, x = TRUE)

# ---- 2. the smooth corrected curve, replayed on idx ---------------------------------------
X <- ce$x
y_t <- cc$time; y_e <- cc$event
refit <- function(rows) {
  Xr <- X[rows, , drop = FALSE]
  coxph(Surv(y_t[rows], y_e[rows]) ~ Xr, ties = "efron", control = ctl)
}
# risk by u of rows_eval from a refit: its baseline at its means
risk_from <- function(fit, rows_eval) {
  b <- coef(fit)
  centre <- sum(fit$means * b)
  bh <- basehaz(fit, centered = TRUE)
  H <- if (any(bh$time <= u)) max(bh$hazard[bh$time <= u]) else 0
  lp <- drop(X[rows_eval, , drop = FALSE] %*% b) - centre
  1 - exp(-H * exp(lp))
}
cll <- function(r) log(-log(1 - r))
apparent_risk <- risk_from(ce, seq_len(n))
grid <- unique(unname(quantile(apparent_risk, (0:49 + 0.5) / 50, type = 7)))
smooth_obs <- function(risk, rows) {
  dat <- data.frame(time = y_t[rows], event = y_e[rows], cll = cll(risk))
  if (sum(dat$event) < 5) return(rep(NA, length(grid)))
  sm <- coxph(Surv(time, event) ~ rcs(cll, 3), data = dat, ties = "efron", control = ctl)
  1 - summary(survfit(sm, newdata = data.frame(cll = cll(grid)), se.fit = FALSE),
              times = u, extend = TRUE)$surv[1, ]
}
app <- smooth_obs(apparent_risk, seq_len(n)) - grid
diffs <- sapply(idx, function(rows) {
  fb <- refit(rows)
  train <- smooth_obs(risk_from(fb, rows), rows) - grid
  test <- smooth_obs(risk_from(fb, seq_len(n)), seq_len(n)) - grid
  train - test
})
opt <- rowMeans(diffs, na.rm = TRUE)
reps <- rowSums(!is.na(diffs))

# hare-based calibrate.cph (rms' default), for the record only: a different smoother
hare_part <- tryCatch({
  set.seed(777)
  ch <- calibrate(f, u = u, B = B)
  sprintf('{"pred": %s, "calibrated": %s, "calibrated_corrected": %s}',
          num(1 - ch[, "pred"]), num(1 - ch[, "calibrated"]), num(1 - ch[, "calibrated.corrected"]))
}, error = function(e) "null")

idx_part <- paste0("[", paste(sapply(idx, function(j) paste0("[", paste(j - 1, collapse = ","), "]")), collapse = ",\n  "), "]")
json <- sprintf('{"source": "R %s survival %s rms %s", "horizon": %s, "m": %d, "B": %d,
 "s0_cph": %.15g,
 "km": {"mean_predicted": %s, "KM": %s, "KM_corrected": %s, "mean_optimism": %s, "n": %s, "index_orig": %s},
 "smooth": {"grid": %s, "observed": %s, "observed_corrected": %s, "replicates": %s},
 "hare_for_the_record": %s,
 "boot_indices": %s}\n',
  getRversion(), packageVersion("survival"), packageVersion("rms"), u, m, B, s0_cph,
  num(cal[, "mean.predicted"]), num(cal[, "KM"]), num(cal[, "KM.corrected"]),
  num(cal[, "mean.optimism"]), num(cal[, "n"]), num(cal[, "index.orig"]),
  num(grid), num(grid + app), num(grid + app - opt), num(reps), hare_part, idx_part)
writeLines(json, "calibrate_golden.json")
print(cal)
cat("wrote calibrate_golden.json\n")
