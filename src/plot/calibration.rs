//! Calibration plot in the style of `rms::val.prob` and Van Calster's `val.prob.ci.2`: the
//! smoothed (lowess) calibration curve with a bootstrap band, risk deciles with Wilson
//! intervals, the patients each rule would stop as marked points, the ideal diagonal, and a
//! spike histogram of the predictions (events up, non-events down) under the plot.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::layout::{
    nice_ticks, x_axis_height, y_axis_width, Axes, AxisSpec, Bounds, Canvas, Caption, DrawResult,
    Key, Legend, LegendItem,
};
use super::style::{self, Dash, Shape};
use super::{check, render, Draw, Figure, PlotError};

const PLOT: &str = "calibration";
/// Histogram bins across the axis range.
const HIST_BINS: usize = 50;
/// Tick intervals wanted on each axis.
const AXIS_TICKS: usize = 6;
/// Raw predictions set the axis range up to this quantile (see `axis_max`).
const PREDICTION_QUANTILE: f64 = 0.995;

/// One point of the smoothed calibration curve, evaluated on a grid of predicted risks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Predicted risk (probability, 0..1).
    pub predicted: f64,
    /// Smoothed observed proportion with the event at that risk (probability, 0..1).
    pub observed: f64,
    /// Lower end of the 95% band (bootstrap); equal to `observed` when no band was computed.
    pub ci_low: f64,
    /// Upper end of the 95% band.
    pub ci_high: f64,
}

/// One risk group (typically a decile of predicted risk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPoint {
    /// Mean predicted risk in the group (0..1).
    pub mean_predicted: f64,
    /// Observed proportion with the event (0..1).
    pub observed: f64,
    /// Lower end of the 95% Wilson interval of `observed`.
    pub ci_low: f64,
    /// Upper end of the 95% Wilson interval.
    pub ci_high: f64,
    /// Patients in the group.
    pub n: usize,
    /// Events in the group.
    pub events: usize,
}

/// The patients a comparator rule would stop: their mean model risk and what happened to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePoint {
    /// Rule name as shown in the legend ("Two-year rule").
    pub name: String,
    /// Mean predicted risk among the patients the rule stops (0..1).
    pub mean_predicted: f64,
    /// Observed event proportion among them (0..1).
    pub observed: f64,
    /// Lower end of the 95% interval of `observed`.
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
    /// Patients the rule stops; a rule stopping nobody is left out of the plot.
    pub n: usize,
}

/// Everything the calibration plot shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationPlotData {
    /// Smoothed curve on a grid, sorted by `predicted` (may be empty if `groups` is not).
    pub curve: Vec<CurvePoint>,
    /// Risk groups with Wilson intervals (may be empty if `curve` is not).
    pub groups: Vec<GroupPoint>,
    /// The smoothed curve corrected for overfitting by the bootstrap, as (predicted,
    /// observed) pairs sorted by predicted (`rms::calibrate`); empty for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrected: Vec<(f64, f64)>,
    /// One point per comparator rule (may be empty).
    pub rules: Vec<RulePoint>,
    /// Predicted risks of the patients with the event (histogram, upwards).
    pub predicted_events: Vec<f64>,
    /// Predicted risks of the patients without the event (histogram, downwards).
    pub predicted_non_events: Vec<f64>,
    /// Figure title; empty for none.
    pub title: String,
    /// Caption under the figure: "n = 2000, events = 310; smoothed: lowess; band: 95% bootstrap".
    pub caption: String,
    /// Statistics shown in a box beside the plot ("C = 0.78", "Slope = 0.97").
    pub stats_text: Vec<String>,
    /// The prediction horizon in the x-axis title, e.g. "24-month" ("Predicted 24-month risk
    /// of bone event"); empty for none ("Predicted risk of death").
    pub horizon: String,
    /// The event in the axis titles, singular ("bone event", "death").
    #[serde(default = "super::default_event")]
    pub event: String,
    /// What the histograms count, when not patients: the labels of the upper and lower
    /// histogram (e.g. visits of patients with and without an event); default
    /// "Events (n)" and "No event (n)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram_labels: Option<(String, String)>,
    /// What a rule's point shows, in its legend entry ("patients stopped").
    #[serde(default = "default_rule_label")]
    pub rule_label: String,
}

