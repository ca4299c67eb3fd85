//! Why a logistic fit can fail. Column indices are 0-based columns of the design matrix `x`
//! (the intercept is not a column); [`FitError::explain`] renders them with term names.

use std::fmt;

/// How the outcome is separated by the design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeparationKind {
    /// A linear combination of the columns predicts every outcome exactly.
    Complete,
    /// It predicts every outcome exactly except for rows lying on the separating hyperplane.
    Quasi,
}

impl fmt::Display for SeparationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeparationKind::Complete => "complete",
            SeparationKind::Quasi => "quasi-complete",
        })
    }
}

/// Failure of [`fit_logistic`](super::fit_logistic). Every message says what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The iterations did not settle within `max_iter`.
    #[error(
        "the logistic fit did not converge in {iterations} iterations (last largest coefficient \
         change {max_change:.3e}); try a larger max_iter, or --penalty firth or --penalty \
         ridge=<lambda> if events are few or the data are nearly separated, or drop terms"
    )]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Largest `|db_j| / (1 + |b_j|)` in the last step.
        max_change: f64,
    },
    /// The outcome is (quasi-)completely separated: maximum-likelihood estimates are infinite.
    #[error(
        "{kind} separation: design column(s) {} predict the outcome perfectly, so maximum \
         likelihood estimates do not exist (they diverge to infinity); use --penalty firth (or \
         ridge=<lambda>), or drop or merge those terms",
        list(.terms)
    )]
    Separation {
        /// Columns with a non-zero coefficient in the separating direction found.
        terms: Vec<usize>,
        /// Complete or quasi-complete.
        kind: SeparationKind,
    },
    /// Some columns are linear combinations of others (or constant).
    #[error(
        "design columns {} are linearly dependent (or constant), so their coefficients are not \
         identifiable; drop one of them (the last listed is redundant given the others), or use \
         --penalty ridge=<lambda>",
        list(.columns)
    )]
    RankDeficient {
        /// Every column involved in a dependency, ascending.
        columns: Vec<usize>,
    },
    /// Only events or only non-events (after weighting).
    #[error(
        "the outcome has a single class (no events, or no non-events, among rows with positive \
         weight): a logistic model needs both; check the outcome column and any row filter"
    )]
    EmptyOutcomeClass,
    /// Inputs that cannot be fitted as given (shapes, non-finite values, bad settings).
    #[error("{0}")]
    BadInput(String),
}

fn list(cols: &[usize]) -> String {
    let v: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
    v.join(", ")
}

impl FitError {
    /// The message with design-column indices replaced by `names[index]` (e.g. term or
    /// coefficient names such as `age'` or `sex=M`); indices without a name stay numbers.
    pub fn explain<S: AsRef<str>>(&self, names: &[S]) -> String {
        let named = |cols: &[usize]| {
            let v: Vec<String> = cols
                .iter()
                .map(|&c| match names.get(c) {
                    Some(n) => format!("'{}'", n.as_ref()),
                    None => c.to_string(),
                })
                .collect();
            v.join(", ")
        };
        match self {
            FitError::Separation { terms, kind } => format!(
                "{kind} separation: {} predict(s) the outcome perfectly, so maximum likelihood \
                 estimates do not exist (they diverge to infinity); use --penalty firth (or \
                 ridge=<lambda>), or drop or merge those terms",
                named(terms)
            ),
            FitError::RankDeficient { columns } => format!(
                "{} are linearly dependent (or constant), so their coefficients are not \
                 identifiable; drop one of them (the last listed is redundant given the \
                 others), or use --penalty ridge=<lambda>",
                named(columns)
            ),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_with_names() {
        let e = FitError::RankDeficient {
            columns: vec![0, 2],
        };
        let s = e.explain(&["age", "sex=M", "bmi"]);
        assert!(s.starts_with("'age', 'bmi' are linearly dependent"), "{s}");
        assert!(e.to_string().contains("design columns 0, 2"));
        let e = FitError::Separation {
            terms: vec![1],
            kind: SeparationKind::Quasi,
        };
        assert!(e.explain(&["a", "mrd=positive"]).contains("'mrd=positive'"));
        assert!(e.to_string().contains("firth"));
    }
}
