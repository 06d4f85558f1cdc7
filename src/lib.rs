//! regdoc: governed documents as structured source.
//!
//! The pipeline reads one way: [`source`] loads and parses files into the
//! [`model`]; [`diff`] compares two models into a [`diff::Redline`]; each
//! module under [`render`] turns a model or a redline into one artefact.
//! [`check`] validates sources beside that pipeline, and [`build`] drives
//! the whole job for `regdoc build`. The binary (`src/main.rs`, `src/cli.rs`)
//! only wires these together.
//!
//! The `pdf` feature (on by default) brings typst and everything that makes
//! PDFs; without it the library still reads, checks, diffs and writes
//! every text and Word format, which is what the fuzz targets build.

#[cfg(feature = "pdf")]
pub mod build;
pub mod check;
pub mod diff;
pub mod error;
pub mod fsutil;
pub mod lifecycle;
pub mod model;
pub mod provenance;
pub mod render;
pub mod responses;
pub mod source;
#[cfg(feature = "pdf")]
pub mod verify;
#[cfg(feature = "pdf")]
pub mod watch;

pub use error::{Error, Result};
