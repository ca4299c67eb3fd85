# Golden values for addNA(x) terms (a missing cell as a category level of its own), against
# base R: glm(y ~ ... + addNA(m) + ...) with a weighted binomial fit and predict() on new rows.
#
# Run from this folder:  Rscript make_addna_golden.R
# Writes addna_data.csv and addna_golden.json; the tests read only these files.
set.seed(20261125)

write_back <- function(d, file) {
  write.csv(d, file, row.names = FALSE, na = "")
  read.csv(file, stringsAsFactors = FALSE)
}
num <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ", "), "]")
str <- function(v) paste0("[", paste0('"', v, '"', collapse = ", "), "]")

n <- 600
a <- data.frame(
  x = round(rnorm(n), 4),
  t = round(runif(n, 0, 24), 2),
  m = sample(c("negative", "positive"), n, replace = TRUE, prob = c(0.6, 0.4)),
  k = sample(1:3, n, replace = TRUE),
  w = round(runif(n, 0.5, 2), 3)
)
miss_m <- runif(n) < 0.15 + 0.1 * (a$t > 12) # not measured, more often late
lp <- -1.2 + 0.5 * a$x + 0.03 * a$t + 0.8 * (a$m == "positive") + 0.3 * (a$k - 1) +
  0.5 * miss_m + 0.04 * (a$m == "positive") * a$t
a$y <- rbinom(n, 1, plogis(lp))
a$m[miss_m] <- NA
a$k[sample(n, 50)] <- NA
a$x[c(3, 9, 40)] <- NA # a plain term: these rows are dropped
a <- write_back(a, "addna_data.csv")
a$m[a$m == ""] <- NA

# x + t + addNA(m) + addNA(k) + addNA(m):t, with frequency weights w
g <- glm(y ~ x + t + addNA(m) + addNA(factor(k)) + addNA(m):t, family = binomial,
         data = a, weights = w, control = glm.control(epsilon = 1e-15, maxit = 100))
stopifnot(g$converged)
new <- a[1:40, ]
lp_new <- unname(predict(g, newdata = transform(new, k = factor(k, levels = 1:3)), type = "link"))

writeLines(c(
  "{",
  sprintf('"source": "R %s stats::glm with base::addNA",', getRversion()),
  '"formula": "y ~ x + t + addNA(m) + addNA(k) + addNA(m):t",',
  sprintf('"r_names": %s,', str(names(coef(g)))),
  sprintf('"coef": %s,', num(unname(coef(g)))),
  sprintf('"se": %s,', num(unname(sqrt(diag(vcov(g)))))),
  sprintf('"n": %d,', nrow(model.frame(g))),
  sprintf('"deviance": %s,', sprintf("%.17g", deviance(g))),
  sprintf('"lp_first40": %s', gsub("NA", "null", num(lp_new))),
  "}"
), "addna_golden.json")
cat("done\n")
