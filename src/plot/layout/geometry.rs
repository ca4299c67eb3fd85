//! Geometry in device pixels: clipping, dashed polylines, markers, staggered flag labels.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::super::style::{self, Dash, Shape};
use super::axes::Bounds;
use super::{Canvas, DrawResult};

/// Clip one segment to the box (Liang-Barsky); `None` when it lies outside.
fn clip_segment(a: (f64, f64), b: (f64, f64), bd: &Bounds) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.0 - bd.x0),
        (dx, bd.x1 - a.0),
        (-dy, a.1 - bd.y0),
        (dy, bd.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// The parts of a polyline inside the box, each a polyline of its own.
pub(crate) fn clip_polyline(pts: &[(f64, f64)], bd: &Bounds) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    if pts.len() == 1 {
        if bd.contains(pts[0]) {
            out.push(vec![pts[0]]);
        }
        return out;
    }
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], bd) {
            Some((p, q)) => {
                if current.is_empty() {
                    current.push(p);
                } else if current.last() != Some(&p) {
                    out.push(std::mem::take(&mut current));
                    current.push(p);
                }
                current.push(q);
                if q != w[1] {
                    out.push(std::mem::take(&mut current));
                }
            }
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A device-space polyline with a dash pattern.
pub(crate) fn polyline<DB>(
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
    let st = ShapeStyle::from(&color).stroke_width(c.stroke(width));
    let pattern: Vec<f64> = dash.pattern().iter().map(|v| c.pxf(*v)).collect();
    let pieces = if pattern.is_empty() {
        vec![pts.to_vec()]
    } else {
        dash_pieces(pts, &pattern)
    };
    for piece in pieces {
        let mut dev: Vec<(i32, i32)> = piece.into_iter().map(round).collect();
        dev.dedup();
        if dev.len() == 1 {
            dev.push(dev[0]);
        }
        if !dev.is_empty() {
            root.draw(&PathElement::new(dev, st))?;
        }
    }
    Ok(())
}

/// Split a polyline into the "on" pieces of a repeating on/off pattern.
fn dash_pieces(pts: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut k = 0usize; // index in pattern; even = on
    let mut left = pattern[0]; // length left in the current phase
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut pos = 0.0;
        if k % 2 == 0 && current.is_empty() {
            current.push(a);
        }
        while len - pos > left {
            pos += left;
            let t = pos / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if k % 2 == 0 {
                current.push(p);
                out.push(std::mem::take(&mut current));
            } else {
                current.push(p);
            }
            k = (k + 1) % pattern.len();
            left = pattern[k];
        }
        left -= len - pos;
        if k % 2 == 0 {
            current.push(b);
        }
    }
    if current.len() > 1 {
        out.push(current);
    }
    out
}

/// A filled marker with a thin dark outline, centred at a device point.
pub(crate) fn marker<DB>(
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
    let r = c.pxf(radius);
    let edge = ShapeStyle::from(&style::INK).stroke_width(c.stroke(0.8));
    if shape == Shape::Circle {
        let centre = round(at);
        let rr = r.round() as i32;
        root.draw(&Circle::new(centre, rr, color.filled()))?;
        root.draw(&Circle::new(centre, rr, edge))?;
        return Ok(());
    }
    let poly: Vec<(f64, f64)> = match shape {
        Shape::TriangleUp => regular(at, r * 1.3, 3, -90.0, 0.25 * r),
        Shape::TriangleDown => regular(at, r * 1.3, 3, 90.0, -0.25 * r),
        Shape::Square => regular(at, r * 1.25, 4, 45.0, 0.0),
        Shape::Diamond => regular(at, r * 1.35, 4, 0.0, 0.0),
        Shape::Circle => unreachable!("handled above"),
    };
    let pts: Vec<(i32, i32)> = poly.iter().copied().map(round).collect();
    root.draw(&Polygon::new(pts.clone(), color.filled()))?;
    let mut outline = pts;
    outline.push(outline[0]);
    root.draw(&PathElement::new(outline, edge))?;
    Ok(())
}

/// Vertices of a regular polygon of circumradius `r`, first vertex at angle `start` degrees
/// (0 = right, -90 = up), shifted down by `dy` to centre its area.
fn regular(at: (f64, f64), r: f64, n: usize, start: f64, dy: f64) -> Vec<(f64, f64)> {
    (0..n)
        .map(|k| {
            let a = (start + 360.0 * k as f64 / n as f64).to_radians();
            (at.0 + r * a.cos(), at.1 + r * a.sin() + dy)
        })
        .collect()
}

/// Assign flag labels to rows above a plot so that labels in one row do not overlap.
///
/// Each label is a device x-span starting at its flag pole (the vertical line it labels).
/// Labels are placed right to left, row 0 nearest the plot: a pole dropping from a higher row
/// then never crosses a label in a lower row, which starts further right. Returns the row of
/// each label.
pub(crate) fn stagger(spans: &[(i32, i32)], gap: i32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(spans[i].0));
    let mut row_start: Vec<i32> = Vec::new();
    let mut rows = vec![0; spans.len()];
    for i in order {
        let (l, r) = spans[i];
        match row_start.iter().position(|&start| r + gap < start) {
            Some(k) => {
                row_start[k] = l;
                rows[i] = k;
            }
            None => {
                row_start.push(l);
                rows[i] = row_start.len() - 1;
            }
        }
    }
    rows
}

/// Device point rounded to whole pixels.
pub(super) fn round((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: Bounds = Bounds {
        x0: 0.0,
        x1: 1.0,
        y0: 0.0,
        y1: 1.0,
    };

    #[test]
    fn polyline_leaving_and_reentering_the_box_splits_in_two() {
        let pts = [(0.0, 0.5), (0.5, 1.5), (1.0, 0.5)];
        let parts = clip_polyline(&pts, &UNIT);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0][0], (0.0, 0.5));
        assert!((parts[0][1].1 - 1.0).abs() < 1e-12);
        assert!((parts[1][0].1 - 1.0).abs() < 1e-12);
        assert_eq!(*parts[1].last().expect("end"), (1.0, 0.5));
    }

    #[test]
    fn polyline_inside_stays_whole_and_outside_vanishes() {
        let inside = [(0.1, 0.1), (0.5, 0.4), (0.9, 0.2)];
        assert_eq!(clip_polyline(&inside, &UNIT), vec![inside.to_vec()]);
        assert!(clip_polyline(&[(2.0, 2.0), (3.0, 3.0)], &UNIT).is_empty());
    }

    #[test]
    fn dashes_cover_the_on_phases_only() {
        let pieces = dash_pieces(&[(0.0, 0.0), (10.0, 0.0)], &[2.0, 3.0]);
        let starts: Vec<f64> = pieces.iter().map(|p| p[0].0).collect();
        assert_eq!(starts, [0.0, 5.0]);
        assert!((pieces[1].last().expect("end").0 - 7.0).abs() < 1e-12);
    }

    #[test]
    fn overlapping_flags_go_to_higher_rows_right_to_left() {
        // Flags at 100, 110, 300: the two left ones overlap.
        let rows = stagger(&[(100, 180), (110, 200), (300, 350)], 4);
        assert_eq!(rows, [1, 0, 0]);
    }
}
