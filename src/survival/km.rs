//! Kaplan-Meier product-limit estimator (as R `survival::survfit`).
//!
//! Ties follow the usual convention: at a time where events and censorings coincide, the
//! events happen first (the censored subjects are still in the risk set). The curve is a
//! right-continuous step function: `survival_at(t)` includes the drop at `t`,
//! `survival_before(t)` is the left limit `S(t-)` (needed for IPCW weights `1 / G(t-)`).

use thiserror::Error;

/// Why a Kaplan-Meier curve could not be fitted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum KmError {
    /// `time` and `event` have different lengths.
    #[error("time has {time} values but event has {event}")]
    LengthMismatch {
        /// Number of times given.
        time: usize,
        /// Number of event indicators given.
        event: usize,
    },
    /// No observations at all.
    #[error("no observations")]
    Empty,
    /// A time is negative, NaN or infinite.
    #[error("time at index {index} is {value}; expected a finite value >= 0")]
    BadTime {
        /// 0-based index of the offending observation.
        index: usize,
        /// The value found.
        value: f64,
    },
}

/// A fitted Kaplan-Meier curve, one entry per distinct observed time (event or censoring),
/// in increasing order, like the rows of `summary(survfit(...), censored = TRUE)`.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// Distinct observed times (any unit, the unit of the input), increasing.
    pub times: Vec<f64>,
    /// Number at risk just before each time (observed at or after it).
    pub n_risk: Vec<usize>,
    /// Number of events at each time.
    pub n_event: Vec<usize>,
    /// Number censored at each time.
    pub n_censor: Vec<usize>,
    /// Survival probability `S(t)` just after each time (right-continuous).
    pub survival: Vec<f64>,
    /// Greenwood sum `sum d / (n (n - d))` up to each time: the variance of `log S(t)`
    /// (R's `std.err` of `survfit` is its square root).
    pub greenwood: Vec<f64>,
}

impl KaplanMeier {
    /// Fit the product-limit estimator to right-censored data.
    ///
    /// `time[i]` is the follow-up time of subject `i`, `event[i]` is `true` for an event and
    /// `false` for a censoring.
    ///
    /// # Errors
    /// [`KmError`] when the lengths differ, the input is empty or a time is negative / not
    /// finite.
    pub fn fit(time: &[f64], event: &[bool]) -> Result<KaplanMeier, KmError> {
        if time.len() != event.len() {
            return Err(KmError::LengthMismatch {
                time: time.len(),
                event: event.len(),
            });
        }
        if time.is_empty() {
            return Err(KmError::Empty);
        }
        if let Some((index, &value)) = time
            .iter()
            .enumerate()
            .find(|(_, t)| !t.is_finite() || **t < 0.0)
        {
            return Err(KmError::BadTime { index, value });
        }
        let mut order: Vec<usize> = (0..time.len()).collect();
        // within a tie the order does not matter (counts only)
        rayon::slice::ParallelSliceMut::par_sort_unstable_by(order.as_mut_slice(), |&a, &b| {
            time[a].total_cmp(&time[b])
        });

        let mut km = KaplanMeier {
            times: Vec::new(),
            n_risk: Vec::new(),
            n_event: Vec::new(),
            n_censor: Vec::new(),
            survival: Vec::new(),
            greenwood: Vec::new(),
        };
        let mut at_risk = time.len();
        let mut surv = 1.0;
        let mut gw = 0.0;
        let mut i = 0;
        while i < order.len() {
            let t = time[order[i]];
            let mut d = 0;
            let mut c = 0;
            while i < order.len() && time[order[i]] == t {
                if event[order[i]] {
                    d += 1;
                } else {
                    c += 1;
                }
                i += 1;
            }
            if d > 0 {
                surv *= 1.0 - d as f64 / at_risk as f64;
                if at_risk > d {
                    gw += d as f64 / (at_risk as f64 * (at_risk - d) as f64);
                } else {
                    gw = f64::INFINITY;
                }
            }
            km.times.push(t);
            km.n_risk.push(at_risk);
            km.n_event.push(d);
            km.n_censor.push(c);
            km.survival.push(surv);
            km.greenwood.push(gw);
            at_risk -= d + c;
        }
        Ok(km)
    }

