#!/usr/bin/env Rscript
# Reference values for the logistic engine (src/model/logistic), read by tests/logistic_golden.rs.
#
# Run from this folder:  Rscript make_goldens.R && python3 make_goldens_sklearn.py
# Made with R 4.2.2, rms 6.5.0, brglm2 0.9, glmnet 4.1.6 (versions are written into every
# golden file). The tests never need R: they read the committed CSV and JSON files.
#
# Every dataset is generated here with a fixed seed, rounded to 6 decimals (so the CSV text is
# exactly the data the references saw) and written as CSV. Each golden JSON holds the reference
# estimates with 17 significant digits, plus the largest disagreement between the independent R
# references where there are two (e.g. glm vs rms::lrm.fit), so a reader sees how well the
# references themselves agree.
#
# Conventions matched (see the module docs of src/model/logistic):
#  * log-likelihoods are sum(w * (y log p + (1 - y) log(1 - p))), unpenalised, at the estimate;
#    the null log-likelihood is that of the weighted intercept-only MLE;
#  * ridge: maximise loglik - lambda/2 * sum_j (sd_j * beta_j)^2, sd_j the weighted population
#    sd (divisor sum(w)) of column j; intercept unpenalised. glmnet: lambda_glmnet = lambda/sum(w),
#    alpha = 0, standardize = TRUE. rms::lrm.fit: penalty.matrix = lambda * diag(sd^2);
#    covariance = inverse of the penalised information (rms var.penalty = "simple");
#  * Firth: brglm2 type = "AS_mean" (identical to "MPL_Jeffreys" for the logit link); covariance
#    = inverse Fisher information at the estimate, as brglm2 and logistf report.

suppressMessages({
  library(rms)
  library(brglm2)
  library(glmnet)
})

num <- function(x) {
  if (length(x) == 0) return("[]")
  s <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  paste0("[", paste(s, collapse = ", "), "]")
}
str1 <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
write_json <- function(path, fields) {
  body <- vapply(names(fields), function(k) {
    v <- fields[[k]]
    val <- if (is.character(v) && length(v) == 1 && !inherits(v, "AsIs")) str1(v)
      else if (is.character(v)) paste0("[", paste(vapply(v, str1, ""), collapse = ", "), "]")
      else if (is.null(v)) "null"
      else if (inherits(v, "scalar")) sprintf("%.17g", unclass(v))
      else num(v)
    paste0("  ", str1(k), ": ", val)
  }, "")
  writeLines(c("{", paste(body, collapse = ",\n"), "}"), path)
}
scalar <- function(x) structure(x, class = "scalar")
versions <- sprintf("%s; rms %s; brglm2 %s; glmnet %s", R.version.string,
                    packageVersion("rms"), packageVersion("brglm2"), packageVersion("glmnet"))

round6 <- function(d) { for (k in names(d)) d[[k]] <- round(d[[k]], 6); d }
write_data <- function(d, file) write.csv(d, file, row.names = FALSE, quote = FALSE)

wll <- function(y, p, w) sum(w * (y * log(p) + (1 - y) * log1p(-p)))
null_ll <- function(y, w) { pb <- sum(w * y) / sum(w); wll(y, rep(pb, length(y)), w) }
rel <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-300))
se_of <- function(v) sqrt(diag(v))

glm_ref <- function(X, y, w) {
  f <- suppressWarnings(glm.fit(cbind(1, X), y, weights = w, family = binomial(),
                                control = glm.control(epsilon = 1e-15, maxit = 200)))
  stopifnot(f$converged)
  V <- chol2inv(f$qr$qr[seq_len(ncol(X) + 1), seq_len(ncol(X) + 1), drop = FALSE])
  V <- V[order(f$qr$pivot), order(f$qr$pivot)]
  list(coef = unname(f$coefficients), se = se_of(V), p = f$fitted.values)
}
lrm_ref <- function(X, y, w = NULL, pen = NULL) {
  f <- lrm.fit(X, y, weights = w, penalty.matrix = pen, eps = 1e-13, maxit = 200, tol = 1e-14)
  stopifnot(f$fail == FALSE)
  list(coef = unname(coef(f)), se = unname(sqrt(diag(f$var))), stats = f$stats)
}

