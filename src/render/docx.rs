//! `regdoc diff --format docx`: a Word document with real tracked changes.
//!
//! Insertions and deletions are `w:ins`/`w:del` with an author and a date,
//! so Word's "Accept all" gives the new version and "Reject all" the old.
//! A moved paragraph is a Word move (`w:moveFrom`/`w:moveTo` inside named
//! move ranges), with a comment on each side saying where it went or came
//! from. Headings use Word's heading styles and tables are Word tables.

use std::collections::HashMap;

use docx_rs::{
    AbstractNumbering, Comment, Delete, Docx, Footnote, Hyperlink, HyperlinkType, IndentLevel,
    Insert, Level, LevelJc, LevelOverride, LevelText, MoveFrom, MoveTo, NumberFormat, Numbering,
    NumberingId, Paragraph, Pic, Run, RunFonts, SpecialIndentType, Start, Style as WordStyle,
    StyleType, TableCell, TableRow,
};

use super::text::xml_safe;
use crate::diff::{BlockDiff, Change, Op, Redline, Span};
use crate::error::{Error, Result};
use crate::model::{Block, Frame, Inline, SourceDoc, Style, leaf_inlines};
use crate::source::assets::Images;

/// What runs need beyond their text: images to embed and footnote texts.
struct Ctx<'a> {
    images: &'a Images,
    notes: HashMap<String, Vec<Paragraph>>,
}

/// Characters XML 1.0 forbids: a Word file that holds one is unreadable.
/// An image as a Word picture, at most 6 inches (576 px at 96 dpi) wide.
fn picture(images: &Images, src: &str) -> Option<Pic> {
    let p = images.get(src)?;
    let (bytes, w, h) = match p.format {
        "png" => (p.bytes.clone(), p.width, p.height),
        "jpeg" | "gif" => {
            let img = image::load_from_memory(&p.bytes).ok()?;
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).ok()?;
            (out.into_inner(), img.width(), img.height())
        }
        _ => return None,
    };
    let (w, h) = if w > 576 {
        (576, ((h as u64 * 576) / w as u64).max(1) as u32)
    } else {
        (w, h)
    };
    Some(Pic::new_with_dimensions(bytes, w, h))
}

/// Who and when the tracked changes are attributed to.
#[derive(Debug, Clone)]
pub struct Revision {
    pub author: String,
    /// ISO 8601, e.g. `2024-06-10T00:00:00Z`.
    pub date: String,
}

impl Revision {
    /// The revision of the changes that make `new`: by `author`, else the
    /// document's owner, else "regdoc"; dated by [`revision_date`].
    pub fn of(new: &SourceDoc, author: Option<&str>) -> Revision {
        Revision {
            author: author.map(str::to_string).unwrap_or_else(|| {
                new.info
                    .as_ref()
                    .map_or_else(|| "regdoc".to_string(), |i| i.owner.clone())
            }),
            date: revision_date(new),
        }
    }
}

/// The date of the tracked changes: when the new version was proposed
/// (consultation), approved or takes effect; SOURCE_DATE_EPOCH overrides
/// it. A plain file has no such date: the changes carry the epoch rather
/// than the file's modification time, so that the same content always
/// gives the same bytes.
pub fn revision_date(doc: &SourceDoc) -> String {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        && let Some(d) = crate::model::EffectiveDate::from_unix(secs)
    {
        return format!("{d}T00:00:00Z");
    }
    if let Some(m) = &doc.meta {
        let d = m
            .consultation
            .as_ref()
            .map(|c| c.published)
            .or(m.approved.as_ref().map(|a| a.on))
            .unwrap_or(m.effective);
        return format!("{d}T00:00:00Z");
    }
    "1970-01-01T00:00:00Z".into()
}

/// `regdoc diff --format docx`: Word with tracked changes.
pub struct Word;

impl super::Renderer for Word {
    fn name(&self) -> &'static str {
        "docx"
    }
    fn binary(&self) -> bool {
        true
    }
    fn render(&self, ctx: &super::RenderContext<'_>) -> Result<Vec<u8>> {
        let rev = Revision::of(ctx.new, ctx.options.author.as_deref());
        redline_docx(ctx.old, ctx.new, ctx.redline, &rev, &ctx.images()?)
    }
}