    /// Number of entries with `times[k] <= t` (so `idx - 1` is the step in force at `t`).
    fn steps_upto(&self, t: f64) -> usize {
        self.times.partition_point(|&x| x <= t)
    }

    /// `S(t)`: probability of being event-free after time `t` (right-continuous step;
    /// 1 before the first time, the last value after the last time).
    pub fn survival_at(&self, t: f64) -> f64 {
        match self.steps_upto(t) {
            0 => 1.0,
            k => self.survival[k - 1],
        }
    }

    /// `S(t-)`: the left limit, i.e. survival just before `t` (excludes a drop at `t`).
    /// With a censoring curve this is `G(t-)`, the IPCW denominator for an event at `t`.
    pub fn survival_before(&self, t: f64) -> f64 {
        match self.times.partition_point(|&x| x < t) {
            0 => 1.0,
            k => self.survival[k - 1],
        }
    }

    /// Standard error of `S(t)` by Greenwood's formula (`S(t) * sqrt(greenwood)`), the
    /// plain-scale standard error; 0 before the first event.
    pub fn std_err_at(&self, t: f64) -> f64 {
        match self.steps_upto(t) {
            0 => 0.0,
            k => self.survival[k - 1] * self.greenwood[k - 1].sqrt(),
        }
    }

    /// Median survival time as R `survfit` reports it: the smallest time with
    /// `S(t) <= 0.5`; if the curve is exactly 0.5 on a flat stretch, the midpoint between
    /// that time and the next event time (R's convention, which makes the median of
    /// uncensored data the usual sample median). `None` when the curve never reaches 0.5.
    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// The `p` quantile of the event-time distribution (`p` in (0, 1)): smallest `t` with
    /// `S(t) <= 1 - p`, with R's midpoint rule on an exactly flat stretch; `None` if not
    /// reached.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let target = 1.0 - p;
        let tol = 1e-12;
        let k = self.survival.iter().position(|&s| s <= target + tol)?;
        if (self.survival[k] - target).abs() <= tol {
            // Flat at exactly the target: midpoint to the next time with an event.
            let next = (k + 1..self.times.len()).find(|&j| self.n_event[j] > 0);
            return match next {
                Some(j) => Some(0.5 * (self.times[k] + self.times[j])),
                None => Some(self.times[k]),
            };
        }
        Some(self.times[k])
    }

    /// Total number of events.
    pub fn events(&self) -> usize {
        self.n_event.iter().sum()
    }
}

