//! Axes: tick choice and number formatting, the plot box with its frame, grid, ticks and
//! titles, and data drawn clipped to it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::super::style::{self, Dash, Shape};
use super::geometry::{clip_polyline, marker, polyline, round};
use super::text::{line_height, text, text_width, Anchor};
use super::{Canvas, DrawResult};

/// Tick positions between `lo` and `hi` at a 1-2-2.5-5 step giving at most `target` intervals,
/// and the number of decimals that shows them exactly.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let span = (hi - lo).abs().max(f64::EPSILON);
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let mut step = 10.0 * mag;
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if span / (m * mag) <= target as f64 + 1e-9 {
            step = m * mag;
            break;
        }
    }
    let mut decimals = (-step.log10().floor()).max(0.0) as usize;
    if ((step / 10f64.powi(-(decimals as i32))) - (step / 10f64.powi(-(decimals as i32))).round())
        .abs()
        > 1e-6
    {
        decimals += 1;
    }
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (ticks, decimals)
}

/// Round a positive axis maximum up to a readable value (0.37 -> 0.4, 0.12 -> 0.15), at most
/// `cap`.
pub(crate) fn round_up_nice(v: f64, cap: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return cap;
    }
    let mag = 10f64.powf(v.log10().floor());
    let step = if v / mag < 5.0 { mag / 2.0 } else { mag };
    ((v / step - 1e-9).ceil() * step).min(cap)
}

/// An axis spanning zero and the data range `[min, max]` plus `headroom` (a fraction of the
/// span) at the open ends, widened to the nearest ticks so the frame ends on labelled values.
/// Returns the limits and the axis spec.
pub(crate) fn axis_with_zero(
    min: f64,
    max: f64,
    headroom: f64,
    target: usize,
    title: &str,
) -> (f64, f64, AxisSpec) {
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let (lo, hi) = (finite(min).min(0.0), finite(max).max(0.0));
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let want_lo = if lo < 0.0 { lo - headroom * span } else { 0.0 };
    let want_hi = if hi > 0.0 || lo == 0.0 {
        hi.max(if lo == 0.0 && hi == 0.0 { 1.0 } else { 0.0 }) + headroom * span
    } else {
        0.0
    };
    let (ticks, _) = nice_ticks(want_lo, want_hi, target);
    let step = if ticks.len() >= 2 {
        ticks[1] - ticks[0]
    } else {
        want_hi - want_lo
    };
    let bottom = (want_lo / step + 1e-9).floor() * step;
    let top = (want_hi / step - 1e-9).ceil() * step;
    (bottom, top, AxisSpec::auto(bottom, top, target, title))
}

/// A number with `decimals` decimals (scientific from a million on), a true minus sign and no
/// "-0".
pub(crate) fn fmt_num(v: f64, decimals: usize) -> String {
    let s = if v.abs() >= 1e6 {
        format!("{v:.2e}")
    } else {
        format!("{v:.decimals$}")
    };
    let zero = s
        .trim_start_matches('-')
        .chars()
        .all(|ch| ch == '0' || ch == '.');
    if zero {
        s.trim_start_matches('-').to_string()
    } else if let Some(rest) = s.strip_prefix('-') {
        format!("\u{2212}{rest}")
    } else {
        s
    }
}

/// Data limits of an axes box.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Bounds {
    pub(super) fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
}

/// One axis: ticks, their labels, and its title.
pub(crate) struct AxisSpec {
    pub ticks: Vec<f64>,
    pub decimals: usize,
    pub title: String,
    /// Print the tick labels (off when a panel below carries them).
    pub labels: bool,
    /// Light grid lines at the ticks.
    pub grid: bool,
}

impl AxisSpec {
    /// Ticks chosen by [`nice_ticks`].
    pub fn auto(lo: f64, hi: f64, target: usize, title: &str) -> AxisSpec {
        let (ticks, decimals) = nice_ticks(lo, hi, target);
        AxisSpec {
            ticks,
            decimals,
            title: title.to_string(),
            labels: true,
            grid: true,
        }
    }

    fn label(&self, v: f64) -> String {
        fmt_num(v, self.decimals)
    }
}

/// A plot box in device pixels with its data limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axes {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub b: Bounds,
}

impl Axes {
    /// Data to device coordinates.
    pub fn map(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let fx = (x - self.b.x0) / (self.b.x1 - self.b.x0);
        let fy = (y - self.b.y0) / (self.b.y1 - self.b.y0);
        (
            self.left as f64 + fx * (self.right - self.left) as f64,
            self.bottom as f64 - fy * (self.bottom - self.top) as f64,
        )
    }

    /// Device x of data x.
    pub fn x(&self, x: f64) -> f64 {
        self.map((x, self.b.y0)).0
    }

