//! Drawing primitives shared by the plots: a pixel-exact axes box with ticks and titles,
//! clipping, dashed lines, markers, confidence bands, legends and wrapped captions.
//!
//! Plots lay themselves out in device pixels (SVG pixels times the canvas scale) and draw on
//! the root area with these helpers; plotters' chart builder is not used, so the plot box, the
//! legend and the caption are placed exactly and data never spills over the frame.

mod axes;
mod geometry;
mod legend;
mod text;

pub(crate) use axes::*;
pub(crate) use geometry::*;
pub(crate) use legend::*;
pub(crate) use text::*;

/// Result of a drawing step; backend errors are boxed and turned into `PlotError::Backend`.
pub(crate) type DrawResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The drawing surface: how many device pixels per SVG pixel, and its size.
pub(crate) struct Canvas {
    /// Device pixels per SVG pixel (1 for SVG, 2 for PNG).
    pub scale: f64,
    /// Width in device pixels.
    pub width: i32,
    /// Height in device pixels.
    pub height: i32,
    /// The bitmap font rasteriser places glyphs higher than SVG text; corrected in [`text`].
    pub bitmap: bool,
}

impl Canvas {
    pub fn new(scale: f64, (w, h): (u32, u32), bitmap: bool) -> Canvas {
        Canvas {
            scale,
            width: w as i32,
            height: h as i32,
            bitmap,
        }
    }

    /// SVG pixels to device pixels, rounded.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    /// SVG pixels to device pixels.
    pub fn pxf(&self, v: f64) -> f64 {
        v * self.scale
    }

    /// Stroke width in device pixels, at least 1.
    pub fn stroke(&self, v: f64) -> u32 {
        (v * self.scale).round().max(1.0) as u32
    }
}