fn default_rule_label() -> String {
    "patients stopped".into()
}

/// Draw the calibration plot.
///
/// The axes are square and run from 0 to the largest risk shown, rounded up (not always to 1:
/// typical risks here are below 0.5). Bands and error bars reaching beyond are clipped.
///
/// # Errors
/// [`PlotError::Empty`] when both `curve` and `groups` are empty; [`PlotError::NonFinite`] or
/// [`PlotError::OutOfRange`] when a risk or proportion is NaN, infinite or outside [0, 1];
/// [`PlotError::Backend`] / [`PlotError::Io`] when rendering fails.
pub fn calibration_plot(d: &CalibrationPlotData) -> Result<Figure, PlotError> {
    validate(d)?;
    render(d)
}

fn validate(d: &CalibrationPlotData) -> Result<(), PlotError> {
    check::non_empty(PLOT, "curve and groups", d.curve.len() + d.groups.len())?;
    let curve = |f: fn(&CurvePoint) -> f64| d.curve.iter().map(f).collect::<Vec<_>>();
    check::probability(PLOT, "curve.predicted", curve(|p| p.predicted))?;
    check::probability(PLOT, "curve.observed", curve(|p| p.observed))?;
    check::probability(PLOT, "curve.ci_low", curve(|p| p.ci_low))?;
    check::probability(PLOT, "curve.ci_high", curve(|p| p.ci_high))?;
    check::probability(PLOT, "corrected.predicted", d.corrected.iter().map(|p| p.0))?;
    check::probability(PLOT, "corrected.observed", d.corrected.iter().map(|p| p.1))?;
    let group = |f: fn(&GroupPoint) -> f64| d.groups.iter().map(f).collect::<Vec<_>>();
    check::probability(PLOT, "groups.mean_predicted", group(|g| g.mean_predicted))?;
    check::probability(PLOT, "groups.observed", group(|g| g.observed))?;
    check::probability(PLOT, "groups.ci_low", group(|g| g.ci_low))?;
    check::probability(PLOT, "groups.ci_high", group(|g| g.ci_high))?;
    for r in d.rules.iter().filter(|r| r.n > 0) {
        let what = format!(
            "rules[{}].mean_predicted, observed, ci_low, ci_high",
            r.name
        );
        check::probability(
            PLOT,
            &what,
            [r.mean_predicted, r.observed, r.ci_low, r.ci_high],
        )?;
    }
    check::probability(PLOT, "predicted_events", d.predicted_events.iter().copied())?;
    check::probability(
        PLOT,
        "predicted_non_events",
        d.predicted_non_events.iter().copied(),
    )?;
    Ok(())
}

impl CalibrationPlotData {
    /// Axis maximum: the largest risk or proportion shown, rounded up. Raw predictions count
    /// up to their 99.5th percentile, so a handful of outlying risks does not squeeze the
    /// region where the patients are; bands and intervals beyond are clipped.
    fn axis_max(&self) -> f64 {
        let curve = self
            .curve
            .iter()
            .flat_map(|p| [p.predicted, p.observed])
            .chain(self.corrected.iter().flat_map(|&(x, y)| [x, y]));
        let groups = self
            .groups
            .iter()
            .flat_map(|g| [g.mean_predicted, g.observed]);
        let rules = self
            .rules
            .iter()
            .filter(|r| r.n > 0)
            .flat_map(|r| [r.mean_predicted, r.observed]);
        let mut preds: Vec<f64> = self
            .predicted_events
            .iter()
            .chain(&self.predicted_non_events)
            .copied()
            .collect();
        rayon::slice::ParallelSliceMut::par_sort_unstable_by(&mut preds[..], f64::total_cmp);
        let bulk = if preds.is_empty() {
            0.0
        } else {
            crate::stats::quantile_sorted(&preds, PREDICTION_QUANTILE)
        };
        let max = curve
            .chain(groups)
            .chain(rules)
            .chain([bulk])
            .fold(0.0f64, f64::max)
            .max(0.02);
        // End the square on a labelled tick.
        let (ticks, _) = nice_ticks(0.0, max, AXIS_TICKS);
        let step = ticks.get(1).copied().unwrap_or(max);
        ((max / step - 1e-9).ceil() * step).min(1.0)
    }