    /// Device y of data y.
    pub fn y(&self, y: f64) -> f64 {
        self.map((self.b.x0, y)).1
    }

    /// Light grid lines at the ticks; draw before the data.
    pub fn grid<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        xs: &AxisSpec,
        ys: &AxisSpec,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let st = ShapeStyle::from(&style::GRID).stroke_width(c.stroke(1.0));
        if xs.grid {
            for &t in xs.ticks.iter().filter(|t| self.in_x(**t)) {
                let x = self.x(t).round() as i32;
                root.draw(&PathElement::new(vec![(x, self.top), (x, self.bottom)], st))?;
            }
        }
        if ys.grid {
            for &t in ys.ticks.iter().filter(|t| self.in_y(**t)) {
                let y = self.y(t).round() as i32;
                root.draw(&PathElement::new(vec![(self.left, y), (self.right, y)], st))?;
            }
        }
        Ok(())
    }

    fn in_x(&self, v: f64) -> bool {
        v >= self.b.x0 - 1e-9 && v <= self.b.x1 + 1e-9
    }

    fn in_y(&self, v: f64) -> bool {
        v >= self.b.y0 - 1e-9 && v <= self.b.y1 + 1e-9
    }

    /// Frame, outward ticks, tick labels and axis titles; draw after the data.
    pub fn frame<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        xs: &AxisSpec,
        ys: &AxisSpec,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let ink = ShapeStyle::from(&style::INK).stroke_width(c.stroke(style::LINE_AXIS));
        root.draw(&Rectangle::new(
            [(self.left, self.top), (self.right, self.bottom)],
            ink,
        ))?;
        let tick = c.px(style::TICK_LENGTH);
        let gap = c.px(4.0);
        for &t in xs.ticks.iter().filter(|t| self.in_x(**t)) {
            let x = self.x(t).round() as i32;
            root.draw(&PathElement::new(
                vec![(x, self.bottom), (x, self.bottom + tick)],
                ink,
            ))?;
            if xs.labels {
                text(
                    root,
                    c,
                    &xs.label(t),
                    (x, self.bottom + tick + gap),
                    style::FONT_TICK,
                    style::INK,
                    Anchor(HPos::Center, VPos::Top),
                    false,
                )?;
            }
        }
        if !xs.title.is_empty() {
            let y = self.bottom
                + tick
                + gap
                + if xs.labels {
                    line_height(c, style::FONT_TICK)
                } else {
                    0
                }
                + c.px(4.0);
            text(
                root,
                c,
                &xs.title,
                ((self.left + self.right) / 2, y),
                style::FONT_AXIS_TITLE,
                style::INK,
                Anchor(HPos::Center, VPos::Top),
                false,
            )?;
        }
        let mut widest = 0;
        for &t in ys.ticks.iter().filter(|t| self.in_y(**t)) {
            let y = self.y(t).round() as i32;
            root.draw(&PathElement::new(
                vec![(self.left - tick, y), (self.left, y)],
                ink,
            ))?;
            if ys.labels {
                let label = ys.label(t);
                widest = widest.max(text_width(root, c, &label, style::FONT_TICK)?);
                text(
                    root,
                    c,
                    &label,
                    (self.left - tick - gap, y),
                    style::FONT_TICK,
                    style::INK,
                    Anchor(HPos::Right, VPos::Center),
                    false,
                )?;
            }
        }
        if !ys.title.is_empty() {
            let x = self.left - tick - gap - widest - c.px(8.0) - c.px(style::FONT_AXIS_TITLE) / 2;
            text(
                root,
                c,
                &ys.title,
                (x, (self.top + self.bottom) / 2),
                style::FONT_AXIS_TITLE,
                style::INK,
                Anchor(HPos::Center, VPos::Center),
                true,
            )?;
        }
        Ok(())
    }

    /// A data polyline, clipped to the box.
    pub fn line<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        pts: &[(f64, f64)],
        color: RGBColor,
        width: f64,
        dash: Dash,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        for piece in clip_polyline(pts, &self.b) {
            let dev: Vec<(f64, f64)> = piece.iter().map(|p| self.map(*p)).collect();
            polyline(root, c, &dev, color, width, dash)?;
        }
        Ok(())
    }

    /// A translucent band between `lo` and `hi` over `xs`, clamped to the box.
    pub fn band<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        xs: &[f64],
        lo: &[f64],
        hi: &[f64],
        color: RGBColor,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let b = self.b;
        let clamp = |y: f64| y.clamp(b.y0, b.y1);
        let idx: Vec<usize> = (0..xs.len())
            .filter(|&i| xs[i] >= b.x0 && xs[i] <= b.x1)
            .collect();
        if idx.len() < 2 {
            return Ok(());
        }
        let mut poly: Vec<(i32, i32)> = Vec::with_capacity(2 * idx.len());
        for &i in &idx {
            poly.push(round(self.map((xs[i], clamp(lo[i].min(hi[i]))))));
        }
        for &i in idx.iter().rev() {
            poly.push(round(self.map((xs[i], clamp(hi[i].max(lo[i]))))));
        }
        root.draw(&Polygon::new(poly, color.mix(style::BAND_ALPHA).filled()))?;
        Ok(())
    }

    /// A vertical error bar from `lo` to `hi` at `x` with small caps, clamped to the box.
    #[allow(clippy::too_many_arguments)]
    pub fn errorbar<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        x: f64,
        lo: f64,
        hi: f64,
        color: RGBColor,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        if !self.in_x(x) {
            return Ok(());
        }
        let (lo, hi) = (lo.min(hi), hi.max(lo));
        let (ylo, yhi) = (lo.max(self.b.y0), hi.min(self.b.y1));
        if ylo > yhi {
            return Ok(());
        }
        let st = ShapeStyle::from(&color).stroke_width(c.stroke(style::LINE_ERRORBAR));
        let px = self.x(x).round() as i32;
        let (p0, p1) = (self.y(ylo).round() as i32, self.y(yhi).round() as i32);
        root.draw(&PathElement::new(vec![(px, p0), (px, p1)], st))?;
        let cap = c.px(3.5);
        if lo >= self.b.y0 {
            root.draw(&PathElement::new(vec![(px - cap, p0), (px + cap, p0)], st))?;
        }
        if hi <= self.b.y1 {
            root.draw(&PathElement::new(vec![(px - cap, p1), (px + cap, p1)], st))?;
        }
        Ok(())
    }

    /// A marker at a data point, skipped when outside the box.
    pub fn marker<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        at: (f64, f64),
        shape: Shape,
        color: RGBColor,
        radius: f64,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        if !self.b.contains(at) {
            return Ok(());
        }
        marker(root, c, self.map(at), shape, color, radius)
    }
}

