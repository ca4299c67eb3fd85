//! The HTML report: built from result structs and figures, never from patient rows.

pub mod html;
