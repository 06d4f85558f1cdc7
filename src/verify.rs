//! `regdoc verify FILE.pdf`: is this PDF what it says it is?
//!
//! A version or mark-up PDF carries its sources, the `document.yaml` they
//! were read with, a mark-up its JSON redline, and a manifest with their
//! hashes (`crate::provenance`). `verify` reads them back and checks:
//! 1. **hashes**: every file the manifest lists is embedded, with its hash;
//! 2. **redline**: comparing the embedded sources again gives the embedded
//!    redline, byte for byte (a mark-up);
//! 3. **visible text**: every run of text the sources put on the page is in
//!    the PDF's text, whole and in the order shown (a version or mark-up);
//! 4. **pages**: where the built-in templates laid it out, every page laid
//!    out again from the embedded sources (and the document-control table
//!    the manifest records) shows the same text, glyph for glyph;
//! 5. with `--against DIR` or `--against REV`, **governed**: the embedded
//!    sources are the governed files they claim to be, in that documents
//!    folder or at that git revision.
//!
//! Exit statuses: 0 all hold, 1 one does not (the report names it), 2 the
//! file is no PDF or carries no regdoc manifest.
//!
//! What it cannot see: a colour or strike-through changed without the
//! text; and, for a PDF of house templates or another regdoc version
//! (check 4 not made), text added to a page.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::SourceDoc;
use crate::provenance::{self, Artefact, Manifest, ManifestFile, Role};

/// The largest PDF `verify` reads.
const MAX_PDF_BYTES: u64 = 1024 * 1024 * 1024;
/// The most bytes one embedded file or page stream may inflate to: a
/// small crafted PDF must not exhaust memory.
const MAX_STREAM_BYTES: usize = 256 * 1024 * 1024;
/// The most entries and levels read of the embedded-files name tree.
const MAX_EMBEDDED: usize = 1000;
const MAX_DEPTH: usize = 32;

/// Where the governed sources are, for `--against`.
#[derive(Debug, Clone)]
pub enum Against {
    /// A `documents/` folder.
    Folder(PathBuf),
    /// A git revision of the repository in the current folder.
    Revision(String),
}

impl Against {
    /// A folder if one exists by that name, else a git revision.
    pub fn parse(s: &str) -> Self {
        if Path::new(s).is_dir() {
            Against::Folder(PathBuf::from(s))
        } else {
            Against::Revision(s.to_string())
        }
    }
}

/// One check and its outcome.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    /// `None`: it holds; `Some(why)`: it does not.
    pub failure: Option<String>,
    /// What was checked, for the report.
    pub detail: String,
}

/// What `verify` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub artefact: Artefact,
    pub generator: String,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn holds(&self) -> bool {
        self.checks.iter().all(|c| c.failure.is_none())
    }
}

/// An embedded file: its name and bytes.
struct Attached {
    name: String,
    bytes: Vec<u8>,
}

