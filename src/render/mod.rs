//! Renderers: each turns a model or a [`crate::diff::Redline`] into one
//! artefact and knows nothing of the others.

pub mod data;
pub mod docx;
pub mod html;
pub mod json;
pub mod markdown;
#[cfg(feature = "pdf")]
pub mod pdf;
#[cfg(feature = "pdf")]
pub mod pdfmeta;
pub mod terminal;
#[cfg(feature = "pdf")]
pub mod typst;