    fn legend_items(&self) -> Vec<LegendItem> {
        let mut items = vec![LegendItem::new(
            Key::Line {
                color: style::REFERENCE,
                width: style::LINE_REFERENCE,
                dash: Dash::Dashed,
            },
            "Ideal",
        )];
        if !self.curve.is_empty() {
            // the key shows what is drawn: a band only when the curve has one
            let band = self
                .curve
                .iter()
                .any(|c| c.ci_low < c.observed || c.ci_high > c.observed);
            let (color, width, dash) = (style::model_color(0), style::LINE_MAIN, Dash::Solid);
            items.push(if band {
                LegendItem::new(
                    Key::LineBand { color, width, dash },
                    "Smoothed calibration, 95% band",
                )
            } else {
                LegendItem::new(Key::Line { color, width, dash }, "Smoothed calibration")
            });
        }
        if !self.corrected.is_empty() {
            items.push(LegendItem::new(
                Key::Line {
                    color: style::model_color(0),
                    width: style::LINE_MAIN,
                    dash: Dash::LongDash,
                },
                "Bias-corrected (bootstrap)",
            ));
        }
        if !self.groups.is_empty() {
            let with_ci = self
                .groups
                .iter()
                .any(|g| g.ci_low < g.observed || g.ci_high > g.observed);
            let label = match (self.groups.len() == 10, with_ci) {
                (true, true) => "Deciles of risk, 95% CI",
                (true, false) => "Deciles of risk",
                (false, true) => "Risk groups, 95% CI",
                (false, false) => "Risk groups",
            };
            // error bars in the key only when the points have them
            let key = if with_ci {
                Key::MarkerBar {
                    shape: Shape::Circle,
                    color: style::BLACK,
                    radius: style::GROUP_RADIUS,
                }
            } else {
                Key::Marker {
                    shape: Shape::Circle,
                    color: style::BLACK,
                }
            };
            items.push(LegendItem::new(key, label));
        }
        for (i, r) in self.rules.iter().enumerate().filter(|(_, r)| r.n > 0) {
            let (color, shape, _) = style::rule_style(i);
            items.push(LegendItem::new(
                Key::MarkerBar {
                    shape,
                    color,
                    radius: style::MARKER_RADIUS,
                },
                format!("{}: {}, n\u{a0}=\u{a0}{}", r.name, self.rule_label, r.n),
            ));
        }
        items
    }
}

impl Draw for CalibrationPlotData {
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let top = super::layout::title(root, c, &self.title)? + c.px(8.0);
        let caption = Caption::new(root, c, &self.caption)?;
        let bottom_limit = c.height - caption.height(c);
        let has_hist = !self.predicted_events.is_empty() || !self.predicted_non_events.is_empty();

        let m = self.axis_max();
        let x_title = super::risk_title(&self.horizon, &self.event);
        let x_title = x_title.as_str();
        let mut xs = AxisSpec::auto(0.0, m, AXIS_TICKS, x_title);
        let y_title = format!("Observed proportion with {}", self.event);
        let ys = AxisSpec::auto(0.0, m, AXIS_TICKS, &y_title);
        let mut hist_xs = AxisSpec::auto(0.0, m, AXIS_TICKS, x_title);
        hist_xs.grid = false;
        if has_hist {
            xs.labels = false;
            xs.title.clear();
        }

        let left = c.px(style::MARGIN) + y_axis_width(root, c, &ys)?;
        let (hist_gap, hist_h) = if has_hist {
            (c.px(6.0), c.px(64.0))
        } else {
            (0, 0)
        };
        let below = if has_hist {
            c.px(style::TICK_LENGTH) + hist_gap + hist_h + x_axis_height(c, &hist_xs)
        } else {
            x_axis_height(c, &xs)
        };
        let min_panel = c.px(250.0);
        let side = (bottom_limit - top - below - c.px(6.0))
            .min(c.width - left - c.px(style::MARGIN + 24.0) - min_panel);
        let main = Axes {
            left,
            top,
            right: left + side,
            bottom: top + side,
            b: Bounds {
                x0: 0.0,
                x1: m,
                y0: 0.0,
                y1: m,
            },
        };

