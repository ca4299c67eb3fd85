//! What can be wrong with a set of (predicted, observed) pairs, named by meaning.
//!
//! Every message says what was found and what was expected, so that a researcher reading it
//! from the command line can fix the input without opening the code.

/// Why a metric could not be computed from the (predicted, observed) pairs given.
///
/// Positions are 0-based indices into the slices passed in (the CLI maps them to file rows).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// No observations at all.
    #[error("no observations: the predicted and observed vectors are empty")]
    Empty,

    /// The two vectors do not pair up.
    #[error(
        "length mismatch: {predicted} predicted probabilities but {observed} observed outcomes; \
         each prediction needs exactly one outcome"
    )]
    LengthMismatch {
        /// Number of predictions.
        predicted: usize,
        /// Number of outcomes.
        observed: usize,
    },

    /// A prediction is NaN, infinite, or outside [0, 1] (a score or a percentage, not a
    /// probability).
    #[error(
        "predicted probability at position {index} (0-based) is {value}; expected a finite \
         number between 0 and 1 (a risk given as a percentage must be divided by 100)"
    )]
    ProbabilityOutOfRange {
        /// Position of the first offending prediction.
        index: usize,
        /// The value found.
        value: f64,
    },

    /// An outcome is not coded 0/1.
    #[error(
        "observed outcome at position {index} (0-based) is {value}; expected 0 (no event) or \
         1 (event)"
    )]
    OutcomeNotBinary {
        /// Position of the first offending outcome.
        index: usize,
        /// The value found.
        value: f64,
    },

    /// All outcomes are the same class, so discrimination (AUC) and calibration relative to
    /// the event rate are undefined.
    #[error(
        "only one outcome class: all {n} outcomes are {class}; AUC, scaled Brier, R2 and \
         calibration need both events (1) and non-events (0)"
    )]
    OneClass {
        /// Number of observations.
        n: usize,
        /// The single class present (0 or 1).
        class: u8,
    },

    /// All predictions are equal, so a calibration slope (and any ranking) is undefined.
    #[error(
        "all {n} predicted probabilities equal {value}; the calibration slope is undefined \
         for constant predictions (an intercept-only model?)"
    )]
    ConstantPredictions {
        /// Number of observations used.
        n: usize,
        /// The common value.
        value: f64,
    },

    /// After setting aside predictions of exactly 0 or 1 (whose logit is infinite), what is
    /// left cannot support a logistic recalibration.
    #[error(
        "{excluded} of {n} predictions are exactly 0 or 1 and are left out of the logistic \
         recalibration (as rms::val.prob does); the {remaining} left have {events} events, \
         which is not enough for both outcome classes"
    )]
    DegenerateAfterExclusion {
        /// All observations.
        n: usize,
        /// Predictions of exactly 0 or 1.
        excluded: usize,
        /// Observations left for the logistic fit.
        remaining: usize,
        /// Events among them.
        events: usize,
    },

    /// The two-parameter logistic recalibration did not converge, nearly always because
    /// logit(p) separates events from non-events (AUC 1 or 0): the slope is infinite.
    #[error(
        "logistic recalibration logit P(y) = a + b logit(p) did not converge in {iterations} \
         Newton steps: the predictions (almost) perfectly separate events from non-events, so \
         the calibration slope is infinite"
    )]
    RecalibrationNotConverged {
        /// Newton steps taken.
        iterations: usize,
    },

    /// An option is outside its domain (for example a confidence level of 95 instead of 0.95).
    #[error("invalid option {name} = {value}: expected {expected}")]
    InvalidOption {
        /// Option name as in the options struct.
        name: &'static str,
        /// The value given, formatted.
        value: String,
        /// The domain.
        expected: &'static str,
    },

    /// A follow-up time is negative, NaN or infinite.
    #[error(
        "follow-up time at position {index} (0-based) is {value}; expected a finite number >= 0"
    )]
    TimeInvalid {
        /// Position of the first offending time.
        index: usize,
        /// The value found.
        value: f64,
    },

    /// No event at or before the horizon: there are no cases, so the time-dependent AUC and
    /// the calibration at the horizon are undefined.
    #[error(
        "no event at or before the horizon {horizon} among {n} subjects; the AUC at a horizon \
         needs at least one event by then (is the horizon in the unit of the times?)"
    )]
    NoEventBeforeHorizon {
        /// The horizon.
        horizon: f64,
        /// Number of subjects.
        n: usize,
    },

    /// Nobody is followed beyond the horizon: there are no controls and the censoring
    /// distribution at the horizon is not estimable.
    #[error(
        "no subject is followed beyond the horizon {horizon} (largest time {max_time}); the \
         AUC and IPCW Brier at a horizon need subjects still at risk after it"
    )]
    NoSubjectBeyondHorizon {
        /// The horizon.
        horizon: f64,
        /// Largest follow-up time.
        max_time: f64,
    },
}
