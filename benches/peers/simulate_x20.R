# The simulated n x 20 design of the R peers (fit_rms.R, validate_rms.R), the recipe of
# benches/common/x20.rs with R's RNG (so not the same numbers): columns j %% 4 == 3 (0-based)
# are Bernoulli(0.3), the others normal with mean j/4 and sd 1 + (j %% 3)/2;
# logit P(y=1) = -1.5 + sum_j b_j (x_j - mean_j), b_j = +-0.15 (about 25% events).
P <- 20
simulate_x20 <- function(n, seed = 42) {
  set.seed(seed)
  x <- matrix(0, n, P)
  eta <- rep(-1.5, n)
  for (j in 0:(P - 1)) {
    if (j %% 4 == 3) {
      x[, j + 1] <- as.numeric(runif(n) < 0.3); m <- 0.3
    } else {
      m <- j / 4
      x[, j + 1] <- m + (1 + (j %% 3) / 2) * rnorm(n)
    }
    eta <- eta + (if (j %% 2 == 0) 0.15 else -0.15) * (x[, j + 1] - m)
  }
  list(x = x, y = as.numeric(runif(n) < plogis(eta)))
}

# Survival outcomes (the recipe of survival_x20 in benches/common/x20.rs): exponential times
# with hazard 0.05 exp(sum_j b_j (x_j - mean_j)), rounded up to whole months, censored
# uniformly on (0, 60] months.
survival_x20 <- function(x, seed = 42) {
  set.seed(seed + 1)
  eta <- rep(0, nrow(x))
  for (j in 0:(P - 1)) {
    m <- if (j %% 4 == 3) 0.3 else j / 4
    eta <- eta + (if (j %% 2 == 0) 0.15 else -0.15) * (x[, j + 1] - m)
  }
  t <- ceiling(-log(runif(nrow(x))) / (0.05 * exp(eta)))
  cns <- ceiling(runif(nrow(x)) * 60)
  list(time = pmin(t, cns), event = as.numeric(t <= cns))
}
