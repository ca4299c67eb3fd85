# Golden values for the decision curve (net benefit of "continue if risk >= t").
# dcurves is not packaged for Debian, so the reference is the dcurves formula written out in R:
#   net_benefit = TP/n - FP/n * t / (1 - t), with test positive when risk >= t
# (dcurves::dca's definition; see its test_consequences / net_benefit code).
# Run: Rscript make_goldens.R   (writes nb_data.csv and nb_golden.csv here)
set.seed(20261125)
n <- 500
lp <- -2 + 1.3 * rnorm(n)
p <- plogis(lp)
y <- rbinom(n, 1, plogis(0.2 + 1.1 * lp))
p <- round(p, 3)  # ties in predictions
rule_stop <- rbinom(n, 1, 0.5)
write.csv(data.frame(p = sprintf("%.17g", p), y = y, rule_stop = rule_stop),
          "nb_data.csv", row.names = FALSE, quote = FALSE)
th <- (1:99) / 100
nb <- function(pos, y, t) sum(pos & y == 1) / length(y) - sum(pos & y == 0) / length(y) * t / (1 - t)
out <- data.frame(
  threshold = th,
  model = sapply(th, function(t) nb(p >= t, y, t)),
  rule = sapply(th, function(t) nb(rule_stop == 0, y, t)),
  all = sapply(th, function(t) nb(rep(TRUE, n), y, t))
)
out[] <- lapply(out, function(x) sprintf("%.17g", x))
write.csv(out, "nb_golden.csv", row.names = FALSE, quote = FALSE)
