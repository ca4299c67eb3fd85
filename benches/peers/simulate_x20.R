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
