//! Legends and framed text boxes.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::super::style::{self, Dash, Shape};
use super::geometry::{marker, polyline};
use super::text::{line_height, text_lines, text_width, wrap};
use super::{Canvas, DrawResult};

/// What a legend entry shows next to its label.
#[derive(Clone, Copy)]
pub(crate) enum Key {
    /// A line.
    Line {
        color: RGBColor,
        width: f64,
        dash: Dash,
    },
    /// A line over a translucent band (curve with confidence band).
    LineBand {
        color: RGBColor,
        width: f64,
        dash: Dash,
    },
    /// A marker.
    Marker { shape: Shape, color: RGBColor },
    /// A marker of the given radius on a vertical error bar.
    MarkerBar {
        shape: Shape,
        color: RGBColor,
        radius: f64,
    },
    /// A translucent filled box with an outline (histogram bars).
    Fill { color: RGBColor, alpha: f64 },
}

/// One legend entry.
pub(crate) struct LegendItem {
    pub key: Key,
    pub label: String,
}

impl LegendItem {
    pub fn new(key: Key, label: impl Into<String>) -> LegendItem {
        LegendItem {
            key,
            label: label.into(),
        }
    }
}

const KEY_WIDTH: f64 = 34.0;
const KEY_GAP: f64 = 9.0;
const ROW_GAP: f64 = 7.0;

/// A legend laid out in a column of the given device width.
pub(crate) struct Legend {
    rows: Vec<(Key, Vec<String>)>,
}

impl Legend {
    pub fn new<DB>(
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        items: Vec<LegendItem>,
        width: i32,
    ) -> DrawResult<Legend>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let text_w = width - c.px(KEY_WIDTH + KEY_GAP);
        let mut rows = Vec::with_capacity(items.len());
        for item in items {
            let lines = wrap(root, c, &item.label, style::FONT_LEGEND, text_w)?;
            rows.push((item.key, lines));
        }
        Ok(Legend { rows })
    }

    /// Widest row in device pixels (key included).
    pub fn width<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult<i32>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let mut w = 0;
        for (_, lines) in &self.rows {
            for l in lines {
                w = w.max(text_width(root, c, l, style::FONT_LEGEND)?);
            }
        }
        Ok(w + c.px(KEY_WIDTH + KEY_GAP))
    }

    /// Draw with the top-left corner at `(x, y)`; returns the y below it.
    pub fn draw<DB>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Canvas,
        (x, y): (i32, i32),
    ) -> DrawResult<i32>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let lh = line_height(c, style::FONT_LEGEND);
        let mut y = y;
        for (key, lines) in &self.rows {
            let cy = y + lh / 2;
            draw_key(root, c, *key, (x, cy))?;
            text_lines(
                root,
                c,
                lines,
                (x + c.px(KEY_WIDTH + KEY_GAP), y),
                style::FONT_LEGEND,
                style::INK,
            )?;
            y += lines.len().max(1) as i32 * lh + c.px(ROW_GAP);
        }
        Ok(y)
    }
}

fn draw_key<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    key: Key,
    (x, cy): (i32, i32),
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let w = c.px(KEY_WIDTH);
    let (x0, x1, yc) = (x as f64, (x + w) as f64, cy as f64);
    let mid = (x0 + x1) / 2.0;
    match key {
        Key::Line { color, width, dash } => {
            polyline(root, c, &[(x0, yc), (x1, yc)], color, width, dash)?;
        }
        Key::LineBand { color, width, dash } => {
            let h = c.px(6.0);
            root.draw(&Rectangle::new(
                [(x, cy - h), (x + w, cy + h)],
                color.mix(style::BAND_ALPHA).filled(),
            ))?;
            polyline(root, c, &[(x0, yc), (x1, yc)], color, width, dash)?;
        }
        Key::Marker { shape, color } => {
            marker(root, c, (mid, yc), shape, color, style::MARKER_RADIUS)?;
        }
        Key::MarkerBar {
            shape,
            color,
            radius,
        } => {
            let st = ShapeStyle::from(&color).stroke_width(c.stroke(style::LINE_ERRORBAR));
            let h = c.px(8.0);
            let cap = c.px(3.5);
            let m = mid.round() as i32;
            root.draw(&PathElement::new(vec![(m, cy - h), (m, cy + h)], st))?;
            root.draw(&PathElement::new(
                vec![(m - cap, cy - h), (m + cap, cy - h)],
                st,
            ))?;
            root.draw(&PathElement::new(
                vec![(m - cap, cy + h), (m + cap, cy + h)],
                st,
            ))?;
            marker(root, c, (mid, yc), shape, color, radius)?;
        }
        Key::Fill { color, alpha } => {
            let h = c.px(7.0);
            let inset = c.px(4.0);
            let rect = [(x + inset, cy - h), (x + w - inset, cy + h)];
            root.draw(&Rectangle::new(rect, color.mix(alpha).filled()))?;
            root.draw(&Rectangle::new(
                rect,
                ShapeStyle::from(&color).stroke_width(c.stroke(1.2)),
            ))?;
        }
    }
    Ok(())
}

/// Lines of text in a light frame (statistics box); top-left at `(x, y)`, at most `width`
/// wide; returns the y below it.
pub(crate) fn text_box<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    lines: &[String],
    (x, y): (i32, i32),
    width: i32,
) -> DrawResult<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    if lines.is_empty() {
        return Ok(y);
    }
    let pad = c.px(8.0);
    let mut wrapped = Vec::new();
    for l in lines {
        wrapped.extend(wrap(root, c, l, style::FONT_CAPTION, width - 2 * pad)?);
    }
    let mut widest = 0;
    for l in &wrapped {
        widest = widest.max(text_width(root, c, l, style::FONT_CAPTION)?);
    }
    let h = wrapped.len() as i32 * line_height(c, style::FONT_CAPTION) + 2 * pad;
    root.draw(&Rectangle::new(
        [(x, y), (x + widest + 2 * pad, y + h)],
        ShapeStyle::from(&style::BOX_EDGE).stroke_width(c.stroke(1.0)),
    ))?;
    text_lines(
        root,
        c,
        &wrapped,
        (x + pad, y + pad),
        style::FONT_CAPTION,
        style::INK,
    )?;
    Ok(y + h)
}
