//! `regdoc diff --format json`: the redline for machines.
//!
//! The schema is versioned (`schema_version`) and documented in
//! `docs/diff-json.md`; a change that breaks readers bumps the version.
//! It is serialised straight from these structs (no intermediate JSON
//! tree), which keeps a 1,000-page diff fast.

use serde::Serialize;

use crate::diff::{BlockDiff, Change, Edit, MetaChange, Redline, Span, Stats, TableDiff};
use crate::model::SourceDoc;

/// Bumped whenever a field is removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Side<'a> {
    label: String,
    origin: &'a str,
    version: Option<String>,
    status: Option<String>,
    effective: Option<String>,
}

fn side(doc: &SourceDoc) -> Side<'_> {
    Side {
        label: doc.label(),
        origin: &doc.origin,
        version: doc.meta.as_ref().map(|m| m.version.to_string()),
        status: doc.meta.as_ref().map(|m| m.status.to_string()),
        effective: doc.meta.as_ref().map(|m| m.effective.to_string()),
    }
}

#[derive(Serialize)]
struct Path<'a> {
    headings: &'a [String],
    old_index: Option<usize>,
    new_index: Option<usize>,
}

#[derive(Serialize)]
struct Other<'a> {
    index: usize,
    headings: &'a [String],
}

#[derive(Serialize)]
struct ChangeOut<'a> {
    index: usize,
    kind: Change,
    block_type: &'static str,
    path: Path<'a>,
    old_text: Option<String>,
    new_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spans: Option<&'a [Span]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a TableDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_from: Option<Other<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_to: Option<Other<'a>>,
}

#[derive(Serialize)]
struct Output<'a> {
    schema_version: u32,
    generator: String,
    old: Side<'a>,
    new: Side<'a>,
    counts: Stats,
    metadata_changes: &'a [MetaChange],
    /// A plain file's front matter on each side, verbatim.
    #[serde(skip_serializing_if = "no_front_matter")]
    front_matter: &'a crate::diff::FrontMatters,
    changes: Vec<ChangeOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocks: Option<&'a [BlockDiff]>,
    /// Where the comparison is coarser than it could be (a cap reached).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

fn no_front_matter(f: &crate::diff::FrontMatters) -> bool {
    f.old.is_none() && f.new.is_none()
}

/// Positions of each block in the old and new documents.
fn indices(r: &Redline) -> Vec<(Option<usize>, Option<usize>)> {
    let (mut i, mut j) = (0usize, 0usize);
    r.blocks
        .iter()
        .map(|d| {
            let o = d.is_on(crate::diff::Side::Old).then(|| {
                i += 1;
                i - 1
            });
            let n = d.is_on(crate::diff::Side::New).then(|| {
                j += 1;
                j - 1
            });
            (o, n)
        })
        .collect()
}

fn change_out<'a>(
    index: usize,
    d: &'a BlockDiff,
    pos: (Option<usize>, Option<usize>),
    r: &'a Redline,
) -> ChangeOut<'a> {
    let other = |p: usize| {
        Some(Other {
            index: p,
            headings: &r.blocks[p].section,
        })
    };
    let (moved_from, moved_to) = match d.edit {
        Edit::MovedAway { to, .. } => (None, other(to)),
        Edit::MovedHere { from, .. } => (other(from), None),
        _ => (None, None),
    };
    ChangeOut {
        index,
        kind: d.change(),
        block_type: d.shown().kind(),
        path: Path {
            headings: &d.section,
            old_index: pos.0,
            new_index: pos.1,
        },
        old_text: d.old_block().map(crate::model::Block::text),
        new_text: d.new_block().map(crate::model::Block::text),
        spans: (!d.words().is_empty()).then_some(d.words()),
        table: d.table(),
        moved_from,
        moved_to,
    }
}

/// The redline as JSON text (pretty-printed, with a final newline).
pub fn redline_json(old: &SourceDoc, new: &SourceDoc, r: &Redline) -> String {
    redline_json_with(old, new, r, true)
}

/// The redline as JSON, with or without `blocks` (both whole documents).
pub fn redline_json_with(old: &SourceDoc, new: &SourceDoc, r: &Redline, blocks: bool) -> String {
    let pos = indices(r);
    let out = Output {
        schema_version: SCHEMA_VERSION,
        generator: format!("regdoc {}", env!("CARGO_PKG_VERSION")),
        old: side(old),
        new: side(new),
        counts: r.stats(),
        metadata_changes: &r.meta,
        front_matter: &r.front_matter,
        changes: r
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_change())
            .map(|(i, d)| change_out(i, d, pos[i], r))
            .collect(),
        blocks: blocks.then_some(&r.blocks[..]),
        notes: &r.notes,
    };
    let mut s = serde_json::to_string_pretty(&out).expect("JSON of plain data");
    s.push('\n');
    s
}

/// `regdoc diff --format json`.
pub struct Json;

impl super::Renderer for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn render(&self, ctx: &super::RenderContext<'_>) -> crate::error::Result<Vec<u8>> {
        Ok(redline_json_with(ctx.old, ctx.new, ctx.redline, !ctx.options.no_blocks).into_bytes())
    }
}
