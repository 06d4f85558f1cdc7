//! `regdoc diff --format docx`: a Word document with real tracked changes.
//!
//! Insertions and deletions are `w:ins`/`w:del` with an author and a date,
//! so Word's "Accept all" gives the new version and "Reject all" the old.
//! Headings use Word's heading styles and tables are Word tables.

use docx_rs::{
    Delete, Docx, Insert, Paragraph, Run, RunFonts, Style as WordStyle, StyleType, TableCell,
    TableRow,
};

use crate::diff::{BlockDiff, Change, Op, Redline, RowChange, Span};
use crate::error::{Error, Result};
use crate::model::{Block, Inline, SourceDoc, Style};

/// Who and when the tracked changes are attributed to.
#[derive(Debug, Clone)]
pub struct Revision {
    pub author: String,
    /// ISO 8601, e.g. `2024-06-10T00:00:00Z`.
    pub date: String,
}

fn run(text: &str, style: &Style, deleted: bool) -> Run {
    let mut r = Run::new();
    let parts: Vec<&str> = text.split('\n').collect();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            r = r.add_break(docx_rs::BreakType::TextWrapping);
        }
        if !part.is_empty() {
            r = if deleted {
                r.add_delete_text(*part)
            } else {
                r.add_text(*part)
            };
        }
    }
    if style.strong {
        r = r.bold();
    }
    if style.emph {
        r = r.italic();
    }
    if style.strike {
        r = r.strike();
    }
    if style.code {
        r = r.fonts(RunFonts::new().ascii("Courier New").hi_ansi("Courier New"));
    }
    r
}

fn add_spans(mut p: Paragraph, spans: &[Span], rev: &Revision) -> Paragraph {
    for s in spans {
        p = match s.op {
            Op::Equal => p.add_run(run(&s.text, &s.style, false)),
            Op::Insert => p.add_insert(
                Insert::new(run(&s.text, &s.style, false))
                    .author(rev.author.clone())
                    .date(rev.date.clone()),
            ),
            Op::Delete => p.add_delete(
                Delete::new()
                    .add_run(run(&s.text, &s.style, true))
                    .author(rev.author.clone())
                    .date(rev.date.clone()),
            ),
        };
    }
    p
}

fn whole(op: Op, inlines: &[Inline]) -> Vec<Span> {
    crate::diff::words::whole(op, inlines)
}

fn paragraph_for(block: &Block) -> Paragraph {
    let p = Paragraph::new();
    match block {
        Block::Heading { level, .. } => p.style(&format!("Heading{}", (*level).clamp(1, 6))),
        Block::ListItem { depth, number, .. } => {
            let marker = number.map_or("•".to_string(), |n| format!("{n}."));
            p.style("ListParagraph")
                .indent(
                    Some(360 * (*depth as i32 + 1)),
                    Some(docx_rs::SpecialIndentType::Hanging(360)),
                    None,
                    None,
                )
                .add_run(Run::new().add_text(format!("{marker}\t")))
        }
        Block::Quote { .. } => p.style("Quote"),
        Block::Code { .. } | Block::Html { .. } => p.style("SourceCode"),
        _ => p,
    }
}

fn block_spans(d: &BlockDiff) -> Vec<Span> {
    let shown = d.shown();
    let op = match d.change {
        Change::Added | Change::MovedHere => Op::Insert,
        Change::Removed | Change::MovedAway => Op::Delete,
        _ => Op::Equal,
    };
    if d.change == Change::Changed && !d.words.is_empty() {
        return d.words.clone();
    }
    match shown.inlines() {
        Some(i) => whole(op, i),
        None => vec![Span {
            op,
            text: shown.text(),
            style: Style::default(),
        }],
    }
}

fn table(d: &BlockDiff, rev: &Revision) -> docx_rs::Table {
    let cell = |spans: &[Span], header: bool| {
        let mut p = add_spans(Paragraph::new(), spans, rev);
        if header {
            p = p.style("TableHeader");
        }
        TableCell::new().add_paragraph(p)
    };
    let mut rows = Vec::new();
    if let Some(t) = &d.table {
        rows.push(TableRow::new(
            t.columns.iter().map(|c| cell(&c.header, true)).collect(),
        ));
        for r in &t.rows {
            let row = TableRow::new(r.cells.iter().map(|c| cell(c, false)).collect());
            rows.push(track_row(row, row_op(r.change), rev));
        }
    } else if let Block::Table(t) = d.shown() {
        let op = match d.change {
            Change::Added | Change::MovedHere => Op::Insert,
            Change::Removed | Change::MovedAway => Op::Delete,
            _ => Op::Equal,
        };
        rows.push(TableRow::new(
            t.header.iter().map(|h| cell(&whole(op, h), true)).collect(),
        ));
        for r in &t.rows {
            let row = TableRow::new(r.iter().map(|c| cell(&whole(op, c), false)).collect());
            rows.push(track_row(row, op, rev));
        }
    }
    // Readers (pandoc among them) need the column grid to see the cells.
    let cols = rows_width(d);
    docx_rs::Table::new(rows).set_grid(vec![9000 / cols.max(1); cols])
}

