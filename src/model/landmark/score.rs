//! Scoring visit rows with a dynamic model: each patient's risk of an event within the window
//! after the decision point (month 0) and after every visit, from the values known then.

use super::stack::{rows_at, visit_points};
use crate::error::{Error, Result};
use crate::model::fit::Model;
use crate::table::Table;

/// One risk per patient and visit (month 0 = the decision point, from the cohort file).
#[derive(Debug, Clone, PartialEq)]
pub struct VisitScores {
    /// Patient of each row.
    pub patient_id: Vec<String>,
    /// Month of the visit.
    pub month: Vec<f64>,
    /// Linear predictor (NaN when a predictor is missing or too old).
    pub linear_predictor: Vec<f64>,
    /// Risk of an event within the window after the visit (NaN as above).
    pub risk: Vec<f64>,
    /// Window of the model (months).
    pub window: f64,
}

/// Score every visit of `visits` (and month 0 of every patient of `cohort`).
///
/// # Errors
/// A static model; a predictor column absent from both files; bad values.
pub fn score_visits(model: &Model, cohort: &Table, visits: &Table) -> Result<VisitScores> {
    let spec = model.dynamic.as_ref().ok_or_else(|| {
        Error::Usage(
            "--visits scores visit rows with a dynamic model (fit --dynamic); this model is static"
                .into(),
        )
    })?;
    let points = visit_points(cohort, visits, &spec.landmark)?;
    let st = rows_at(cohort, visits, &points, &spec.landmark)?;
    let scores = model
        .scorer()?
        .score_table(&st.table)
        .map_err(|e| st.locate(e))?;
    let ids = st.table.text(&spec.landmark.id)?;
    Ok(VisitScores {
        patient_id: ids
            .iter()
            .map(|s| s.as_deref().unwrap_or_default().to_string())
            .collect(),
        month: points.iter().map(|&(_, m)| m).collect(),
        linear_predictor: scores.linear_predictor,
        risk: scores.predicted,
        window: spec.landmark.window,
    })
}

impl VisitScores {
    /// `patient_id,month,linear_predictor,predicted` with empty cells for no score.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("patient_id,month,linear_predictor,predicted\n");
        let cell = |x: f64| {
            if x.is_nan() {
                String::new()
            } else {
                x.to_string()
            }
        };
        for i in 0..self.month.len() {
            s.push_str(&format!(
                "{},{},{},{}\n",
                crate::table::write::field(self.patient_id.get(i).map_or("", String::as_str)),
                self.month[i],
                cell(self.linear_predictor[i]),
                cell(self.risk[i])
            ));
        }
        s
    }
}
