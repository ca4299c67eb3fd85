//! One patient's follow-up after the decision point: the model's risk at each visit on top,
//! one panel per bone-turnover marker below, sharing the months axis; triggers (reasons to
//! restart therapy) and the bone event, if any, as flagged vertical lines through all panels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use serde::{Deserialize, Serialize};

use super::layout::{
    axis_with_zero, line_height, nice_ticks, polyline, stagger, text, text_width, x_axis_height,
    y_axis_width, Anchor, Axes, AxisSpec, Bounds, Canvas, Caption, DrawResult,
};
use super::style::{self, Dash, Shape};
use super::{check, render, Draw, Figure, PlotError};

const PLOT: &str = "trajectory";

/// One biomarker measured over follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerSeries {
    /// Marker name ("CTX-I").
    pub name: String,
    /// Unit ("ng/mL").
    pub unit: String,
    /// Months since the decision point of each measurement.
    pub months: Vec<f64>,
    /// Measured values in `unit`, one per month; visits without a measurement are left out.
    pub values: Vec<f64>,
}

/// Everything the trajectory plot shows for one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryData {
    /// Patient identifier, shown in the title.
    pub patient_id: String,
    /// Months since the decision point of each visit.
    pub months: Vec<f64>,
    /// Model risk at each visit (probability of the event by the horizon, 0..1); NaN where
    /// the model gave none (the line breaks there, no point is drawn).
    pub risk: Vec<f64>,
    /// Biomarker panels under the risk panel, in this order (may be empty).
    pub markers: Vec<MarkerSeries>,
    /// Flagged vertical marks: `(label, month)`, e.g. `("CTX above range", 14.0)`.
    pub triggers: Vec<(String, f64)>,
    /// Month of the bone event, if one happened.
    pub event_month: Option<f64>,
    /// Risk threshold for restarting therapy (0..1), drawn as a dashed line.
    pub threshold: Option<f64>,
    /// Caption under the figure.
    pub caption: String,
    /// Label of the event mark ("Bone event", "Death").
    #[serde(default = "default_event_label")]
    pub event_label: String,
    /// Title of the time axis ("Months since decision point").
    #[serde(default = "default_time_title")]
    pub time_title: String,
}

fn default_event_label() -> String {
    "Bone event".into()
}

fn default_time_title() -> String {
    "Months since decision point".into()
}

/// Draw one patient's trajectory.
///
/// # Errors
/// [`PlotError::Empty`] without visits; [`PlotError::LengthMismatch`] when `risk` (or a
/// marker's `values`) does not have one value per month; [`PlotError::NonFinite`] /
/// [`PlotError::OutOfRange`] for NaN months or values, or risks outside [0, 1];
/// [`PlotError::Backend`] / [`PlotError::Io`] when rendering fails.
pub fn trajectory_plot(d: &TrajectoryData) -> Result<Figure, PlotError> {
    validate(d)?;
    render(d)
}

fn validate(d: &TrajectoryData) -> Result<(), PlotError> {
    check::non_empty(PLOT, "months", d.months.len())?;
    check::same_len(PLOT, "risk", d.risk.len(), d.months.len(), "month")?;
    check::finite(PLOT, "months", d.months.iter().copied())?;
    // NaN: the model gave no risk at that visit (a predictor missing): the line breaks there
    check::probability(PLOT, "risk", d.risk.iter().copied().filter(|r| !r.is_nan()))?;
    check::non_empty(
        PLOT,
        "risk (visits with a risk)",
        d.risk.iter().filter(|r| !r.is_nan()).count(),
    )?;
    for m in &d.markers {
        let name = &m.name;
        check::same_len(
            PLOT,
            &format!("{name}.values"),
            m.values.len(),
            m.months.len(),
            "month",
        )?;
        check::finite(PLOT, &format!("{name}.months"), m.months.iter().copied())?;
        check::finite(PLOT, &format!("{name}.values"), m.values.iter().copied())?;
    }
    check::finite(PLOT, "triggers", d.triggers.iter().map(|t| t.1))?;
    check::finite(PLOT, "event_month", d.event_month)?;
    check::probability(PLOT, "threshold", d.threshold)?;
    Ok(())
}