/// Verifies `pdf`. `Err` is exit status 2: not a PDF, or no regdoc PDF.
pub fn verify(pdf: &Path, against: Option<&Against>) -> Result<Report> {
    let bytes = crate::source::read_bounded(pdf, MAX_PDF_BYTES)?;
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..Default::default()
    };
    let doc = lopdf::Document::load_mem_with_options(&bytes, options)
        .map_err(|e| Error::in_file(pdf, format!("is not a readable PDF: {e}")))?;
    let attached = embedded_files(&doc);
    let manifest_bytes = attached
        .iter()
        .find(|a| a.name == provenance::MANIFEST_NAME)
        .ok_or_else(|| {
            Error::in_file(
                pdf,
                format!(
                    "is not a regdoc PDF that can be verified: it embeds no {}",
                    provenance::MANIFEST_NAME
                ),
            )
            .help("regdoc embeds its sources in version and mark-up PDFs it makes")
        })?;
    let manifest =
        provenance::read_manifest(&manifest_bytes.bytes).map_err(|e| e.with_path(pdf))?;
    let mut checks = Vec::new();

    // 1. Hashes.
    let mut hash_failures = Vec::new();
    for f in &manifest.files {
        match attached.iter().find(|a| a.name == f.name) {
            None => hash_failures.push(format!("{} is listed but not embedded", f.name)),
            Some(a) if provenance::sha256(&a.bytes) != f.sha256 => hash_failures.push(format!(
                "{} does not have the SHA-256 the manifest gives: it was altered",
                f.name
            )),
            Some(a) if a.bytes.len() as u64 != f.bytes => {
                hash_failures.push(format!("{} is not {} bytes long", f.name, f.bytes))
            }
            Some(_) => {}
        }
    }
    // A file the PDF embeds that its manifest does not list was added
    // after regdoc made it.
    for a in &attached {
        if a.name != provenance::MANIFEST_NAME && !manifest.files.iter().any(|f| f.name == a.name) {
            hash_failures.push(format!(
                "{} is embedded but its manifest does not list it: it was added",
                crate::error::printable(&a.name)
            ));
        }
    }
    checks.push(Check {
        name: "hashes",
        detail: format!(
            "{} embedded files match the manifest's SHA-256",
            manifest.files.len()
        ),
        failure: (!hash_failures.is_empty()).then(|| hash_failures.join("; ")),
    });

    // 2 and 3. What the sources give: the redline, the text on the page.
    // A file altered above is not read again: its check has failed.
    let intact = hash_failures.is_empty();
    match manifest.artefact {
        Artefact::Markup if intact => {
            let old = side(&manifest, &attached, Role::Old)?;
            let new = side(&manifest, &attached, Role::New)?;
            let options = crate::diff::DiffOptions {
                table_key: manifest.table_key.clone(),
            };
            let redline = crate::diff::diff_docs_with(&old, &new, &options);
            let json = crate::render::json::redline_json_with(&old, &new, &redline, false);
            let embedded = file_of(&manifest, &attached, Role::Redline)?;
            checks.push(Check {
                name: "redline",
                detail: format!(
                    "comparing the embedded {} with {} gives the embedded {}",
                    name_of(&manifest, Role::Old),
                    name_of(&manifest, Role::New),
                    provenance::REDLINE_NAME
                ),
                failure: first_difference(&embedded.bytes, json.as_bytes()).map(|line| {
                    let mut why = format!(
                        "the embedded {} is not the comparison of the embedded sources (they differ from line {line})",
                        provenance::REDLINE_NAME
                    );
                    let me = format!("regdoc {}", env!("CARGO_PKG_VERSION"));
                    if manifest.generator != me {
                        why.push_str(&format!(
                            "; the PDF was made by {}, this is {me}",
                            manifest.generator
                        ));
                    }
                    why
                }),
            });
            let blocks = crate::render::data::redline_blocks(&redline);
            checks.push(visible_text(&doc, &blocks));
            if let Some(pages) = &manifest.pages {
                let again =
                    crate::render::pdf::relayout_markup(&old, &new, &redline, &pages.history);
                checks.push(same_pages(&doc, again, &manifest.generator));
            }
        }
        Artefact::Version if intact => {
            let source = side(&manifest, &attached, Role::Source)?;
            let blocks = crate::render::data::body_blocks(&source.blocks);
            checks.push(visible_text(&doc, &blocks));
            if let Some(pages) = &manifest.pages {
                let again = crate::render::pdf::relayout_version(&source, &pages.history);
                checks.push(same_pages(&doc, again, &manifest.generator));
            }
        }
        // A consultation's own text, whole and in order: a PDF whose
        // manifest was relabelled to skip the other checks is still held
        // to the text it embeds.
        Artefact::Consultation if intact => {
            let file = file_of(&manifest, &attached, Role::Source)?;
            let origin = entry_of(&manifest, Role::Source)?
                .origin
                .clone()
                .unwrap_or_else(|| file.name.clone());
            let text = crate::source::text_from_bytes(&origin, file.bytes.clone())?;
            let source = crate::source::parse_plain_markdown(&origin, &text)?;
            let blocks = crate::render::data::body_blocks(&source.blocks);
            checks.push(visible_text(&doc, &blocks));
        }
        _ => {}
    }

    // 4. The governed sources.
    if let Some(against) = against {
        checks.push(governed(&manifest, &attached, against));
    }
    Ok(Report {
        artefact: manifest.artefact,
        generator: manifest.generator,
        checks,
    })
}

/// Every file in the PDF's embedded-files name tree, by name. An entry
/// that cannot be read is left out: the hash check then names it.
fn embedded_files(doc: &lopdf::Document) -> Vec<Attached> {
    let mut out = Vec::new();
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get_deref(b"Names", doc).ok())
        .and_then(|n| n.as_dict().ok())
        .and_then(|n| n.get_deref(b"EmbeddedFiles", doc).ok());
    if let Some(root) = root {
        let mut walk = NameWalk {
            nodes: 0,
            bytes: 0,
            seen: std::collections::HashSet::new(),
        };
        walk_names(doc, root, 0, &mut walk, &mut out);
    }
    out
}