fn run(text: &str, style: &Style, deleted: bool, ctx: &Ctx) -> Run {
    let mut r = Run::new();
    if let Some(label) = &style.footnote
        && let Some(paras) = ctx.notes.get(&**label)
    {
        let mut note = Footnote::new();
        for p in paras {
            note.add_content(p.clone());
        }
        return r.add_footnote_reference(note);
    }
    if let Some(img) = &style.image
        && let Some(pic) = picture(ctx.images, &img.src)
    {
        return r.add_image(pic);
    }
    let shown;
    let text = if let Some(img) = &style.image {
        // Not embeddable (remote, SVG): its alt text and address.
        shown = format!("[{}] <{}>", text, img.src);
        shown.as_str()
    } else if let Some(label) = &style.footnote {
        shown = format!("[^{label}]");
        shown.as_str()
    } else {
        text
    };
    let text = xml_safe(text);
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
    if style.code || style.html {
        r = r.fonts(RunFonts::new().ascii("Courier New").hi_ansi("Courier New"));
    }
    if style.link.is_some() {
        r = r.style("Hyperlink");
    }
    r
}

/// An external link target Word can open.
fn external(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")
}

/// A span as Word writes it: a run, or a run inside a tracked change.
/// Short-lived (one per span, added at once), so the variants' sizes do
/// not matter.
#[allow(clippy::large_enum_variant)]
enum Tracked {
    Run(Run),
    Insert(Insert),
    Delete(Delete),
    MoveFrom(MoveFrom),
    MoveTo(MoveTo),
}

/// Which side of a move a paragraph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moved {
    From,
    To,
}

fn tracked(s: &Span, rev: &Revision, ctx: &Ctx) -> Tracked {
    match s.op {
        Op::Equal => Tracked::Run(run(&s.text, &s.style, false, ctx)),
        Op::Insert => Tracked::Insert(
            Insert::new(run(&s.text, &s.style, false, ctx))
                .author(rev.author.clone())
                .date(rev.date.clone()),
        ),
        Op::Delete => Tracked::Delete(
            Delete::new()
                .add_run(run(&s.text, &s.style, true, ctx))
                .author(rev.author.clone())
                .date(rev.date.clone()),
        ),
    }
}

fn add_spans(p: Paragraph, spans: &[Span], rev: &Revision, ctx: &Ctx) -> Paragraph {
    add_moved_spans(p, spans, rev, ctx, None)
}

/// Adds spans to a paragraph; in a moved paragraph the moved text is a
/// Word move, not a deletion and an insertion.
fn add_moved_spans(
    mut p: Paragraph,
    spans: &[Span],
    rev: &Revision,
    ctx: &Ctx,
    moved: Option<Moved>,
) -> Paragraph {
    for s in spans {
        let link = s.style.link.as_deref().filter(|u| external(u));
        let t = match (moved, s.op) {
            // A link keeps `w:ins`/`w:del`: docx-rs puts no move in one.
            (Some(Moved::From), Op::Delete) if link.is_none() => Tracked::MoveFrom(
                MoveFrom::new()
                    .add_run(run(&s.text, &s.style, true, ctx))
                    .author(rev.author.clone())
                    .date(rev.date.clone()),
            ),
            (Some(Moved::To), Op::Insert) if link.is_none() => Tracked::MoveTo(
                MoveTo::new(run(&s.text, &s.style, false, ctx))
                    .author(rev.author.clone())
                    .date(rev.date.clone()),
            ),
            _ => tracked(s, rev, ctx),
        };
        p = match link {
            Some(url) => {
                let h = Hyperlink::new(url, HyperlinkType::External);
                p.add_hyperlink(match t {
                    Tracked::Run(r) => h.add_run(r),
                    Tracked::Insert(i) => h.add_insert(i),
                    Tracked::Delete(d) => h.add_delete(d),
                    Tracked::MoveFrom(_) | Tracked::MoveTo(_) => {
                        unreachable!("links are not moves")
                    }
                })
            }
            None => match t {
                Tracked::Run(r) => p.add_run(r),
                Tracked::Insert(i) => p.add_insert(i),
                Tracked::Delete(d) => p.add_delete(d),
                Tracked::MoveFrom(m) => p.add_move_from(m),
                Tracked::MoveTo(m) => p.add_move_to(m),
            },
        };
    }
    p
}

fn whole(op: Op, inlines: &[Inline]) -> Vec<Span> {
    crate::diff::words::whole(op, inlines)
}

/// Word numbering: one definition for bullets and one for numbers, nine
/// levels each, and one numbering instance per list so that each list
/// counts from its own start.
struct Lists {
    /// Display list id → numbering id.
    ids: HashMap<u32, usize>,
    numberings: Vec<Numbering>,
}

// docx-rs always writes a default abstract numbering and numbering with
// id 1; regdoc's own start above it so that neither is taken for the other.
const BULLETS: usize = 10;
const NUMBERS: usize = 11;
const FIRST_LIST: usize = 10;
/// Word has nine list levels; deeper lists stay at the ninth.
const MAX_LEVEL: usize = 8;

