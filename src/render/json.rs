//! `regdoc diff --format json`: the redline for machines.
//!
//! The schema is versioned (`schema_version`) and documented in
//! `docs/diff-json.md`; a change that breaks readers bumps the version.

use serde::Serialize;
use serde_json::{Value, json};

use crate::diff::{BlockDiff, Change, Redline};
use crate::model::{Block, SourceDoc};

/// Bumped whenever a field is removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

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

fn text(b: Option<&Block>) -> Option<String> {
    b.map(|b| b.text())
}

/// Positions of each block in the old and new documents.
fn indices(r: &Redline) -> Vec<(Option<usize>, Option<usize>)> {
    let (mut i, mut j) = (0usize, 0usize);
    r.blocks
        .iter()
        .map(|d| {
            let o = matches!(
                d.change,
                Change::Unchanged | Change::Changed | Change::Removed | Change::MovedAway
            )
            .then(|| {
                i += 1;
                i - 1
            });
            let n = matches!(
                d.change,
                Change::Unchanged | Change::Changed | Change::Added | Change::MovedHere
            )
            .then(|| {
                j += 1;
                j - 1
            });
            (o, n)
        })
        .collect()
}

fn change_json(
    index: usize,
    d: &BlockDiff,
    pos: (Option<usize>, Option<usize>),
    r: &Redline,
) -> Value {
    let mut v = json!({
        "index": index,
        "kind": d.change,
        "block_type": d.shown().kind(),
        "path": { "headings": d.section, "old_index": pos.0, "new_index": pos.1 },
        "old_text": if matches!(d.change, Change::Added) { None } else { text(d.old.as_ref()) },
        "new_text": if matches!(d.change, Change::Removed | Change::MovedAway) { None } else { text(d.new.as_ref()) },
    });
    let m = v.as_object_mut().expect("object");
    if !d.words.is_empty() {
        m.insert(
            "spans".into(),
            serde_json::to_value(&d.words).expect("spans"),
        );
    }
    if let Some(t) = &d.table {
        m.insert("table".into(), serde_json::to_value(t).expect("table"));
    }
    if let Some(p) = d.partner {
        let key = if d.change == Change::MovedAway {
            "moved_to"
        } else {
            "moved_from"
        };
        m.insert(
            key.into(),
            json!({ "index": p, "headings": r.blocks[p].section }),
        );
    }
    v
}

/// The redline as a JSON document.
pub fn redline_json(old: &SourceDoc, new: &SourceDoc, r: &Redline) -> Value {
    let pos = indices(r);
    let changes: Vec<Value> = r
        .blocks
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_change())
        .map(|(i, d)| change_json(i, d, pos[i], r))
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "generator": format!("regdoc {}", env!("CARGO_PKG_VERSION")),
        "old": side(old),
        "new": side(new),
        "counts": r.stats(),
        "metadata_changes": r.meta,
        "changes": changes,
        "blocks": r.blocks,
    })
}
