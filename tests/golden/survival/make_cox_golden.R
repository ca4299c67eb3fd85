# Golden values for src/survival from R's survival package (coxph Efron ties, survfit).
# Run: Rscript make_cox_golden.R   -> writes cox_golden_r.json (no jsonlite needed:
# the json is written by hand to keep dependencies to base R + survival).
library(survival)
d <- read.csv("cox_data.csv")
ctl <- coxph.control(eps = 1e-11, iter.max = 100)
fits <- list(x1 = c("x1"), x2 = c("x2"), x1_x2 = c("x1", "x2"))
num <- function(v) paste0("[", paste(ifelse(is.finite(v), sprintf("%.12g", v), "null"), collapse = ", "), "]")
parts <- c()
for (nm in names(fits)) {
  f <- coxph(as.formula(paste("Surv(time, status) ~", paste(fits[[nm]], collapse = "+"))),
             data = d, ties = "efron", control = ctl)
  parts <- c(parts, sprintf('"%s": {"coef": %s, "se": %s, "loglik": %.12g, "loglik_null": %.12g}',
                            nm, num(coef(f)), num(sqrt(diag(vcov(f)))), f$loglik[2], f$loglik[1]))
}
km <- survfit(Surv(time, status) ~ 1, data = d)
q <- quantile(km, 0.5)$quantile
rk <- survfit(Surv(time, 1 - status) ~ 1, data = d)
json <- sprintf('{"source": "R %s survival %s",\n "fits": {%s},\n "km": {"times": %s, "survival": %s, "std_err": %s, "median": %s},\n "reverse_km_median": %s}\n',
                getRversion(), packageVersion("survival"), paste(parts, collapse = ",\n  "),
                num(km$time), num(km$surv), num(km$std.err * km$surv), sprintf("%.12g", q),
                sprintf("%.12g", quantile(rk, 0.5)$quantile))
writeLines(json, "cox_golden_r.json")
cat(json)