golden_fields <- function(case, file, xcols, wcol, penalty, coef, se, p, y, w, reference,
                          cross = list()) {
  ll <- wll(y, p, w); ll0 <- null_ll(y, w)
  c(list(case = case, data = file, x_columns = I(xcols), y_column = "y",
         weights_column = if (is.null(wcol)) NULL else wcol, penalty = penalty,
         reference = reference, versions = versions,
         coefficients = coef, std_errors = se,
         log_likelihood = scalar(ll), null_log_likelihood = scalar(ll0),
         lr_chi2 = scalar(2 * (ll - ll0))), cross)
}

## 1. moderate: n = 2000, 5 correlated continuous predictors on different scales, a binary one and a
##    3-level factor (dummies fb, fc; reference level a). glm and rms::lrm.fit must agree.
set.seed(20261101)
n <- 2000
S <- 0.5 ^ abs(outer(1:5, 1:5, "-"))
Z <- matrix(rnorm(n * 5), n) %*% chol(S)
f3 <- sample(c("a", "b", "c"), n, replace = TRUE, prob = c(.5, .3, .2))
d <- data.frame(age = 65 + 10 * Z[, 1], lctx = -1.2 + 0.6 * Z[, 2], egfr = 70 + 20 * Z[, 3],
                z4 = Z[, 4], z5 = 3 * Z[, 5], prior = rbinom(n, 1, 0.3),
                fb = as.numeric(f3 == "b"), fc = as.numeric(f3 == "c"))
d <- round6(d)
lp <- with(d, -1 + 0.03 * (age - 65) + 0.8 * lctx - 0.01 * (egfr - 70) + 0.3 * z4 + 0.05 * z5 +
              0.6 * prior + 0.4 * fb - 0.5 * fc + 1)
d$y <- rbinom(n, 1, plogis(lp))
xc <- c("age", "lctx", "egfr", "z4", "z5", "prior", "fb", "fc")
write_data(d, "moderate.csv")
X <- as.matrix(d[, xc]); w1 <- rep(1, n)
g <- glm_ref(X, d$y, w1); l <- lrm_ref(X, d$y)
stopifnot(rel(l$coef, g$coef) < 1e-9, rel(l$se, g$se) < 1e-7)
gf <- glm(reformulate(xc, "y"), data = d, family = binomial(),
          control = glm.control(epsilon = 1e-15, maxit = 200))
sm <- summary(gf)$coefficients
ci <- confint.default(gf, level = 0.95)
write_json("moderate_golden.json", golden_fields(
  "moderate", "moderate.csv", xc, NULL, "none", g$coef, g$se, g$p, d$y, w1,
  "glm.fit(epsilon = 1e-15) coefficients and vcov; rms::lrm.fit(eps = 1e-13) cross-check; z, p and Wald CI from summary.glm and confint.default",
  list(cross_max_rel_coef_glm_vs_lrm = scalar(rel(l$coef, g$coef)),
       cross_max_rel_se_glm_vs_lrm = scalar(rel(l$se, g$se)),
       lrm_model_lr = scalar(unname(l$stats["Model L.R."])),
       z = unname(sm[, "z value"]), p_values = unname(sm[, "Pr(>|z|)"]),
       wald_ci_95_low = unname(ci[, 1]), wald_ci_95_high = unname(ci[, 2]))))