fn row_op(change: RowChange) -> Op {
    match change {
        RowChange::Added | RowChange::MovedHere => Op::Insert,
        RowChange::Removed | RowChange::MovedAway => Op::Delete,
        _ => Op::Equal,
    }
}

/// Marks a whole added or removed row as a tracked row change, so that
/// rejecting or accepting it in Word removes the row, not just its text.
fn track_row(row: TableRow, op: Op, rev: &Revision) -> TableRow {
    match op {
        Op::Insert => row.insert(
            Insert::new_with_empty()
                .author(rev.author.clone())
                .date(rev.date.clone()),
        ),
        Op::Delete => row.delete(
            Delete::new()
                .author(rev.author.clone())
                .date(rev.date.clone()),
        ),
        Op::Equal => row,
    }
}

fn rows_width(d: &BlockDiff) -> usize {
    match (&d.table, d.shown()) {
        (Some(t), _) => t.columns.len(),
        (None, Block::Table(t)) => t.header.len(),
        _ => 1,
    }
}

fn styles(doc: Docx) -> Docx {
    let mut doc = doc;
    let sizes = [32, 28, 26, 24, 22, 22];
    for (i, size) in sizes.iter().enumerate() {
        doc = doc.add_style(
            WordStyle::new(format!("Heading{}", i + 1), StyleType::Paragraph)
                .name(format!("Heading {}", i + 1))
                .size(*size)
                .bold(),
        );
    }
    doc.add_style(WordStyle::new("ListParagraph", StyleType::Paragraph).name("List Paragraph"))
        .add_style(
            WordStyle::new("Quote", StyleType::Paragraph)
                .name("Quote")
                .italic(),
        )
        .add_style(WordStyle::new("SourceCode", StyleType::Paragraph).name("Source Code"))
        .add_style(
            WordStyle::new("TableHeader", StyleType::Paragraph)
                .name("Table Header")
                .bold(),
        )
}

/// The redline as .docx bytes.
pub fn redline_docx(
    old: &SourceDoc,
    new: &SourceDoc,
    r: &Redline,
    rev: &Revision,
) -> Result<Vec<u8>> {
    let mut doc = styles(Docx::new())
        .created_at(&rev.date)
        .updated_at(&rev.date)
        .add_paragraph(
            Paragraph::new().style("Title").add_run(
                Run::new()
                    .add_text(crate::model::comparison_title(old, new))
                    .bold()
                    .size(36),
            ),
        )
        .add_paragraph(
            Paragraph::new().add_run(
                Run::new()
                    .add_text(format!(
                        "Tracked changes: {} compared with {}",
                        new.label(),
                        old.label()
                    ))
                    .italic(),
            ),
        );
    for m in &r.meta {
        let spans = vec![
            Span {
                op: Op::Equal,
                text: format!("Front matter {}: ", m.field),
                style: Style::default(),
            },
            Span {
                op: Op::Delete,
                text: m.old.clone().unwrap_or_default(),
                style: Style::default(),
            },
            Span {
                op: Op::Insert,
                text: m.new.clone().unwrap_or_default(),
                style: Style::default(),
            },
        ];
        doc = doc.add_paragraph(add_spans(Paragraph::new(), &spans, rev));
    }
    for d in &r.blocks {
        if matches!(d.shown(), Block::Table(_)) {
            doc = doc.add_table(table(d, rev));
            continue;
        }
        if matches!(d.shown(), Block::Rule) {
            continue;
        }
        let mut p = add_spans(paragraph_for(d.shown()), &block_spans(d), rev);
        // A whole added or removed paragraph tracks its paragraph mark too,
        // so Word's "Reject all" / "Accept all" removes it completely.
        p = match d.change {
            Change::Added | Change::MovedHere => p.insert(rev.author.clone(), rev.date.clone()),
            Change::Removed | Change::MovedAway => p.delete(rev.author.clone(), rev.date.clone()),
            _ => p,
        };
        doc = doc.add_paragraph(p);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| Error::input(format!("cannot write the Word document: {e}")))?;
    Ok(buf.into_inner())
}
