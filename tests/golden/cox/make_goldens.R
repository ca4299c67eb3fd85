# Golden values for the Cox model family (tests/suite/cox_golden.rs), from R's own cohort
# survival::lung (228 patients, tied death times). Run from this folder:
#   Rscript make_goldens.R
# Writes lung.csv (the data the Rust tests read: event 0/1, sex F/M, ecog as text, a case
# weight w) and goldens.json. Versions are recorded in goldens.json.
suppressMessages({library(survival); library(rms)})
options(digits = 15)
d <- survival::lung
d <- data.frame(
  time = d$time, event = as.integer(d$status == 2), age = d$age,
  sex = ifelse(d$sex == 1, "M", "F"), ecog = as.character(d$ph.ecog),
  karno = d$ph.karno, meal = d$meal.cal, inst = d$inst)
# ecog 3 has one patient: merged into 2 (a model file never holds a level of < 5 patients)
d$ecog[!is.na(d$ecog) & d$ecog == "3"] <- "2"
d$w <- 1 + (seq_len(nrow(d)) %% 3) / 2

num <- function(v) paste0("[", paste(ifelse(is.finite(v), sprintf("%.15g", v), "null"), collapse = ", "), "]")
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
dd <- datadist(d); options(datadist = "dd")
cc <- d[complete.cases(d[, c("time", "event", "age", "sex", "ecog", "karno")]), ]
# the complete cases are the data (rcs knots are placed on the rows given)
write.csv(cc, "lung.csv", row.names = FALSE, na = "")
horizons <- c(180, 365)

one_fit <- function(name, formula, ties, weights = NULL) {
  data <- cc
  f <- if (is.null(weights)) coxph(formula, data = cc, ties = ties, control = ctl, x = TRUE)
       else coxph(formula, data = cc, ties = ties, control = ctl, x = TRUE, weights = w)
  lp <- predict(f, type = "lp")
  # risk at each horizon for the first 25 rows: survfit.coxph on newdata
  nd <- data[1:25, ]
  sf <- survfit(f, newdata = nd, se.fit = FALSE)
  risk <- sapply(horizons, function(h) 1 - summary(sf, times = h, extend = TRUE)$surv)
  bh <- basehaz(f, centered = TRUE)
  conc <- concordance(f, timewt = "n")
  parts <- c(
    sprintf('"formula": "%s"', paste(deparse(formula, width.cutoff = 500), collapse = "")),
    sprintf('"ties": "%s"', ties),
    sprintf('"weighted": %s', if (is.null(weights)) "false" else "true"),
    sprintf('"names": [%s]', paste0('"', names(coef(f)), '"', collapse = ", ")),
    sprintf('"coef": %s', num(coef(f))),
    # model-based SEs (with non-integer case weights coxph reports the robust ones by
    # default and keeps these as naive.var)
    sprintf('"se": %s', num(sqrt(diag(if (is.null(f$naive.var)) vcov(f) else f$naive.var)))),
    sprintf('"loglik": %s', num(f$loglik)),
    sprintf('"score_test": %.15g', f$score),
    sprintf('"wald_test": %.15g', if (is.null(f$naive.var)) f$wald.test
            else drop(coef(f) %*% solve(f$naive.var, coef(f)))),
    sprintf('"means": %s', num(f$means)),
    sprintf('"n": %d, "events": %d', f$n, f$nevent),
    sprintf('"lp_first25": %s', num(lp[1:25])),
    sprintf('"risk_first25": {"%s": %s, "%s": %s}', horizons[1], num(risk[, 1]), horizons[2], num(risk[, 2])),
    sprintf('"basehaz": {"time": %s, "hazard": %s, "strata": %s}', num(bh$time), num(bh$hazard),
            if (is.null(bh$strata)) "null" else paste0("[", paste0('"', bh$strata, '"', collapse = ", "), "]")),
    sprintf('"concordance": %.15g', conc$concordance))
  sprintf('"%s": {%s}', name, paste(parts, collapse = ",\n   "))
}

fits <- c(
  one_fit("efron_rcs_factors", Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, "efron"),
  one_fit("breslow_rcs_factors", Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, "breslow"),
  one_fit("efron_weighted", Surv(time, event) ~ age + sex + ecog, "efron", weights = TRUE),
  one_fit("breslow_weighted", Surv(time, event) ~ age + sex + ecog, "breslow", weights = TRUE),
  one_fit("efron_strata", Surv(time, event) ~ rcs(age, 4) + ecog + karno + strata(sex), "efron"),
  one_fit("efron_interaction", Surv(time, event) ~ rcs(age, 3) * sex + karno, "efron")
)

# print(cph) indexes for the first fit: R2, Dxy, g, LR, score
f <- cph(Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, data = cc, x = TRUE, y = TRUE,
         surv = TRUE, eps = 1e-12)
st <- f$stats
cph_part <- sprintf('"cph_stats": {"R2": %.15g, "Dxy": %.15g, "g": %.15g, "gr": %.15g, "LR": %.15g, "Score": %.15g, "n": %d, "events": %d}',
  st["R2"], st["Dxy"], st["g"], st["gr"], st["Model L.R."], st["Score"], as.integer(st["Obs"]), as.integer(st["Events"]))
a <- anova(f)
anova_part <- sprintf('"cph_anova": {"rows": [%s], "chi2": %s, "df": %s}',
  paste0('"', rownames(a), '"', collapse = ", "), num(a[, "Chi-Square"]), num(a[, "d.f."]))