## 2. rare events with non-integer weights (as IPCW weights): n = 5000, about 3% events.
set.seed(20261102)
n <- 5000
d <- data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), x3 = exp(rnorm(n, 0, 0.5)), x4 = rnorm(n))
d$w <- runif(n, 0.2, 3)
d <- round6(d)
lp <- with(d, -4.1 + 0.7 * x1 + 0.9 * x2 + 0.3 * x3 - 0.2 * x4)
d$y <- rbinom(n, 1, plogis(lp))
xc <- c("x1", "x2", "x3", "x4")
write_data(d, "rare_weighted.csv")
X <- as.matrix(d[, xc])
g <- glm_ref(X, d$y, d$w); l <- lrm_ref(X, d$y, w = d$w)
stopifnot(rel(l$coef, g$coef) < 1e-8)
write_json("rare_weighted_golden.json", golden_fields(
  "rare_weighted", "rare_weighted.csv", xc, "w", "none", g$coef, g$se, g$p, d$y, d$w,
  "glm.fit(weights = w, epsilon = 1e-15); rms::lrm.fit(weights = w) cross-check",
  list(prevalence = scalar(mean(d$y)),
       cross_max_rel_coef_glm_vs_lrm = scalar(rel(l$coef, g$coef)),
       cross_max_rel_se_glm_vs_lrm = scalar(rel(l$se, g$se)))))

firth_ref <- function(X, y, w) {
  dd <- data.frame(y = y, X)
  f <- glm(y ~ ., data = dd, weights = w, family = binomial(), method = "brglmFit",
           type = "AS_mean", epsilon = 1e-14, maxit = 1000)
  stopifnot(f$converged)
  f2 <- glm(y ~ ., data = dd, weights = w, family = binomial(), method = "brglmFit",
            type = "MPL_Jeffreys", epsilon = 1e-14, maxit = 1000)
  list(coef = unname(coef(f)), se = unname(se_of(vcov(f))), p = fitted(f),
       cross = rel(coef(f2), coef(f)))
}
write_firth <- function(case, file, xc, wcol, X, y, w, extra = list()) {
  fr <- firth_ref(X, y, w)
  write_json(paste0(case, "_golden.json"), golden_fields(
    case, file, xc, wcol, "firth", fr$coef, fr$se, fr$p, y, w,
    "brglm2::brglmFit(type = \"AS_mean\", epsilon = 1e-14); SEs from vcov (inverse Fisher information)",
    c(list(cross_max_rel_coef_as_mean_vs_mpl_jeffreys = scalar(fr$cross)), extra)))
}

## 3a. complete separation, n = 30: y = 1 exactly when x > 0.1 (ML does not exist).
set.seed(20261103)
n <- 30
d <- round6(data.frame(x = rnorm(n)))
d$y <- as.numeric(d$x > 0.1)
write_data(d, "separated_complete.csv")
g <- suppressWarnings(glm(y ~ x, data = d, family = binomial()))
write_firth("separated_complete", "separated_complete.csv", "x", NULL, as.matrix(d["x"]), d$y,
            rep(1, n), list(glm_slope_at_its_stop = scalar(unname(coef(g)[2])),
                            expected_separation = "complete", expected_terms = I("x")))

## 3b. quasi-complete separation, n = 40: every row with b = 1 has y = 1; z is ordinary noise.
set.seed(20261104)
n <- 40
d <- round6(data.frame(b = rbinom(n, 1, 0.4), z = rnorm(n)))
d$y <- ifelse(d$b == 1, 1, rbinom(n, 1, 0.4))
write_data(d, "separated_quasi.csv")
write_firth("separated_quasi", "separated_quasi.csv", c("b", "z"), NULL, as.matrix(d[c("b", "z")]),
            d$y, rep(1, n), list(expected_separation = "quasi", expected_terms = I("b")))

## 4. Firth without separation (n = 60), and a Firth fit with integer frequency weights (n = 40).
set.seed(20261105)
n <- 60
d <- round6(data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.5), x3 = rnorm(n, 2, 1.5)))
d$y <- rbinom(n, 1, plogis(-0.8 + 0.9 * d$x1 + 0.7 * d$x2 - 0.3 * d$x3))
write_data(d, "firth_small.csv")
X <- as.matrix(d[c("x1", "x2", "x3")])
ml <- glm_ref(X, d$y, rep(1, n))
write_firth("firth_small", "firth_small.csv", c("x1", "x2", "x3"), NULL, X, d$y, rep(1, n),
            list(ml_coefficients = ml$coef))

