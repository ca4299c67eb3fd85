//! Harrell's concordance of a risk score with a censored outcome, as
//! `survival::concordance` (`timewt = "n"`), and Gini's mean difference (rms `GiniMd`).
//!
//! A pair is comparable when the subject with the shorter time had an event; a censored
//! subject at the time of an event counts as longer (still at risk). Two events at the same
//! time are not comparable. A higher score should mean an earlier event: concordant when the
//! earlier event has the higher score, ties in the score count 1/2. With strata, only pairs
//! within a stratum count. `O(n log n)`: times in decreasing order, the scores of subjects
//! with longer times in a Fenwick tree over score ranks.

/// Counts of a concordance computation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Concordance {
    /// Comparable pairs ordered as the score says.
    pub concordant: f64,
    /// Comparable pairs ordered against the score.
    pub discordant: f64,
    /// Comparable pairs with equal scores.
    pub tied_score: f64,
}

impl Concordance {
    /// Harrell's C, `(concordant + tied / 2) / comparable` (NaN without comparable pairs).
    pub fn c(&self) -> f64 {
        let total = self.concordant + self.discordant + self.tied_score;
        if total > 0.0 {
            (self.concordant + 0.5 * self.tied_score) / total
        } else {
            f64::NAN
        }
    }

    /// Somers' Dxy, `2 (C - 1/2)`.
    pub fn dxy(&self) -> f64 {
        2.0 * (self.c() - 0.5)
    }
}

/// Harrell's concordance of `score` (higher = earlier event) with `(time, event)`, within
/// strata when given. Rows with a non-finite score or time are skipped.
pub fn concordance(
    score: &[f64],
    time: &[f64],
    event: &[bool],
    strata: Option<&[u32]>,
) -> Concordance {
    let n = score.len();
    let keep: Vec<usize> = (0..n)
        .filter(|&i| score[i].is_finite() && time[i].is_finite())
        .collect();
    // score ranks (equal scores share a rank)
    let mut by_score = keep.clone();
    by_score.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let mut rank = vec![0usize; n];
    let mut r = 0;
    for (k, &i) in by_score.iter().enumerate() {
        if k > 0 && score[i] != score[by_score[k - 1]] {
            r += 1;
        }
        rank[i] = r;
    }
    let n_ranks = r + 1;
    let s = |i: usize| strata.map_or(0, |s| s[i]);
    let mut order = keep;
    // stratum, then time decreasing, censored before events at equal times
    order.sort_by(|&a, &b| {
        s(a).cmp(&s(b))
            .then(time[b].total_cmp(&time[a]))
            .then(event[a].cmp(&event[b]))
    });
    let mut out = Concordance::default();
    let mut tree = Fenwick::new(n_ranks);
    let mut added: Vec<usize> = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let st = s(order[k]);
        // a new stratum starts with an empty tree
        for &i in &added {
            tree.add(rank[i], -1.0);
        }
        added.clear();
        while k < order.len() && s(order[k]) == st {
            let t = time[order[k]];
            let mut end = k;
            while end < order.len() && s(order[end]) == st && time[order[end]] == t {
                end += 1;
            }
            // censored at t: at risk beyond the events at t
            let group = &order[k..end];
            for &i in group.iter().filter(|&&i| !event[i]) {
                tree.add(rank[i], 1.0);
                added.push(i);
            }
            let total = tree.total();
            for &i in group.iter().filter(|&&i| event[i]) {
                let below = tree.prefix(rank[i]); // ranks < rank[i]
                let same = tree.prefix(rank[i] + 1) - below;
                out.concordant += below;
                out.tied_score += same;
                out.discordant += total - below - same;
            }
            for &i in group.iter().filter(|&&i| event[i]) {
                tree.add(rank[i], 1.0);
                added.push(i);
            }
            k = end;
        }
    }
    out
}

/// Gini's mean difference of `x`: the mean of `|x_i - x_j|` over pairs `i != j` (rms
/// `GiniMd`, the `g` index). NaN for fewer than 2 values.
pub fn gini_mean_difference(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let nf = n as f64;
    let s: f64 = v
        .iter()
        .enumerate()
        .map(|(i, &xi)| (2.0 * (i as f64 + 1.0) - nf - 1.0) * xi)
        .sum();
    2.0 * s / (nf * (nf - 1.0))
}

/// Fenwick tree of counts over `0..n`.
struct Fenwick {
    tree: Vec<f64>,
    total: f64,
}

impl Fenwick {
    fn new(n: usize) -> Fenwick {
        Fenwick {
            tree: vec![0.0; n + 1],
            total: 0.0,
        }
    }

    fn add(&mut self, i: usize, v: f64) {
        self.total += v;
        let mut k = i + 1;
        while k < self.tree.len() {
            self.tree[k] += v;
            k += k & k.wrapping_neg();
        }
    }

    /// Sum over `0..i`.
    fn prefix(&self, i: usize) -> f64 {
        let mut s = 0.0;
        let mut k = i;
        while k > 0 {
            s += self.tree[k];
            k &= k - 1;
        }
        s
    }

    fn total(&self) -> f64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all pairs, as the module docs define it.
    fn brute(score: &[f64], time: &[f64], event: &[bool]) -> (f64, f64, f64) {
        let (mut c, mut d, mut t) = (0.0, 0.0, 0.0);
        for i in 0..score.len() {
            for j in 0..score.len() {
                let comparable =
                    event[i] && (time[i] < time[j] || (time[i] == time[j] && !event[j]));
                if !comparable {
                    continue;
                }
                if score[i] > score[j] {
                    c += 1.0;
                } else if score[i] < score[j] {
                    d += 1.0;
                } else {
                    t += 1.0;
                }
            }
        }
        (c, d, t)
    }

    #[test]
    fn matches_brute_force_with_ties() {
        let time = [5.0, 3.0, 3.0, 8.0, 1.0, 3.0, 9.0, 5.0, 2.0, 7.0];
        let event = [
            true, true, false, false, true, true, true, false, true, false,
        ];
        let score = [0.2, 0.9, 0.5, 0.1, 0.9, 0.5, -0.3, 0.2, 0.7, 0.0];
        let got = concordance(&score, &time, &event, None);
        let (c, d, t) = brute(&score, &time, &event);
        assert_eq!((got.concordant, got.discordant, got.tied_score), (c, d, t));
    }

    #[test]
    fn gini_md_of_small_sample() {
        // pairs of (1, 2, 4): |1-2| + |1-4| + |2-4| = 6 over 3 pairs
        assert!((gini_mean_difference(&[4.0, 1.0, 2.0]) - 2.0).abs() < 1e-15);
    }
}