# validate.cph: B = 400 with rms' own draws, and a replay on R's bootstrap indices (B = 50):
# predab.resample draws sample(n, replace = TRUE) once per replicate after set.seed.
fv <- cph(Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, data = cc, x = TRUE, y = TRUE,
          surv = TRUE)
val_part <- function(v) {
  rn <- rownames(v)
  sprintf('{"index": [%s], "orig": %s, "train": %s, "test": %s, "optimism": %s, "corrected": %s, "n": %s}',
    paste0('"', rn, '"', collapse = ", "), num(v[, "index.orig"]), num(v[, "training"]),
    num(v[, "test"]), num(v[, "optimism"]), num(v[, "index.corrected"]), num(v[, "n"]))
}
# B = 400 varies with the draws (lung is small: the corrected slope moves by ~0.02 between
# seeds), so the reference is the mean of five seeds' validate(B = 400)
v400s <- lapply(1:5, function(s) { set.seed(s); validate(fv, B = 400) })
v400 <- Reduce(`+`, v400s) / length(v400s)
B <- 50
set.seed(4242)
idx <- lapply(seq_len(B), function(i) sample(nrow(cc), replace = TRUE))
set.seed(4242)
v50 <- validate(fv, B = B)
idx_part <- paste0("[", paste(sapply(idx, function(j) paste0("[", paste(j - 1, collapse = ","), "]")), collapse = ",\n  "), "]")
json <- sprintf('{"source": "R %s survival %s rms %s", "rows_complete": %d,\n "fits": {\n  %s},\n %s,\n %s,\n "validate_b400": %s,\n "validate_b50_replay": %s,\n "boot_indices_b50": %s}\n',
  getRversion(), packageVersion("survival"), packageVersion("rms"), nrow(cc),
  paste(fits, collapse = ",\n  "), cph_part, anova_part, val_part(v400), val_part(v50), idx_part)
writeLines(json, "goldens.json")
cat("wrote goldens.json\n")

# ---- comparison with a rule at a horizon (tests/suite/cox_golden.rs, compare part) ----------
# risk by 365 days of the Efron model; the rule "young" stops age < 60. Kaplan-Meier risk by
# 365 among the stopped, and the net benefit of continuing when risk >= t for a time-to-event
# outcome (dcurves::dca with Surv: P(risk >= t) (1 - S(H | risk >= t)) - P(risk >= t)
# S(H | risk >= t) t / (1 - t)), by survfit within the subsets.
fe <- coxph(Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, data = cc, ties = "efron",
            control = ctl)
H <- 365
sf <- survfit(fe, newdata = cc, se.fit = FALSE)
risk <- 1 - summary(sf, times = H, extend = TRUE)$surv[1, ]
km_risk <- function(sel) {
  if (!any(sel)) return(NA)
  s <- survfit(Surv(time, event) ~ 1, data = cc[sel, ])
  1 - summary(s, times = H, extend = TRUE)$surv
}
stop_young <- cc$age < 60
th <- c(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
nb <- sapply(th, function(t) {
  sel <- risk >= t; p <- mean(sel)
  if (p == 0) return(0)
  r <- km_risk(sel)
  p * r - p * (1 - r) * t / (1 - t)
})
nb_all <- sapply(th, function(t) { r <- km_risk(rep(TRUE, nrow(cc))); r - (1 - r) * t / (1 - t) })
# smoothed calibration at H (Austin, Harrell & van Klaveren 2020): a Cox model of the outcome
# on rcs(cloglog(risk), 3); ICI = mean |risk - observed|, E50, E90
cal_data <- data.frame(time = cc$time, event = cc$event, cll = log(-log(1 - risk)))
cal <- coxph(Surv(time, event) ~ rcs(cll, 3), data = cal_data, ties = "efron", control = ctl)
obs <- 1 - summary(survfit(cal, newdata = cal_data, se.fit = FALSE), times = H, extend = TRUE)$surv[1, ]
dev <- abs(risk - obs)
cmp <- sprintf('{"horizon": %s, "risk": %s, "young_stopped": %d, "young_km_risk": %.15g, "km_risk_all": %.15g, "thresholds": %s, "nb_model": %s, "nb_continue_all": %s, "ici": %.15g, "e50": %.15g, "e90": %.15g}',
  H, num(risk), sum(stop_young), km_risk(stop_young), km_risk(rep(TRUE, nrow(cc))), num(th), num(nb), num(nb_all),
  mean(dev), median(dev), unname(quantile(dev, 0.9)))
writeLines(cmp, "compare_golden.json")
cat("wrote compare_golden.json\n")

# ---- riskRegression::Score on predictRisk(coxph) at 365 days ------------------------------
suppressMessages(library(riskRegression))
fx <- coxph(Surv(time, event) ~ rcs(age, 4) + sex + ecog + karno, data = cc, ties = "efron",
            control = ctl, x = TRUE)
sc <- Score(list(cox = fx), formula = Surv(time, event) ~ 1, data = cc, times = H,
            metrics = c("auc", "brier"), cens.model = "km", null.model = TRUE, se.fit = TRUE)
auc <- sc$AUC$score[model == "cox"]
br <- sc$Brier$score
score_part <- sprintf('{"times": %s, "auc": %.15g, "auc_se": %.15g, "brier": %.15g, "brier_null": %.15g, "version": "%s"}',
  H, auc$AUC, auc$se, br[model == "cox"]$Brier, br[model == "Null model"]$Brier, packageVersion("riskRegression"))
writeLines(score_part, "score_golden.json")
cat("wrote score_golden.json\n")
