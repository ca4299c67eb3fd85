//! One visual vocabulary for every figure: the Okabe-Ito palette (safe for the common forms of
//! colour-blindness and distinct in greyscale when paired with the marker shapes and dash
//! patterns below), font sizes, line widths.
//!
//! All sizes are in SVG pixels of the 800 x 600 figure; the PNG is drawn at [`PNG_SCALE`] times
//! that size, so every size is multiplied by the same factor there.
//!
//! The same index gives the same colour, marker and dash in every plot: pass the rules in the
//! same order to the calibration, ROC and decision-curve plots and the two-year rule keeps its
//! orange triangle everywhere.

use plotters::style::RGBColor;

/// SVG canvas size in pixels (width, height).
pub const SVG_SIZE: (u32, u32) = (800, 600);
/// PNG pixels per SVG pixel: 1600 x 1200, sharp at a two-column width at 300 dpi.
pub const PNG_SCALE: u32 = 2;

/// Font family written into the SVG: the embedded font first (the layout was measured with
/// it), then look-alikes. The embedded font is registered under this name and `sans-serif`.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

/// Okabe-Ito black.
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
/// Okabe-Ito orange.
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
/// Okabe-Ito sky blue.
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
/// Okabe-Ito bluish green.
pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
/// Okabe-Ito yellow (only with a dark outline: too light for lines on white).
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
/// Okabe-Ito blue.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe-Ito vermillion.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Okabe-Ito reddish purple.
pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);

/// Text and axes: near-black, softer than pure black on screen, black in print.
pub const INK: RGBColor = RGBColor(25, 25, 25);
/// Caption text under the figure.
pub const CAPTION: RGBColor = RGBColor(55, 55, 55);
/// Reference lines (ideal diagonal, chance line, continue-all).
pub const REFERENCE: RGBColor = RGBColor(110, 110, 110);
/// Major grid lines.
pub const GRID: RGBColor = RGBColor(232, 232, 232);
/// Frames of legend and statistics boxes.
pub const BOX_EDGE: RGBColor = RGBColor(190, 190, 190);

/// Patients with the event (bone event by the horizon).
pub const EVENTS: RGBColor = VERMILLION;
/// Patients without the event.
pub const NON_EVENTS: RGBColor = RGBColor(120, 120, 120);

/// Models (smoothed calibration curve, ROC curve, net benefit), by index.
pub const MODEL_COLORS: [RGBColor; 3] = [BLUE, BLACK, REDDISH_PURPLE];
/// Comparator rules, by index; paired with [`RULE_SHAPES`] and [`RULE_DASHES`].
pub const RULE_COLORS: [RGBColor; 5] = [ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, YELLOW];
/// Marker shape of rule `i` (a second channel besides colour, for greyscale print).
pub const RULE_SHAPES: [Shape; 5] = [
    Shape::TriangleUp,
    Shape::Square,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Circle,
];
/// Dash pattern of rule `i` when drawn as a line (decision curves).
pub const RULE_DASHES: [Dash; 5] = [
    Dash::Dashed,
    Dash::DashDot,
    Dash::LongDash,
    Dash::Dotted,
    Dash::Dashed,
];
/// Biomarker lines in the trajectory plot, by marker index.
pub const MARKER_COLORS: [RGBColor; 4] = [BLUISH_GREEN, REDDISH_PURPLE, ORANGE, SKY_BLUE];

/// Opacity of confidence bands.
pub const BAND_ALPHA: f64 = 0.22;
/// Opacity of overlaid histogram fills.
pub const HIST_ALPHA: f64 = 0.35;

/// Figure title.
pub const FONT_TITLE: f64 = 20.0;
/// Axis titles ("Predicted 24-month risk ..."): 34 px in the PNG.
pub const FONT_AXIS_TITLE: f64 = 17.0;
/// Tick labels: 32 px in the PNG.
pub const FONT_TICK: f64 = 16.0;
/// Legend entries.
pub const FONT_LEGEND: f64 = 15.0;
/// Caption under the figure, statistics box and in-plot annotations.
pub const FONT_CAPTION: f64 = 14.0;

/// Main data lines (model curves).
pub const LINE_MAIN: f64 = 2.5;
/// Rule lines and marker series.
pub const LINE_RULE: f64 = 2.0;
/// Reference lines (ideal, chance, continue-all, stop-all).
pub const LINE_REFERENCE: f64 = 1.5;
/// Axis frame and ticks.
pub const LINE_AXIS: f64 = 1.0;
/// Error bars.
pub const LINE_ERRORBAR: f64 = 1.2;
/// Marker radius of rule points and legend keys.
pub const MARKER_RADIUS: f64 = 6.0;
/// Marker radius of grouped (decile) points: smaller than rule points, which often sit among
/// them at low risk.
pub const GROUP_RADIUS: f64 = 4.2;
/// Marker radius of visits in the trajectory plot.
pub const VISIT_RADIUS: f64 = 3.5;
/// Tick length, outside the frame.
pub const TICK_LENGTH: f64 = 5.0;
/// Outer margin of the figure.
pub const MARGIN: f64 = 14.0;

/// Decision curves: the y axis starts this fraction of its top below zero, so strategies worse
/// than stop-all show as dipping under the zero line and are then clipped (as `dcurves`).
pub const DCA_FLOOR_FRACTION: f64 = 0.1;

/// Marker shapes, drawn filled with a thin dark outline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Filled circle.
    Circle,
    /// Triangle pointing up.
    TriangleUp,
    /// Square.
    Square,
    /// Diamond (square rotated by 45 degrees).
    Diamond,
    /// Triangle pointing down.
    TriangleDown,
}

/// Line dash patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    /// Continuous line.
    Solid,
    /// Medium dashes.
    Dashed,
    /// Long dashes.
    LongDash,
    /// Dots.
    Dotted,
    /// Dash, dot.
    DashDot,
}

impl Dash {
    /// On/off lengths in SVG pixels, repeated along the line; empty for a solid line.
    pub fn pattern(self) -> &'static [f64] {
        match self {
            Dash::Solid => &[],
            Dash::Dashed => &[7.0, 4.5],
            Dash::LongDash => &[14.0, 5.0],
            Dash::Dotted => &[2.0, 3.5],
            Dash::DashDot => &[9.0, 3.5, 2.0, 3.5],
        }
    }
}

/// Colour of model `i` (cycles).
pub fn model_color(i: usize) -> RGBColor {
    MODEL_COLORS[i % MODEL_COLORS.len()]
}

/// Colour, marker and dash of rule `i` (cycles).
pub fn rule_style(i: usize) -> (RGBColor, Shape, Dash) {
    (
        RULE_COLORS[i % RULE_COLORS.len()],
        RULE_SHAPES[i % RULE_SHAPES.len()],
        RULE_DASHES[i % RULE_DASHES.len()],
    )
}

/// Colour of biomarker `i` in the trajectory plot (cycles).
pub fn marker_color(i: usize) -> RGBColor {
    MARKER_COLORS[i % MARKER_COLORS.len()]
}
