//! Typst, in process: a sandboxed [`world::RegdocWorld`] and the templates.
//!
//! Source text never becomes typst markup: the document travels as JSON
//! (`/data.json`) that the templates read with `json()` and show as text.

pub mod chunk;
mod frames;
pub mod stamp;
pub mod templates;
pub mod world;

use typst::diag::SourceDiagnostic;
use typst::{World, WorldExt};
use typst_layout::PagedDocument;

use crate::error::{Error, Result};

pub use templates::Templates;
pub use world::RegdocWorld;

/// Makes JSON text or template data safe to draw: every character no
/// font of `fonts` has replaced by its code point, `[U+0D06]`, counting
/// how many different ones and the first. PDF/A forbids a missing
/// glyph, so without this one Malayalam letter or emoji in a document
/// would make its whole PDF impossible; shown by code point, the reader
/// sees that something is there and what; so is a control character
/// (but tab and line breaks). White space and characters that are never
/// drawn (joiners, variation selectors) are left alone. Names built from text (heading labels and the links to
/// them) change alike, so they still match.
///
/// One [`GlyphSafe`] goes over all the JSON of one render, and counts
/// what it replaced.
pub(crate) struct GlyphSafe<'f> {
    fonts: &'f world::Fonts,
    known: std::collections::HashMap<char, bool>,
    first: Option<char>,
}

impl<'f> GlyphSafe<'f> {
    pub(crate) fn new(fonts: &'f world::Fonts) -> Self {
        GlyphSafe {
            fonts,
            known: Default::default(),
            first: None,
        }
    }

    /// JSON text, made safe.
    pub(crate) fn json(&mut self, json: Vec<u8>) -> Vec<u8> {
        let Ok(text) = String::from_utf8(json) else {
            unreachable!("serde_json writes UTF-8")
        };
        let text = self.controls(text);
        match self.text(&text) {
            Some(safe) => safe.into_bytes(),
            None => text.into_bytes(),
        }
    }

    /// JSON text with every control character a string holds (other than
    /// tab, line feed and carriage return) shown by code point: typst can
    /// draw none of them, and one (a BEL) made the whole PDF fail with an
    /// error in the built-in template. serde_json writes them as escapes
    /// (`\u0007`, `\b`, `\f`); DEL and the C1 controls come raw and are
    /// left to [`GlyphSafe::text`].
    fn controls(&mut self, json: String) -> String {
        if !json.contains("\\u00") && !json.contains("\\b") && !json.contains("\\f") {
            return json;
        }
        let mut out = String::with_capacity(json.len() + 16);
        let mut chars = json.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let control = match chars.peek().map(|&(_, n)| n) {
                Some('b') => Some('\u{8}'),
                Some('f') => Some('\u{c}'),
                Some('u') => json
                    .get(i + 2..i + 6)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                    .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
                _ => None,
            };
            match control {
                Some(ctl) => {
                    let width = if matches!(chars.peek(), Some((_, 'u'))) {
                        5
                    } else {
                        1
                    };
                    for _ in 0..width {
                        chars.next();
                    }
                    self.first.get_or_insert(ctl);
                    self.known.insert(ctl, false);
                    out.push_str(&code_point(ctl));
                }
                // Any other escape (`\\`, `\"`, `\n`, `\u00e9`) as it is.
                None => {
                    out.push(c);
                    if let Some((_, n)) = chars.next() {
                        out.push(n);
                    }
                }
            }
        }
        out
    }

    /// `text` made safe, or `None` if it already is.
    fn text(&mut self, text: &str) -> Option<String> {
        if text.is_ascii() && !text.contains('\x7f') {
            return None;
        }
        let mut out: Option<String> = None;
        for (i, c) in text.char_indices() {
            if drawable(c, self.fonts, &mut self.known) {
                if let Some(o) = &mut out {
                    o.push(c);
                }
            } else {
                self.first.get_or_insert(c);
                let o = out.get_or_insert_with(|| {
                    let mut o = String::with_capacity(text.len() + 16);
                    o.push_str(&text[..i]);
                    o
                });
                o.push_str(&code_point(c));
            }
        }
        out
    }

    /// How many different characters were replaced, and the first.
    pub(crate) fn finish(self) -> (usize, Option<char>) {
        let different = self.known.values().filter(|&&has| !has).count();
        (different, self.first)
    }
}

/// Whether typst can draw `c` with `fonts` (or need not draw it).
fn drawable(
    c: char,
    fonts: &world::Fonts,
    known: &mut std::collections::HashMap<char, bool>,
) -> bool {
    if c.is_control() {
        // No font draws a control character; tab and line breaks are laid
        // out, not drawn.
        return matches!(c, '\t' | '\n' | '\r');
    }
    c.is_ascii()
        || c.is_whitespace()
        || never_drawn(c)
        || *known.entry(c).or_insert_with(|| fonts.covers(c))
}

/// `text` as a PDF made with regdoc's own fonts shows it: what
/// [`GlyphSafe`] does to the JSON, done to one text (`regdoc verify`).
pub fn as_shown_by_builtin_fonts(text: &str) -> String {
    let fonts = fonts(&Templates::builtin());
    let mut known = Default::default();
    text.chars()
        .map(|c| {
            if drawable(c, &fonts, &mut known) {
                c.to_string()
            } else {
                code_point(c)
            }
        })
        .collect()
}

/// How a character no font has is shown: `[U+0D06]`.
pub fn code_point(c: char) -> String {
    format!("[U+{:04X}]", c as u32)
}

/// Default-ignorable characters: shaping uses or drops them, nothing is
/// drawn for them.
fn never_drawn(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// The fonts a render with `templates` has: regdoc's and the house fonts.
pub(crate) fn fonts(templates: &Templates) -> std::sync::Arc<world::Fonts> {
    world::fonts_for(templates)
}

/// Compiles the world's main file to pages. Errors are returned, every
/// one with its place; warnings (a template of `--templates` using
/// something deprecated, say) are printed to standard error with theirs,
/// so that nothing typst says is lost. The built-in templates have none
/// (`tests/main_job.rs` checks that a build prints nothing).
pub fn compile(world: &RegdocWorld) -> Result<PagedDocument> {
    compile_warning_once(world, &mut Default::default())
}

/// [`compile`], printing only the warnings not in `seen` (the chunks of
/// one document share their templates' warnings).
pub fn compile_warning_once(
    world: &RegdocWorld,
    seen: &mut std::collections::HashSet<String>,
) -> Result<PagedDocument> {
    let warned = typst::compile::<PagedDocument>(world);
    for w in &warned.warnings {
        let line = warning_line(world, w);
        if seen.insert(line.clone()) {
            eprintln!("{line}");
        }
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
    if first
        .message
        .contains("pagebreaks are not allowed inside of containers")
    {
        // typst names the break in regdoc.typ and suggests a column
        // break; the fix is in the template that wrapped `show-blocks`.
        err = err.help(
            "regdoc's show-blocks starts each top-level section of a long document on a new page; a template that shows the blocks inside a block, grid or columns calls show-blocks(blocks, breaks: false)",
        );
    } else if let Some(h) = first.hints.first() {
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