/// What a walk of the name tree has spent: nodes visited (a tree that
/// lists itself, or a node many times, is walked once per node and at
/// most [`MAX_NAME_NODES`] in all) and bytes inflated (at most
/// [`MAX_EMBEDDED_BYTES`] for all embedded files together).
struct NameWalk {
    nodes: usize,
    bytes: usize,
    seen: std::collections::HashSet<lopdf::ObjectId>,
}

/// The most name-tree nodes walked.
const MAX_NAME_NODES: usize = 10_000;
/// The most bytes all embedded files together inflate to.
const MAX_EMBEDDED_BYTES: usize = 256 * 1024 * 1024;

fn walk_names(
    doc: &lopdf::Document,
    node: &lopdf::Object,
    depth: usize,
    walk: &mut NameWalk,
    out: &mut Vec<Attached>,
) {
    let Ok(node) = node.as_dict() else { return };
    walk.nodes += 1;
    if depth > MAX_DEPTH || out.len() >= MAX_EMBEDDED || walk.nodes > MAX_NAME_NODES {
        return;
    }
    if let Ok(kids) = node.get_deref(b"Kids", doc).and_then(|k| k.as_array()) {
        for kid in kids.iter().take(MAX_EMBEDDED) {
            // Each node once: a tree whose kids repeat a node (or the
            // node itself) is not walked again there.
            if let Ok(id) = kid.as_reference()
                && !walk.seen.insert(id)
            {
                continue;
            }
            if let Ok((_, kid)) = doc.dereference(kid) {
                walk_names(doc, kid, depth + 1, walk, out);
            }
        }
    }
    let Ok(names) = node.get_deref(b"Names", doc).and_then(|n| n.as_array()) else {
        return;
    };
    for pair in names.chunks(2).take(MAX_EMBEDDED) {
        let [name, spec] = pair else { continue };
        let Ok(name) = doc.dereference(name).and_then(|(_, n)| n.as_str()) else {
            continue;
        };
        let left = MAX_EMBEDDED_BYTES.saturating_sub(walk.bytes);
        let Some(bytes) = doc
            .dereference(spec)
            .ok()
            .and_then(|(_, s)| s.as_dict().ok())
            .and_then(|s| s.get_deref(b"EF", doc).ok())
            .and_then(|ef| ef.as_dict().ok())
            .and_then(|ef| ef.get_deref(b"F", doc).ok())
            .and_then(|f| f.as_stream().ok())
            .and_then(|s| stream_bytes(s, left.min(MAX_STREAM_BYTES)))
        else {
            // Named but not read (damaged, or past the bounds): listed
            // without its bytes, so that its check fails rather than
            // passes unseen.
            out.push(Attached {
                name: String::from_utf8_lossy(&lopdf_text(name)).into_owned(),
                bytes: Vec::new(),
            });
            continue;
        };
        walk.bytes += bytes.len();
        out.push(Attached {
            name: String::from_utf8_lossy(&lopdf_text(name)).into_owned(),
            bytes,
        });
    }
}

/// A name-tree key: PDFDocEncoding or UTF-16 with a byte-order mark.
fn lopdf_text(bytes: &[u8]) -> Vec<u8> {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        return String::from_utf16_lossy(&units).into_bytes();
    }
    bytes.to_vec()
}

fn stream_bytes(s: &lopdf::Stream, limit: usize) -> Option<Vec<u8>> {
    if s.dict.get(b"Filter").is_err() {
        return (s.content.len() <= limit).then(|| s.content.clone());
    }
    s.decompressed_content_with_limit(limit).ok()
}

fn file_of<'a>(
    manifest: &'a Manifest,
    attached: &'a [Attached],
    role: Role,
) -> Result<&'a Attached> {
    let entry = entry_of(manifest, role)?;
    attached
        .iter()
        .find(|a| a.name == entry.name)
        .ok_or_else(|| Error::input(format!("{} is not embedded", entry.name)))
}

fn entry_of(manifest: &Manifest, role: Role) -> Result<&ManifestFile> {
    manifest
        .files
        .iter()
        .find(|f| f.role == role)
        .ok_or_else(|| Error::input(format!("its manifest lists no {role:?} file")))
}

fn name_of(manifest: &Manifest, role: Role) -> String {
    entry_of(manifest, role)
        .map(|f| f.name.clone())
        .unwrap_or_default()
}

