# Reference values for tests/metrics_golden.rs.
#
# Run from this folder:  Rscript make_goldens.R
# Made with R 4.2.2, rms 6.5.0, Hmisc, pROC 1.18.0 (see sessionInfo() in versions.txt).
# Every number is written with sprintf("%.17g") so the Rust tests read back the exact doubles.
#
# Files per dataset <name>:
#   <name>.csv         the data: p (predicted probability), y (0/1 outcome)
#   <name>_golden.csv  stat,value: every statistic of rms::val.prob(p, y, pl = FALSE), pROC
#                      DeLong AUC / variance / CI, exact concordance (Hmisc::somers2),
#                      glm-based citl and recalibration, and a few direct formulas
#   <name>_lowess.csv  x,y: stats::lowess(p, y, iter = 0) (sorted x and fitted values)
#   <name>_grid.csv    x,smooth: approx(lowess(p, y, iter = 0), xout = grid) on a 50-point grid
#   <name>_table.csv   the grouped calibration table with 10 groups (rule below) and Wilson
#                      95% intervals from prop.test(correct = FALSE)
suppressMessages({
  library(rms)
  library(pROC)
})

f17 <- function(x) sprintf("%.17g", x)

write_data <- function(name, p, y) {
  writeLines(c("p,y", paste(f17(p), y, sep = ",")), paste0(name, ".csv"))
}

golden <- function(name, p, y) {
  write_data(name, p, y)
  stats <- list()
  v <- suppressWarnings(val.prob(p, y, pl = FALSE))
  for (k in names(v)) stats[[paste0("valprob_", k)]] <- v[[k]]

  r <- roc(y, p, direction = "<", levels = c(0, 1), quiet = TRUE)
  ci <- ci.auc(r, method = "delong", conf.level = 0.95)
  stats$proc_auc <- as.numeric(auc(r))
  stats$proc_ci_low <- ci[1]
  stats$proc_ci_high <- ci[3]
  stats$proc_var_delong <- var(r, method = "delong")

  s2 <- somers2(p, y)
  stats$somers2_c <- s2[["C"]]
  stats$somers2_dxy <- s2[["Dxy"]]

  ok <- p > 0 & p < 1
  lg <- qlogis(p[ok])
  ctl <- glm.control(epsilon = 1e-15, maxit = 100)
  g <- glm(y[ok] ~ lg, family = binomial, control = ctl)
  stats$glm_intercept <- coef(g)[[1]]
  stats$glm_slope <- coef(g)[[2]]
  gc <- glm(y[ok] ~ 1, offset = lg, family = binomial, control = ctl)
  stats$glm_citl <- coef(gc)[[1]]

  ybar <- mean(y)
  brier <- mean((p - y)^2)
  stats$brier <- brier
  stats$scaled_brier <- 1 - brier / (ybar * (1 - ybar))
  eps <- .Machine$double.eps
  pc <- pmin(pmax(p, eps), 1 - eps)
  stats$log_loss <- -mean(y * log(pc) + (1 - y) * log(1 - pc))
  stats$oe_ratio <- sum(y) / sum(p)
  sm <- lowess(p, y, iter = 0)
  er <- abs(p - approx(sm, xout = p, ties = mean)$y)
  stats$e50 <- median(er)
  stats$n_excluded_logistic <- sum(!ok)

  writeLines(c("stat,value", paste(names(stats), f17(unlist(stats)), sep = ",")),
             paste0(name, "_golden.csv"))
  writeLines(c("x,y", paste(f17(sm$x), f17(sm$y), sep = ",")), paste0(name, "_lowess.csv"))

  grid <- seq(min(p), max(p), length.out = 50)
  at <- approx(sm, xout = grid, ties = mean)$y
  writeLines(c("x,smooth", paste(f17(grid), f17(at), sep = ",")), paste0(name, "_grid.csv"))

  # Groups: sort by p; a tie group goes wholly to the group of its first member;
  # group = floor((rank_min - 1) * g / n). Empty groups do not appear.
  ng <- 10
  grp <- floor((rank(p, ties.method = "min") - 1) * ng / length(p))
  rows <- c("group,n,events,mean_predicted,observed,ci_low,ci_high")
  for (k in sort(unique(grp))) {
    i <- grp == k
    x <- sum(y[i]); m <- sum(i)
    w <- suppressWarnings(prop.test(x, m, correct = FALSE, conf.level = 0.95))$conf.int
    rows <- c(rows, paste(k, m, x, f17(mean(p[i])), f17(x / m), f17(w[1]), f17(w[2]), sep = ","))
  }
  writeLines(rows, paste0(name, "_table.csv"))
}

# 1. Well calibrated, n = 2000, continuous predictions.
set.seed(20261101)
n <- 2000
lp <- rnorm(n, -1, 1.2)
p <- plogis(lp)
golden("well_calibrated", p, rbinom(n, 1, p))

# 2. Overconfident (slope < 1), n = 500, predictions rounded to 0.01 so p has many ties.
set.seed(20261102)
n <- 500
lp <- rnorm(n, -0.5, 1)
p <- pmin(pmax(round(plogis(1.8 * lp + 0.3), 2), 0.01), 0.99)
golden("overconfident_ties", p, rbinom(n, 1, plogis(lp)))

# 3. Small, n = 60, slightly underconfident.
set.seed(20261103)
n <- 60
lp <- rnorm(n, -0.5, 1.5)
golden("small_n60", plogis(0.8 * lp), rbinom(n, 1, plogis(lp)))

# 4. Predictions of exactly 0 and 1 (rounded extreme risks), n = 300: val.prob drops them from
#    the logistic fits (Intercept, Slope, R2, C, D) and keeps them elsewhere.
set.seed(20261104)
n <- 300
p <- round(plogis(rnorm(n, 0, 4)), 2)
golden("exact_zero_one", p, rbinom(n, 1, p))

writeLines(capture.output(sessionInfo()), "versions.txt")
