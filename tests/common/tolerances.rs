//! Tolerances for comparisons against reference implementations, named in one place
//! (statrs `prec.rs` idea). Relative unless the name says otherwise. Dependency-free: test files
//! include it with `#[path = "common/tolerances.rs"] mod tolerances;`. Each constant says which
//! reference it is for; add new ones in a section of their own.

/// Coefficients vs R `rms::lrm` / `glm` (relative).
pub const COEF_REL: f64 = 1e-6;
/// Standard errors vs R (relative).
pub const SE_REL: f64 = 1e-5;

// --- Logistic engine (tests/logistic_golden.rs; goldens by tests/golden/logistic/make_goldens.R).
// The references were run to 1e-13..1e-15 and agree with each other to ~1e-12, so these bounds
// are set by our own convergence rule (default tol = 1e-8), not by the references.

/// Log-likelihood, null log-likelihood and LR chi-square of maximum-likelihood fits vs R
/// (relative; at the maximum these move only to second order with the coefficients).
pub const LOGLIK_REL: f64 = 1e-9;
/// The unpenalised log-likelihood and LR chi-square of ridge and Firth fits (relative; not
/// stationary at a penalised estimate, so they move to first order with the coefficients).
pub const PENALIZED_FIT_LOGLIK_REL: f64 = 1e-7;
/// Wald p-values vs `summary.glm` (relative; a z error of SE_REL moves p by up to |z| times
/// that, and tiny p-values amplify it further).
pub const P_VALUE_REL: f64 = 1e-4;
/// Firth coefficients and standard errors vs brglm2 `AS_mean` (relative).
pub const FIRTH_REL: f64 = 1e-5;
/// Ridge coefficients vs rms::lrm.fit / glmnet / scikit-learn with matched scaling (relative).
pub const RIDGE_COEF_REL: f64 = 1e-6;
/// Ridge standard errors vs rms::lrm.fit `var` (inverse penalised information; relative).
pub const RIDGE_SE_REL: f64 = 1e-5;
/// Ridge coefficients vs linfa-logistic (L-BFGS, gradient tolerance 1e-10 * n; relative, with
/// an absolute floor of the same size for coefficients near 0).
pub const LINFA_RIDGE_REL: f64 = 1e-4;
/// Engine invariances that hold up to rounding only (frequency weights vs repeated rows,
/// intercept shift): relative.
pub const INVARIANCE_REL: f64 = 1e-8;

/// Net benefit vs the dcurves formula evaluated in R (absolute; acceptance: 1e-9).
pub const NET_BENEFIT_ABS: f64 = 1e-12;

// --- Metrics on (predicted, observed) pairs (tests/metrics_golden.rs; goldens by
// tests/golden/metrics/make_goldens.R). Acceptance bounds from the Validation issue; the
// observed errors are near rounding (see `cargo test --test metrics_golden -- --nocapture`).

/// AUC vs `pROC::auc` and Dxy vs `Hmisc::somers2` (absolute).
pub const METRICS_AUC_ABS: f64 = 1e-9;
/// DeLong confidence limits vs `pROC::ci.auc(method = "delong")` (absolute).
pub const METRICS_DELONG_CI_ABS: f64 = 1e-6;
/// DeLong variance vs `pROC::var(method = "delong")` (relative).
pub const METRICS_DELONG_VAR_REL: f64 = 1e-6;
/// `rms::val.prob` Brier, Intercept, Slope, Dxy, C, R2, D, U, Q, S:z, S:p and the glm citl
/// (absolute).
pub const METRICS_VALPROB_ABS: f64 = 1e-6;
/// `rms::val.prob` Eavg / E90 / Emax and E50 (absolute, probability units).
pub const METRICS_CAL_ERROR_ABS: f64 = 1e-4;
/// `stats::lowess(iter = 0)` fitted values and their `approx` on a grid (absolute).
pub const METRICS_LOWESS_ABS: f64 = 1e-9;
/// Wilson limits vs `prop.test(correct = FALSE)` (absolute).
pub const METRICS_WILSON_ABS: f64 = 1e-12;

