//! Publication figures from result structs: calibration, ROC, decision curves, risk
//! distributions and patient trajectories, each rendered to SVG (800 x 600) and PNG
//! (1600 x 1200).
//!
//! Plots only draw: they take small input structs filled from computed results (never patient
//! rows), check them, and return a [`Figure`]. Text is drawn with the DejaVu Sans font embedded
//! in the binary, so rendering needs no system fonts; the SVG asks for DejaVu Sans, then
//! look-alikes, then `sans-serif` ([`style::FONT_FAMILY`]).
//!
//! ```
//! use mbdrisk::plot::{roc_plot, RocCurve, RocPlotData, RulePointRoc};
//! let data = RocPlotData {
//!     curves: vec![RocCurve {
//!         name: "Model".into(),
//!         points: vec![(0.0, 0.0), (0.2, 0.6), (0.5, 0.9), (1.0, 1.0)],
//!         auc: 0.8,
//!     }],
//!     rules: vec![RulePointRoc { name: "Two-year rule".into(), fpr: 0.45, tpr: 0.8 }],
//!     caption: "n = 200, events = 40".into(),
//! };
//! let fig = roc_plot(&data).expect("plot");
//! assert!(fig.svg.contains("Two-year rule"));
//! assert!(fig.png.starts_with(b"\x89PNG"));
//! ```

mod calibration;
mod decision;
mod distribution;
mod layout;
mod roc;
pub mod style;
mod trajectory;

pub use calibration::{calibration_plot, CalibrationPlotData, CurvePoint, GroupPoint, RulePoint};
pub use decision::{decision_curve_plot, DecisionCurveData, NetBenefitSeries, SeriesKind};
pub use distribution::{risk_distribution_plot, RiskDistributionData};
pub use roc::{roc_plot, RocCurve, RocPlotData, RulePointRoc};
pub use trajectory::{trajectory_plot, MarkerSeries, TrajectoryData};

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Error;
use layout::{Canvas, DrawResult};

/// The event a plot names when its data do not say (the MM profile's).
fn default_event() -> String {
    "bone event".into()
}

/// The horizon a plot names when its data do not say (the MM profile's).
fn default_horizon() -> String {
    "24-month".into()
}

/// "Predicted 24-month risk of bone event", or "Predicted risk of death" without a horizon.
pub(crate) fn risk_title(horizon: &str, event: &str) -> String {
    if horizon.is_empty() {
        format!("Predicted risk of {event}")
    } else {
        format!("Predicted {horizon} risk of {event}")
    }
}

/// A rendered figure: the same drawing as SVG text and as PNG bytes.
#[derive(Debug, Clone)]
pub struct Figure {
    /// SVG document, 800 x 600 pixels, text as `<text>` in `sans-serif`.
    pub svg: String,
    /// PNG file contents, 1600 x 1200 pixels, RGB.
    pub png: Vec<u8>,
}

impl Figure {
    /// Add `stem.svg` and `stem.png` to a set of outputs.
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be staged.
    pub fn stage(&self, set: &mut crate::io::OutputSet, stem: &str) -> crate::Result<()> {
        set.write_str(&format!("{stem}.svg"), &self.svg)?;
        set.write_bytes(&format!("{stem}.png"), &self.png)
    }

    /// Write `dir/stem.svg` and `dir/stem.png` as one set (both new or both old).
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or a file cannot be written.
    pub fn write(&self, dir: &Path, stem: &str) -> crate::Result<()> {
        let mut set = crate::io::OutputSet::begin(dir)?;
        self.stage(&mut set, stem)?;
        set.commit()
    }
}

/// Why a plot could not be drawn. Bad input data gives an error, never a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Nothing to draw.
    #[error("{plot} plot: nothing to draw: {what} is empty")]
    Empty {
        /// Which plot.
        plot: &'static str,
        /// Which input field.
        what: String,
    },
    /// A NaN or infinite value where a number is needed.
    #[error("{plot} plot: {what}[{index}] is {value}, expected a finite number")]
    NonFinite {
        /// Which plot.
        plot: &'static str,
        /// Which input field.
        what: String,
        /// 0-based position in that field.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// A finite value outside its possible range (a probability above 1).
    #[error("{plot} plot: {what}[{index}] is {value}, expected a value in {expected}")]
    OutOfRange {
        /// Which plot.
        plot: &'static str,
        /// Which input field.
        what: String,
        /// 0-based position in that field.
        index: usize,
        /// The value found.
        value: f64,
        /// The allowed range, e.g. "[0, 1]".
        expected: &'static str,
    },
    /// Two fields that must be parallel have different lengths.
    #[error("{plot} plot: {what} has {found} values, expected {expected} (one per {per})")]
    LengthMismatch {
        /// Which plot.
        plot: &'static str,
        /// Which input field.
        what: String,
        /// Its length.
        found: usize,
        /// The length it must have.
        expected: usize,
        /// What it must be parallel to.
        per: &'static str,
    },
    /// The embedded font could not be registered.
    #[error("embedded font DejaVu Sans could not be loaded: {0}")]
    Font(String),
    /// The drawing backend failed.
    #[error("drawing the {format} failed: {detail}")]
    Backend {
        /// "SVG" or "PNG".
        format: &'static str,
        /// The backend's message.
        detail: String,
    },
    /// The temporary file the PNG encoder writes to could not be used.
    #[error("temporary PNG file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<PlotError> for Error {
    fn from(e: PlotError) -> Error {
        match e {
            PlotError::Io(source) => Error::io(std::env::temp_dir(), source),
            other => Error::Analysis(other.to_string()),
        }
    }
}

