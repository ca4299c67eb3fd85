//! Validation of an existing risk-score column against censored follow-up at a horizon
//! (`mbdrisk validate --predicted COL --time COL --event COL --horizon H`): reads and checks
//! the columns, then [`evaluate_censored`] (IPCW AUC and Brier as `riskRegression::Score`).

use super::model::outcome_column;
use crate::error::{Error, Result};
use crate::metrics::censored::{evaluate_censored, CensoredMetrics};
use crate::table::Table;
use crate::Problem;

/// A numeric column with every value present and passing `ok`; otherwise an input error
/// naming the first offending file row and the column.
fn column(table: &Table, name: &str, ok: impl Fn(f64) -> bool, expected: &str) -> Result<Vec<f64>> {
    let v = table.num(name)?;
    let mut problems = Vec::new();
    for (i, x) in v.iter().enumerate() {
        match x {
            None => problems.push(Problem::cell(
                &table.source,
                table.row(i),
                name,
                "(missing)",
                format!("{expected}; missing values are not allowed here"),
            )),
            Some(x) if !ok(*x) => problems.push(Problem::cell(
                &table.source,
                table.row(i),
                name,
                &format!("{x}"),
                expected,
            )),
            _ => {}
        }
        if problems.len() >= 10 {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(Error::InvalidInput(problems));
    }
    Ok(v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

/// Censoring-aware validation of the risk column `predicted` (probability of the event by
/// `horizon`) against follow-up `time` and the 0/1 `event` column of `table`.
///
/// # Errors
/// Input errors (exit code 2): a missing column or value, a probability outside [0, 1], a
/// negative time, an event not coded 0/1, a horizon that is not positive, no event by the
/// horizon or nobody followed beyond it.
pub fn validate_censored_score(
    table: &Table,
    predicted: &str,
    time: &str,
    event: &str,
    horizon: f64,
) -> Result<CensoredMetrics> {
    let p = column(
        table,
        predicted,
        |x| x.is_finite() && (0.0..=1.0).contains(&x),
        "a probability in [0, 1] (not a percentage or a linear predictor)",
    )?;
    let t = column(
        table,
        time,
        |x| x.is_finite() && x >= 0.0,
        "a follow-up time >= 0",
    )?;
    let y = outcome_column(table, event)?;
    if let Some(i) = y.iter().position(Option::is_none) {
        return Err(Error::one(Problem::cell(
            &table.source,
            table.row(i),
            event,
            "(missing)",
            "0 (censored) or 1 (event)",
        )));
    }
    let e: Vec<bool> = y.iter().map(|v| *v == Some(1.0)).collect();
    evaluate_censored(&p, &t, &e, horizon).map_err(|err| {
        Error::Usage(format!(
            "{}: cannot validate '{predicted}' at horizon {horizon} ({time}, {event}): {err}",
            table.source
        ))
    })
}

/// A short text table of the censoring-aware metrics.
pub fn render_censored(m: &CensoredMetrics) -> String {
    let mut s = format!(
        "Risk at horizon {}: n = {}, events by horizon = {}, censored before horizon = {}\n",
        m.horizon, m.n, m.events_before_horizon, m.censored_before_horizon
    );
    for (k, v) in [
        ("AUC (IPCW)", m.auc),
        ("AUC SE", m.auc_se),
        ("Brier (IPCW)", m.brier),
        ("Brier null", m.brier_null),
        ("Scaled Brier", m.scaled_brier),
        ("KM risk by horizon", m.observed_risk),
        ("O/E (KM / mean risk)", m.oe_ratio),
    ] {
        s.push_str(&format!("  {k:<22} {v:>8.4}\n"));
    }
    s.push_str("  group      n  events  predicted  observed(KM)\n");
    for c in &m.calibration {
        s.push_str(&format!(
            "  {:>5} {:>6} {:>7} {:>10.4} {:>13.4}\n",
            c.group + 1,
            c.n,
            c.events,
            c.mean_predicted,
            c.observed
        ));
    }
    s
}
