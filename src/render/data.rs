//! The document and its redline as JSON data for the typst templates.
//!
//! This is the boundary that keeps text as data: templates receive strings
//! and show them; nothing here writes typst syntax.

use serde_json::{Value, json};

use crate::diff::{BlockDiff, Change, Op, Redline, Span};
use crate::model::{Block, Document, Frame, Inline, Leaf, SourceDoc, Status, VersionMeta, flatten};

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Equal => "eq",
        Op::Delete => "del",
        Op::Insert => "ins",
    }
}

/// Footnote texts by label, as paragraphs of spans (with their changes in
/// a mark-up): shown where the note is referred to.
type Notes = std::collections::HashMap<String, Vec<Value>>;

/// Where images come from: the new document's folder, and for deleted
/// images in a mark-up, the old one's.
fn image_path(src: &str, op: Op) -> Option<String> {
    if crate::source::assets::is_remote(src) {
        return None;
    }
    let root = if op == Op::Delete { "/old/" } else { "/doc/" };
    Some(format!("{root}{}", src.trim_start_matches("./")))
}

fn span_json(op: Op, text: &str, style: &crate::model::Style, notes: &Notes) -> Value {
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
    if style.code || style.html {
        m.insert("code".into(), true.into());
    }
    if let Some(l) = &style.link {
        m.insert("link".into(), l.clone().into());
    }
    if let Some(img) = &style.image {
        match image_path(&img.src, op) {
            Some(p) => {
                m.insert("img".into(), p.into());
            }
            // A remote image is never fetched: its alt text and URL stand.
            None => {
                m.insert("url".into(), img.src.clone().into());
            }
        }
    }
    if let Some(label) = &style.footnote {
        m.insert("fn".into(), label.to_string().into());
        if let Some(n) = notes.get(&**label) {
            m.insert("note".into(), Value::Array(n.clone()));
        }
    }
    v
}

fn inlines_json(op: Op, inlines: &[Inline], notes: &Notes) -> Value {
    Value::Array(
        inlines
            .iter()
            .map(|i| span_json(op, &i.text, &i.style, notes))
            .collect(),
    )
}

fn spans_json(spans: &[Span], notes: &Notes) -> Value {
    Value::Array(
        spans
            .iter()
            .map(|s| span_json(s.op, &s.text, &s.style, notes))
            .collect(),
    )
}

/// A leaf block shown whole with one operation (`Equal` for a clean
/// version).
fn block_json(block: &Block, op: Op, notes: &Notes) -> Value {
    match block {
        Block::Heading { level, content } => {
            json!({"t": "heading", "level": level, "spans": inlines_json(op, content, notes)})
        }
        Block::Paragraph { content } => {
            json!({"t": "para", "spans": inlines_json(op, content, notes)})
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
                    let cells: Vec<Value> = (0..n).map(|i| inlines_json(op, r.get(i).map_or(&[][..], |c| c), notes)).collect();
                    json!({"change": if op == Op::Equal { "unchanged" } else { "whole" }, "cells": cells})
                })
                .collect();
            json!({
                "t": "table",
                "columns": columns,
                "header": t.header.iter().map(|h| inlines_json(op, h, notes)).collect::<Vec<_>>(),
                "rows": rows,
            })
        }
        // Containers never reach here: they are flattened into leaves.
        container => json!({"t": "para", "spans": [ {"s": container.text(), "op": op_name(op)} ]}),
    }
}

