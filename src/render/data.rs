//! The document and its redline as JSON data for the typst templates.
//!
//! This is the boundary that keeps text as data: templates receive strings
//! and show them; nothing here writes typst syntax.

use serde_json::{Value, json};

use crate::diff::{BlockDiff, Change, Op, Redline, RowChange, Span};
use crate::model::{Block, Document, Inline, SourceDoc, Status, VersionMeta};

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Equal => "eq",
        Op::Delete => "del",
        Op::Insert => "ins",
    }
}

fn span_json(op: Op, text: &str, style: &crate::model::Style) -> Value {
    let mut v = json!({ "s": text, "op": op_name(op) });
    let m = v.as_object_mut().expect("object");
    if style.strong {
        m.insert("b".into(), true.into());
    }
    if style.emph {
        m.insert("i".into(), true.into());
    }
    if style.strike {
        m.insert("x".into(), true.into());
    }
    if style.code {
        m.insert("code".into(), true.into());
    }
    if let Some(l) = &style.link {
        m.insert("link".into(), l.clone().into());
    }
    v
}

fn inlines_json(op: Op, inlines: &[Inline]) -> Value {
    Value::Array(
        inlines
            .iter()
            .map(|i| span_json(op, &i.text, &i.style))
            .collect(),
    )
}

fn spans_json(spans: &[Span]) -> Value {
    Value::Array(
        spans
            .iter()
            .map(|s| span_json(s.op, &s.text, &s.style))
            .collect(),
    )
}

/// A block shown whole with one operation (`Equal` for a clean version).
fn block_json(block: &Block, op: Op) -> Value {
    match block {
        Block::Heading { level, content } => {
            json!({"t": "heading", "level": level, "spans": inlines_json(op, content)})
        }
        Block::Paragraph { content } => json!({"t": "para", "spans": inlines_json(op, content)}),
        Block::ListItem {
            depth,
            number,
            content,
        } => {
            json!({"t": "item", "depth": depth, "number": number, "spans": inlines_json(op, content)})
        }
        Block::Quote { depth, content } => {
            json!({"t": "quote", "depth": depth, "spans": inlines_json(op, content)})
        }
        Block::Code { text, .. } => {
            json!({"t": "code", "spans": [ {"s": text, "op": op_name(op)} ]})
        }
        Block::Html { text } => json!({"t": "code", "spans": [ {"s": text, "op": op_name(op)} ]}),
        Block::Rule => json!({"t": "rule", "op": op_name(op)}),
        Block::Table(t) => {
            let columns: Vec<Value> = t
                .align
                .iter()
                .map(|a| json!({"op": op_name(op), "align": a}))
                .collect();
            let n = t.header.len();
            let rows: Vec<Value> = t
                .rows
                .iter()
                .map(|r| {
                    let cells: Vec<Value> = (0..n).map(|i| inlines_json(op, r.get(i).map_or(&[][..], |c| c))).collect();
                    json!({"change": if op == Op::Equal { "unchanged" } else { "whole" }, "cells": cells})
                })
                .collect();
            json!({
                "t": "table",
                "columns": columns,
                "header": t.header.iter().map(|h| inlines_json(op, h)).collect::<Vec<_>>(),
                "rows": rows,
            })
        }
    }
}

fn with_change(mut v: Value, change: &str, note: Option<String>) -> Value {
    let m = v.as_object_mut().expect("object");
    m.insert("change".into(), change.into());
    if let Some(n) = note {
        m.insert("note".into(), n.into());
    }
    v
}

fn section_name(section: &[String]) -> String {
    section
        .last()
        .cloned()
        .unwrap_or_else(|| "the start".into())
}

/// Blocks of a redline, each marked with how it changed.
pub fn redline_blocks(r: &Redline) -> Vec<Value> {
    r.blocks
        .iter()
        .filter(|d| d.is_published())
        .map(|d| match d.change {
            Change::Unchanged => with_change(block_json(d.shown(), Op::Equal), "none", None),
            Change::Added => with_change(block_json(d.shown(), Op::Insert), "added", None),
            Change::Removed => with_change(block_json(d.shown(), Op::Delete), "removed", None),
            Change::MovedAway => {
                let to = d.partner.map(|p| section_name(&r.blocks[p].section));
                with_change(
                    block_json(d.shown(), Op::Delete),
                    "moved-away",
                    to.map(|s| format!("Moved to: {s}")),
                )
            }
            Change::MovedHere | Change::Changed => {
                let mut v = block_json(d.shown(), Op::Equal);
                if let Some(t) = &d.table {
                    v = table_diff_json(t);
                } else if !d.words.is_empty() {
                    v.as_object_mut()
                        .expect("object")
                        .insert("spans".into(), spans_json(&d.words));
                }
                let (kind, note) = if d.change == Change::MovedHere {
                    let from = d.partner.map(|p| section_name(&r.blocks[p].section));
                    ("moved-here", from.map(|s| format!("Moved from: {s}")))
                } else {
                    ("changed", None)
                };
                with_change(v, kind, note)
            }
        })
        .collect()
}

