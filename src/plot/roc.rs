//! ROC plot: the model's ROC curve(s) with each comparator rule as a single operating point.
//!
//! "Positive" is the event (a bone event by the horizon), i.e. the patient who needs to
//! continue bone protection: sensitivity is the share of those patients a policy keeps on
//! therapy, 1 - specificity the share of event-free patients it keeps on therapy needlessly.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{
    x_axis_height, y_axis_width, Axes, AxisSpec, Bounds, Canvas, Caption, DrawResult, Key, Legend,
    LegendItem,
};
use super::style::{self, Dash};
use super::{check, render, Draw, Figure, PlotError};

const PLOT: &str = "ROC";

/// One ROC curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// Name in the legend ("Model", "Model, optimism-corrected").
    pub name: String,
    /// `(false-positive rate, true-positive rate)` pairs, both 0..1, in drawing order
    /// (from (0, 0) to (1, 1)).
    pub points: Vec<(f64, f64)>,
    /// Area under the curve (C statistic), shown in the legend.
    pub auc: f64,
}

/// A rule as one operating point (it has no threshold to vary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePointRoc {
    /// Rule name ("Two-year rule").
    pub name: String,
    /// False-positive rate: share of event-free patients the rule keeps on therapy (0..1).
    pub fpr: f64,
    /// True-positive rate: share of patients with an event the rule keeps on therapy (0..1).
    pub tpr: f64,
}

/// Everything the ROC plot shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocPlotData {
    /// One or more curves; the first is the model.
    pub curves: Vec<RocCurve>,
    /// Rules as points, in the same order as in the other plots (same colour and marker).
    pub rules: Vec<RulePointRoc>,
    /// Caption under the figure ("n = 2000, events = 310; positive = bone event").
    pub caption: String,
}

/// Draw the ROC plot.
///
/// # Errors
/// [`PlotError::Empty`] without curves or with a curve without points;
/// [`PlotError::NonFinite`] / [`PlotError::OutOfRange`] for rates or AUCs outside [0, 1];
/// [`PlotError::Backend`] / [`PlotError::Io`] when rendering fails.
pub fn roc_plot(d: &RocPlotData) -> Result<Figure, PlotError> {
    validate(d)?;
    render(d)
}

fn validate(d: &RocPlotData) -> Result<(), PlotError> {
    check::non_empty(PLOT, "curves", d.curves.len())?;
    for (i, curve) in d.curves.iter().enumerate() {
        check::non_empty(PLOT, &format!("curves[{i}].points"), curve.points.len())?;
        check::probability(
            PLOT,
            &format!("curves[{i}].points (fpr)"),
            curve.points.iter().map(|p| p.0),
        )?;
        check::probability(
            PLOT,
            &format!("curves[{i}].points (tpr)"),
            curve.points.iter().map(|p| p.1),
        )?;
        check::probability(PLOT, &format!("curves[{i}].auc"), [curve.auc])?;
    }
    check::probability(PLOT, "rules.fpr", d.rules.iter().map(|r| r.fpr))?;
    check::probability(PLOT, "rules.tpr", d.rules.iter().map(|r| r.tpr))?;
    Ok(())
}

impl RocPlotData {
    fn legend_items(&self) -> Vec<LegendItem> {
        let mut items: Vec<LegendItem> = self
            .curves
            .iter()
            .enumerate()
            .map(|(i, curve)| {
                LegendItem::new(
                    Key::Line {
                        color: style::model_color(i),
                        width: style::LINE_MAIN,
                        dash: Dash::Solid,
                    },
                    format!("{} (AUC {:.2})", curve.name, curve.auc),
                )
            })
            .collect();
        for (i, r) in self.rules.iter().enumerate() {
            let (color, shape, _) = style::rule_style(i);
            items.push(LegendItem::new(
                Key::Marker { shape, color },
                format!(
                    "{}: sensitivity {:.2}, specificity {:.2}",
                    r.name,
                    r.tpr,
                    1.0 - r.fpr
                ),
            ));
        }
        items.push(LegendItem::new(
            Key::Line {
                color: style::REFERENCE,
                width: style::LINE_REFERENCE,
                dash: Dash::Dashed,
            },
            "Chance",
        ));
        items
    }
}

impl Draw for RocPlotData {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let top = c.px(style::MARGIN + 10.0);
        let caption = Caption::new(root, c, &self.caption)?;
        let bottom_limit = c.height - caption.height(c);
        let xs = AxisSpec::auto(0.0, 1.0, 5, "1 \u{2212} specificity (false-positive rate)");
        let ys = AxisSpec::auto(0.0, 1.0, 5, "Sensitivity (true-positive rate)");
        let left = c.px(style::MARGIN) + y_axis_width(root, c, &ys)?;
        let min_panel = c.px(250.0);
        let side = (bottom_limit - top - x_axis_height(c, &xs) - c.px(6.0))
            .min(c.width - left - c.px(style::MARGIN + 24.0) - min_panel);
        let ax = Axes {
            left,
            top,
            right: left + side,
            bottom: top + side,
            b: Bounds {
                x0: 0.0,
                x1: 1.0,
                y0: 0.0,
                y1: 1.0,
            },
        };
        ax.grid(root, c, &xs, &ys)?;
        ax.line(
            root,
            c,
            &[(0.0, 0.0), (1.0, 1.0)],
            style::REFERENCE,
            style::LINE_REFERENCE,
            Dash::Dashed,
        )?;
        for (i, curve) in self.curves.iter().enumerate().rev() {
            ax.line(
                root,
                c,
                &curve.points,
                style::model_color(i),
                style::LINE_MAIN,
                Dash::Solid,
            )?;
        }
        for (i, r) in self.rules.iter().enumerate() {
            let (color, shape, _) = style::rule_style(i);
            ax.marker(root, c, (r.fpr, r.tpr), shape, color, style::MARKER_RADIUS)?;
        }
        ax.frame(root, c, &xs, &ys)?;

        let panel_x = ax.right + c.px(24.0);
        let panel_w = c.width - c.px(style::MARGIN) - panel_x;
        let legend = Legend::new(root, c, self.legend_items(), panel_w)?;
        legend.draw(root, c, (panel_x, ax.top))?;
        caption.draw_at(root, c, ax.bottom + x_axis_height(c, &xs) + c.px(10.0))?;
        Ok(())
    }
}