/// The containers a leaf stands in, for the template to indent by: one
/// entry per level, with the list marker on the line that starts an item.
fn nest_json(path: &[Frame], prev: Option<&[Frame]>) -> Value {
    let mut out = Vec::new();
    for (k, f) in path.iter().enumerate() {
        let starts = crate::model::opens_at(prev, path, k);
        match f {
            Frame::Quote { .. } => out.push(json!({"k": "quote"})),
            Frame::Footnote { label, .. } => out.push(json!({
                "k": "item",
                "marker": if starts { format!("[{label}]") } else { String::new() },
            })),
            Frame::Item { number, task, .. } => {
                let mut marker = match number {
                    Some(n) => format!("{n}."),
                    None => "•".to_string(),
                };
                if let Some(done) = task {
                    marker.push_str(if *done { " ☒" } else { " ☐" });
                }
                out.push(json!({
                    "k": "item",
                    "marker": if starts { marker } else { String::new() },
                }));
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
    Value::Array(out)
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
fn link_anchors(blocks: &mut [Value]) {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for b in blocks.iter_mut() {
        let removed = matches!(b["change"].as_str(), Some("removed" | "moved-away"));
        if b["t"] != "heading" || removed {
            continue;
        }
        let text: String = b["spans"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|s| s["op"] != "del")
                    .filter_map(|s| s["s"].as_str())
                    .collect()
            })
            .unwrap_or_default();
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
        b.as_object_mut()
            .expect("object")
            .insert("slug".into(), name.into());
    }
    let names: std::collections::HashSet<String> = blocks
        .iter()
        .filter_map(|b| b["slug"].as_str().map(str::to_string))
        .collect();
    let mut visit = |spans: &mut Value| {
        for sp in spans.as_array_mut().into_iter().flatten() {
            if let Some(target) = sp["link"].as_str().and_then(|l| l.strip_prefix('#'))
                && names.contains(target)
            {
                let t = target.to_string();
                sp.as_object_mut()
                    .expect("object")
                    .insert("anchor".into(), t.into());
            }
        }
    };
    for b in blocks.iter_mut() {
        if let Some(spans) = b.get_mut("spans") {
            visit(spans);
        }
        if let Some(Value::Array(cells)) = b.get_mut("header") {
            cells.iter_mut().for_each(&mut visit);
        }
        if let Some(Value::Array(rows)) = b.get_mut("rows") {
            for row in rows {
                if let Some(Value::Array(cells)) = row.get_mut("cells") {
                    cells.iter_mut().for_each(&mut visit);
                }
            }
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

/// Blocks of a redline, each marked with how it changed. Footnote texts
/// go with their references, marked in place.
pub fn redline_blocks(r: &Redline) -> Vec<Value> {
    let paths = r.display_paths();
    // On either side: a note whose reference was deleted is still a note.
    let both: Vec<&Leaf> = r
        .blocks
        .iter()
        .flat_map(|d| [d.old.as_ref(), d.new.as_ref()])
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
                .push(v["spans"].clone());
        }
    }
    let mut out = Vec::new();
    let mut prev: Option<&[Frame]> = None;
    for (d, path) in r.blocks.iter().zip(&paths) {
        if !d.is_published() || note_label(path).is_some_and(|l| refs.contains(l)) {
            continue;
        }
        let mut v = redline_block(r, d, &notes);
        v.as_object_mut()
            .expect("object")
            .insert("nest".into(), nest_json(path, prev));
        prev = Some(path);
        out.push(v);
    }
    link_anchors(&mut out);
    out
}

fn redline_block(r: &Redline, d: &BlockDiff, notes: &Notes) -> Value {
    match d.change {
        Change::Unchanged => with_change(block_json(d.shown(), Op::Equal, notes), "none", None),
        Change::Added => with_change(block_json(d.shown(), Op::Insert, notes), "added", None),
        Change::Removed => with_change(block_json(d.shown(), Op::Delete, notes), "removed", None),
        Change::MovedAway => {
            let to = d.partner.map(|p| section_name(&r.blocks[p].section));
            with_change(
                block_json(d.shown(), Op::Delete, notes),
                "moved-away",
                to.map(|s| format!("Moved to: {s}")),
            )
        }
        Change::MovedHere | Change::Changed => {
            let mut v = block_json(d.shown(), Op::Equal, notes);
            if let Some(t) = &d.table {
                v = table_diff_json(t, notes);
            } else if !d.words.is_empty() {
                v.as_object_mut()
                    .expect("object")
                    .insert("spans".into(), spans_json(&d.words, notes));
            }
            let (kind, note) = if d.change == Change::MovedHere {
                let from = d.partner.map(|p| section_name(&r.blocks[p].section));
                ("moved-here", from.map(|s| format!("Moved from: {s}")))
            } else {
                ("changed", None)
            };
            with_change(v, kind, note)
        }
    }
}

fn table_diff_json(t: &crate::diff::TableDiff, notes: &Notes) -> Value {
    json!({
        "t": "table",
        "columns": t.columns.iter().map(|c| json!({"op": op_name(c.op), "align": c.align})).collect::<Vec<_>>(),
        "header": t.columns.iter().map(|c| spans_json(&c.header, notes)).collect::<Vec<_>>(),
        "rows": t.rows.iter().map(|r| json!({
            "change": match r.change {
                Change::Unchanged => "unchanged",
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
                Change::MovedAway => "moved-away",
                Change::MovedHere => "moved-here",
            },
            "cells": r.cells.iter().map(|c| spans_json(c, notes)).collect::<Vec<_>>(),
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

/// The document-control table: the document's versions up to this one.
/// Later ones are left out: an approved PDF must not change because
/// someone started a draft after it.
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
        Some(d) => Value::Array(
            d.versions
                .iter()
                .filter(|f| {
                    doc.meta
                        .as_ref()
                        .is_none_or(|m| f.meta.version <= m.version)
                })
                .map(|f| row(&f.meta))
                .collect(),
        ),
        None => Value::Array(doc.meta.iter().map(row).collect()),
    }
}

/// Data for the clean PDF of one version.
pub fn version_data(document: Option<&Document>, doc: &SourceDoc) -> Value {
    let leaves = flatten(&doc.blocks);
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
                .push(block_json(&l.block, Op::Equal, &empty)["spans"].clone());
        }
    }
    let mut blocks = Vec::new();
    let mut prev: Option<&[Frame]> = None;
    for l in &leaves {
        if l.block.is_comment() || note_label(&l.path).is_some_and(|x| refs.contains(x)) {
            continue;
        }
        let mut v = with_change(block_json(&l.block, Op::Equal, &notes), "none", None);
        v.as_object_mut()
            .expect("object")
            .insert("nest".into(), nest_json(&l.path, prev));
        prev = Some(&l.path);
        blocks.push(v);
    }
    link_anchors(&mut blocks);
    // A plain file's front matter, as the tool that wrote it keeps it.
    let front_matter: Vec<(String, String)> = doc
        .front_matter
        .as_ref()
        .map(|f| f.display_fields())
        .unwrap_or_default();
    json!({
        "doc": doc_json(doc),
        "version": meta_json(doc),
        "history": history_json(document, doc),
        "front_matter": front_matter,
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