        main.grid(root, c, &xs, &ys)?;
        self.draw_curve(root, c, &main)?;
        main.line(
            root,
            c,
            &[(0.0, 0.0), (m, m)],
            style::REFERENCE,
            style::LINE_REFERENCE,
            Dash::Dashed,
        )?;
        if !self.curve.is_empty() {
            let pts: Vec<(f64, f64)> = self
                .curve
                .iter()
                .map(|p| (p.predicted, p.observed))
                .collect();
            main.line(
                root,
                c,
                &pts,
                style::model_color(0),
                style::LINE_MAIN,
                Dash::Solid,
            )?;
        }
        if !self.corrected.is_empty() {
            main.line(
                root,
                c,
                &self.corrected,
                style::model_color(0),
                style::LINE_MAIN,
                Dash::LongDash,
            )?;
        }
        for g in &self.groups {
            main.errorbar(root, c, g.mean_predicted, g.ci_low, g.ci_high, style::BLACK)?;
        }
        for g in &self.groups {
            main.marker(
                root,
                c,
                (g.mean_predicted, g.observed),
                Shape::Circle,
                style::BLACK,
                style::GROUP_RADIUS,
            )?;
        }
        // Rule points that would cover each other are spread sideways (a few pixels, in the
        // order of the legend), and each gets a white halo so a decile point under it shows.
        let offsets = rule_offsets(&main, c, &self.rules);
        for (i, r) in self.rules.iter().enumerate().filter(|(_, r)| r.n > 0) {
            let (color, shape, _) = style::rule_style(i);
            let x = r.mean_predicted + offsets[i];
            main.errorbar(root, c, x, r.ci_low, r.ci_high, color)?;
            main.marker(
                root,
                c,
                (x, r.observed),
                shape,
                plotters::style::WHITE,
                style::MARKER_RADIUS + 2.0,
            )?;
            main.marker(root, c, (x, r.observed), shape, color, style::MARKER_RADIUS)?;
        }
        main.frame(root, c, &xs, &ys)?;

        let mut plot_bottom = main.bottom + x_axis_height(c, &xs);
        if has_hist {
            let hist_top = main.bottom + c.px(style::TICK_LENGTH) + hist_gap;
            let hist = Axes {
                left,
                top: hist_top,
                right: main.right,
                bottom: hist_top + hist_h,
                b: Bounds {
                    x0: 0.0,
                    x1: m,
                    y0: -1.0,
                    y1: 1.0,
                },
            };
            self.draw_histogram(root, c, &hist, &hist_xs)?;
            plot_bottom = hist.bottom + x_axis_height(c, &hist_xs);
        }

        let panel_x = main.right + c.px(24.0);
        let panel_w = c.width - c.px(style::MARGIN) - panel_x;
        let legend = Legend::new(root, c, self.legend_items(), panel_w)?;
        let below_legend = legend.draw(root, c, (panel_x, main.top))?;
        super::layout::text_box(
            root,
            c,
            &self.stats_text,
            (panel_x, below_legend + c.px(8.0)),
            panel_w,
        )?;
        caption.draw_at(root, c, plot_bottom + c.px(10.0))?;
        Ok(())
    }
}