/// Months axis: from 0 (or the earliest month) to the last month rounded up to a whole step
/// of 3, 6, 12 or 24 months.
fn month_axis(lo: f64, hi: f64) -> (f64, f64, f64) {
    let span = (hi - lo).max(1.0);
    let step = [3.0, 6.0, 12.0, 24.0, 48.0, 60.0, 120.0]
        .into_iter()
        .find(|s| span / s <= 8.0)
        .unwrap_or_else(|| {
            let (ticks, _) = nice_ticks(lo, hi, 8);
            ticks.get(1).zip(ticks.first()).map_or(span, |(b, a)| b - a)
        });
    let x0 = (lo / step).floor() * step;
    let x1 = ((hi / step).ceil() * step).max(x0 + step);
    (x0, x1, step)
}

impl TrajectoryData {
    fn flags(&self) -> Vec<(String, f64, RGBColor)> {
        let mut flags: Vec<(String, f64, RGBColor)> = self
            .triggers
            .iter()
            .map(|(label, month)| (label.clone(), *month, style::INK))
            .collect();
        if let Some(month) = self.event_month {
            flags.push((self.event_label.clone(), month, style::EVENTS));
        }
        flags
    }
}

impl Draw for TrajectoryData {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let flags = self.flags();
        let all_months = self
            .months
            .iter()
            .chain(self.markers.iter().flat_map(|m| m.months.iter()))
            .chain(flags.iter().map(|f| &f.1))
            .copied();
        let (lo, hi) = all_months.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (x0, x1, step) = month_axis(lo, hi);
        let ticks: Vec<f64> = (0..)
            .map(|k| x0 + k as f64 * step)
            .take_while(|v| *v <= x1 + 1e-9)
            .collect();
        let x_axis = |labels: bool| AxisSpec {
            ticks: ticks.clone(),
            decimals: 0,
            title: if labels {
                self.time_title.clone()
            } else {
                String::new()
            },
            labels,
            grid: true,
        };

        // y axes: risk first, then each marker.
        let risk_max = self
            .risk
            .iter()
            .copied()
            .chain(self.threshold)
            .fold(0.0f64, f64::max);
        let mut panels: Vec<(AxisSpec, f64, f64)> = Vec::new();
        let (_, r1, risk_axis) = axis_with_zero(0.0, risk_max.max(0.02), 0.08, 4, "Predicted risk");
        panels.push((risk_axis, 0.0, r1.min(1.0)));
        for m in &self.markers {
            let vmin = m.values.iter().copied().fold(0.0f64, f64::min);
            let vmax = m.values.iter().copied().fold(0.0f64, f64::max);
            let title = if m.unit.is_empty() {
                m.name.clone()
            } else {
                format!("{} ({})", m.name, m.unit)
            };
            let (y0, y1, axis) = axis_with_zero(vmin, vmax, 0.08, 3, &title);
            panels.push((axis, y0, y1));
        }

        let top = super::layout::title(root, c, &format!("Patient {}", self.patient_id))?;
        let caption = Caption::new(root, c, &self.caption)?;
        let bottom_limit = c.height - caption.height(c);
        let mut left = 0;
        for (ys, _, _) in &panels {
            left = left.max(y_axis_width(root, c, ys)?);
        }
        let left = left + c.px(style::MARGIN);
        let threshold_label = self.threshold.map(|t| format!("Threshold {t:.2}"));
        let gutter = match &threshold_label {
            Some(l) => text_width(root, c, l, style::FONT_CAPTION)? + c.px(8.0),
            None => 0,
        };
        let right = c.width - c.px(style::MARGIN) - gutter;

        // Flags above the top panel.
        let lh = line_height(c, style::FONT_CAPTION);
        let to_x = |m: f64| left as f64 + (m - x0) / (x1 - x0) * (right - left) as f64;
        let mut spans = Vec::with_capacity(flags.len());
        for (label, month, _) in &flags {
            let w = text_width(root, c, label, style::FONT_CAPTION)?;
            let l = (to_x(*month).round() as i32 + c.px(4.0))
                .min((c.width - c.px(style::MARGIN) - w).max(left));
            spans.push((l, l + w));
        }
        let rows = stagger(&spans, c.px(8.0));
        let n_rows = rows.iter().map(|r| r + 1).max().unwrap_or(0) as i32;
        let plot_top = top + c.px(6.0) + n_rows * lh + c.px(4.0);

