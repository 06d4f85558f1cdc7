//! The document and its redline as JSON data for the typst templates.
//!
//! This is the boundary that keeps text as data: templates receive strings
//! and show them; nothing here writes typst syntax.

use serde::Serialize;

use super::text::xml_safe;
use crate::diff::{BlockDiff, Change, Detail, Edit, MetaChange, Op, Redline, Span};
use crate::model::consultation::{Ask, ConsultationFile, Directive};
use crate::model::{
    Block, Document, Frame, Inline, Leaf, List, ListItem, SourceDoc, Status, VersionMeta, flatten,
};

/// The version of the data's shape (docs/template-data.md). Fields are
/// only ever added within a version; a removal or a change of meaning
/// bumps it, so a `--templates` folder can check what it reads.
pub const SCHEMA_VERSION: u32 = 1;

fn is_false(b: &bool) -> bool {
    !*b
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Equal => "eq",
        Op::Delete => "del",
        Op::Insert => "ins",
    }
}

/// One run of text with its style and its change.
#[derive(Debug, Clone, Serialize)]
pub struct SpanData {
    pub text: String,
    /// `eq`, `del` or `ins`.
    pub op: &'static str,
    /// Any of the fields below is set. Most spans are plain text: the
    /// template takes a short path for them.
    #[serde(skip_serializing_if = "is_false")]
    pub styled: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub bold: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub italic: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub strike: bool,
    /// Code (or inline HTML): shown as raw text.
    #[serde(skip_serializing_if = "is_false")]
    pub code: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// A local image: its path in the typst world (`/doc/…`, `/old/…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A remote image, never fetched: its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A footnote reference: its label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footnote: Option<String>,
    /// The footnote's text, as paragraphs of spans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Vec<Vec<SpanData>>>,
    /// A `#anchor` link to a heading of this PDF: the heading's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

/// What a block is.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockBody {
    Heading {
        /// The level the source gives: how large it is drawn.
        level: u8,
        /// Its level in the PDF's structure tree and outline: `level`,
        /// brought up so that no level is skipped (PDF/UA-1 forbids a
        /// skip, and Markdown allows one); `None` for a heading with no
        /// text, which is drawn but is no heading to a screen reader.
        tagged: Option<u8>,
        spans: Vec<SpanData>,
    },
    Paragraph {
        spans: Vec<SpanData>,
    },
    /// A code block or raw HTML: one span of raw text.
    Code {
        spans: Vec<SpanData>,
    },
    Rule {
        op: &'static str,
    },
    Table(TableData),
    /// A consultation question, set apart (`consultation.typ`).
    Question(QuestionData),
}

/// A consultation question as its PDF shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionData {
    pub id: String,
    pub text: String,
    /// `agreement`, `rationale`.
    pub asks: Vec<&'static str>,
}

/// A table, whole or compared.
#[derive(Debug, Clone, Serialize)]
pub struct TableData {
    pub columns: Vec<ColumnData>,
    pub header: Vec<Vec<SpanData>>,
    pub rows: Vec<RowData>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnData {
    pub op: &'static str,
    pub align: crate::model::Align,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowData {
    /// `unchanged`, `whole` (a table shown whole, added or removed),
    /// `added`, `removed`, `changed`, `moved-away`, `moved-here`.
    pub change: &'static str,
    pub cells: Vec<Vec<SpanData>>,
}

/// One container around a block, outermost first.
#[derive(Debug, Clone, Serialize)]
pub struct NestData {
    /// `quote` or `item` (a list item or a footnote's text).
    pub kind: &'static str,
    /// The marker on the line that starts the item (`•`, `3.`, `[1]`),
    /// empty on its other lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// A block as the template shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BlockData {
    #[serde(flatten)]
    pub body: BlockBody,
    /// `none`, `added`, `removed`, `changed`, `moved-away`, `moved-here`.
    pub change: &'static str,
    /// A line above the block ("Moved from: …").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub nest: Vec<NestData>,
    /// A heading's label, for `#anchor` links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// The block starts a new page: a top-level section of a long
    /// document (see [`section_breaks`]).
    #[serde(skip_serializing_if = "is_false")]
    pub page_break: bool,
}

impl BlockBody {
    /// Every span list of the block (text, table header and cells).
    fn spans_mut(&mut self) -> Vec<&mut Vec<SpanData>> {
        match self {
            BlockBody::Heading { spans, .. }
            | BlockBody::Paragraph { spans }
            | BlockBody::Code { spans } => vec![spans],
            BlockBody::Rule { .. } | BlockBody::Question(_) => Vec::new(),
            BlockBody::Table(t) => t
                .header
                .iter_mut()
                .chain(t.rows.iter_mut().flat_map(|r| r.cells.iter_mut()))
                .collect(),
        }
    }

    /// The spans of a block that has text.
    fn spans(&self) -> Vec<SpanData> {
        match self {
            BlockBody::Heading { spans, .. }
            | BlockBody::Paragraph { spans }
            | BlockBody::Code { spans } => spans.clone(),
            _ => Vec::new(),
        }
    }
}

impl BlockData {
    /// Every run of text the PDF shows for this block, in order, with its
    /// operation (`eq`, `del`, `ins`): text, table cells, the text of the
    /// footnotes it refers to. Pictures are left out: their alt text is
    /// for screen readers, not on the page. `regdoc verify` looks for each
    /// run in the PDF's text.
    pub fn shown_text(&self) -> Vec<(&'static str, &str)> {
        self.shown_runs()
            .into_iter()
            .map(|r| (r.op, r.text))
            .collect()
    }

    /// [`BlockData::shown_text`], each run saying whether it is a
    /// footnote's: those are shown at the foot of the page, not where
    /// they are referred to.
    pub fn shown_runs(&self) -> Vec<ShownRun<'_>> {
        fn walk<'a>(spans: &'a [SpanData], in_note: bool, out: &mut Vec<ShownRun<'a>>) {
            for s in spans {
                if s.image.is_some() {
                    continue;
                }
                match (&s.footnote, &s.note) {
                    (Some(_), Some(note)) => {
                        for p in note {
                            walk(p, true, out);
                        }
                    }
                    (Some(_), None) => {}
                    _ => out.push(ShownRun {
                        op: s.op,
                        text: s.text.as_str(),
                        in_note,
                    }),
                }
            }
        }
        let mut out = Vec::new();
        match &self.body {
            BlockBody::Heading { spans, .. }
            | BlockBody::Paragraph { spans }
            | BlockBody::Code { spans } => walk(spans, false, &mut out),
            BlockBody::Rule { .. } => {}
            BlockBody::Question(q) => out.push(ShownRun {
                op: "eq",
                text: q.text.as_str(),
                in_note: false,
            }),
            BlockBody::Table(t) => {
                for cell in t
                    .header
                    .iter()
                    .chain(t.rows.iter().flat_map(|r| r.cells.iter()))
                {
                    walk(cell, false, &mut out);
                }
            }
        }
        out
    }
}

