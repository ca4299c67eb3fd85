# Reference values for tests/validation_golden.rs (bootstrap optimism correction, rms::validate).
#
# Run from this folder:  Rscript make_goldens.R
# Made with R 4.2.2, rms 6.5-0 (sessionInfo() in versions.txt). Numbers are written with
# sprintf("%.17g").
#
# Data: ../../../data/demo/cohort.csv, complete cases of the formula columns (empty cells and
# "NA" are missing, as mbdrisk reads them), in file order: n = 1519, 208 events. Factors use
# R's default (alphabetical) levels, first level = reference, as mbdrisk does.
#
# Files:
#   validate_b400.csv   seed,index,index_orig,optimism,corrected,n: rms::validate(fit, B = 400)
#                       after set.seed(seed), for three seeds (the first is the reference, the
#                       other two measure the Monte-Carlo spread of the corrected indices).
#   boot_indices.csv    B = 50 bootstrap index vectors (1-based rows of the complete-case
#                       data, one replicate per line, no header), drawn exactly as
#                       predab.resample draws them: set.seed(REPLAY_SEED), then
#                       sample(n, replace = TRUE) once per replicate.
#   replay_b50.csv      index,apparent,optimism,corrected: rms-style optimism computed by
#                       looping over boot_indices.csv with fully converged fits (glm.fit,
#                       epsilon 1e-14) and validate.lrm's index definitions; plus, as a check
#                       of the replay, rms_apparent/rms_optimism/rms_corrected from
#                       validate(fit, B = 50) run with the same seed (same resamples; these
#                       differ from the replay only by lrm.fit's looser convergence).
#   replay_rcs_b50.csv  the same for a model with rcs(bpa_months, 4): the knots of the full fit
#                       are held fixed on every resample, as validate() does.
#
# Index definitions (validate.lrm / predab.resample, rms 6.5-0), for a linear predictor x
# of the model fitted on the training rows, evaluated on some rows with outcome y:
#   Dxy        somers2(x, y)["Dxy"] (exact ranks; = 2 (AUC - 1/2))
#   R2         Nagelkerke R2 of lrm.fit(x, y): the RECALIBRATED predictions
#              plogis(a + b x) (on the training rows this is the fit's own R2, a = 0, b = 1).
#              mbdrisk's r2_nagelkerke is val.prob's R2 of plogis(x) AS GIVEN, which is equal
#              on the training rows but not on the test rows; replay_b50.csv has both
#              (R2 and R2_given).
#   Intercept, Slope   coefficients of lrm.fit(x, y) on the test rows; 0 and 1 on training rows
#   B          mean((plogis(x) - y)^2)
#   Emax       not resampled: max |p - plogis(a_c + b_c logit p)| over p = seq(0, 1, 5e-4),
#              with (a_c, b_c) the corrected Intercept and Slope; index_orig = 0,
#              optimism = corrected = Emax. Unrelated to the lowess Emax of val.prob.
suppressMessages(library(rms))

f17 <- function(x) sprintf("%.17g", x)

vars <- c("event_24m", "ctx_ng_ml", "mrd", "pet", "response", "bpa_months", "agent",
          "prior_sre")
raw <- read.csv("../../../data/demo/cohort.csv", na.strings = c("", "NA"),
                stringsAsFactors = TRUE)
d <- raw[complete.cases(raw[, vars]), vars]
rownames(d) <- NULL
n <- nrow(d)
stopifnot(n == 1519, sum(d$event_24m) == 208)

fit <- lrm(event_24m ~ log(ctx_ng_ml) + mrd + pet + response + bpa_months + agent + prior_sre,
           data = d, x = TRUE, y = TRUE)

keep <- c("Dxy", "R2", "Intercept", "Slope", "Emax", "B")

# ---- 1. validate(fit, B = 400), three seeds ---------------------------------------------
seeds <- c(20240611, 7, 99)
lines <- "seed,index,index_orig,optimism,corrected,n"
for (s in seeds) {
  set.seed(s)
  v <- validate(fit, B = 400)
  for (k in keep) {
    lines <- c(lines, paste(s, k, f17(v[k, "index.orig"]), f17(v[k, "optimism"]),
                            f17(v[k, "index.corrected"]), v[k, "n"], sep = ","))
  }
}
writeLines(lines, "validate_b400.csv")

