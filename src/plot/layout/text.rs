//! Text: measuring, anchoring (with the bitmap baseline correction), wrapping, title and
//! caption.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontTransform};

use super::super::style;
use super::{Canvas, DrawResult};

fn font(c: &Canvas, size: f64) -> FontDesc<'static> {
    FontDesc::new(
        FontFamily::Name(style::FONT_FAMILY),
        c.pxf(size),
        FontStyle::Normal,
    )
}

/// Width of `s` in device pixels at font `size` (SVG pixels).
pub(crate) fn text_width<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    s: &str,
    size: f64,
) -> DrawResult<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    if s.is_empty() {
        return Ok(0);
    }
    let style = TextStyle::from(font(c, size));
    Ok(root.estimate_text_size(s, &style)?.0 as i32)
}

/// Nominal line height in device pixels for font `size`.
pub(crate) fn line_height(c: &Canvas, size: f64) -> i32 {
    c.px(size * 1.3)
}

/// Where a text is anchored.
#[derive(Clone, Copy)]
pub(crate) struct Anchor(pub HPos, pub VPos);

/// Draw `s` at device position `at` with the given anchor; `rotate` turns it to read upwards.
#[allow(clippy::too_many_arguments)]
pub(crate) fn text<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    s: &str,
    at: (i32, i32),
    size: f64,
    color: RGBColor,
    anchor: Anchor,
    rotate: bool,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    if s.is_empty() {
        return Ok(());
    }
    let mut f = font(c, size);
    if rotate {
        f = f.transform(FontTransform::Rotate270);
    }
    let style = TextStyle::from(f)
        .color(&color)
        .pos(Pos::new(anchor.0, anchor.1));
    // ab_glyph puts the baseline about 0.11 em-box higher than an SVG renderer would.
    let shift = if c.bitmap {
        (0.11 * c.pxf(size)).round() as i32
    } else {
        0
    };
    let at = if rotate {
        (at.0 + shift, at.1)
    } else {
        (at.0, at.1 + shift)
    };
    root.draw_text(s, &style, at)?;
    Ok(())
}

/// Split `s` into lines no wider than `max_width` device pixels, breaking at ASCII spaces only
/// (a no-break space keeps "n\u{a0}=\u{a0}600" together; explicit `\n` kept; a word longer than
/// the width gets a line of its own).
pub(crate) fn wrap<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    s: &str,
    size: f64,
    max_width: i32,
) -> DrawResult<Vec<String>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut lines = Vec::new();
    for paragraph in s.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && text_width(root, c, &candidate, size)? > max_width {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// Draw lines of text top-down from `(x, y)`, left-aligned; returns the y below the last line.
pub(crate) fn text_lines<DB>(
    root: &DrawingArea<DB, Shift>,
    c: &Canvas,
    lines: &[String],
    (x, y): (i32, i32),
    size: f64,
    color: RGBColor,
) -> DrawResult<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let lh = line_height(c, size);
    let mut y = y;
    for line in lines {
        text(
            root,
            c,
            line,
            (x, y + lh / 2),
            size,
            color,
            Anchor(HPos::Left, VPos::Center),
            false,
        )?;
        y += lh;
    }
    Ok(y)
}

/// Title at the top-left; returns the y where the content below may start.
pub(crate) fn title<DB>(root: &DrawingArea<DB, Shift>, c: &Canvas, s: &str) -> DrawResult<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let top = c.px(style::MARGIN);
    if s.trim().is_empty() {
        return Ok(top);
    }
    let lines = wrap(
        root,
        c,
        s,
        style::FONT_TITLE,
        c.width - 2 * c.px(style::MARGIN),
    )?;
    let bottom = text_lines(
        root,
        c,
        &lines,
        (c.px(style::MARGIN), top),
        style::FONT_TITLE,
        style::INK,
    )?;
    Ok(bottom + c.px(6.0))
}

/// The caption block, wrapped to the figure width, measured before layout.
pub(crate) struct Caption {
    lines: Vec<String>,
}

impl Caption {
    pub fn new<DB>(root: &DrawingArea<DB, Shift>, c: &Canvas, s: &str) -> DrawResult<Caption>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let width = c.width - 2 * c.px(style::MARGIN);
        Ok(Caption {
            lines: wrap(root, c, s, style::FONT_CAPTION, width)?,
        })
    }

    /// Device pixels the caption takes at the bottom of the figure, margin included.
    pub fn height(&self, c: &Canvas) -> i32 {
        if self.lines.is_empty() {
            c.px(style::MARGIN)
        } else {
            self.lines.len() as i32 * line_height(c, style::FONT_CAPTION) + c.px(style::MARGIN)
        }
    }

    /// Draw at the bottom-left of the figure.
    pub fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.draw_at(root, c, c.height - self.height(c) + c.px(2.0))
    }

    /// Draw with its first line at device y `top` (right under a plot that does not fill the
    /// height).
    pub fn draw_at<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas, top: i32) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        text_lines(
            root,
            c,
            &self.lines,
            (c.px(style::MARGIN), top),
            style::FONT_CAPTION,
            style::CAPTION,
        )?;
        Ok(())
    }
}