fn table_diff_json(t: &crate::diff::TableDiff) -> Value {
    json!({
        "t": "table",
        "columns": t.columns.iter().map(|c| json!({"op": op_name(c.op), "align": c.align})).collect::<Vec<_>>(),
        "header": t.columns.iter().map(|c| spans_json(&c.header)).collect::<Vec<_>>(),
        "rows": t.rows.iter().map(|r| json!({
            "change": match r.change {
                RowChange::Unchanged => "unchanged",
                RowChange::Added => "added",
                RowChange::Removed => "removed",
                RowChange::Changed => "changed",
                RowChange::MovedAway => "moved-away",
                RowChange::MovedHere => "moved-here",
            },
            "cells": r.cells.iter().map(|c| spans_json(c)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
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

fn meta_json(doc: &SourceDoc) -> Value {
    let approver = doc.info.as_ref().map(|i| i.approver.as_str());
    match &doc.meta {
        Some(m) => json!({
            "version": m.version.to_string(),
            "status": m.status.to_string(),
            "effective": m.effective.to_string(),
            "effective_long": m.effective.long(),
            "summary": m.summary,
            "approved_by": m.approved.as_ref().map(|a| a.by.clone()),
            "approved_on": m.approved.as_ref().map(|a| a.on.long()),
            "consultation": m.consultation.as_ref().map(|c| json!({
                "published": c.published.long(), "closes": c.closes.long(),
            })),
            "status_line": status_line(m, approver),
            "draft": m.status == Status::Draft,
            "assumptions": m.assumptions,
        }),
        None => json!({
            "version": null, "status": null, "effective": null, "summary": null,
            "status_line": "", "draft": false, "assumptions": [],
        }),
    }
}

fn doc_json(doc: &SourceDoc) -> Value {
    match &doc.info {
        Some(i) => json!({
            "id": i.id, "title": i.title, "short_title": i.display_short(), "owner": i.owner,
            "classification": i.classification, "approver": i.approver, "governed_by": i.governed_by,
        }),
        None => json!({
            "id": null, "title": doc.title(), "short_title": doc.title(), "owner": "",
            "classification": "", "approver": null, "governed_by": null,
        }),
    }
}

/// The document-control table: every version of the document.
pub fn history_json(document: Option<&Document>, doc: &SourceDoc) -> Value {
    let row = |m: &VersionMeta| {
        json!({
            "version": m.version.to_string(),
            "status": m.status.to_string(),
            "effective": m.effective.to_string(),
            "approved": m.approved.as_ref().map(|a| format!("{}, {}", a.by, a.on)).unwrap_or_default(),
            "summary": m.summary,
        })
    };
    match document {
        Some(d) => Value::Array(d.versions.iter().map(|f| row(&f.meta)).collect()),
        None => Value::Array(doc.meta.iter().map(row).collect()),
    }
}

/// Data for the clean PDF of one version.
pub fn version_data(document: Option<&Document>, doc: &SourceDoc) -> Value {
    let blocks: Vec<Value> = doc
        .blocks
        .iter()
        .filter(|b| !b.is_comment())
        .map(|b| with_change(block_json(b, Op::Equal), "none", None))
        .collect();
    json!({
        "doc": doc_json(doc),
        "version": meta_json(doc),
        "history": history_json(document, doc),
        "blocks": blocks,
    })
}

/// Data for the mark-up PDF of `new` against `old`.
pub fn markup_data(
    document: Option<&Document>,
    old: &SourceDoc,
    new: &SourceDoc,
    redline: &Redline,
    attachment: Option<&str>,
) -> Value {
    let stats = redline.stats_where(BlockDiff::is_published);
    let sections: Vec<Value> = redline
        .stats_by_section_where(BlockDiff::is_published)
        .into_iter()
        .filter(|(_, s)| s.total_changes() > 0)
        .map(|(name, s)| json!({"name": name, "added": s.added, "removed": s.removed, "changed": s.changed, "moved": s.moved}))
        .collect();
    // A plain file compared with a governed version is shown as that document.
    let doc_side = if new.info.is_none() && old.info.is_some() {
        old
    } else {
        new
    };
    json!({
        "doc": doc_json(doc_side),
        "version": meta_json(new),
        "old": { "label": side_label(old), "version": meta_json(old) },
        "new": { "label": side_label(new) },
        "attachment": attachment,
        "history": history_json(document, new),
        "summary": {"added": stats.added, "removed": stats.removed, "changed": stats.changed, "moved": stats.moved, "unchanged": stats.unchanged},
        "sections": sections,
        "meta": redline.meta,
        "blocks": redline_blocks(redline),
    })
}

/// `v3.0 (draft)`, or the file name for plain Markdown.
pub fn side_label(doc: &SourceDoc) -> String {
    match &doc.meta {
        Some(m) => format!("v{} ({})", m.version, m.status),
        None => doc.origin.clone(),
    }
}