# ---- 2. exact replay over fixed indices -------------------------------------------------
REPLAY_SEED <- 31337
B <- 50
set.seed(REPLAY_SEED)
idx <- lapply(seq_len(B), function(i) sample(n, replace = TRUE))
writeLines(vapply(idx, function(v) paste(v, collapse = ","), ""), "boot_indices.csv")

ctl <- glm.control(epsilon = 1e-14, maxit = 100)
lp_fit <- function(rows) {
  g <- glm.fit(X[rows, ], y[rows], family = binomial(), control = ctl)
  stopifnot(g$converged)
  drop(X %*% g$coefficients)
}
nagelkerke <- function(lr, l0, n) (1 - exp(-lr / n)) / (1 - exp(-l0 / n))
null_dev <- function(y) {
  m <- mean(y)
  -2 * sum(y * log(m) + (1 - y) * log(1 - m))
}
indices <- function(x, y, train) {
  p <- plogis(x)
  m <- length(y)
  l0 <- null_dev(y)
  if (train) {
    a <- 0
    b <- 1
    dev <- -2 * sum(y * log(p) + (1 - y) * log(1 - p))
  } else {
    g <- glm.fit(cbind(1, x), y, family = binomial(), control = ctl)
    stopifnot(g$converged)
    a <- g$coefficients[1]
    b <- g$coefficients[2]
    dev <- g$deviance
  }
  given_dev <- -2 * sum(y * log(p) + (1 - y) * log(1 - p))
  c(Dxy = unname(somers2(x, y)["Dxy"]),
    R2 = nagelkerke(l0 - dev, l0, m),
    Intercept = unname(a), Slope = unname(b),
    B = mean((p - y)^2),
    R2_given = nagelkerke(l0 - given_dev, l0, m))
}
all_rows <- seq_len(n)
# The replay of `fit` over the resamples `idx`, written to `file`; returns the per-replicate
# differences, the corrected indices and rms' own validate(B = 50) on the same resamples.
replay_file <- function(fit, file) {
  X <<- cbind(1, fit$x)
  y <<- fit$y
  stopifnot(nrow(X) == n)
  x0 <- lp_fit(all_rows)
  apparent <- indices(x0, y, TRUE)
  diffs <- sapply(idx, function(r) {
    x <- lp_fit(r)
    indices(x[r], y[r], TRUE) - indices(x, y, FALSE)
  })
  optimism <- rowMeans(diffs)
  corrected <- apparent - optimism
  set.seed(REPLAY_SEED)
  v <- validate(fit, B = B)
  val <- function(k, col) if (k %in% rownames(v)) f17(v[k, col]) else "NA"
  lines <- "index,apparent,optimism,corrected,rms_apparent,rms_optimism,rms_corrected"
  for (k in names(apparent)) {
    lines <- c(lines, paste(k, f17(apparent[k]), f17(optimism[k]), f17(corrected[k]),
                            val(k, "index.orig"), val(k, "optimism"),
                            val(k, "index.corrected"), sep = ","))
  }
  writeLines(lines, file)
  list(diffs = diffs, corrected = corrected, validate = v)
}
r50 <- replay_file(fit, "replay_b50.csv")

# Per-replicate spread of the optimism (for the Monte-Carlo error of B = 400), printed only.
cat("sd of per-replicate optimism (B = 50 replay):\n")
print(apply(r50$diffs, 1, sd))
cat("replay - rms validate(B = 50), corrected:\n")
print(r50$corrected[c("Dxy", "R2", "Intercept", "Slope", "B")] -
        r50$validate[c("Dxy", "R2", "Intercept", "Slope", "B"), "index.corrected"])

# ---- 3. the same replay with a spline term ----------------------------------------------
# rcs knots are learned once, by the full fit, on every non-missing bpa_months of the file
# (model.frame evaluates rcs() before na.action drops incomplete rows, as mbdrisk does), and
# held fixed on every resample: validate() refits lrm.fit on fit$x. Same resamples as 2.
raw_vars <- raw[, vars]
fit_rcs <- lrm(event_24m ~ rcs(bpa_months, 4) + log(ctx_ng_ml) + mrd + pet + response + agent +
                 prior_sre, data = raw_vars, x = TRUE, y = TRUE)
cat("rcs knots:", fit_rcs$Design$parms$bpa_months, "\n")
invisible(replay_file(fit_rcs, "replay_rcs_b50.csv"))

writeLines(capture.output(sessionInfo()), "versions.txt")