/// One run of text a block shows (`BlockData::shown_runs`).
#[derive(Debug, Clone, Copy)]
pub struct ShownRun<'a> {
    /// `eq`, `del` or `ins`.
    pub op: &'static str,
    pub text: &'a str,
    /// The run is part of a footnote's text.
    pub in_note: bool,
}

/// Footnote texts by label, as paragraphs of spans (with their changes in
/// a mark-up): shown where the note is referred to.
type Notes = std::collections::HashMap<String, Vec<Vec<SpanData>>>;

/// Where images come from: the new document's folder, and for deleted
/// images in a mark-up, the old one's.
fn image_path(src: &str, op: Op) -> Option<String> {
    if crate::source::assets::is_remote(src) {
        return None;
    }
    let root = if op == Op::Delete { "/old/" } else { "/doc/" };
    Some(format!("{root}{}", src.trim_start_matches("./")))
}

fn plain(op: Op, text: &str) -> SpanData {
    SpanData {
        text: text.to_string(),
        op: op_name(op),
        styled: false,
        bold: false,
        italic: false,
        strike: false,
        code: false,
        link: None,
        image: None,
        url: None,
        footnote: None,
        note: None,
        anchor: None,
    }
}

fn span_data(op: Op, text: &str, style: &crate::model::Style, notes: &Notes) -> SpanData {
    let mut s = plain(op, text);
    s.bold = style.strong;
    s.italic = style.emph;
    s.strike = style.strike;
    s.code = style.code || style.html;
    s.link = style.link.clone();
    if let Some(img) = &style.image {
        match image_path(&img.src, op) {
            Some(p) => s.image = Some(p),
            // A remote image is never fetched: its alt text and URL stand.
            None => s.url = Some(img.src.clone()),
        }
    }
    if let Some(label) = &style.footnote {
        s.footnote = Some(label.to_string());
        s.note = notes.get(&**label).cloned();
    }
    s.styled = s.bold
        || s.italic
        || s.strike
        || s.code
        || s.link.is_some()
        || s.image.is_some()
        || s.url.is_some()
        || s.footnote.is_some();
    s
}

fn inlines_data(op: Op, inlines: &[Inline], notes: &Notes) -> Vec<SpanData> {
    inlines
        .iter()
        .map(|i| span_data(op, &i.text, &i.style, notes))
        .collect()
}

fn spans_data(spans: &[Span], notes: &Notes) -> Vec<SpanData> {
    spans
        .iter()
        .map(|s| span_data(s.op, &s.text, &s.style, notes))
        .collect()
}

