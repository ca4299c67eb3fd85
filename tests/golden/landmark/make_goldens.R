# Reference values for tests/landmark.rs (landmark super-model, issue 6 item 7).
#
# Run from this folder:  MBDRISK_BIN=/path/to/mbdrisk Rscript make_goldens.R
# Made with R 4.2.2, survival, sandwich (sessionInfo() in versions.txt).
#
# 1. mbdrisk builds the landmark data set of data/demo (landmarks 0:24:3, window 6, staleness
#    12) with `fit --dynamic --landmark-data` (written to a temporary file, not committed).
# 2. IPCW weights are recomputed here with riskRegression::ipcw (marginal Kaplan-Meier of the
#    censoring among the rows at each landmark s, on the stacked residual times): weight
#    1 / G_s(t-) for events in the window, 1 / G_s(w) for follow-up beyond it, 0 otherwise.
#    Written to ipcw.csv: patient_id, landmark, ipcw (one row per stacked row).
# 3. glm(landmark_event ~ ..., family = binomial, weights = ipcw) on rows with ipcw > 0 and
#    complete formula columns (R's default level order = mbdrisk's), with
#    sandwich::vcovCL(cluster = ~ patient_id, type = "HC0"): the
#    cluster-robust covariance mbdrisk reports. Written to supermodel.csv:
#    term, estimate, se_model, se_robust (sprintf %.17g).
# 4. A super-model with rcs(landmark, 3) + markers + marker:landmark interactions (the
#    formula of `mbdrisk demo` until session 2), the same way: supermodel_interactions.csv.
# 5. The formula of `mbdrisk demo` now, with addNA() terms: supermodel_addna.csv.
suppressMessages({
  library(survival)
  library(sandwich)
  library(prodlim)
})
f17 <- function(x) sprintf("%.17g", x)
# The clusters of a fit: the patients of its rows. A factor's unused levels would count as
# clusters in vcovCL's G / (G - 1), so they are dropped.
clusters <- function(fit, data) droplevels(factor(data[rownames(model.frame(fit)), "patient_id"]))
bin <- Sys.getenv("MBDRISK_BIN", "mbdrisk")
formula_surv <- paste("Surv(time_months, event) ~ log(ctx_ng_ml) + ctx_above_lsc + mrd +",
                      "mrd_conversion + ctdna + pet + months_since_pet")
tmp <- tempfile(fileext = ".csv")
status <- system2(bin, c("fit", "--dynamic", "--data", "../../../data/demo/cohort.csv",
                         "--visits", "../../../data/demo/visits.csv",
                         "--formula", shQuote(formula_surv), "--landmark-data", tmp,
                         "--out", tempfile(fileext = ".json")), stdout = FALSE)
stopifnot(status == 0)
d <- read.csv(tmp, na.strings = c("", "NA"), stringsAsFactors = TRUE)
w <- 6

# ---- 2. IPCW, independently ----------------------------------------------------------------
ipcw_r <- numeric(nrow(d))
for (s in sort(unique(d$landmark))) {
  at <- which(d$landmark == s)
  # ipcw() returns subject weights in time order: sort first (events before censorings at
  # tied times, as Score sorts), then map back.
  at <- at[order(d$residual_time[at], -d$event[at])]
  dd <- data.frame(t = d$residual_time[at], e = d$event[at])
  # riskRegression's own IPCW (marginal Kaplan-Meier of censoring, as Score uses):
  # G(t_i-) at the subject times, G(w) at the window.
  g <- riskRegression::ipcw(Hist(t, e) ~ 1, data = dd, method = "marginal", times = w, keep = c("times", "subject.times"),
                            subject.times = dd$t)
  ipcw_r[at] <- ifelse(dd$e == 1 & dd$t <= w, 1 / g$IPCW.subject.times,
                       ifelse(dd$t > w, 1 / g$IPCW.times, 0))
}
cat("max |riskRegression ipcw - mbdrisk ipcw| at golden time:", max(abs(ipcw_r - d$ipcw)), "\n")
write.csv(data.frame(patient_id = d$patient_id, landmark = d$landmark, ipcw = f17(ipcw_r)),
          "ipcw.csv", row.names = FALSE, quote = FALSE)

