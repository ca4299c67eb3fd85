//! Distribution of predicted risk by outcome: two overlaid histograms, each as a percentage of
//! its own outcome group (so the rarer events stay visible), with decision thresholds marked.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use serde::{Deserialize, Serialize};

use super::layout::{
    axis_with_zero, polyline, round_up_nice, stagger, text, text_width, x_axis_height,
    y_axis_width, Anchor, Axes, AxisSpec, Bounds, Canvas, Caption, DrawResult, Key, Legend,
    LegendItem,
};
use super::style::{self, Dash};
use super::{check, render, Draw, Figure, PlotError};

const PLOT: &str = "risk distribution";
/// Histogram bins across the axis range.
const BINS: usize = 40;

/// Everything the risk-distribution plot shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskDistributionData {
    /// Predicted risks (0..1) of the patients with the event.
    pub predicted_events: Vec<f64>,
    /// Predicted risks (0..1) of the patients without the event.
    pub predicted_non_events: Vec<f64>,
    /// Vertical marks: `(label, risk threshold 0..1)`, e.g. `("Stop below 10%", 0.10)`.
    pub thresholds_marked: Vec<(String, f64)>,
    /// Caption under the figure.
    pub caption: String,
    /// The prediction horizon in the x-axis title ("24-month"); empty for none.
    #[serde(default = "super::default_horizon")]
    pub horizon: String,
    /// The event in the axis title, singular ("bone event", "death").
    #[serde(default = "super::default_event")]
    pub event: String,
}

/// Draw the risk distribution by outcome.
///
/// # Errors
/// [`PlotError::Empty`] when both groups are empty; [`PlotError::NonFinite`] /
/// [`PlotError::OutOfRange`] for risks or thresholds outside [0, 1];
/// [`PlotError::Backend`] / [`PlotError::Io`] when rendering fails.
pub fn risk_distribution_plot(d: &RiskDistributionData) -> Result<Figure, PlotError> {
    validate(d)?;
    render(d)
}

fn validate(d: &RiskDistributionData) -> Result<(), PlotError> {
    check::non_empty(
        PLOT,
        "predicted_events and predicted_non_events",
        d.predicted_events.len() + d.predicted_non_events.len(),
    )?;
    check::probability(PLOT, "predicted_events", d.predicted_events.iter().copied())?;
    check::probability(
        PLOT,
        "predicted_non_events",
        d.predicted_non_events.iter().copied(),
    )?;
    check::probability(
        PLOT,
        "thresholds_marked",
        d.thresholds_marked.iter().map(|t| t.1),
    )?;
    Ok(())
}

/// Percentage of `values` in each of `BINS` bins over [0, m].
fn percentages(values: &[f64], m: f64) -> Vec<f64> {
    let mut counts = vec![0usize; BINS];
    let width = m / BINS as f64;
    for &v in values {
        counts[((v / width) as usize).min(BINS - 1)] += 1;
    }
    let n = values.len().max(1) as f64;
    counts.iter().map(|&k| 100.0 * k as f64 / n).collect()
}

impl Draw for RiskDistributionData {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let max_risk = self
            .predicted_events
            .iter()
            .chain(&self.predicted_non_events)
            .chain(self.thresholds_marked.iter().map(|t| &t.1))
            .copied()
            .fold(0.0f64, f64::max);
        let m = round_up_nice(max_risk.max(0.02), 1.0);
        let groups = [
            (
                percentages(&self.predicted_non_events, m),
                style::NON_EVENTS,
                format!("No event (n = {})", self.predicted_non_events.len()),
                self.predicted_non_events.is_empty(),
            ),
            (
                percentages(&self.predicted_events, m),
                style::EVENTS,
                format!("Event (n = {})", self.predicted_events.len()),
                self.predicted_events.is_empty(),
            ),
        ];
        let max_pct = groups
            .iter()
            .flat_map(|g| g.0.iter())
            .copied()
            .fold(0.0f64, f64::max);
        let (_, y1, ys) = axis_with_zero(0.0, max_pct, 0.04, 5, "Patients in outcome group (%)");

