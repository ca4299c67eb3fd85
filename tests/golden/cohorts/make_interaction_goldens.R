# Goldens for interaction formulas on flchain.csv (written by make_cohorts.R):
# rms::lrm linear predictors of each formula, one column per formula, for the complete
# cases in file order. The fit is on the whole file, as a user would run it: lrm drops the
# rows with a missing value (na.delete), and rcs() places its knots on every non-missing
# value of its column, those rows included. Run from this folder:
# Rscript make_interaction_goldens.R (rms 6+).
suppressPackageStartupMessages(library(rms))
d <- read.csv("flchain.csv", stringsAsFactors = FALSE)
d$sex <- factor(d$sex)
d$chapter <- NULL
formulas <- c(
  star_rcs = "death5 ~ rcs(age, 4) * sex + log(kappa)",
  any_order = "death5 ~ age + sex + age:sex + log(lambda)",
  factor_first = "death5 ~ sex * log(kappa) + age",
  three = "death5 ~ rcs(age, 3) + sex + log(creatinine) + rcs(age, 3):sex + sex:log(creatinine)"
)
# rows with every column the formulas read but creatinine (an empty creatinine: NA for
# the formula that reads it)
cc <- d[complete.cases(d[, c("death5", "age", "sex", "kappa", "lambda")]), ]
out <- data.frame(id = cc$id)
coefs <- list()
for (k in names(formulas)) {
  f <- lrm(as.formula(formulas[k]), data = d, x = TRUE)
  lp <- predict(f, cc, type = "lp")
  out[[k]] <- ifelse(is.na(lp), "NA", sprintf("%.15g", lp))
  coefs[[k]] <- data.frame(formula = k, name = names(coef(f)),
                           value = sprintf("%.15g", coef(f)))
}
write.csv(out, "interaction_golden.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, coefs), "interaction_coefs.csv", row.names = FALSE)
writeLines(formulas, "interaction_formulas.txt")
writeLines(c(R.version.string, paste("rms", packageVersion("rms"))), "versions.txt")

# anova(lrm) and the print(lrm) indexes of each formula
an <- list()
ix <- list()
for (k in names(formulas)) {
  f <- lrm(as.formula(formulas[k]), data = d)
  a <- anova(f)
  an[[k]] <- data.frame(formula = k, term = trimws(gsub("  +", " ", rownames(a))),
                        chi2 = sprintf("%.12g", a[, "Chi-Square"]), df = a[, "d.f."])
  s <- f$stats
  # lrm's own C counts concordance on binned probabilities; Hmisc::somers2 counts it exactly
  fx <- lrm(as.formula(formulas[k]), data = d, x = TRUE, y = TRUE)
  sm <- somers2(plogis(fx$linear.predictors), fx$y)
  ix[[k]] <- data.frame(formula = k, c = sprintf("%.12g", sm["C"]),
                        dxy = sprintf("%.12g", sm["Dxy"]), brier = sprintf("%.12g", s["Brier"]),
                        r2 = sprintf("%.12g", s["R2"]), lrm_c = sprintf("%.12g", s["C"]))
}
write.csv(do.call(rbind, an), "interaction_anova.csv", row.names = FALSE)
write.csv(do.call(rbind, ix), "interaction_indexes.csv", row.names = FALSE)
