//! Checks shared by every metric: the pairs are well formed before any arithmetic.

use super::error::MetricsError;

/// Counts of a checked sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Observations.
    pub n: usize,
    /// Outcomes equal to 1.
    pub events: usize,
}

impl Counts {
    /// Observed event rate.
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.n as f64
    }

    /// Error unless both outcome classes are present.
    pub fn require_both_classes(self) -> Result<Self, MetricsError> {
        if self.events == 0 || self.events == self.n {
            return Err(MetricsError::OneClass {
                n: self.n,
                class: u8::from(self.events == self.n),
            });
        }
        Ok(self)
    }
}

/// Same length, non-empty, probabilities finite in [0, 1], outcomes exactly 0 or 1.
pub(crate) fn check_pairs(p: &[f64], y: &[f64]) -> Result<Counts, MetricsError> {
    if p.len() != y.len() {
        return Err(MetricsError::LengthMismatch {
            predicted: p.len(),
            observed: y.len(),
        });
    }
    if p.is_empty() {
        return Err(MetricsError::Empty);
    }
    if let Some((index, &value)) = p
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && (0.0..=1.0).contains(*v)))
    {
        return Err(MetricsError::ProbabilityOutOfRange { index, value });
    }
    let mut events = 0;
    for (index, &value) in y.iter().enumerate() {
        if value == 1.0 {
            events += 1;
        } else if value != 0.0 {
            return Err(MetricsError::OutcomeNotBinary { index, value });
        }
    }
    Ok(Counts { n: p.len(), events })
}

/// Error if every prediction is the same value.
pub(crate) fn require_varying(p: &[f64]) -> Result<(), MetricsError> {
    match p.first() {
        Some(&first) if p.iter().all(|&v| v == first) => Err(MetricsError::ConstantPredictions {
            n: p.len(),
            value: first,
        }),
        _ => Ok(()),
    }
}

/// Error unless `level` is strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<(), MetricsError> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(MetricsError::InvalidOption {
            name: "level",
            value: level.to_string(),
            expected: "a confidence level strictly between 0 and 1, e.g. 0.95",
        })
    }
}