/// A source as regdoc read it when it made the PDF: parsed from the
/// embedded bytes, with the embedded `document.yaml` it was read with.
fn side(manifest: &Manifest, attached: &[Attached], role: Role) -> Result<SourceDoc> {
    let entry = entry_of(manifest, role)?;
    let file = file_of(manifest, attached, role)?;
    let origin = entry.origin.clone().unwrap_or_else(|| entry.name.clone());
    let text = crate::source::text_from_bytes(&origin, file.bytes.clone())?;
    let yaml = entry
        .document_yaml
        .as_ref()
        .and_then(|n| attached.iter().find(|a| &a.name == n));
    match yaml {
        Some(y) => {
            let yaml_text = crate::source::text_from_bytes(&y.name, y.bytes.clone())?;
            let info = crate::source::parse_document_info(&y.name, &yaml_text)?;
            let mut doc = crate::source::parse_markdown_file(&origin, &text)?;
            doc.info = Some(info);
            Ok(doc)
        }
        None => crate::source::parse_plain_markdown(&origin, &text),
    }
}

/// The first line at which two texts differ, 1-based; `None` if equal.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    let at = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    Some(1 + a[..at].iter().filter(|&&c| c == b'\n').count())
}

/// Text without whitespace: line breaks and justification put spaces and
/// breaks where the source has none, and take them away where it has.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
        })
        .collect()
}

/// Check 4: every page shows what the embedded sources (and the
/// document-control table the manifest records) give when laid out
/// again, glyph for glyph: the cover, running headers, contents and
/// summary of changes as much as the body. A PDF of another regdoc may lay
/// out otherwise: then this check is not made, and says so.
fn same_pages(doc: &lopdf::Document, again: Result<Vec<u8>>, generator: &str) -> Check {
    let fail = |why: String| Check {
        name: "pages",
        detail: String::new(),
        failure: Some(why),
    };
    let me = format!("regdoc {}", env!("CARGO_PKG_VERSION"));
    if generator != me {
        return Check {
            name: "pages",
            detail: format!(
                "not laid out again: the PDF was made by {generator}, this is {me} (the runs of text are checked above)"
            ),
            failure: None,
        };
    }
    let again = match again.and_then(|b| {
        lopdf::Document::load_mem(&b)
            .map_err(|e| Error::input(format!("the pages laid out again do not read: {e}")))
    }) {
        Ok(d) => d,
        Err(e) => return fail(format!("its pages cannot be laid out again: {}", e.message)),
    };
    let (ours, theirs) = match (page_texts(doc), page_texts(&again)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(format!("the PDF's text cannot be read: {e}")),
    };
    if ours.len() != theirs.len() {
        return fail(format!(
            "it has {} pages; its sources give {}",
            ours.len(),
            theirs.len()
        ));
    }
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        if a != b {
            let at = a
                .char_indices()
                .zip(b.chars())
                .find(|((_, x), y)| x != y)
                .map_or(a.len().min(b.len()), |((i, _), _)| i);
            let around = |s: &str| -> String {
                let start = s.floor_char_boundary(at.saturating_sub(20));
                s[start..].chars().take(40).collect()
            };
            return fail(format!(
                "page {} does not show what its sources give: \"{}\" where they give \"{}\"",
                i + 1,
                crate::error::printable(&around(a)),
                crate::error::printable(&around(b))
            ));
        }
    }
    Check {
        name: "pages",
        detail: format!(
            "all {} pages show, glyph for glyph, what the embedded sources give laid out again",
            ours.len()
        ),
        failure: None,
    }
}

/// Each page's text without white space, bounded as [`page_text`].
fn page_texts(doc: &lopdf::Document) -> std::result::Result<Vec<String>, String> {
    let all = page_text(doc)?;
    Ok((0..all.starts.len())
        .map(|k| all.text[all.starts[k]..all.end_of(k)].to_string())
        .collect())
}

/// The PDF's text page by page, each without white space, one after
/// another, with where each page starts.
struct PageText {
    text: String,
    starts: Vec<usize>,
}

impl PageText {
    /// The page that holds byte `at` of the text.
    fn page_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    /// Where page `k`'s text ends.
    fn end_of(&self, k: usize) -> usize {
        self.starts.get(k + 1).copied().unwrap_or(self.text.len())
    }
}