/// Kaplan-Meier estimate of the censoring distribution `G(t)` ("reverse Kaplan-Meier"):
/// censorings are treated as events and events as censorings. Its median is the usual
/// median follow-up, and `survival_before(t)` gives `G(t-)` for IPCW weights.
///
/// # Errors
/// As [`KaplanMeier::fit`].
pub fn reverse_km(time: &[f64], event: &[bool]) -> Result<KaplanMeier, KmError> {
    let flipped: Vec<bool> = event.iter().map(|e| !e).collect();
    KaplanMeier::fit(time, &flipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R's `aml` data, group "Maintained" (survival package):
    /// 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+.
    fn aml_maintained() -> (Vec<f64>, Vec<bool>) {
        let t = vec![
            9.0, 13.0, 13.0, 18.0, 23.0, 28.0, 31.0, 34.0, 45.0, 48.0, 161.0,
        ];
        let e = vec![
            true, true, false, true, true, false, true, true, false, true, false,
        ];
        (t, e)
    }

    #[test]
    fn aml_maintained_matches_survfit() {
        // summary(survfit(Surv(time, status) ~ 1, data = subset(aml, x == "Maintained"))):
        // time n.risk n.event survival std.err
        //    9     11       1    0.909  0.0867
        //   13     10       1    0.818  0.1163
        //   18      8       1    0.716  0.1397
        //   23      7       1    0.614  0.1526
        //   31      5       1    0.491  0.1642
        //   34      4       1    0.368  0.1627
        //   48      2       1    0.184  0.1535
        // median 31. Values re-derived by hand: 10/11, *9/10, *7/8, *6/7, *4/5, *3/4, *1/2.
        let (t, e) = aml_maintained();
        let km = KaplanMeier::fit(&t, &e).unwrap();
        let expect = [
            (9.0, 11, 10.0 / 11.0),
            (13.0, 10, 10.0 / 11.0 * 0.9),
            (18.0, 8, 10.0 / 11.0 * 0.9 * 7.0 / 8.0),
            (23.0, 7, 10.0 / 11.0 * 0.9 * 7.0 / 8.0 * 6.0 / 7.0),
            (31.0, 5, 10.0 / 11.0 * 0.9 * 0.75 * 0.8),
            (34.0, 4, 10.0 / 11.0 * 0.9 * 0.75 * 0.8 * 0.75),
            (48.0, 2, 10.0 / 11.0 * 0.9 * 0.75 * 0.8 * 0.75 * 0.5),
        ];
        for (time, n_risk, s) in expect {
            let k = km.times.iter().position(|&x| x == time).unwrap();
            assert_eq!(km.n_risk[k], n_risk, "n_risk at {time}");
            assert!((km.survival[k] - s).abs() < 1e-12, "S({time})");
        }
        let se = [0.0867, 0.1163, 0.1397, 0.1526, 0.1642, 0.1627, 0.1535];
        for ((time, _, _), want) in expect.iter().zip(se) {
            assert!((km.std_err_at(*time) - want).abs() < 5e-5, "se at {time}");
        }
        // tie at 13: one event, one censoring, both at risk at 13
        let k13 = km.times.iter().position(|&x| x == 13.0).unwrap();
        assert_eq!((km.n_event[k13], km.n_censor[k13]), (1, 1));
        assert_eq!(km.median(), Some(31.0));
        assert!((km.survival_at(30.9) - km.survival_at(23.0)).abs() < 1e-15);
        assert!((km.survival_before(31.0) - km.survival_at(23.0)).abs() < 1e-15);
        assert!((km.survival_at(31.0) - expect[4].2).abs() < 1e-12);
        assert_eq!(km.survival_at(8.99), 1.0);
        assert_eq!(km.survival_before(9.0), 1.0);
        assert_eq!(km.events(), 7);
    }

    #[test]
    fn median_midpoint_on_exact_half_and_none_when_not_reached() {
        // uncensored 1..4: S = .75 .5 .25 0 -> median is (2 + 3) / 2, as R
        let km = KaplanMeier::fit(&[1.0, 2.0, 3.0, 4.0], &[true; 4]).unwrap();
        assert_eq!(km.median(), Some(2.5));
        let km = KaplanMeier::fit(&[1.0, 2.0, 3.0], &[true, false, false]).unwrap();
        assert_eq!(km.median(), None);
    }

    #[test]
    fn reverse_km_gives_median_follow_up() {
        // aml maintained: censorings at 13, 28, 45, 161; reverse KM treats them as events,
        // the events as censorings (and, at the tie at 13, the censoring-as-event first).
        let (t, e) = aml_maintained();
        let g = reverse_km(&t, &e).unwrap();
        // at 13: risk 10 (9 was an "censoring" of G), one G-event -> 0.9
        assert!((g.survival_at(13.0) - 0.9).abs() < 1e-12);
        // at 28: risk 6 -> 0.9 * 5/6 = 0.75
        assert!((g.survival_at(28.0) - 0.75).abs() < 1e-12);
        // at 45: risk 3 -> 0.75 * 2/3 = 0.5 exactly, flat until 161 -> median (45+161)/2
        assert!((g.survival_at(45.0) - 0.5).abs() < 1e-12);
        assert_eq!(g.median(), Some(103.0));
        assert!((g.survival_before(45.0) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            KaplanMeier::fit(&[1.0], &[true, false]),
            Err(KmError::LengthMismatch { time: 1, event: 2 })
        );
        assert_eq!(KaplanMeier::fit(&[], &[]), Err(KmError::Empty));
        assert!(matches!(
            KaplanMeier::fit(&[1.0, -2.0], &[true, true]),
            Err(KmError::BadTime { index: 1, .. })
        ));
        assert!(matches!(
            KaplanMeier::fit(&[f64::NAN], &[true]),
            Err(KmError::BadTime { index: 0, .. })
        ));
    }
}