impl CalibrationPlotData {
    fn draw_curve<DB>(&self, root: &DrawingArea<DB, Shift>, _c: &Canvas, ax: &Axes) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let xs: Vec<f64> = self.curve.iter().map(|p| p.predicted).collect();
        let lo: Vec<f64> = self.curve.iter().map(|p| p.ci_low).collect();
        let hi: Vec<f64> = self.curve.iter().map(|p| p.ci_high).collect();
        ax.band(root, &xs, &lo, &hi, style::model_color(0))
    }

    /// Spike histogram: events upwards, non-events downwards, each scaled to its own tallest
    /// bin (as `rms::histSpike`), with counts named beside the panel.
    fn draw_histogram<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        ax: &Axes,
        xs: &AxisSpec,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let m = ax.b.x1;
        let width = m / HIST_BINS as f64;
        for (values, up, color) in [
            (&self.predicted_events, true, style::EVENTS),
            (&self.predicted_non_events, false, style::NON_EVENTS),
        ] {
            let mut counts = vec![0usize; HIST_BINS];
            for &v in values.iter().filter(|v| **v <= m) {
                let k = ((v / width) as usize).min(HIST_BINS - 1);
                counts[k] += 1;
            }
            let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
            let base = ax.y(0.0).round() as i32;
            for (k, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                let h = 0.92 * n as f64 / max;
                let x0 = ax.x(k as f64 * width).round() as i32;
                let x1 = (ax.x((k + 1) as f64 * width).round() as i32 - c.px(0.5)).max(x0 + 1);
                let tip = ax.y(if up { h } else { -h }).round() as i32;
                let tip = if up {
                    tip.min(base - 1)
                } else {
                    tip.max(base + 1)
                };
                root.draw(&Rectangle::new([(x0, base), (x1, tip)], color.filled()))?;
            }
        }
        let base = ax.y(0.0).round() as i32;
        root.draw(&PathElement::new(
            vec![(ax.left, base), (ax.right, base)],
            ShapeStyle::from(&style::INK).stroke_width(c.stroke(0.8)),
        ))?;
        let ys = AxisSpec {
            ticks: vec![],
            decimals: 0,
            title: String::new(),
            labels: false,
            grid: false,
        };
        ax.frame(root, c, xs, &ys)?;
        let beyond = self
            .predicted_events
            .iter()
            .chain(&self.predicted_non_events)
            .filter(|v| **v > m)
            .count();
        if beyond > 0 {
            super::layout::text(
                root,
                c,
                &format!("{beyond} above {}", super::layout::fmt_num(m, xs.decimals)),
                (ax.right - c.px(4.0), ax.top + c.px(3.0)),
                style::FONT_CAPTION * 0.85,
                style::REFERENCE,
                super::layout::Anchor(
                    plotters::style::text_anchor::HPos::Right,
                    plotters::style::text_anchor::VPos::Top,
                ),
                false,
            )?;
        }
        let label_x = ax.right + c.px(8.0);
        let q = (ax.bottom - ax.top) / 4;
        super::layout::text(
            root,
            c,
            &self.histogram_labels.as_ref().map_or_else(
                || format!("Events ({})", self.predicted_events.len()),
                |l| l.0.clone(),
            ),
            (label_x, ax.top + q),
            style::FONT_CAPTION,
            style::EVENTS,
            super::layout::Anchor(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            ),
            false,
        )?;
        super::layout::text(
            root,
            c,
            &self.histogram_labels.as_ref().map_or_else(
                || format!("No event ({})", self.predicted_non_events.len()),
                |l| l.1.clone(),
            ),
            (label_x, ax.bottom - q),
            style::FONT_CAPTION,
            style::NON_EVENTS,
            super::layout::Anchor(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            ),
            false,
        )?;
        Ok(())
    }
}

/// Sideways offsets (data units) of the rule points: points closer than about two markers
/// to one another are spread evenly around their mean position; others stay put.
fn rule_offsets(main: &Axes, c: &Canvas, rules: &[RulePoint]) -> Vec<f64> {
    let r = c.pxf(style::MARKER_RADIUS);
    let near = 2.5 * r;
    let px_per_x = (main.right - main.left) as f64 / (main.b.x1 - main.b.x0);
    let at: Vec<Option<(f64, f64)>> = rules
        .iter()
        .map(|p| (p.n > 0).then(|| main.map((p.mean_predicted, p.observed))))
        .collect();
    let mut offsets = vec![0.0; rules.len()];
    let mut done = vec![false; rules.len()];
    for i in 0..rules.len() {
        if at[i].is_none() || done[i] {
            continue;
        }
        // the cluster of i: every later point near any point already in it
        let mut cluster = vec![i];
        let mut k = 0;
        while k < cluster.len() {
            let Some(b) = at[cluster[k]] else { break };
            for (j, q) in at.iter().enumerate() {
                if let Some(q) = q {
                    if !cluster.contains(&j)
                        && !done[j]
                        && (q.0 - b.0).abs() < near
                        && (q.1 - b.1).abs() < near
                    {
                        cluster.push(j);
                    }
                }
            }
            k += 1;
        }
        cluster.sort_unstable();
        let m = cluster.len() as f64;
        for (pos, &j) in cluster.iter().enumerate() {
            done[j] = true;
            if cluster.len() > 1 && px_per_x.is_finite() && px_per_x > 0.0 {
                offsets[j] = (pos as f64 - (m - 1.0) / 2.0) * 2.4 * r / px_per_x;
            }
        }
    }
    offsets
}