/// Device pixels needed left of a plot box for the y tick labels and title.
pub(crate) fn y_axis_width<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    ys: &AxisSpec,
) -> DrawResult<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut widest = 0;
    if ys.labels {
        for &t in &ys.ticks {
            widest = widest.max(text_width(root, c, &ys.label(t), style::FONT_TICK)?);
        }
    }
    let title = if ys.title.is_empty() {
        0
    } else {
        c.px(8.0) + c.px(style::FONT_AXIS_TITLE * 1.1)
    };
    Ok(c.px(style::TICK_LENGTH) + c.px(4.0) + widest + title)
}

/// Device pixels needed below a plot box for the x tick labels and title.
pub(crate) fn x_axis_height(c: &Canvas, xs: &AxisSpec) -> i32 {
    let labels = if xs.labels {
        line_height(c, style::FONT_TICK)
    } else {
        0
    };
    let title = if xs.title.is_empty() {
        0
    } else {
        c.px(4.0) + line_height(c, style::FONT_AXIS_TITLE)
    };
    c.px(style::TICK_LENGTH) + c.px(4.0) + labels + title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_within_the_range() {
        let (t, d) = nice_ticks(0.0, 0.6, 6);
        assert_eq!(t.len(), 7);
        assert!((t[6] - 0.6).abs() < 1e-12);
        assert_eq!(d, 1);
        let (t, d) = nice_ticks(0.0, 0.25, 5);
        assert_eq!(
            t.iter().map(|v| fmt_num(*v, d)).collect::<Vec<_>>(),
            ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25"]
        );
        let (t, _) = nice_ticks(-0.02, 0.2, 5);
        assert_eq!(t.first().copied(), Some(0.0));
    }

    #[test]
    fn axis_maxima_round_up_to_readable_values() {
        assert!((round_up_nice(0.37, 1.0) - 0.4).abs() < 1e-12);
        assert!((round_up_nice(0.12, 1.0) - 0.15).abs() < 1e-12);
        assert!((round_up_nice(0.52, 1.0) - 0.6).abs() < 1e-12);
        assert_eq!(round_up_nice(0.97, 1.0), 1.0);
        assert_eq!(round_up_nice(f64::NAN, 1.0), 1.0);
        let (lo, hi, _) = axis_with_zero(-3.0, 14.2, 0.04, 5, "");
        assert!(lo < -3.0 && lo > -10.0 && hi >= 14.2 * 1.04, "{lo} {hi}");
    }

    #[test]
    fn numbers_use_a_true_minus_and_never_minus_zero() {
        assert_eq!(fmt_num(-0.0001, 2), "0.00");
        assert_eq!(fmt_num(-0.05, 2), "\u{2212}0.05");
        assert_eq!(fmt_num(2.5e7, 0), "2.50e7");
    }
}
