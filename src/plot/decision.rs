//! Decision curves (Vickers and Elkin; `dcurves::dca`): net benefit of *continuing* bone
//! protection against the threshold probability, for the model, each rule, continue-all and
//! stop-all (zero by definition).

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{
    round_up_nice, x_axis_height, y_axis_width, Axes, AxisSpec, Bounds, Canvas, Caption,
    DrawResult, Key, Legend, LegendItem,
};
use super::style::{self, Dash};
use super::{check, render, Draw, Figure, PlotError};

const PLOT: &str = "decision curve";

/// What a net-benefit series is, which decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// A risk model: solid line in the model colour, with its band when given.
    Model,
    /// A comparator rule: coloured dashed line, same colour as its point in the other plots.
    Rule,
    /// Continue therapy for everyone (the "treat all" line): grey.
    ContinueAll,
    /// Stop therapy for everyone (the "treat none" line, net benefit 0): black.
    StopAll,
}

/// Net benefit of one strategy at each threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetBenefitSeries {
    /// Name in the legend ("Model", "Two-year rule", "Continue all", "Stop all").
    pub name: String,
    /// How to draw it.
    pub kind: SeriesKind,
    /// Net benefit (true positives per patient, TP/n - FP/n * t/(1-t)), one per threshold.
    pub net_benefit: Vec<f64>,
    /// Lower end of the 95% bootstrap interval, one per threshold.
    pub ci_low: Option<Vec<f64>>,
    /// Upper end of the 95% bootstrap interval, one per threshold.
    pub ci_high: Option<Vec<f64>>,
}

/// Everything the decision-curve plot shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionCurveData {
    /// Threshold probabilities (0..1, increasing), e.g. 0.01..0.99 by 0.01.
    pub thresholds: Vec<f64>,
    /// Strategies, drawn in this order within their kind; rules in the same order as in the
    /// other plots.
    pub series: Vec<NetBenefitSeries>,
    /// Caption under the figure.
    pub caption: String,
    /// Largest threshold shown (0..1]; [`DecisionCurveData::DEFAULT_X_MAX`] is usual.
    #[serde(default = "default_x_max")]
    pub x_max: f64,
    /// The event in the axis title, singular ("bone event", "death").
    #[serde(default = "super::default_event")]
    pub event: String,
    /// Title of the net-benefit axis.
    #[serde(default = "default_y_title")]
    pub y_title: String,
}

fn default_y_title() -> String {
    "Net benefit of continuing therapy".into()
}

fn default_x_max() -> f64 {
    DecisionCurveData::DEFAULT_X_MAX
}

impl DecisionCurveData {
    /// Default largest threshold: nobody would continue therapy only above a 50% risk.
    pub const DEFAULT_X_MAX: f64 = 0.5;
}

/// Draw the decision curves.
///
/// The y axis runs from a little below zero to 10% above the largest net benefit shown, so
/// continue-all diving at high thresholds is cut at the bottom instead of squashing the rest.
///
/// # Errors
/// [`PlotError::Empty`] without thresholds or series; [`PlotError::LengthMismatch`] when a
/// series does not have one value per threshold; [`PlotError::NonFinite`] for NaN or infinite
/// values; [`PlotError::OutOfRange`] for thresholds or `x_max` outside (0, 1];
/// [`PlotError::Backend`] / [`PlotError::Io`] when rendering fails.
pub fn decision_curve_plot(d: &DecisionCurveData) -> Result<Figure, PlotError> {
    validate(d)?;
    render(d)
}

fn validate(d: &DecisionCurveData) -> Result<(), PlotError> {
    check::non_empty(PLOT, "thresholds", d.thresholds.len())?;
    check::non_empty(PLOT, "series", d.series.len())?;
    check::probability(PLOT, "thresholds", d.thresholds.iter().copied())?;
    check::probability(PLOT, "x_max", [d.x_max])?;
    if d.x_max <= 0.0 {
        return Err(PlotError::OutOfRange {
            plot: PLOT,
            what: "x_max".into(),
            index: 0,
            value: d.x_max,
            expected: "(0, 1]",
        });
    }
    let n = d.thresholds.len();
    for s in &d.series {
        let name = &s.name;
        check::same_len(
            PLOT,
            &format!("{name}.net_benefit"),
            s.net_benefit.len(),
            n,
            "threshold",
        )?;
        check::finite(
            PLOT,
            &format!("{name}.net_benefit"),
            s.net_benefit.iter().copied(),
        )?;
        for (what, ci) in [("ci_low", &s.ci_low), ("ci_high", &s.ci_high)] {
            if let Some(v) = ci {
                let what = format!("{name}.{what}");
                check::same_len(PLOT, &what, v.len(), n, "threshold")?;
                check::finite(PLOT, &what, v.iter().copied())?;
            }
        }
    }
    Ok(())
}