// --- Censoring-aware metrics at a horizon (tests/censored_golden.rs; goldens by
// tests/golden/censored/make_goldens.R, riskRegression 2022.11.28 Score, cens.model = "km").

/// IPCW AUC, IPCW Brier (model and null) vs riskRegression (absolute; acceptance 1e-6).
pub const CENSORED_SCORE_ABS: f64 = 1e-6;
/// Influence-function standard errors of the AUC and Brier vs riskRegression (relative; a
/// port of its C++ influence functions, observed error ~1e-15).
pub const CENSORED_SE_REL: f64 = 1e-9;

// --- Landmark super-model (tests/landmark.rs; goldens by tests/golden/landmark/make_goldens.R).

/// IPCW weights vs `riskRegression::ipcw` (absolute; same Kaplan-Meier arithmetic).
pub const IPCW_ABS: f64 = 1e-12;
/// Weighted super-model coefficients vs `glm(weights = ipcw)` (relative).
pub const LANDMARK_COEF_REL: f64 = 1e-6;
/// Model-based and cluster-robust standard errors vs `vcov(glm)` and
/// `sandwich::vcovCL(type = "HC0", cadjust = FALSE)` (relative).
pub const LANDMARK_SE_REL: f64 = 1e-5;

/// Linear predictors of interaction models against `rms::lrm` (predict type "lp").
pub const INTERACTION_LP_ABS: f64 = 1e-6;

/// Wald chi-squares of `anova(lrm)` (relative).
pub const ANOVA_CHI2_REL: f64 = 1e-6;

/// Brier and R2 of `print(lrm)`, C and Dxy of `Hmisc::somers2` on the fitted probabilities
/// (lrm's own C counts concordance on binned probabilities and differs by up to ~2e-5).
pub const FIT_INDEX_ABS: f64 = 1e-9;

// --- Cox family (tests/suite/cox_golden.rs; goldens by tests/golden/cox/make_goldens.R on
// survival::lung, survival 3.5-3, rms 6.5-0, coxph run to eps = 1e-12).

/// Cox coefficients vs `coxph` (relative, with the same absolute floor; acceptance 1e-6).
pub const COX_COEF_REL: f64 = 1e-6;
/// Cox standard errors vs `coxph` (relative; acceptance 1e-5).
pub const COX_SE_REL: f64 = 1e-5;
/// Log partial likelihoods, score and Wald tests vs `coxph` (relative).
pub const COX_LOGLIK_REL: f64 = 1e-8;
/// Linear predictors, risks by a horizon (`survfit.coxph`) and the baseline cumulative hazard
/// (`basehaz`) (absolute; acceptance for risks 1e-6).
pub const COX_RISK_ABS: f64 = 1e-6;
/// Harrell's C vs `survival::concordance` and the `print(cph)` indexes (absolute).
pub const COX_INDEX_ABS: f64 = 1e-6;
/// `validate.cph` replayed on R's own bootstrap draws (absolute): rms fits the test-sample
/// slope with `eps = 1e-4, iter.max = 10`, so its test indexes carry that convergence error.
pub const COX_VALIDATE_REPLAY_ABS: f64 = 1e-3;
/// Optimism-corrected `validate.cph` indexes with our own draws vs rms with its own, B = 400
/// (absolute; acceptance 0.02).
pub const COX_VALIDATE_B400_ABS: f64 = 0.02;
/// `calibrate.cph(cmethod = "KM")` replayed on R's own bootstrap draws: the apparent groups
/// (mean predicted survival, Kaplan-Meier) and the smooth corrected curve recomputed by
/// coxph/survfit to eps = 1e-12 on the same draws (absolute).
pub const COX_CALIBRATE_EXACT_ABS: f64 = 1e-6;
/// The grouped optimism of `calibrate.cph` replayed on R's draws (absolute, survival scale):
/// calibrate.cph refits with `cph`'s default `eps = 1e-4`, so its refits carry that
/// convergence error (seen: 2e-6 on lung).
pub const COX_CALIBRATE_REPLAY_ABS: f64 = 1e-4;