        let caption = Caption::new(root, c, &self.caption)?;
        let bottom_limit = c.height - caption.height(c);
        let x_title = super::risk_title(&self.horizon, &self.event);
        let xs = AxisSpec::auto(0.0, m, 5, &x_title);
        let left = c.px(style::MARGIN) + y_axis_width(root, c, &ys)?;
        let items: Vec<LegendItem> = groups
            .iter()
            .rev()
            .filter(|g| !g.3)
            .map(|g| {
                LegendItem::new(
                    Key::Fill {
                        color: g.1,
                        alpha: style::HIST_ALPHA,
                    },
                    g.2.clone(),
                )
            })
            .collect();
        let legend = Legend::new(root, c, items, c.px(220.0))?;
        let panel_w = legend.width(root, c)?.max(c.px(120.0));
        let right = c.width - c.px(style::MARGIN) - panel_w - c.px(24.0);

        // Threshold labels sit in rows above the plot box, staggered where they would collide.
        let b = Bounds {
            x0: 0.0,
            x1: m,
            y0: 0.0,
            y1,
        };
        let provisional = Axes {
            left,
            top: 0,
            right,
            bottom: 1,
            b,
        };
        let mut spans = Vec::with_capacity(self.thresholds_marked.len());
        let pole_gap = c.px(4.0);
        for (label, t) in &self.thresholds_marked {
            let w = text_width(root, c, label, style::FONT_CAPTION)?;
            let x = provisional.x(*t).round() as i32 + pole_gap;
            let l = x.min((c.width - c.px(style::MARGIN) - w).max(left));
            spans.push((l, l + w));
        }
        let rows = stagger(&spans, c.px(8.0));
        let n_rows = rows.iter().map(|r| r + 1).max().unwrap_or(0) as i32;
        let lh = super::layout::line_height(c, style::FONT_CAPTION);
        let top = c.px(style::MARGIN + 10.0) + n_rows * lh + c.px(4.0);
        let ax = Axes {
            left,
            top,
            right,
            bottom: bottom_limit - x_axis_height(c, &xs) - c.px(6.0),
            b,
        };

        ax.grid(root, c, &xs, &ys)?;
        let width = m / BINS as f64;
        for (pct, color, _, empty) in &groups {
            if *empty {
                continue;
            }
            let base = ax.y(0.0).round() as i32;
            let mut outline: Vec<(f64, f64)> = vec![(ax.x(0.0), base as f64)];
            for (k, &p) in pct.iter().enumerate() {
                let x0 = ax.x(k as f64 * width);
                let x1 = ax.x((k + 1) as f64 * width);
                let y = ax.y(p.min(y1));
                outline.push((x0, y));
                outline.push((x1, y));
                if p > 0.0 {
                    root.draw(&Rectangle::new(
                        [
                            (x0.round() as i32, y.round() as i32),
                            (x1.round() as i32, base),
                        ],
                        color.mix(style::HIST_ALPHA).filled(),
                    ))?;
                }
            }
            outline.push((ax.x(m), base as f64));
            polyline(root, c, &outline, *color, 1.6, Dash::Solid)?;
        }
        for (i, (label, t)) in self.thresholds_marked.iter().enumerate() {
            let x = ax.x(*t);
            let label_y = top - c.px(4.0) - rows[i] as i32 * lh - lh / 2;
            polyline(
                root,
                c,
                &[(x, (label_y - lh / 2) as f64), (x, ax.bottom as f64)],
                style::INK,
                1.2,
                Dash::Dashed,
            )?;
            text(
                root,
                c,
                label,
                (spans[i].0, label_y),
                style::FONT_CAPTION,
                style::INK,
                Anchor(HPos::Left, VPos::Center),
                false,
            )?;
        }
        ax.frame(root, c, &xs, &ys)?;
        legend.draw(root, c, (ax.right + c.px(24.0), ax.top))?;
        caption.draw(root, c)?;
        Ok(())
    }
}