set.seed(20261106)
n <- 40
d <- round6(data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.5)))
d$y <- rbinom(n, 1, plogis(-0.5 + 1.1 * d$x1 + 0.6 * d$x2))
d$w <- sample(1:3, n, replace = TRUE)
write_data(d, "firth_weighted.csv")
write_firth("firth_weighted", "firth_weighted.csv", c("x1", "x2"), "w", as.matrix(d[c("x1", "x2")]),
            d$y, d$w)

## 5. ridge, lambda = 8 on the log-likelihood scale, unweighted (n = 400) and weighted (n = 300).
ridge_case <- function(case, d, xc, wcol, lambda) {
  X <- as.matrix(d[, xc]); y <- d$y
  w <- if (is.null(wcol)) rep(1, nrow(d)) else d[[wcol]]
  mu <- colSums(w * X) / sum(w)
  sd2 <- colSums(w * sweep(X, 2, mu)^2) / sum(w)
  l <- lrm_ref(X, y, w = if (is.null(wcol)) NULL else w, pen = lambda * diag(sd2, ncol(X)))
  gn <- glmnet(X, y, family = "binomial", weights = w, alpha = 0, lambda = lambda / sum(w),
               standardize = TRUE, thresh = 1e-22, maxit = 1e7)
  gcoef <- as.numeric(coef(gn))
  p <- plogis(drop(cbind(1, X) %*% l$coef))
  write_json(paste0(case, "_golden.json"), c(golden_fields(
    case, paste0(case, ".csv"), xc, wcol, sprintf("ridge=%s", lambda), l$coef, l$se, p, y, w,
    "rms::lrm.fit(penalty.matrix = lambda * diag(weighted population variances), eps = 1e-13); SEs from its var (inverse penalised information); glmnet(alpha = 0, lambda = lambda/sum(w), thresh = 1e-22) cross-check",
    list(lambda = scalar(lambda), glmnet_coefficients = gcoef,
         cross_max_rel_coef_lrm_vs_glmnet = scalar(rel(gcoef, l$coef)),
         penalized_log_likelihood = scalar(wll(y, p, w) - lambda / 2 * sum(sd2 * l$coef[-1]^2))))))
}
set.seed(20261107)
n <- 400
S <- 0.6 ^ abs(outer(1:6, 1:6, "-"))
Z <- matrix(rnorm(n * 6), n) %*% chol(S)
d <- data.frame(a = 50 + 12 * Z[, 1], b = 0.01 * Z[, 2], c = Z[, 3], e = 5 * Z[, 4],
                f = as.numeric(Z[, 5] > 0.3), g = 2 + Z[, 6])
d <- round6(d)
d$y <- rbinom(n, 1, plogis(0.3 + 0.05 * (d$a - 50) + 40 * d$b + 0.5 * d$c - 0.1 * d$e + 0.4 * d$f))
write_data(d, "ridge.csv")
ridge_case("ridge", d, c("a", "b", "c", "e", "f", "g"), NULL, 8)

set.seed(20261108)
n <- 300
d <- round6(data.frame(a = rnorm(n, 10, 3), b = rnorm(n), c = rbinom(n, 1, 0.3),
                       w = runif(n, 0.5, 2.5)))
d$y <- rbinom(n, 1, plogis(-1 + 0.2 * (d$a - 10) + 0.8 * d$b + 0.5 * d$c))
write_data(d, "ridge_weighted.csv")
ridge_case("ridge_weighted", d, c("a", "b", "c"), "w", 3)

## 6. rank deficient: x3 = x1 + x2 exactly (glm reports NA for x3). Expected: columns 0, 1, 2.
set.seed(20261109)
n <- 200
d <- round6(data.frame(x1 = rnorm(n), x2 = rnorm(n), x4 = rnorm(n)))
d$x3 <- d$x1 + d$x2
d$y <- rbinom(n, 1, 0.4)
d <- d[c("x1", "x2", "x3", "x4", "y")]
write_data(d, "rank_deficient.csv")
g <- glm(y ~ x1 + x2 + x3 + x4, data = d, family = binomial())
stopifnot(is.na(coef(g)["x3"]))

cat("goldens written\n")