/// Colour, width and dash of each series, by kind and rank within its kind.
fn series_styles(series: &[NetBenefitSeries]) -> Vec<(RGBColor, f64, Dash)> {
    let (mut models, mut rules) = (0, 0);
    series
        .iter()
        .map(|s| match s.kind {
            SeriesKind::Model => {
                models += 1;
                (
                    style::model_color(models - 1),
                    style::LINE_MAIN,
                    Dash::Solid,
                )
            }
            SeriesKind::Rule => {
                rules += 1;
                let (color, _, dash) = style::rule_style(rules - 1);
                (color, style::LINE_RULE, dash)
            }
            SeriesKind::ContinueAll => (style::REFERENCE, style::LINE_REFERENCE, Dash::Solid),
            SeriesKind::StopAll => (style::BLACK, style::LINE_REFERENCE, Dash::Solid),
        })
        .collect()
}

/// Drawing order: references first, models last (on top).
fn layer(kind: SeriesKind) -> u8 {
    match kind {
        SeriesKind::ContinueAll => 0,
        SeriesKind::StopAll => 1,
        SeriesKind::Rule => 2,
        SeriesKind::Model => 3,
    }
}

impl DecisionCurveData {
    fn visible(&self) -> Vec<usize> {
        (0..self.thresholds.len())
            .filter(|&i| self.thresholds[i] <= self.x_max + 1e-12)
            .collect()
    }

    /// Top of the y axis: 10% above the largest value shown, rounded up.
    fn y_top(&self, visible: &[usize]) -> f64 {
        let mut top = 0.0f64;
        for s in &self.series {
            for &i in visible {
                top = top.max(s.net_benefit[i]);
                if let Some(hi) = &s.ci_high {
                    top = top.max(hi[i]);
                }
            }
        }
        round_up_nice((top * 1.1).max(0.01), f64::INFINITY)
    }
}

impl Draw for DecisionCurveData {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let visible = self.visible();
        let styles = series_styles(&self.series);
        let y1 = self.y_top(&visible);
        let y0 = -style::DCA_FLOOR_FRACTION * y1;

        let top = c.px(style::MARGIN + 10.0);
        let caption = Caption::new(root, c, &self.caption)?;
        let bottom_limit = c.height - caption.height(c);
        let x_title = format!("Threshold probability of {}", self.event);
        let xs = AxisSpec::auto(0.0, self.x_max, 5, &x_title);
        let ys = AxisSpec::auto(y0, y1, 5, &self.y_title);
        let left = c.px(style::MARGIN) + y_axis_width(root, c, &ys)?;

        let items: Vec<LegendItem> = self
            .series
            .iter()
            .zip(&styles)
            .map(|(s, &(color, width, dash))| {
                let key = if s.ci_low.is_some() && s.ci_high.is_some() {
                    Key::LineBand { color, width, dash }
                } else {
                    Key::Line { color, width, dash }
                };
                let label = if s.ci_low.is_some() && s.ci_high.is_some() {
                    format!("{}, 95% CI", s.name)
                } else {
                    s.name.clone()
                };
                LegendItem::new(key, label)
            })
            .collect();
        let legend = Legend::new(root, c, items, c.px(250.0))?;
        let panel_w = legend.width(root, c)?.max(c.px(150.0));
        let right = c.width - c.px(style::MARGIN) - panel_w - c.px(24.0);
        let ax = Axes {
            left,
            top,
            right,
            bottom: bottom_limit - x_axis_height(c, &xs) - c.px(6.0),
            b: Bounds {
                x0: 0.0,
                x1: self.x_max,
                y0,
                y1,
            },
        };
        ax.grid(root, c, &xs, &ys)?;

        let thresholds: Vec<f64> = visible.iter().map(|&i| self.thresholds[i]).collect();
        let pick = |v: &[f64]| visible.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        for (s, &(color, _, _)) in self.series.iter().zip(&styles) {
            if let (Some(lo), Some(hi)) = (&s.ci_low, &s.ci_high) {
                ax.band(root, &thresholds, &pick(lo), &pick(hi), color)?;
            }
        }
        let mut order: Vec<usize> = (0..self.series.len()).collect();
        order.sort_by_key(|&i| layer(self.series[i].kind));
        for i in order {
            let s = &self.series[i];
            let (color, width, dash) = styles[i];
            let pts: Vec<(f64, f64)> = thresholds
                .iter()
                .copied()
                .zip(pick(&s.net_benefit))
                .collect();
            ax.line(root, c, &pts, color, width, dash)?;
        }
        ax.frame(root, c, &xs, &ys)?;

        legend.draw(root, c, (ax.right + c.px(24.0), ax.top))?;
        caption.draw(root, c)?;
        Ok(())
    }
}