/// A leaf block shown whole with one operation (`Equal` for a clean
/// version).
fn block_body(block: &Block, op: Op, notes: &Notes) -> BlockBody {
    match block {
        Block::Heading { level, content } => BlockBody::Heading {
            level: *level,
            tagged: None,
            spans: inlines_data(op, content, notes),
        },
        Block::Paragraph { content } => BlockBody::Paragraph {
            spans: inlines_data(op, content, notes),
        },
        Block::Code { text, .. } | Block::Html { text } => BlockBody::Code {
            spans: vec![plain(op, text)],
        },
        Block::Rule => BlockBody::Rule { op: op_name(op) },
        Block::Table(t) => {
            let n = t.header.len();
            BlockBody::Table(TableData {
                columns: t
                    .align
                    .iter()
                    .map(|a| ColumnData {
                        op: op_name(op),
                        align: *a,
                    })
                    .collect(),
                header: t
                    .header
                    .iter()
                    .map(|h| inlines_data(op, h, notes))
                    .collect(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| RowData {
                        change: if op == Op::Equal {
                            "unchanged"
                        } else {
                            "whole"
                        },
                        cells: (0..n)
                            .map(|i| inlines_data(op, r.get(i).map_or(&[][..], |c| c), notes))
                            .collect(),
                    })
                    .collect(),
            })
        }
        // Containers never reach here: they are flattened into leaves.
        container => BlockBody::Paragraph {
            spans: vec![plain(op, &container.text())],
        },
    }
}

/// The containers a leaf stands in, for the template to indent by: one
/// entry per level, with the list marker on the line that starts an item.
fn nest_data(path: &[Frame], prev: Option<&[Frame]>) -> Vec<NestData> {
    let mut out = Vec::new();
    for (k, f) in path.iter().enumerate() {
        let starts = crate::model::opens_at(prev, path, k);
        match f {
            Frame::Quote { .. } => out.push(NestData {
                kind: "quote",
                marker: None,
            }),
            Frame::Footnote { label, .. } => out.push(NestData {
                kind: "item",
                marker: Some(if starts {
                    format!("[{label}]")
                } else {
                    String::new()
                }),
            }),
            Frame::Item { number, task, .. } => {
                let mut marker = match number {
                    Some(n) => format!("{n}."),
                    None => "•".to_string(),
                };
                if let Some(done) = task {
                    marker.push_str(if *done { " ☒" } else { " ☐" });
                }
                out.push(NestData {
                    kind: "item",
                    marker: Some(if starts { marker } else { String::new() }),
                });
            }
        }
    }
    // typst refuses content nested much deeper (its show-rule depth), and
    // no reader follows a dozen indents: deeper levels are drawn at the last
    // indent, the innermost container's marker kept. No text is lost.
    if out.len() > MAX_PDF_NESTING {
        let inner = out.pop().expect("a frame");
        out.truncate(MAX_PDF_NESTING - 1);
        out.push(inner);
    }
    out
}

/// How many containers deep a PDF indents.
const MAX_PDF_NESTING: usize = 12;

/// The label of the footnote a leaf belongs to, if it is a footnote's text.
fn note_label(path: &[Frame]) -> Option<&str> {
    path.iter().find_map(|f| match f {
        Frame::Footnote { label, .. } => Some(label.as_str()),
        _ => None,
    })
}

/// Gives shown headings a unique anchor (`slug`, `slug-1`…) and makes
/// `#anchor` links to them clickable; a link to no heading stays text, since
/// typst refuses a link to a label that does not exist.
fn link_anchors(blocks: &mut [BlockData]) {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for b in blocks.iter_mut() {
        let removed = matches!(b.change, "removed" | "moved-away");
        let BlockBody::Heading { spans, .. } = &b.body else {
            continue;
        };
        if removed {
            continue;
        }
        let text: String = spans
            .iter()
            .filter(|s| s.op != "del")
            .map(|s| s.text.as_str())
            .collect();
        let base = crate::model::slug(&text);
        if base.is_empty() {
            continue;
        }
        let n = seen.entry(base.clone()).or_insert(0);
        let name = if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        *n += 1;
        b.slug = Some(name);
    }
    let names: std::collections::HashSet<String> =
        blocks.iter().filter_map(|b| b.slug.clone()).collect();
    for b in blocks.iter_mut() {
        for spans in b.body.spans_mut() {
            for sp in spans.iter_mut() {
                if let Some(target) = sp.link.as_deref().and_then(|l| l.strip_prefix('#'))
                    && names.contains(target)
                {
                    sp.anchor = Some(target.to_string());
                }
            }
        }
    }
}

/// Sets every heading's structure level, in the order the PDF shows them.
/// The title above them is a level-1 heading, so the first may be of
/// level 1 or 2, and each next at most one deeper than the one before.
/// If we don't do this, typst refuses a PDF/UA-1 export of any Markdown
/// that goes from `#` to `###`, which real documents do.
fn tag_levels(blocks: &mut [BlockData]) {
    let mut prev = 1u8;
    for b in blocks.iter_mut() {
        let BlockBody::Heading {
            level,
            tagged,
            spans,
        } = &mut b.body
        else {
            continue;
        };
        if spans
            .iter()
            .all(|s| s.text.trim().is_empty() && s.image.is_none())
        {
            *tagged = None;
            continue;
        }
        let l = (*level).clamp(1, 6).min(prev + 1);
        *tagged = Some(l);
        prev = l;
    }
}

