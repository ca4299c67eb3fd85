# Golden values for src/design (restricted cubic splines) and src/model/fit (rms::lrm).
#
# Run from this folder:  Rscript make_goldens.R
# Writes the data files (rcs_*.csv, lrm_data.csv) and the golden values (rcs_golden.json,
# lrm_golden.json). The tests read only these files: R is not needed at test time.
# Data are rounded before writing and read back, so R and Rust see the same numbers.
suppressMessages({ library(Hmisc); library(rms) })
set.seed(20261101)

# Minimal JSON writer with full double precision (%.17g; jsonlite stops at 15 digits).
# Named lists -> objects, unnamed lists -> arrays, matrices -> arrays of rows,
# length-1 vectors -> scalars unless wrapped in arr(), NA -> null.
arr <- function(v) structure(v, json_array = TRUE)
to_json <- function(v) {
  if (is.list(v)) {
    inner <- vapply(v, to_json, "")
    if (!is.null(names(v))) {
      return(paste0("{", paste0('"', names(v), '": ', inner, collapse = ", "), "}"))
    }
    return(paste0("[", paste(inner, collapse = ", "), "]"))
  }
  if (is.matrix(v)) {
    rows <- vapply(seq_len(nrow(v)), function(i) to_json(arr(as.vector(v[i, ]))), "")
    return(paste0("[", paste(rows, collapse = ",\n  "), "]"))
  }
  atom <- function(x) {
    if (is.na(x)) return("null")
    if (is.logical(x)) return(if (x) "true" else "false")
    if (is.character(x)) return(paste0('"', x, '"'))
    sprintf("%.17g", x)
  }
  parts <- vapply(seq_along(v), function(i) atom(v[[i]]), "")
  if (length(v) == 1 && is.null(attr(v, "json_array"))) parts
  else paste0("[", paste(parts, collapse = ", "), "]")
}

write_back <- function(d, file) {
  write.csv(d, file, row.names = FALSE, na = "")
  read.csv(file, stringsAsFactors = FALSE)
}

# ---- restricted cubic splines: Hmisc::rcspline.eval(x, nk = k, inclx = TRUE) ------------
rcs_sets <- list(
  # n >= 100: plain quantile knots
  n500 = round(exp(rnorm(500, 3, 0.5)), 4),
  # n < 100: outer knots are the 5th smallest and 5th largest values
  n60 = round(rnorm(60, 50, 12), 3),
  # heavy ties at both ends (>= 5% of the rows at the minimum and at the maximum, every
  # interior value rarer): Hmisc's `fractied` rule puts the outer knots next to the extremes
  ties_ends = c(rep(0, 125), rep(100, 50), round(runif(325, 0, 100), 1)),
  # integer counts: interior ties, quantile knots coincide and are de-duplicated;
  # for large k there are too few distinct values and the interior values become the knots
  ties_counts = rpois(500, 3),
  # small sample with a tied minimum
  ties_n60 = c(rep(0, 12), round(rgamma(48, 2, 0.1), 2)),
  # three distinct values: no spline possible (an error in R and in mbdrisk)
  three_values = rep(c(1, 2, 3), 40)
)
grid_for <- function(x) {
  r <- range(x)
  seq(r[1] - 0.1 * diff(r), r[2] + 0.1 * diff(r), length.out = 41)
}
rcs_out <- list()
for (nm in names(rcs_sets)) {
  d <- write_back(data.frame(x = rcs_sets[[nm]]), paste0("rcs_", nm, ".csv"))
  x <- d$x
  grid <- grid_for(x)
  cases <- list()
  for (k in 3:7) {
    res <- tryCatch({
      knots <- suppressWarnings(rcspline.eval(x, nk = k, knots.only = TRUE))
      list(k = k, error = FALSE, knots = arr(as.numeric(knots)),
           basis_rows = rcspline.eval(x[1:50], knots = knots, inclx = TRUE)[, , drop = FALSE],
           basis_grid = rcspline.eval(grid, knots = knots, inclx = TRUE)[, , drop = FALSE])
    }, error = function(e) list(k = k, error = TRUE))
    cases[[length(cases) + 1]] <- res
  }
  rcs_out[[nm]] <- list(file = paste0("rcs_", nm, ".csv"), grid = arr(grid), cases = cases)
}
writeLines(to_json(list(source = sprintf("R %s Hmisc %s", getRversion(), packageVersion("Hmisc")),
                        sets = rcs_out)), "rcs_golden.json")

# ---- rms::lrm on a generated cohort --------------------------------------------------------
n <- 400
d <- data.frame(
  x = round(rnorm(n, 62, 9), 2),
  sex = sample(c("F", "M"), n, replace = TRUE),
  z = round(exp(rnorm(n, -0.5, 0.6)), 4),
  stage = sample(1:3, n, replace = TRUE, prob = c(0.5, 0.3, 0.2)),
  w = round(runif(n, 0, 4), 4),
  v = round(rexp(n), 4)
)
lp <- -1 + 0.002 * (d$x - 62)^2 + 0.6 * (d$sex == "M") + 0.7 * log(d$z) + 0.4 * (d$stage - 1)
d$y <- rbinom(n, 1, plogis(lp))
d$z[c(5, 17, 203)] <- NA
d$sex[c(17, 88)] <- NA
d$y[c(301)] <- NA
d <- write_back(d, "lrm_data.csv")
d$sex[d$sex == ""] <- NA

fits <- list(
  main = "y ~ rcs(x, 4) + sex + log(z)",
  more = "y ~ rcs(x, 3) + catg(stage) + sqrt(w) + log1p(v) + sex"
)
lrm_out <- list()
for (nm in names(fits)) {
  f <- lrm(as.formula(fits[[nm]]), data = d, tol = 1e-14)
  lp_new <- predict(f, d[1:20, ], type = "lp")
  lrm_out[[nm]] <- list(
    formula = sub("catg\\(", "cat(", fits[[nm]]),
    names = arr(names(coef(f))),
    coef = arr(unname(coef(f))),
    se = arr(unname(sqrt(diag(vcov(f))))),
    n = f$stats[["Obs"]],
    events = unname(f$freq[2]),
    lr_chi2 = f$stats[["Model L.R."]],
    deviance = arr(unname(f$deviance)),
    knots = arr(unname(f$Design$parms$x)),
    lp_first20 = arr(unname(lp_new))
  )
}
lrm_out$nmiss <- as.list(colSums(is.na(d)))
# level order of R's factor() (sort() in R's usual ICU collation, here LC_COLLATE = C.UTF-8)
labels <- c("VGPR", "sCR", "SD", "CR", "PR", "non_CMR", "CMR", "not_detected", "detected",
            "high", "standard", "F", "M", "zoledronic_acid", "pamidronate", "denosumab",
            "I", "II", "III", "a", "A", "b", "B", "Ab", "aB", "x_1", "x1", "x 1", "10", "9")
lrm_out$level_sort <- list(collate = Sys.getlocale("LC_COLLATE"), input = arr(labels),
                           sorted = arr(levels(factor(labels))))
writeLines(to_json(list(source = sprintf("R %s rms %s", getRversion(), packageVersion("rms")),
                        fits = lrm_out)), "lrm_golden.json")
cat("done\n")
