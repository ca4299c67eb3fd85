# Golden values for tests/censored_golden.rs: IPCW time-dependent AUC (with its
# influence-function SE) and IPCW Brier (model and null model) at a horizon, as
# riskRegression::Score(..., cens.model = "km", null.model = TRUE, se.fit = TRUE).
# Run from this folder: Rscript make_goldens.R
suppressMessages({
  library(riskRegression)
  library(prodlim)
  library(survival)
})
f17 <- function(x) sprintf("%.17g", x)

write_set <- function(name, time, event, risk, H) {
  d <- data.frame(time = time, event = as.integer(event), risk = risk)
  out <- data.frame(time = f17(d$time), event = d$event, risk = f17(d$risk))
  write.csv(out, paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
  s <- Score(list(model = d$risk), formula = Hist(time, event) ~ 1, data = d,
             times = H, metrics = c("auc", "brier"), cens.model = "km",
             null.model = TRUE, se.fit = TRUE)
  a <- s$AUC$score[model == "model"]
  b <- s$Brier$score[model == "model"]
  b0 <- s$Brier$score[model == "Null model"]
  km <- prodlim(Hist(time, event) ~ 1, data = d)
  g <- data.frame(
    dataset = name, horizon = f17(H), n = nrow(d),
    events_before_horizon = sum(d$event == 1 & d$time <= H),
    censored_before_horizon = sum(d$event == 0 & d$time <= H),
    auc = f17(a$AUC), auc_se = f17(a$se),
    brier = f17(b$Brier), brier_se = f17(b$se),
    brier_null = f17(b0$Brier), brier_null_se = f17(b0$se),
    km_risk = f17(1 - predict(km, times = H)))
  g
}

rows <- list()

# 1. Moderate censoring, times rounded to 0.1 (ties; the horizon is an observed time),
#    risks from a covariate rounded to 1 decimal (ties in risk), true model.
set.seed(20261125)
n <- 500
x <- round(rnorm(n), 1)
rate <- 0.08 * exp(0.8 * x)
T <- rexp(n, rate)
C <- runif(n, 0, 30)
time <- pmax(round(pmin(T, C), 1), 0.1)
event <- T <= C
H <- time[which.min(abs(time - 10))]
risk <- 1 - exp(-rate * H)
stopifnot(any(time == H))
rows[[1]] <- write_set("moderate_ties", time, event, risk, H)

# 2. Heavy censoring (about 60%), integer times (many ties between events and
#    censorings), miscalibrated risk (shrunk towards 0.2 and noisy).
set.seed(7)
n <- 800
x <- rnorm(n)
rate <- 0.05 * exp(0.9 * x)
T <- rexp(n, rate)
C <- runif(n, 0, 14)
time <- pmax(ceiling(pmin(T, C)), 1)
event <- T <= C
H <- 6
p_true <- 1 - exp(-rate * H)
risk <- plogis(0.6 * qlogis(p_true) + 0.3 + rnorm(n, 0, 0.3))
rows[[2]] <- write_set("heavy_censoring", time, event, risk, H)

# 3. Small data, continuous times, risk from a fitted Cox model.
set.seed(99)
n <- 300
x1 <- rnorm(n); x2 <- rbinom(n, 1, 0.4)
rate <- 0.1 * exp(0.7 * x1 + 0.5 * x2)
T <- rexp(n, rate)
C <- runif(n, 2, 20)
time <- pmin(T, C)
event <- T <= C
H <- 5
dd <- data.frame(time, event = as.integer(event), x1, x2)
cox <- survival::coxph(survival::Surv(time, event) ~ x1 + x2, data = dd, x = TRUE)
risk <- as.numeric(predictRisk(cox, newdata = dd, times = H))
rows[[3]] <- write_set("cox_fitted", time, event, risk, H)

g <- do.call(rbind, rows)
write.csv(g, "goldens.csv", row.names = FALSE, quote = FALSE)
print(g)
cat("R", R.version$major, R.version$minor, "riskRegression",
    as.character(packageVersion("riskRegression")), "prodlim",
    as.character(packageVersion("prodlim")), "\n")
