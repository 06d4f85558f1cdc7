//! Renderers: each turns a model or a [`crate::diff::Redline`] into one
//! artefact and knows nothing of the others.

pub mod data;
pub mod docx;
pub mod html;
pub mod json;
pub mod markdown;
pub mod pdf;
pub mod pdfmeta;
pub mod terminal;
pub mod typst;