/// The text, in bytes of UTF-8, above which a document is long: each of
/// its top-level sections then starts a new page. About 40 A4 pages.
pub const LONG_DOCUMENT_CHARS: usize = 120_000;

/// The text, in bytes, a top-level section must have on average for
/// sections to start pages: about a page.
const MIN_SECTION_BYTES: usize = 3_000;

/// In a long document, every top-level section (a heading of the
/// shallowest level the body uses four times or more) but the first
/// starts a new page.
///
/// Why: typst lays out the stretches between explicit page breaks in
/// parallel, one per core, within one compile; without breaks a
/// 1,000-page code is one stretch on one core. Breaking only where
/// industry codes already do (a new section, a new page) keeps the rule
/// a reader can see, independent of edits elsewhere, and the pages the
/// same whether typst uses one core or many. Short documents (the EMRR)
/// are not touched: a page break per section would waste paper there
/// and buy nothing.
fn section_breaks(blocks: &mut [BlockData]) {
    let chars: usize = blocks
        .iter()
        .flat_map(|b| b.shown_text())
        .map(|(_, text)| text.len())
        .sum();
    if chars <= LONG_DOCUMENT_CHARS {
        return;
    }
    let level = |b: &BlockData| match &b.body {
        BlockBody::Heading { level, .. } if b.nest.is_empty() => Some(*level),
        _ => None,
    };
    // The shallowest level used four times or more: a `#` title above
    // `##` sections, with a `# Schedule` or two after them, is not where
    // the sections are.
    let mut count = [0usize; 7];
    for l in blocks.iter().filter_map(level) {
        count[usize::from(l.min(6))] += 1;
    }
    let Some(top) = (1..=6u8).find(|&l| count[usize::from(l)] >= 4) else {
        return;
    };
    // Sections shorter than a page on average (a glossary with a heading
    // per term, say) would each take a page: paper, not speed. Such a
    // document stays one stretch.
    if count[usize::from(top)] * MIN_SECTION_BYTES > chars {
        return;
    }
    // Not the first: it follows the title on the first page.
    let mut first = true;
    for b in blocks.iter_mut() {
        if level(b) == Some(top) {
            b.page_break = !first;
            first = false;
        }
    }
}

/// Every footnote label some text refers to.
fn referenced(leaves: &[&Leaf]) -> std::collections::HashSet<String> {
    let mut set = std::collections::HashSet::new();
    for l in leaves {
        crate::model::leaf_inlines(&l.block, &mut |i: &Inline| {
            if let Some(f) = &i.style.footnote {
                set.insert(f.to_string());
            }
        });
    }
    set
}

fn block(body: BlockBody, change: &'static str, note: Option<String>) -> BlockData {
    BlockData {
        body,
        change,
        note,
        nest: Vec::new(),
        slug: None,
        page_break: false,
    }
}

fn section_name(section: &[String]) -> String {
    section
        .last()
        .cloned()
        .unwrap_or_else(|| "the start".into())
}

/// Blocks of a redline, each marked with how it changed. Footnote texts
/// go with their references, marked in place.
pub fn redline_blocks(r: &Redline) -> Vec<BlockData> {
    let paths = r.display_paths();
    // On either side: a note whose reference was deleted is still a note.
    let both: Vec<&Leaf> = r
        .blocks
        .iter()
        .flat_map(|d| [d.old_leaf(), d.new_leaf()])
        .flatten()
        .collect();
    let refs = referenced(&both);
    let mut notes = Notes::new();
    let empty = Notes::new();
    for (d, path) in r.blocks.iter().zip(&paths) {
        if let Some(label) = note_label(path)
            && refs.contains(label)
        {
            let v = redline_block(r, d, &empty);
            notes
                .entry(label.to_string())
                .or_default()
                .push(v.body.spans());
        }
    }
    let mut out = Vec::new();
    let mut prev: Option<&[Frame]> = None;
    for (d, path) in r.blocks.iter().zip(&paths) {
        if !d.is_published() || note_label(path).is_some_and(|l| refs.contains(l)) {
            continue;
        }
        let mut v = redline_block(r, d, &notes);
        v.nest = nest_data(path, prev);
        prev = Some(path);
        out.push(v);
    }
    link_anchors(&mut out);
    tag_levels(&mut out);
    section_breaks(&mut out);
    out
}

fn redline_block(r: &Redline, d: &BlockDiff, notes: &Notes) -> BlockData {
    let section = |p: usize| section_name(&r.blocks[p].section);
    match &d.edit {
        Edit::Unchanged { .. } => block(block_body(d.shown(), Op::Equal, notes), "none", None),
        Edit::Added { .. } => block(block_body(d.shown(), Op::Insert, notes), "added", None),
        Edit::Removed { .. } => block(block_body(d.shown(), Op::Delete, notes), "removed", None),
        Edit::MovedAway { to, .. } => block(
            block_body(d.shown(), Op::Delete, notes),
            "moved-away",
            Some(format!("Moved to: {}", section(*to))),
        ),
        Edit::Changed {
            detail: Detail::Table(t),
            ..
        } => block(BlockBody::Table(table_diff_data(t, notes)), "changed", None),
        Edit::Changed {
            detail: Detail::Words(words),
            ..
        } => block(with_words(d.shown(), words, notes), "changed", None),
        Edit::MovedHere { words, from, .. } => block(
            with_words(d.shown(), words, notes),
            "moved-here",
            Some(format!("Moved from: {}", section(*from))),
        ),
    }
}