/// The text of every page, ToUnicode-decoded (lopdf), bounded: a page's
/// text past [`MAX_PAGE_TEXT`] is an error, not read whole.
fn page_text(doc: &lopdf::Document) -> std::result::Result<PageText, String> {
    let mut text = String::new();
    let mut starts = Vec::new();
    for (p, id) in doc.get_pages() {
        starts.push(text.len());
        // Read before its text is: a page whose content inflates to
        // hundreds of megabytes is refused, not decoded into operations.
        let content = doc.get_page_content(id);
        if content.len() > MAX_PAGE_CONTENT {
            return Err(format!(
                "page {p}'s content is {} MiB; regdoc reads pages of up to {} MiB",
                content.len() / (1024 * 1024),
                MAX_PAGE_CONTENT / (1024 * 1024)
            ));
        }
        drop(content);
        let t = doc.extract_text(&[p]).map_err(|e| e.to_string())?;
        if t.len() > MAX_PAGE_TEXT {
            return Err(format!(
                "page {p} holds more than {MAX_PAGE_TEXT} bytes of text"
            ));
        }
        text.push_str(&squeeze(&t));
    }
    Ok(PageText { text, starts })
}

/// The most text one page may hold.
const MAX_PAGE_TEXT: usize = 16 * 1024 * 1024;
/// The most bytes one page's content may inflate to: a page of a
/// 1,000-page code is tens of kilobytes.
const MAX_PAGE_CONTENT: usize = 32 * 1024 * 1024;

/// Check 3: every run of text the blocks show is on the pages, whole and
/// in the order the sources give it. A run may be broken only where a
/// page ends (the rest starts on the next page, after its running
/// header); a footnote's text is looked for whole wherever it is (at the
/// foot of the page it is referred from), not in the body's order. A
/// glyph changed anywhere in a run, or a run moved before another, fails.
fn visible_text(doc: &lopdf::Document, blocks: &[crate::render::data::BlockData]) -> Check {
    let shown = match page_text(doc) {
        Ok(t) => t,
        Err(e) => {
            return Check {
                name: "visible text",
                detail: String::new(),
                failure: Some(format!("the PDF's text cannot be read: {e}")),
            };
        }
    };
    let mut runs = 0usize;
    let mut cursor = 0usize;
    for (i, b) in blocks.iter().enumerate() {
        for run in b.shown_runs() {
            let want = squeeze(run.text);
            if want.is_empty() {
                continue;
            }
            runs += 1;
            let look = |want: &str| {
                if run.in_note {
                    // At the foot of a page at or after the cursor's, or
                    // (a note referred to near a page's end) of the one
                    // before it.
                    let from = shown
                        .starts
                        .get(shown.page_of(cursor).saturating_sub(1))
                        .copied()
                        .unwrap_or(0);
                    find_in_order(&shown, want, from).map(|_| cursor)
                } else {
                    find_in_order(&shown, want, cursor)
                }
            };
            // A character no font had is shown by its code point.
            let found = look(&want).or_else(|| {
                let as_shown = squeeze(&crate::render::typst::as_shown_by_builtin_fonts(run.text));
                (as_shown != want).then(|| look(&as_shown)).flatten()
            });
            match found {
                Some(end) => cursor = end,
                None => {
                    let what = match run.op {
                        "del" => "deleted",
                        "ins" => "inserted",
                        _ => "unchanged",
                    };
                    let quoted: String = run.text.chars().take(80).collect();
                    return Check {
                        name: "visible text",
                        detail: String::new(),
                        failure: Some(format!(
                            "the PDF does not show the {what} text \"{}\" of block {}, whole and in order",
                            crate::error::printable(quoted.trim()),
                            i + 1
                        )),
                    };
                }
            }
        }
    }
    Check {
        name: "visible text",
        detail: format!(
            "the {runs} runs of text the sources give are on the pages, whole and in order"
        ),
        failure: None,
    }
}

/// Where `want` ends in the pages' text, found at or after `from`: whole
/// on one page, or broken where pages end — its longest prefix on the
/// page it starts on (the cursor's or the next), each further piece at
/// the top of the following page (after no more than its running
/// header). Each page is searched a logarithmic number of times.
fn find_in_order(shown: &PageText, want: &str, from: usize) -> Option<usize> {
    let text = shown.text.as_str();
    if let Some(i) = text.get(from..).and_then(|rest| rest.find(want)) {
        return Some(from + i + want.len());
    }
    let first_page = shown.page_of(from);
    for k in first_page..(first_page + 2).min(shown.starts.len()) {
        let start = if k == first_page {
            from
        } else {
            shown.starts[k]
        };
        let page = text.get(start..shown.end_of(k))?;
        let cut = longest_prefix_in(page, want);
        if want[..cut].chars().count() < 3 {
            continue;
        }
        if let Some(end) = continue_on(shown, k + 1, &want[cut..]) {
            return Some(end);
        }
    }
    None
}

