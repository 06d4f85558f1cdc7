//! Typst, in process: a sandboxed [`world::RegdocWorld`] and the templates.
//!
//! Source text never becomes typst markup: the document travels as JSON
//! (`/data.json`) that the templates read with `json()` and show as text.

pub mod templates;
pub mod world;

use typst::diag::SourceDiagnostic;
use typst::{World, WorldExt};
use typst_layout::PagedDocument;

use crate::error::{Error, Result};

pub use templates::Templates;
pub use world::RegdocWorld;

/// Compiles the world's main file to pages. Errors are returned, every
/// one with its place; warnings (a template of `--templates` using
/// something deprecated, say) are printed to standard error with theirs,
/// so that nothing typst says is lost. The built-in templates have none
/// (`tests/main_job.rs` checks that a build prints nothing).
pub fn compile(world: &RegdocWorld) -> Result<PagedDocument> {
    let warned = typst::compile::<PagedDocument>(world);
    for w in &warned.warnings {
        eprintln!("{}", warning_line(world, w));
    }
    warned
        .output
        .map_err(|diags| diagnostic_error(world, &diags))
}

/// One typst warning as a line: `warning: FILE:LINE:COL: typst: MESSAGE`.
fn warning_line(world: &RegdocWorld, d: &SourceDiagnostic) -> String {
    let at = match place(world, d) {
        Some((path, l, c)) => format!("{path}:{l}:{c}: "),
        None => String::new(),
    };
    crate::error::printable(&format!("warning: {at}typst: {}", d.message))
}

/// Exports pages to PDF bytes, with a stable document identifier and no
/// wall-clock time (SOURCE_DATE_EPOCH, when set, dates the PDF).
pub fn export_pdf(
    world: &RegdocWorld,
    doc: &PagedDocument,
    ident: &str,
    dated: Option<crate::model::EffectiveDate>,
) -> Result<Vec<u8>> {
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(ident.to_string()),
        creator: typst::foundations::Smart::Custom(Some(format!(
            "regdoc {}",
            env!("CARGO_PKG_VERSION")
        ))),
        timestamp: Some(source_date_epoch().unwrap_or_else(|| midnight(dated))),
        standards: standards(),
        ..Default::default()
    };
    typst_pdf::pdf(doc, &options).map_err(|diags| diagnostic_error(world, &diags))
}

/// The standards every regdoc PDF conforms to, enforced by typst at
/// export: PDF/A-3a (archival, tagged, and the only PDF/A part that may
/// carry the sources as attachments) together with PDF/UA-1 (accessible).
/// Both are specified against PDF 1.7, so typst can enforce them at once.
pub fn standards() -> typst_pdf::PdfStandards {
    use typst_pdf::PdfStandard;
    typst_pdf::PdfStandards::new(&[PdfStandard::A_3a, PdfStandard::Ua_1])
        .expect("PDF/A-3a and PDF/UA-1 share PDF 1.7")
}

/// PDF/A requires a creation date. Without SOURCE_DATE_EPOCH it is the
/// date the document gives (the day a version was approved or a draft
/// published), at midnight UTC, never the clock: same input, same bytes.
/// A file with no date at all gets the Unix epoch, as reproducible
/// archives do.
fn midnight(date: Option<crate::model::EffectiveDate>) -> typst_pdf::Timestamp {
    let d = date.unwrap_or(crate::model::EffectiveDate {
        year: 1970,
        month: 1,
        day: 1,
    });
    let dt = typst::foundations::Datetime::from_ymd_hms(d.year, d.month, d.day, 0, 0, 0)
        .or_else(|| typst::foundations::Datetime::from_ymd_hms(1970, 1, 1, 0, 0, 0))
        .expect("a valid date");
    typst_pdf::Timestamp::new_utc(dt)
}

fn source_date_epoch() -> Option<typst_pdf::Timestamp> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let d = crate::model::EffectiveDate::from_unix(secs)?;
    let rem = secs.rem_euclid(86_400);
    let dt = typst::foundations::Datetime::from_ymd_hms(
        d.year,
        d.month,
        d.day,
        (rem / 3600) as u8,
        (rem % 3600 / 60) as u8,
        (rem % 60) as u8,
    )?;
    Some(typst_pdf::Timestamp::new_utc(dt))
}

/// typst's errors as one located regdoc error: the first where it is,
/// every other one listed after it with its own place, so a template
/// author sees them all at once.
fn diagnostic_error(world: &RegdocWorld, diags: &[SourceDiagnostic]) -> Error {
    let Some(first) = diags.first() else {
        return Error::input("typst failed without a message");
    };
    let mut message = format!("typst: {}", first.message);
    for d in &diags[1..] {
        match place(world, d) {
            Some((path, l, c)) => {
                message.push_str(&format!("\n  also {path}:{l}:{c}: {}", d.message))
            }
            None => message.push_str(&format!("\n  also: {}", d.message)),
        }
    }
    let mut err = Error::input(message);
    if let Some((path, l, c)) = place(world, first) {
        err = err.with_path(path).at(l, c);
    }
    if let Some(h) = first.hints.first() {
        err = err.help(h.v.to_string());
    }
    err
}

/// The file, line and column of a diagnostic, when it has a place.
fn place(world: &RegdocWorld, d: &SourceDiagnostic) -> Option<(String, usize, usize)> {
    let id = d.span.id()?;
    let source = world.source(id).ok()?;
    let range = world.range(d.span)?;
    let (l, c) = crate::error::line_col(source.text(), range.start);
    Some((world.describe(id), l, c))
}