fn abstract_numbering(id: usize, ordered: bool) -> AbstractNumbering {
    let mut a = AbstractNumbering::new(id);
    for level in 0..=MAX_LEVEL {
        let (format, text) = if ordered {
            ("decimal", format!("%{}.", level + 1))
        } else {
            ("bullet", ["•", "◦", "▪"][level % 3].to_string())
        };
        a = a.add_level(
            Level::new(
                level,
                Start::new(1),
                NumberFormat::new(format),
                LevelText::new(text),
                LevelJc::new("left"),
            )
            .indent(
                Some(720 * (level as i32 + 1)),
                Some(SpecialIndentType::Hanging(360)),
                None,
                None,
            ),
        );
    }
    a
}

impl Lists {
    fn new(paths: &[Vec<Frame>]) -> Lists {
        let mut lists = Lists {
            ids: HashMap::new(),
            numberings: Vec::new(),
        };
        for path in paths {
            let mut level = 0;
            for f in path {
                if let Frame::Item { list, start, .. } = f {
                    if !lists.ids.contains_key(list) {
                        let id = FIRST_LIST + lists.numberings.len();
                        let n = match start {
                            Some(s) => Numbering::new(id, NUMBERS).add_override(
                                LevelOverride::new(level.min(MAX_LEVEL)).start(*s as usize),
                            ),
                            None => Numbering::new(id, BULLETS),
                        };
                        lists.ids.insert(*list, id);
                        lists.numberings.push(n);
                    }
                    level += 1;
                }
            }
        }
        lists
    }
}

/// The paragraph a leaf starts as: its style, and in a list its number
/// (on the line that starts the item) or its indent.
fn paragraph_for(block: &Block, path: &[Frame], starts_item: bool, lists: &Lists) -> Paragraph {
    let mut p = Paragraph::new();
    p = match block {
        Block::Heading { level, .. } => p.style(&format!("Heading{}", (*level).clamp(1, 6))),
        // Not pandoc's "Source Code" style: pandoc reads such a paragraph
        // as a code block and drops tracked insertions in it.
        Block::Code { .. } | Block::Html { .. } => p.style("RegdocCode"),
        _ => p,
    };
    let items: Vec<&Frame> = path
        .iter()
        .filter(|f| matches!(f, Frame::Item { .. }))
        .collect();
    let quotes = path
        .iter()
        .filter(|f| matches!(f, Frame::Quote { .. }))
        .count() as i32;
    if let Some(Frame::Item { list, .. }) = items.last() {
        let level = (items.len() - 1).min(MAX_LEVEL);
        if starts_item && matches!(path.last(), Some(Frame::Item { .. })) {
            if let Some(id) = lists.ids.get(list) {
                p = p
                    .style("ListParagraph")
                    .numbering(NumberingId::new(*id), IndentLevel::new(level));
            }
        } else {
            p = p.indent(
                Some(720 * (level as i32 + 1) + 360 * quotes),
                None,
                None,
                None,
            );
        }
    } else if quotes > 0 {
        p = p
            .style("Quote")
            .indent(Some(360 * quotes), None, None, None);
    }
    p
}