/// The rest of a run broken at a page's end, on page `k` and after: whole
/// at its top, or its longest prefix there and the rest on the next page.
fn continue_on(shown: &PageText, k: usize, rest: &str) -> Option<usize> {
    let text = shown.text.as_str();
    let mut k = k;
    let mut rest = rest;
    while k < shown.starts.len() {
        let (ns, ne) = (shown.starts[k], shown.end_of(k));
        let window_end = text.floor_char_boundary((ns + HEADER_ALLOWANCE + rest.len()).min(ne));
        let window = text.get(ns..window_end).unwrap_or("");
        if let Some(j) = window.find(rest) {
            return Some(ns + j + rest.len());
        }
        // Broken again: a page too short for the rest of it.
        let top = text.get(ns..ne).unwrap_or("");
        let cut = longest_prefix_in(top, rest);
        let at = top.find(&rest[..cut])?;
        if cut == 0 || at > HEADER_ALLOWANCE || rest[..cut].chars().count() < 3 {
            return None;
        }
        rest = &rest[cut..];
        k += 1;
    }
    None
}

/// The byte length of the longest prefix of `want` (on a character
/// boundary) that `page` holds: a binary search, as a shorter prefix is
/// held wherever a longer one is.
fn longest_prefix_in(page: &str, want: &str) -> usize {
    let bounds: Vec<usize> = want
        .char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .chain([want.len()])
        .collect();
    let (mut lo, mut hi) = (0usize, bounds.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if page.contains(&want[..bounds[mid - 1]]) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo == 0 { 0 } else { bounds[lo - 1] }
}

/// How much of a page's text may come before the body's first run on it:
/// the running header and a table's repeated header row.
const HEADER_ALLOWANCE: usize = 2000;

/// Where the governed copy of an embedded file is, and its bytes there:
/// in the folder, by document and path; at a revision, by the path git
/// recorded (else the path it was read from). `None`: it names none.
fn governed_copy(f: &ManifestFile, against: &Against) -> Option<(String, Result<Vec<u8>>)> {
    match against {
        Against::Folder(dir) => {
            let g = f.governed.as_ref()?;
            let path = dir.join(&g.document).join(&g.path);
            let bytes = crate::source::inside(dir, &path, "documents")
                .and_then(|p| crate::source::raw_bytes(&p.display().to_string()));
            Some((path.display().to_string(), bytes))
        }
        Against::Revision(rev) => {
            let path = f
                .git
                .as_ref()
                .map(|g| g.path.clone())
                .or_else(|| f.origin.clone().filter(|o| !o.contains(':')))?;
            let bytes = crate::source::read_git_bytes(rev, &path, crate::source::MAX_SOURCE_BYTES);
            Some((format!("{rev}:{path}"), bytes))
        }
    }
}

/// Check 4: each embedded source is byte for byte the governed file it
/// names, in the folder or at the revision given.
fn governed(manifest: &Manifest, attached: &[Attached], against: &Against) -> Check {
    let mut failures = Vec::new();
    let mut compared = Vec::new();
    for f in &manifest.files {
        if f.role == Role::Redline {
            continue;
        }
        let Some(a) = attached.iter().find(|a| a.name == f.name) else {
            continue;
        };
        match governed_copy(f, against) {
            None => failures.push(format!(
                "{} names no governed file to compare with (it was not read from a documents folder)",
                f.name
            )),
            Some((place, Err(e))) => failures.push(format!("{} ({place}): {}", f.name, e.message)),
            Some((place, Ok(bytes))) if bytes != a.bytes => failures.push(format!(
                "{} is not the governed file {place}: it has changed since this PDF was made",
                f.name
            )),
            Some((_, Ok(_))) => compared.push(f.name.clone()),
        }
    }
    let at = match against {
        Against::Folder(d) => d.display().to_string(),
        Against::Revision(r) => format!("revision {r}"),
    };
    Check {
        name: "governed",
        detail: format!("{} are the governed files in {at}", compared.join(", ")),
        failure: (!failures.is_empty()).then(|| failures.join("; ")),
    }
}