/// A text block shown with its word diff (none: shown as it is).
fn with_words(shown: &Block, words: &[Span], notes: &Notes) -> BlockBody {
    let mut body = block_body(shown, Op::Equal, notes);
    if !words.is_empty() {
        let words = spans_data(words, notes);
        match &mut body {
            BlockBody::Heading { spans, .. }
            | BlockBody::Paragraph { spans }
            | BlockBody::Code { spans } => *spans = words,
            _ => {}
        }
    }
    body
}

fn table_diff_data(t: &crate::diff::TableDiff, notes: &Notes) -> TableData {
    TableData {
        columns: t
            .columns
            .iter()
            .map(|c| ColumnData {
                op: op_name(c.op()),
                align: c.align,
            })
            .collect(),
        header: t
            .columns
            .iter()
            .map(|c| spans_data(&c.header, notes))
            .collect(),
        rows: t
            .rows
            .iter()
            .map(|r| RowData {
                change: match r.change() {
                    Change::Unchanged => "unchanged",
                    Change::Added => "added",
                    Change::Removed => "removed",
                    Change::Changed => "changed",
                    Change::MovedAway => "moved-away",
                    Change::MovedHere => "moved-here",
                },
                cells: r.cells.iter().map(|c| spans_data(c, notes)).collect(),
            })
            .collect(),
    }
}

/// The line under the title: effective date, or the draft's proposal.
pub fn status_line(meta: &VersionMeta, approver: Option<&str>) -> String {
    let date = meta.effective.long();
    match meta.status {
        Status::Approved => format!("Effective from {date}"),
        Status::Superseded => format!("Superseded (was effective from {date})"),
        Status::Withdrawn => format!("Withdrawn (proposed effective date was {date})"),
        Status::Draft => {
            let subject = approver
                .map(|a| format!(" (subject to {a} approval)"))
                .unwrap_or_default();
            if meta.consultation.is_some() {
                format!("Draft for consultation — proposed effective date {date}{subject}")
            } else {
                format!("Draft — proposed effective date {date}{subject}")
            }
        }
    }
}

/// A version's front matter, as the PDF shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MetaData {
    pub version: Option<String>,
    pub status: Option<String>,
    /// `2024-07-19`.
    pub effective: Option<String>,
    /// `19 July 2024`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_long: Option<String>,
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consultation: Option<Option<ConsultationData>>,
    /// The line under the title (`Effective from …`, `Draft for
    /// consultation — …`).
    pub status_line: String,
    pub draft: bool,
    pub assumptions: Vec<String>,
}