fn block_spans(d: &BlockDiff) -> Vec<Span> {
    let shown = d.shown();
    let op = d.change().whole_op();
    if d.change() == Change::Changed && !d.words().is_empty() {
        return d.words().to_vec();
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

fn cell(spans: &[Span], header: bool, rev: &Revision, ctx: &Ctx) -> TableCell {
    let mut p = add_spans(Paragraph::new(), spans, rev, ctx);
    if header {
        p = p.style("TableHeader");
    }
    TableCell::new().add_paragraph(p)
}

/// The Word tables of a table's diff. Word cannot track an added or removed
/// column, so a table whose columns changed is shown as the old table
/// removed and the new one added, row by tracked row; otherwise one table
/// with its rows and cells tracked.
fn tables(d: &BlockDiff, rev: &Revision, ctx: &Ctx) -> Vec<docx_rs::Table> {
    let op = d.change().whole_op();
    match (d.table(), d.old_block(), d.new_block()) {
        (Some(t), Some(Block::Table(old)), Some(Block::Table(new)))
            if t.columns.iter().any(|c| c.op() != Op::Equal) =>
        {
            vec![
                whole_table(old, Op::Delete, rev, ctx),
                whole_table(new, Op::Insert, rev, ctx),
            ]
        }
        (Some(t), _, _) => {
            let mut rows = vec![TableRow::new(
                t.columns
                    .iter()
                    .map(|c| cell(&c.header, true, rev, ctx))
                    .collect(),
            )];
            for r in &t.rows {
                let row = TableRow::new(r.cells.iter().map(|c| cell(c, false, rev, ctx)).collect());
                rows.push(track_row(row, r.change().whole_op(), rev));
            }
            vec![grid(rows, t.columns.len())]
        }
        (None, ..) => match d.shown() {
            Block::Table(t) => vec![whole_table(t, op, rev, ctx)],
            _ => Vec::new(),
        },
    }
}

/// A table shown whole with one operation. An added or removed one tracks
/// its header row too, so that Word's "Accept all" / "Reject all" leaves
/// no empty table behind.
fn whole_table(t: &crate::model::Table, op: Op, rev: &Revision, ctx: &Ctx) -> docx_rs::Table {
    let header = TableRow::new(
        t.header
            .iter()
            .map(|h| cell(&whole(op, h), true, rev, ctx))
            .collect(),
    );
    let mut rows = vec![track_row(header, op, rev)];
    for r in &t.rows {
        let row = TableRow::new(
            r.iter()
                .map(|c| cell(&whole(op, c), false, rev, ctx))
                .collect(),
        );
        rows.push(track_row(row, op, rev));
    }
    grid(rows, t.header.len())
}

/// Readers (pandoc among them) need the column grid to see the cells.
fn grid(rows: Vec<TableRow>, cols: usize) -> docx_rs::Table {
    docx_rs::Table::new(rows).set_grid(vec![9000 / cols.max(1); cols])
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
            WordStyle::new("Hyperlink", StyleType::Character)
                .name("Hyperlink")
                .color("0563C1")
                .underline("single"),
        )
        .add_style(
            WordStyle::new("Quote", StyleType::Paragraph)
                .name("Quote")
                .italic(),
        )
        .add_style(
            WordStyle::new("RegdocCode", StyleType::Paragraph)
                .name("Code Listing")
                .fonts(RunFonts::new().ascii("Courier New").hi_ansi("Courier New")),
        )
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
    images: &Images,
) -> Result<Vec<u8>> {
    // The author is text from the command line: XML 1.0 forbids control
    // characters in attributes too.
    let rev = &Revision {
        author: xml_safe(&rev.author),
        date: xml_safe(&rev.date),
    };
    let paths = r.display_paths();
    let lists = Lists::new(&paths);
    // Footnote texts go to Word footnotes, where they are referred to.
    let mut referenced = std::collections::HashSet::new();
    // On either side: a note whose reference was deleted is still a note.
    for b in r
        .blocks
        .iter()
        .flat_map(|d| [d.old_block(), d.new_block()])
        .flatten()
    {
        leaf_inlines(b, &mut |i| {
            if let Some(l) = &i.style.footnote {
                referenced.insert(l.to_string());
            }
        });
    }
    let note_of = |path: &[Frame]| {
        path.iter().find_map(|f| match f {
            Frame::Footnote { label, .. } if referenced.contains(label) => Some(label.clone()),
            _ => None,
        })
    };
    let mut ctx = Ctx {
        images,
        notes: HashMap::new(),
    };
    for (d, path) in r.blocks.iter().zip(&paths) {
        if let Some(label) = note_of(path) {
            let p = add_spans(Paragraph::new(), &block_spans(d), rev, &ctx);
            ctx.notes.entry(label).or_default().push(p);
        }
    }
    let mut doc = styles(Docx::new())
        .add_abstract_numbering(abstract_numbering(BULLETS, false))
        .add_abstract_numbering(abstract_numbering(NUMBERS, true));
    for n in lists.numberings.iter().cloned() {
        doc = doc.add_numbering(n);
    }
    let mut doc = doc
        .created_at(&rev.date)
        .updated_at(&rev.date)
        .add_paragraph(
            Paragraph::new().style("Title").add_run(
                Run::new()
                    .add_text(xml_safe(&crate::model::comparison_title(old, new)))
                    .bold()
                    .size(36),
            ),
        )
        .add_paragraph(
            Paragraph::new().add_run(
                Run::new()
                    .add_text(xml_safe(&format!(
                        "Tracked changes: {} compared with {}",
                        new.label(),
                        old.label()
                    )))
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
        doc = doc.add_paragraph(add_spans(Paragraph::new(), &spans, rev, &ctx));
    }
    let mut prev: Option<&[Frame]> = None;
    // Move comments: their ids, and which side of its move each is.
    let mut comments = 0usize;
    let mut moves: Vec<(usize, Moved, usize)> = Vec::new();
    for (index, (d, path)) in r.blocks.iter().zip(&paths).enumerate() {
        let starts_item = !path.is_empty() && crate::model::opens_at(prev, path, path.len() - 1);
        prev = Some(path);
        if note_of(path).is_some() {
            continue;
        }
        if matches!(d.shown(), Block::Table(_)) {
            for t in tables(d, rev, &ctx) {
                doc = doc.add_table(t);
            }
            continue;
        }
        if matches!(d.shown(), Block::Rule) {
            continue;
        }
        let mut p = paragraph_for(d.shown(), path, starts_item, &lists);
        // An unreferenced footnote's text stands where it is, labelled.
        if let Some(Frame::Footnote { label, .. }) = path.first()
            && starts_item
        {
            // The label goes and comes with the note's text.
            let label = Span {
                op: d.change().whole_op(),
                text: format!("[^{label}]: "),
                style: Style::default(),
            };
            p = add_spans(p, &[label], rev, &ctx);
        }
        let moved = match d.change() {
            Change::MovedAway => Some(Moved::From),
            Change::MovedHere => Some(Moved::To),
            _ => None,
        };
        let mut p = match moved {
            None => add_spans(p, &block_spans(d), rev, &ctx),
            Some(side) => {
                // A comment over the moved text says where it went or
                // came from, as the PDF's note does; the move range
                // around it is added below, by its comment's id.
                comments += 1;
                let place = d
                    .partner()
                    .map(|x| r.blocks[x].section.join(" › "))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "elsewhere in the document".to_string());
                let note = match side {
                    Moved::From => format!("Moved to: {place}"),
                    Moved::To => format!("Moved from: {place}"),
                };
                let comment = Comment::new(comments)
                    .author(rev.author.clone())
                    .date(rev.date.clone())
                    .add_paragraph(Paragraph::new().add_run(Run::new().add_text(xml_safe(&note))));
                // Both sides of a move are named by the moved-here block.
                let pair = match side {
                    Moved::From => d.partner().unwrap_or(index),
                    Moved::To => index,
                };
                moves.push((comments, side, pair));
                let p = p.add_comment_start(comment);
                add_moved_spans(p, &block_spans(d), rev, &ctx, moved).add_comment_end(comments)
            }
        };
        // A whole added or removed paragraph tracks its paragraph mark too,
        // so Word's "Reject all" / "Accept all" removes it completely.
        p = match d.change().whole_op() {
            Op::Insert => p.insert(rev.author.clone(), rev.date.clone()),
            Op::Delete => p.delete(rev.author.clone(), rev.date.clone()),
            Op::Equal => p,
        };
        doc = doc.add_paragraph(p);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut xml = doc.build();
    xml.document = move_ranges(&xml.document, &moves, rev);
    xml.pack(&mut buf)
        .map_err(|e| Error::input(format!("cannot write the Word document: {e}")))?;
    Ok(buf.into_inner())
}

/// Puts each move's `w:moveFrom`/`w:moveTo` inside a named move range
/// (`w:moveFromRangeStart` … `w:moveFromRangeEnd`), which docx-rs cannot
/// write: around the move's comment, whose range encloses the moved text.
/// If we don't do this, Word and LibreOffice show the move as a plain
/// deletion and insertion. Both sides of a move share a name.
fn move_ranges(document: &[u8], moves: &[(usize, Moved, usize)], rev: &Revision) -> Vec<u8> {
    let Ok(mut xml) = String::from_utf8(document.to_vec()) else {
        return document.to_vec();
    };
    if moves.is_empty() {
        return document.to_vec();
    }
    for (comment, side, n) in moves {
        let kind = match side {
            Moved::From => "moveFrom",
            Moved::To => "moveTo",
        };
        // Range ids apart from every other annotation's.
        let id = 900_000 + comment;
        let start = format!("w:commentRangeStart w:id=\"{comment}\"");
        let Some(at) = xml.find(&start).and_then(|i| xml[..i].rfind('<')) else {
            continue;
        };
        xml.insert_str(
            at,
            &format!(
                "<w:{kind}RangeStart w:id=\"{id}\" w:author=\"{}\" w:date=\"{}\" w:name=\"regdoc-move-{n}\"/>",
                rev.author, rev.date
            ),
        );
        let reference = format!("w:commentReference w:id=\"{comment}\"");
        let Some(end) = xml
            .find(&reference)
            .and_then(|i| xml[i..].find("</w:r>").map(|j| i + j + "</w:r>".len()))
        else {
            continue;
        };
        xml.insert_str(end, &format!("<w:{kind}RangeEnd w:id=\"{id}\"/>"));
    }
    xml.into_bytes()
}