        // Panel heights: the risk panel gets 1.5 shares, each marker 1.
        let gap = c.px(style::TICK_LENGTH + 18.0);
        let n = panels.len() as i32;
        let plot_bottom = bottom_limit - x_axis_height(c, &x_axis(true)) - c.px(4.0);
        let avail = (plot_bottom - plot_top - gap * (n - 1)) as f64;
        let shares = 1.5 + (n - 1) as f64;
        let mut axes = Vec::with_capacity(panels.len());
        let mut y = plot_top;
        for (i, (_, y0, y1)) in panels.iter().enumerate() {
            let h = (avail * if i == 0 { 1.5 } else { 1.0 } / shares).round() as i32;
            axes.push(Axes {
                left,
                top: y,
                right,
                bottom: y + h,
                b: Bounds {
                    x0,
                    x1,
                    y0: *y0,
                    y1: *y1,
                },
            });
            y += h + gap;
        }

        for (i, ax) in axes.iter().enumerate() {
            let xs = x_axis(i + 1 == axes.len());
            ax.grid(root, c, &xs, &panels[i].0)?;
        }
        // Flag poles through every panel, under the data.
        let last_bottom = axes.last().map(|a| a.bottom).unwrap_or(plot_bottom);
        for (i, (label, month, color)) in flags.iter().enumerate() {
            let x = to_x(*month);
            let label_y = plot_top - c.px(4.0) - rows[i] as i32 * lh - lh / 2;
            let dash = if *color == style::EVENTS {
                Dash::Solid
            } else {
                Dash::Dotted
            };
            polyline(
                root,
                c,
                &[(x, (label_y - lh / 2) as f64), (x, last_bottom as f64)],
                *color,
                1.6,
                dash,
            )?;
            text(
                root,
                c,
                label,
                (spans[i].0, label_y),
                style::FONT_CAPTION,
                *color,
                Anchor(HPos::Left, VPos::Center),
                false,
            )?;
        }

        let risk_ax = &axes[0];
        if let (Some(t), Some(label)) = (self.threshold, &threshold_label) {
            risk_ax.line(
                root,
                c,
                &[(x0, t), (x1, t)],
                style::REFERENCE,
                style::LINE_REFERENCE,
                Dash::Dashed,
            )?;
            text(
                root,
                c,
                label,
                (risk_ax.right + c.px(6.0), risk_ax.y(t).round() as i32),
                style::FONT_CAPTION,
                style::REFERENCE,
                Anchor(HPos::Left, VPos::Center),
                false,
            )?;
        }
        let color = style::model_color(0);
        series(root, c, risk_ax, &self.months, &self.risk, color)?;
        for (i, m) in self.markers.iter().enumerate() {
            let ax = &axes[i + 1];
            if m.values.is_empty() {
                text(
                    root,
                    c,
                    "not measured",
                    ((ax.left + ax.right) / 2, (ax.top + ax.bottom) / 2),
                    style::FONT_CAPTION,
                    style::REFERENCE,
                    Anchor(HPos::Center, VPos::Center),
                    false,
                )?;
            }
            series(root, c, ax, &m.months, &m.values, style::marker_color(i))?;
        }
        for (i, ax) in axes.iter().enumerate() {
            let xs = x_axis(i + 1 == axes.len());
            ax.frame(root, c, &xs, &panels[i].0)?;
        }
        caption.draw(root, c)?;
        Ok(())
    }
}

/// Visits joined by a line, in time order, each marked with a dot.
fn series<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    ax: &Axes,
    months: &[f64],
    values: &[f64],
    color: RGBColor,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut pts: Vec<(f64, f64)> = months.iter().copied().zip(values.iter().copied()).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    // one line per run of values: no line through a visit without one
    for run in pts.split(|p| !p.1.is_finite()) {
        if !run.is_empty() {
            ax.line(root, c, run, color, style::LINE_RULE, Dash::Solid)?;
        }
    }
    pts.retain(|p| p.1.is_finite());
    for p in &pts {
        if ax.b.x0 <= p.0 && p.0 <= ax.b.x1 && ax.b.y0 <= p.1 && p.1 <= ax.b.y1 {
            super::layout::marker(
                root,
                c,
                ax.map(*p),
                Shape::Circle,
                color,
                style::VISIT_RADIUS,
            )?;
        }
    }
    Ok(())
}
