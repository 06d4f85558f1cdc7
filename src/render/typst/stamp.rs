//! Page numbers stamped after layout.
//!
//! "Page 12 of 984" in a running footer is, to typst, a question about the
//! whole document: the page counter at each page and its final value. It
//! answers by laying the document out once more with what it learnt, and
//! on a 1,000-page code that second pass cost a quarter of the compile time
//! and 270 MB (BENCHMARKS.md). A page's number is known the moment the
//! pages exist, so the templates lay out a placeholder of fixed glyphs,
//! [`PLACEHOLDER`], and [`page_numbers`] rewrites it on each page before
//! export: the glyphs of the digits the placeholder already holds, in its
//! font, re-centred on the placeholder's centre. Nothing else of the page
//! moves, so a page's layout no longer depends on how many pages follow it.

use typst::layout::{Frame, FrameItem};
use typst::model::Document as _;
use typst::text::{Glyph, TextItem};
use typst::visualize::{Color, Paint};
use typst_layout::{Page, PagedDocument};

use crate::error::{Error, Result};

/// What a template shows where the page number goes (`page-x-of-y()` in
/// `templates/regdoc.typ`): every digit once, so that its glyphs are there
/// to copy.
pub const PLACEHOLDER: &str = "Page 0123456789 of 0123456789";

/// The placeholder's colour, one step off the footer's grey (85, 85, 85):
/// no text of a document is ever shown in it, so a paragraph that happens
/// to read like the placeholder is never taken for it.
pub fn placeholder_color() -> Color {
    Color::from_u8(85, 85, 86, 255)
}

/// Where the parts of [`PLACEHOLDER`] are, in bytes.
const PREFIX: std::ops::Range<usize> = 0..5; // "Page "
const FIRST: std::ops::Range<usize> = 5..15; // "0123456789"
const MIDDLE: std::ops::Range<usize> = 15..19; // " of "
const SECOND: std::ops::Range<usize> = 19..29; // "0123456789"

/// The document with each page's placeholder replaced by its number and
/// the page count. A document without one (a template of `--templates`
/// numbering pages its own way) is returned as it is.
pub fn page_numbers(doc: PagedDocument) -> Result<PagedDocument> {
    let total = doc.pages().len();
    page_numbers_of(doc, 0, total)
}

/// [`page_numbers`] for the pages of a chunk of a longer document: its
/// first page is number `before + 1`, of `total`.
pub fn page_numbers_of(doc: PagedDocument, before: usize, total: usize) -> Result<PagedDocument> {
    // A font that lacks one of its characters splits the placeholder into
    // runs of two fonts, none of them the placeholder: say so rather than
    // print "Page 0123456789 of 0123456789" on every page.
    let found = |wanted: &dyn Fn(&FrameItem) -> bool| {
        doc.pages()
            .iter()
            .any(|p| super::frames::any(&p.frame, &wanted))
    };
    if found(&part_of_placeholder) {
        return Err(unstampable());
    }
    if !found(&placeholder) {
        return Ok(doc);
    }
    let info = doc.info().clone();
    let mut pages: Vec<Page> = doc.pages().to_vec();
    drop(doc);
    for (i, page) in pages.iter_mut().enumerate() {
        stamp(&mut page.frame, before + i + 1, total)?;
    }
    Ok(PagedDocument::new(pages.into_iter().collect(), info))
}

fn is_placeholder(t: &TextItem) -> bool {
    t.text == PLACEHOLDER && t.fill == Paint::Solid(placeholder_color())
}

fn placeholder(item: &FrameItem) -> bool {
    matches!(item, FrameItem::Text(t) if is_placeholder(t))
}

/// A run in the placeholder's colour that is not the whole placeholder.
fn part_of_placeholder(item: &FrameItem) -> bool {
    matches!(item, FrameItem::Text(t)
        if t.fill == Paint::Solid(placeholder_color()) && t.text != PLACEHOLDER)
}

fn stamp(frame: &mut Frame, number: usize, total: usize) -> Result<()> {
    let mut failed = None;
    super::frames::edit(frame, &placeholder, &mut |item| {
        if let FrameItem::Text(t) = item {
            match restamped(t, number, total) {
                Some(new) => *t = new,
                None => failed = Some(unstampable()),
            }
        }
    });
    failed.map_or(Ok(()), Err)
}

fn unstampable() -> Error {
    Error::input(format!(
        "the footer's page-number placeholder (`{PLACEHOLDER}`) was split between fonts or shaped with ligatures, so regdoc cannot put the page numbers in"
    ))
    .help("a house font must have the letters of `Page of` and the digits, each drawn on its own; or number pages with `counter(page)` in your own template")
}

/// `Page NUMBER of TOTAL`, made of the placeholder's own glyphs.
fn restamped(t: &TextItem, number: usize, total: usize) -> Option<TextItem> {
    let within = |g: &Glyph, r: &std::ops::Range<usize>| {
        r.contains(&g.range().start) && g.range().end <= r.end
    };
    // Each digit's glyph, from the first run of digits: one glyph a digit.
    let mut digits: [Option<&Glyph>; 10] = [None; 10];
    for g in t.glyphs.iter().filter(|g| within(g, &FIRST)) {
        if g.range().len() != 1 {
            return None;
        }
        digits[g.range().start - FIRST.start] = Some(g);
    }
    let digits: Vec<&Glyph> = digits.into_iter().collect::<Option<_>>()?;
    let prefix: Vec<&Glyph> = t.glyphs.iter().filter(|g| within(g, &PREFIX)).collect();
    let middle: Vec<&Glyph> = t.glyphs.iter().filter(|g| within(g, &MIDDLE)).collect();
    let second = t.glyphs.iter().filter(|g| within(g, &SECOND)).count();
    // Every glyph must belong to one part: a ligature across two would be
    // lost.
    if prefix.len() + 10 + middle.len() + second != t.glyphs.len() {
        return None;
    }
    let (n, of) = (number.to_string(), total.to_string());
    let text = format!("Page {n} of {of}");
    let mut glyphs: Vec<Glyph> = prefix.into_iter().cloned().collect();
    let mut at = PREFIX.end;
    let push_digits = |s: &str, at: &mut usize, glyphs: &mut Vec<Glyph>| {
        for b in s.bytes() {
            let mut g = digits[usize::from(b - b'0')].clone();
            g.range = u16::try_from(*at).ok()?..u16::try_from(*at + 1).ok()?;
            glyphs.push(g);
            *at += 1;
        }
        Some(())
    };
    push_digits(&n, &mut at, &mut glyphs)?;
    let shift = at as isize - MIDDLE.start as isize;
    for g in middle {
        let mut g = g.clone();
        let r = g.range();
        g.range = u16::try_from(r.start as isize + shift).ok()?
            ..u16::try_from(r.end as isize + shift).ok()?;
        glyphs.push(g);
    }
    at = (MIDDLE.end as isize + shift) as usize;
    push_digits(&of, &mut at, &mut glyphs)?;
    // Centred where the placeholder was centred.
    let old: typst::layout::Em = t.glyphs.iter().map(|g| g.x_advance).sum();
    let new: typst::layout::Em = glyphs.iter().map(|g| g.x_advance).sum();
    let dx = (old - new) / 2.0;
    for g in &mut glyphs {
        g.x_offset += dx;
    }
    Some(TextItem {
        text: text.into(),
        glyphs,
        ..t.clone()
    })
}