impl MetaData {
    /// The page furniture of a publication that is not a version (a
    /// consultation, a report): a status for the running footer and a
    /// line under the title, nothing else; never a watermark.
    fn of_status(status: &str, status_line: String) -> MetaData {
        MetaData {
            version: None,
            status: Some(status.to_string()),
            effective: None,
            effective_long: None,
            summary: None,
            approved_by: None,
            approved_on: None,
            consultation: None,
            status_line,
            draft: false,
            assumptions: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsultationData {
    pub published: String,
    pub closes: String,
}

fn meta_data(doc: &SourceDoc) -> MetaData {
    let approver = doc.info.as_ref().map(|i| i.approver.as_str());
    match &doc.meta {
        Some(m) => MetaData {
            version: Some(m.version.to_string()),
            status: Some(m.status.to_string()),
            effective: Some(m.effective.to_string()),
            effective_long: Some(m.effective.long()),
            summary: Some(m.summary.clone()),
            approved_by: Some(m.approved.as_ref().map(|a| a.by.clone())),
            approved_on: Some(m.approved.as_ref().map(|a| a.on.long())),
            consultation: Some(m.consultation.as_ref().map(|c| ConsultationData {
                published: c.published.long(),
                closes: c.closes.long(),
            })),
            status_line: xml_safe(&status_line(m, approver)),
            draft: m.status == Status::Draft,
            assumptions: m.assumptions.clone(),
        },
        // A file without regdoc's front matter: no status at all.
        None => MetaData {
            status: None,
            ..MetaData::of_status("", String::new())
        },
    }
}

/// What `document.yaml` says (or, for a plain file, its title).
#[derive(Debug, Clone, Serialize)]
pub struct DocData {
    pub id: Option<String>,
    pub title: String,
    pub short_title: String,
    pub owner: String,
    pub classification: String,
    pub approver: Option<String>,
    pub governed_by: Option<String>,
    /// The house style (`document.yaml` `style:`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<StyleData>,
}

/// The house style as templates read it: the logo's path in the typst
/// world (`/templates/logo.svg`) and font families.
#[derive(Debug, Clone, Serialize)]
pub struct StyleData {
    pub logo: Option<String>,
    pub font: Option<String>,
    pub heading_font: Option<String>,
}

fn style_data(s: &crate::model::HouseStyle) -> StyleData {
    StyleData {
        logo: s
            .logo
            .as_deref()
            .map(|l| format!("/templates/{}", l.trim_start_matches("./"))),
        font: s.font.clone(),
        heading_font: s.heading_font.clone().or_else(|| s.font.clone()),
    }
}

fn doc_data(doc: &SourceDoc) -> DocData {
    match &doc.info {
        // These also go into the PDF's XMP metadata, which is XML.
        Some(i) => DocData {
            id: Some(i.id.clone()),
            title: xml_safe(&i.title),
            short_title: xml_safe(i.display_short()),
            owner: xml_safe(&i.owner),
            classification: xml_safe(&i.classification),
            approver: Some(xml_safe(&i.approver)),
            governed_by: i.governed_by.as_deref().map(xml_safe),
            style: i.style.as_ref().map(style_data),
        },
        None => DocData {
            id: None,
            title: xml_safe(&doc.title()),
            short_title: xml_safe(&doc.title()),
            owner: String::new(),
            classification: String::new(),
            approver: None,
            governed_by: None,
            style: None,
        },
    }
}

/// One row of the document-control table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HistoryRow {
    pub version: String,
    pub status: String,
    pub effective: String,
    /// `DESNZ, 2024-07-12`, or empty.
    pub approved: String,
    pub summary: String,
}

/// Whether version `f` has a row in the document-control table of the PDF
/// of the version `shown` (`None`: a file without regdoc front matter).
/// Later versions are left out, and an approved (or superseded) version's
/// table lists only versions that were themselves approved: those are
/// immutable, so the approved PDF depends only on what was true when it
/// was approved — never on a draft started, renumbered or withdrawn since.
pub fn in_history(shown: Option<&VersionMeta>, f: &VersionMeta) -> bool {
    let Some(m) = shown else { return true };
    if f.version > m.version {
        return false;
    }
    let settled = |s: Status| matches!(s, Status::Approved | Status::Superseded);
    !settled(m.status) || f.version == m.version || settled(f.status)
}

/// The document-control table (see [`in_history`]).
pub fn history(document: Option<&Document>, doc: &SourceDoc) -> Vec<HistoryRow> {
    let row = |m: &VersionMeta| HistoryRow {
        version: m.version.to_string(),
        status: m.status.to_string(),
        effective: m.effective.to_string(),
        approved: m
            .approved
            .as_ref()
            .map(|a| format!("{}, {}", a.by, a.on))
            .unwrap_or_default(),
        summary: m.summary.clone(),
    };
    match document {
        Some(d) => d
            .versions
            .iter()
            .filter(|f| in_history(doc.meta.as_ref(), &f.meta))
            .map(|f| row(&f.meta))
            .collect(),
        None => doc.meta.iter().map(row).collect(),
    }
}

/// Data for the clean PDF of one version (`version.typ`).
#[derive(Debug, Clone, Serialize)]
pub struct VersionData {
    pub schema_version: u32,
    pub doc: DocData,
    pub version: MetaData,
    pub history: Vec<HistoryRow>,
    /// A plain file's front matter, as the tool that wrote it keeps it.
    pub front_matter: Vec<(String, String)>,
    pub blocks: Vec<BlockData>,
}

/// Data for the clean PDF of one version.
pub fn version_data(document: Option<&Document>, doc: &SourceDoc) -> VersionData {
    VersionData {
        schema_version: SCHEMA_VERSION,
        doc: doc_data(doc),
        version: meta_data(doc),
        history: history(document, doc),
        front_matter: doc
            .front_matter
            .as_ref()
            .map(|f| f.display_fields())
            .unwrap_or_default(),
        blocks: body_data(&doc.blocks, |_| None),
    }
}

/// The blocks of a version's body as `version.typ` shows them.
pub fn body_blocks(blocks: &[Block]) -> Vec<BlockData> {
    body_data(blocks, |_| None)
}

/// The blocks of a body as the templates show them: footnote texts with
/// their references, source comments left out unless `special` shows one
/// (a consultation's question, say).
fn body_data(blocks: &[Block], special: impl Fn(&Block) -> Option<BlockBody>) -> Vec<BlockData> {
    let leaves = flatten(blocks);
    let all: Vec<&Leaf> = leaves.iter().collect();
    let refs = referenced(&all);
    let empty = Notes::new();
    let mut notes = Notes::new();
    for l in &leaves {
        if let Some(label) = note_label(&l.path)
            && refs.contains(label)
        {
            notes
                .entry(label.to_string())
                .or_default()
                .push(block_body(&l.block, Op::Equal, &empty).spans());
        }
    }
    let mut out = Vec::new();
    let mut prev: Option<&[Frame]> = None;
    for l in &leaves {
        let body = match special(&l.block) {
            Some(body) => body,
            None if l.block.is_comment() => continue,
            None if note_label(&l.path).is_some_and(|x| refs.contains(x)) => continue,
            None => block_body(&l.block, Op::Equal, &notes),
        };
        let mut v = block(body, "none", None);
        v.nest = nest_data(&l.path, prev);
        prev = Some(&l.path);
        out.push(v);
    }
    link_anchors(&mut out);
    tag_levels(&mut out);
    section_breaks(&mut out);
    out
}

/// Data for a consultation's PDF (`consultation.typ`).
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationPdfData {
    pub schema_version: u32,
    /// The consultation's title and classification, the document's owner.
    pub doc: DocData,
    /// Its status for the running footer (`Consultation`); never a draft
    /// watermark: the consultation is published as it is.
    pub version: MetaData,
    pub cover: CoverData,
    pub blocks: Vec<BlockData>,
}

/// The facts of a consultation's cover.
#[derive(Debug, Clone, Serialize)]
pub struct CoverData {
    pub title: String,
    pub strapline: Option<String>,
    /// The draft's `consultation.published`, long form.
    pub date: String,
    /// The draft's `consultation.closes`, long form.
    pub respond_by: String,
    pub author: String,
    pub classification: String,
    /// "EMRR v3.0 (draft)".
    pub consults_on: String,
}

/// Data for a consultation's PDF: the body with its directives shown (each
/// question set apart, the quoted table, the attachments list). The
/// cover's dates are the draft's.
pub fn consultation_data(
    doc: &Document,
    c: &ConsultationFile,
) -> crate::error::Result<ConsultationPdfData> {
    let missing = |what: &str| {
        crate::error::Error::in_file(&c.path, format!("cannot build the consultation: {what}"))
            .help("run `regdoc check` for the details")
    };
    let draft = doc
        .version(&c.meta.consults_on.version)
        .ok_or_else(|| missing("the version it consults on does not exist"))?;
    let dates = draft
        .meta
        .consultation
        .as_ref()
        .ok_or_else(|| missing("the draft has no consultation dates"))?;
    // Directives become what they stand for before flattening, so that a
    // quoted table or the attachments list sits where the directive was.
    let mut blocks = Vec::with_capacity(c.blocks.len());
    for b in &c.blocks {
        match Directive::of(b) {
            Some(Ok(Directive::QuoteTable { version, table })) => {
                let t = doc.quoted_table(&version, table).map_err(|e| missing(&e))?;
                blocks.push(Block::Table(t.clone()));
            }
            Some(Ok(Directive::Attachments)) => blocks.push(Block::List(List {
                start: None,
                tight: true,
                items: c
                    .meta
                    .attachments
                    .iter()
                    .map(|a| ListItem {
                        task: None,
                        blocks: vec![Block::Paragraph {
                            content: vec![Inline::plain(a.full_title())],
                        }],
                    })
                    .collect(),
            })),
            Some(Err(e)) => return Err(missing(&e)),
            _ => blocks.push(b.clone()),
        }
    }
    let questions = &c.meta.questions;
    let body = body_data(&blocks, |b| match Directive::of(b) {
        Some(Ok(Directive::Question(id))) => questions.iter().find(|q| q.id == id).map(|q| {
            BlockBody::Question(QuestionData {
                id: xml_safe(&q.id),
                text: xml_safe(&q.text),
                asks: q
                    .asks
                    .iter()
                    .map(|a| match a {
                        Ask::Agreement => "agreement",
                        Ask::Rationale => "rationale",
                    })
                    .collect(),
            })
        }),
        _ => None,
    });
    let consults_on = format!(
        "{} v{} (draft)",
        doc.info.display_short(),
        draft.meta.version
    );
    Ok(ConsultationPdfData {
        schema_version: SCHEMA_VERSION,
        doc: DocData {
            id: Some(doc.info.id.clone()),
            title: xml_safe(&c.meta.title),
            short_title: xml_safe(doc.info.display_short()),
            owner: xml_safe(&doc.info.owner),
            classification: xml_safe(&c.meta.classification),
            approver: Some(xml_safe(&doc.info.approver)),
            governed_by: doc.info.governed_by.as_deref().map(xml_safe),
            style: doc.info.style.as_ref().map(style_data),
        },
        version: MetaData::of_status(
            "consultation",
            xml_safe(&format!(
                "Consultation on {consults_on}: published {}, closes {}",
                dates.published.long(),
                dates.closes.long()
            )),
        ),
        cover: CoverData {
            title: xml_safe(&c.meta.title),
            strapline: c.meta.strapline.as_deref().map(xml_safe),
            date: dates.published.long(),
            respond_by: dates.closes.long(),
            author: xml_safe(&c.meta.author),
            classification: xml_safe(&c.meta.classification),
            consults_on: xml_safe(&consults_on),
        },
        blocks: body,
    })
}

/// Data for the mark-up PDF (`markup.typ`).
#[derive(Debug, Clone, Serialize)]
pub struct MarkupData<'a> {
    pub schema_version: u32,
    pub doc: DocData,
    /// The new version's front matter.
    pub version: MetaData,
    pub old: OldSide,
    pub new: NewSide,
    /// How the consultation names the mark-up ("Attachment 1").
    pub attachment: Option<String>,
    pub history: Vec<HistoryRow>,
    pub summary: Counts,
    /// Changes per section (only sections with some).
    pub sections: Vec<SectionCounts>,
    /// Front-matter fields that changed.
    pub meta: &'a [MetaChange],
    pub blocks: Vec<BlockData>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OldSide {
    pub label: String,
    pub version: MetaData,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewSide {
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub moved: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionCounts {
    pub name: String,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub moved: usize,
}

/// Data for the mark-up PDF of `new` against `old`.
pub fn markup_data<'a>(
    document: Option<&Document>,
    old: &SourceDoc,
    new: &SourceDoc,
    redline: &'a Redline,
    attachment: Option<&'a str>,
) -> MarkupData<'a> {
    let stats = redline.stats_where(BlockDiff::is_published);
    let sections = redline
        .stats_by_section_where(BlockDiff::is_published)
        .into_iter()
        .filter(|(_, s)| s.total_changes() > 0)
        .map(|(name, s)| SectionCounts {
            name,
            added: s.added,
            removed: s.removed,
            changed: s.changed,
            moved: s.moved,
        })
        .collect();
    // A plain file compared with a governed version is shown as that document.
    let doc_side = if new.info.is_none() && old.info.is_some() {
        old
    } else {
        new
    };
    MarkupData {
        schema_version: SCHEMA_VERSION,
        doc: doc_data(doc_side),
        version: meta_data(new),
        old: OldSide {
            label: side_label(old),
            version: meta_data(old),
        },
        new: NewSide {
            label: side_label(new),
        },
        attachment: attachment.map(xml_safe),
        history: history(document, new),
        summary: Counts {
            added: stats.added,
            removed: stats.removed,
            changed: stats.changed,
            moved: stats.moved,
            unchanged: stats.unchanged,
        },
        sections,
        meta: &redline.meta,
        blocks: redline_blocks(redline),
    }
}

/// `v3.0 (draft)`, or the file name for plain Markdown.
pub fn side_label(doc: &SourceDoc) -> String {
    match &doc.meta {
        Some(m) => format!("v{} ({})", m.version, m.status),
        None => doc.origin.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_data_has_readable_names_and_a_version() {
        let doc = crate::source::parse_plain_markdown(
            "a.md",
            "# Title\n\nPlain and **bold** text[^n].\n\n- item\n\n[^n]: The note.\n",
        )
        .unwrap();
        let v = serde_json::to_value(version_data(None, &doc)).unwrap();
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["kind"], "heading");
        assert_eq!(blocks[0]["slug"], "title");
        let para = &blocks[1];
        assert_eq!(para["kind"], "paragraph");
        let spans = para["spans"].as_array().unwrap();
        // A plain span has only its text and operation.
        assert_eq!(
            spans[0],
            serde_json::json!({"text": "Plain and ", "op": "eq"})
        );
        assert_eq!(spans[1]["bold"], true);
        assert_eq!(spans[1]["styled"], true);
        let note = spans.iter().find(|s| s.get("footnote").is_some()).unwrap();
        assert_eq!(note["note"][0][0]["text"], "The note.");
        // The list item's container, with its marker.
        assert_eq!(
            blocks[2]["nest"][0],
            serde_json::json!({"kind": "item", "marker": "•"})
        );
    }
}

/// Data for a consultation report's PDF (`report.typ`): the report as
/// `regdoc::responses` collates it, with the page furniture.
#[derive(Debug, Clone, Serialize)]
pub struct ReportPdfData<T: Serialize> {
    pub schema_version: u32,
    /// `title`: "Consultation report: …"; `classification`: the
    /// consultation's, or for the full report a warning that it holds
    /// confidential text, which every page's header and footer repeat.
    pub doc: DocData,
    pub version: MetaData,
    pub full: bool,
    pub report: T,
}

/// The page furniture of a consultation report of `document`.
pub fn report_pdf_data<T: Serialize>(
    document: &Document,
    consultation: &ConsultationFile,
    report: T,
    full: bool,
) -> ReportPdfData<T> {
    // Short enough for the running header and footer of every page.
    let classification = if full {
        "Full report: not for publication".to_string()
    } else {
        xml_safe(&consultation.meta.classification)
    };
    ReportPdfData {
        schema_version: SCHEMA_VERSION,
        doc: DocData {
            id: Some(document.info.id.clone()),
            title: xml_safe(&format!(
                "Consultation report: {} v{}",
                document.info.display_short(),
                consultation.meta.consults_on.version
            )),
            short_title: xml_safe(document.info.display_short()),
            owner: xml_safe(&document.info.owner),
            classification,
            approver: Some(xml_safe(&document.info.approver)),
            governed_by: document.info.governed_by.as_deref().map(xml_safe),
            style: document.info.style.as_ref().map(style_data),
        },
        version: MetaData::of_status(if full { "full report" } else { "report" }, String::new()),
        full,
        report,
    }
}