/// The embedded font (DejaVu Sans, licence in `assets/fonts/LICENSE-DejaVu.txt`).
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the embedded font as `sans-serif` (and as [`style::FONT_FAMILY`], the name the
/// plots use) once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for name in ["sans-serif", style::FONT_FAMILY] {
                plotters::style::register_font(name, FontStyle::Normal, FONT_BYTES)
                    .map_err(|_| "not a valid TrueType font".to_string())?;
            }
            Ok(())
        })
        .clone()
        .map_err(PlotError::Font)
}

/// A plot that can draw itself on any backend; implemented by each input struct.
pub(crate) trait Draw {
    /// Draw on `root` (already filled white) at the canvas' scale.
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, c: &Canvas) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

/// Draw `plot` twice, as SVG and as PNG.
pub(crate) fn render<T: Draw>(plot: &T) -> Result<Figure, PlotError> {
    ensure_font()?;
    let (w, h) = style::SVG_SIZE;
    let backend_err = |format: &'static str| {
        move |e: Box<dyn std::error::Error + Send + Sync>| PlotError::Backend {
            format,
            detail: e.to_string(),
        }
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        let c = Canvas::new(1.0, (w, h), false);
        draw_on(&root, &c, plot).map_err(backend_err("SVG"))?;
    }

    // plotters can only encode a PNG to a file (its `image` dependency is not ours to call),
    // so the bitmap goes through a private temporary folder.
    let s = style::PNG_SCALE;
    let tmp = tempfile::Builder::new().prefix("mbdrisk-plot-").tempdir()?;
    let path = tmp.path().join("figure.png");
    {
        let root = BitMapBackend::new(&path, (w * s, h * s)).into_drawing_area();
        let c = Canvas::new(f64::from(s), (w * s, h * s), true);
        draw_on(&root, &c, plot).map_err(backend_err("PNG"))?;
    }
    let png = std::fs::read(&path)?;
    Ok(Figure { svg, png })
}

fn draw_on<DB, T>(root: &DrawingArea<DB, Shift>, c: &Canvas, plot: &T) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    T: Draw,
{
    root.fill(&WHITE)?;
    plot.draw(root, c)?;
    root.present()?;
    Ok(())
}

/// Input checks shared by the plots: each names the plot and the field.
pub(crate) mod check {
    use super::PlotError;

    /// `len > 0`.
    pub fn non_empty(plot: &'static str, what: &str, len: usize) -> Result<(), PlotError> {
        if len == 0 {
            return Err(PlotError::Empty {
                plot,
                what: what.to_string(),
            });
        }
        Ok(())
    }

    /// Every value finite.
    pub fn finite(
        plot: &'static str,
        what: &str,
        values: impl IntoIterator<Item = f64>,
    ) -> Result<(), PlotError> {
        for (index, value) in values.into_iter().enumerate() {
            if !value.is_finite() {
                return Err(PlotError::NonFinite {
                    plot,
                    what: what.to_string(),
                    index,
                    value,
                });
            }
        }
        Ok(())
    }

    /// Every value a probability: finite and in [0, 1].
    pub fn probability(
        plot: &'static str,
        what: &str,
        values: impl IntoIterator<Item = f64>,
    ) -> Result<(), PlotError> {
        for (index, value) in values.into_iter().enumerate() {
            if !value.is_finite() {
                return Err(PlotError::NonFinite {
                    plot,
                    what: what.to_string(),
                    index,
                    value,
                });
            }
            if !(0.0..=1.0).contains(&value) {
                return Err(PlotError::OutOfRange {
                    plot,
                    what: what.to_string(),
                    index,
                    value,
                    expected: "[0, 1]",
                });
            }
        }
        Ok(())
    }

    /// `found == expected`.
    pub fn same_len(
        plot: &'static str,
        what: &str,
        found: usize,
        expected: usize,
        per: &'static str,
    ) -> Result<(), PlotError> {
        if found != expected {
            return Err(PlotError::LengthMismatch {
                plot,
                what: what.to_string(),
                found,
                expected,
                per,
            });
        }
        Ok(())
    }
}