# ---- 3. weighted glm + cluster sandwich -------------------------------------------------------
vars <- c("landmark_event", "ctx_ng_ml", "ctx_above_lsc", "mrd", "mrd_conversion", "ctdna",
          "pet", "months_since_pet", "landmark_1", "landmark_2", "ipcw", "patient_id")
m <- d[d$ipcw > 0, vars]
m <- m[complete.cases(m), ]
fit <- suppressWarnings(glm(landmark_event ~ log(ctx_ng_ml) + ctx_above_lsc + mrd +
                              mrd_conversion + ctdna + pet + months_since_pet + landmark_1 +
                              landmark_2, family = binomial, weights = ipcw, data = m,
                            control = glm.control(epsilon = 1e-14, maxit = 100)))
stopifnot(fit$converged)
V <- vcovCL(fit, cluster = clusters(fit, m), type = "HC0")
out <- data.frame(term = names(coef(fit)), estimate = f17(coef(fit)),
                  se_model = f17(sqrt(diag(vcov(fit)))), se_robust = f17(sqrt(diag(V))))
write.csv(out, "supermodel.csv", row.names = FALSE, quote = FALSE)
cat("rows", nrow(m), "patients", length(unique(m$patient_id)), "\n")
print(out)

# ---- 4. the demo's super-model: spline in landmark time and predictor x landmark interactions
# rcs() knots from every non-missing landmark among the rows with ipcw > 0 (model.frame
# evaluates rcs before na.omit drops incomplete rows, as mbdrisk does). R puts interaction
# columns after the main effects; the formula lists them last, so the order is mbdrisk's.
suppressMessages(library(rms))
fit2 <- suppressWarnings(glm(landmark_event ~ rcs(landmark, 3) + log(ctx_ng_ml) + ctx_above_lsc +
                               mrd + mrd_conversion + ctdna + pet + agent +
                               log(ctx_ng_ml):landmark + ctx_above_lsc:landmark + mrd:landmark +
                               mrd_conversion:landmark + ctdna:landmark + pet:landmark +
                               agent:landmark,
                             family = binomial, weights = ipcw, data = d[d$ipcw > 0, ],
                             control = glm.control(epsilon = 1e-14, maxit = 100)))
stopifnot(fit2$converged)
V2 <- vcovCL(fit2, cluster = clusters(fit2, d), type = "HC0")
out2 <- data.frame(term = gsub(",", ";", names(coef(fit2))), estimate = f17(coef(fit2)),
                   se_model = f17(sqrt(diag(vcov(fit2)))), se_robust = f17(sqrt(diag(V2))))
write.csv(out2, "supermodel_interactions.csv", row.names = FALSE, quote = FALSE)
cat("interaction model rows", nobs(fit2), "\n")
print(out2)

# ---- 5. the demo's super-model since session 3: addNA() keeps rows whose ctDNA or PET is
# not measured (or too old) with a level NA of their own (R's addNA puts NA last, as mbdrisk),
# baseline cytogenetic risk and ISS stage, the CTX nadir and the serial CTX rise.
fit3 <- suppressWarnings(glm(landmark_event ~ rcs(landmark, 3) + log(ctx_ng_ml) + ctx_above_lsc +
                               mrd + mrd_conversion + addNA(ctdna) + addNA(pet) + agent +
                               cyto_risk + iss_stage + log(ctx_nadir_ng_ml) + ctx_rise_lsc +
                               log(ctx_ng_ml):landmark + ctx_above_lsc:landmark +
                               mrd:landmark + mrd_conversion:landmark +
                               addNA(ctdna):landmark + addNA(pet):landmark + agent:landmark,
                             family = binomial, weights = ipcw, data = d[d$ipcw > 0, ],
                             control = glm.control(epsilon = 1e-14, maxit = 100)))
stopifnot(fit3$converged, !anyNA(coef(fit3)))
V3 <- vcovCL(fit3, cluster = clusters(fit3, d), type = "HC0")
out3 <- data.frame(term = gsub(",", ";", names(coef(fit3))), estimate = f17(coef(fit3)),
                   se_model = f17(sqrt(diag(vcov(fit3)))), se_robust = f17(sqrt(diag(V3))))
write.csv(out3, "supermodel_addna.csv", row.names = FALSE, quote = FALSE)
cat("addNA model rows", nobs(fit3), "patients", length(unique(d$patient_id[as.integer(rownames(model.frame(fit3)))])), "\n")
print(out3)
writeLines(capture.output(sessionInfo()), "versions.txt")
