//! Long documents compiled in chunks, joined into one document before
//! export.
//!
//! A chunk is a run of top-level sections, cut only where the templates
//! already start a new page (`page_break`, `render::data::section_breaks`),
//! so that each chunk's pages are the pages one compile of the whole
//! document gives (`tests/long_documents.rs` compares them). Chunks are
//! compiled side by side, one per core (`render::pdf::lay_out`), and
//! typst's memo caches are trimmed between them: the peak is a few
//! chunks' compiles plus the finished pages, not the whole document's
//! compile. The pages are joined into one `PagedDocument` and exported
//! once, so the PDF has one outline, one structure tree, one set of
//! metadata and attachments, as if it had been one compile.
//!
//! What carries across the cut:
//! - page numbers: stamped after the join (`stamp`), so no chunk needs to
//!   know how many pages the ones before it have;
//! - footnote numbers: each chunk starts its counter where the chunks
//!   before it leave it (`footnotes_before`). That count is read off the
//!   data ([`footnotes_in`]) so that chunks need not wait for each other,
//!   and checked against what typst numbered: a chunk that started from a
//!   wrong count is compiled again;
//! - the cover, document metadata and attachments: only in the first
//!   chunk; the others are `continuation`s, which templates lay out as
//!   body only;
//! - links to headings: laid out as a link to [`FAR_ANCHOR`]`slug` (typst
//!   refuses a label its compile does not have, and the alternative text
//!   it would give, "Section, page 31", needs the pages before), then
//!   pointed at the heading once all pages are joined, with the
//!   alternative text typst would have given it;
//! - locations: every chunk's files live under a root of their own
//!   (`RegdocWorld::for_chunk`), so the spans, and with them the
//!   locations typst derives, of two chunks never coincide.

use serde_json::Value;
use typst::foundations::Label;
use typst::introspection::Tag;
use typst::layout::{Frame, FrameItem};
use typst::model::{Destination, Document as _};
use typst_layout::{Page, PagedDocument};

/// Template data, in bytes of JSON, above which a document is compiled in
/// chunks of about this size: some 60 pages each. Smaller chunks lower the
/// peak further but each compile has a fixed cost (templates, fonts,
/// data).
pub const CHUNK_BYTES: usize = 512 * 1024;

/// The chunk size in force: [`CHUNK_BYTES`], or `REGDOC_CHUNK_BYTES`
/// (0: never chunk), for tests and benchmarks that compare the two.
pub fn chunk_bytes() -> usize {
    std::env::var("REGDOC_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(CHUNK_BYTES)
}

/// The URL prefix of a link to a heading in another chunk.
pub const FAR_ANCHOR: &str = "regdoc-anchor:";

/// The template data of each chunk, in order: the data itself when the
/// document is short or has no section breaks.
pub fn split(data: Value, max_bytes: usize) -> Vec<Value> {
    let Some(blocks) = data.get("blocks").and_then(Value::as_array) else {
        return vec![data];
    };
    if max_bytes == 0 {
        return vec![data];
    }
    let sizes: Vec<usize> = blocks
        .iter()
        .map(|b| serde_json::to_vec(b).map_or(0, |v| v.len()))
        .collect();
    if sizes.iter().sum::<usize>() <= max_bytes {
        return vec![data];
    }
    // Cut before a block that opens a page, once the chunk is full enough.
    let mut cuts = vec![0];
    let mut size = 0;
    for (i, b) in blocks.iter().enumerate() {
        let opens_page = b.get("page_break").and_then(Value::as_bool) == Some(true);
        if opens_page && size >= max_bytes {
            cuts.push(i);
            size = 0;
        }
        size += sizes[i];
    }
    if cuts.len() == 1 {
        return vec![data];
    }
    cuts.push(blocks.len());
    let mut rest = data;
    let Some(Value::Array(all)) = rest.get_mut("blocks").map(Value::take) else {
        unreachable!("checked above")
    };
    let mut all = all.into_iter();
    let mut out = Vec::new();
    for (k, w) in cuts.windows(2).enumerate() {
        let mut part: Vec<Value> = all.by_ref().take(w[1] - w[0]).collect();
        part.iter_mut().for_each(far_anchors);
        let mut chunk = if k + 1 == cuts.len() - 1 {
            std::mem::take(&mut rest)
        } else {
            rest.clone()
        };
        chunk["blocks"] = Value::Array(part);
        if k > 0 {
            chunk["continuation"] = Value::Bool(true);
        }
        out.push(chunk);
    }
    out
}

/// Every link to a heading becomes a far link, also one to a heading of
/// the same chunk: its alternative text names the heading's page, which a
/// chunk compiled beside the ones before it cannot know.
fn far_anchors(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(a) = map.remove("anchor") {
                map.insert("far_anchor".into(), a);
            }
            map.values_mut().for_each(far_anchors);
        }
        Value::Array(items) => items.iter_mut().for_each(far_anchors),
        _ => {}
    }
}

/// How many footnotes the templates make of `data`, read as `span` in
/// `templates/regdoc.typ` does: a footnote with its text, and a web link
/// whose text is not its address (the address follows in a footnote).
/// A prediction: `lay_out` checks it against what typst numbered.
pub fn footnotes_in(data: &Value) -> usize {
    match data {
        Value::Object(map) => {
            let styled = map.get("styled").and_then(Value::as_bool) == Some(true);
            let shows = |k: &str| map.get(k).is_some();
            let own = if !styled || shows("image") || shows("url") {
                0
            } else if shows("footnote") {
                usize::from(shows("note"))
            } else {
                usize::from(web_link_footnote(map))
            };
            own + map.values().map(footnotes_in).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(footnotes_in).sum(),
        _ => 0,
    }
}

/// Whether a styled span's web link gets its address in a footnote.
fn web_link_footnote(span: &serde_json::Map<String, Value>) -> bool {
    if span.contains_key("anchor") || span.contains_key("far_anchor") {
        return false;
    }
    let (Some(url), Some(text)) = (
        span.get("link").and_then(Value::as_str),
        span.get("text").and_then(Value::as_str),
    ) else {
        return false;
    };
    let web = ["https://", "http://", "mailto:"]
        .iter()
        .any(|p| url.starts_with(p));
    let mut bare = url;
    while let Some(rest) = bare.strip_prefix("mailto:") {
        bare = rest;
    }
    web && text != url && text != bare
}

/// How many footnotes a compiled chunk numbered: where the next one's
/// counter starts.
pub fn footnotes(doc: &PagedDocument) -> usize {
    use typst::foundations::{NativeElement, Selector};
    use typst::introspection::Introspector as _;
    doc.introspector()
        .query(&Selector::Elem(typst::model::FootnoteElem::ELEM, None))
        .len()
}

/// One document of the chunks' pages, in order, with the first chunk's
/// metadata, and far links pointed at their headings.
pub fn join(parts: Vec<PagedDocument>) -> crate::error::Result<PagedDocument> {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Ok(PagedDocument::new(Default::default(), Default::default()));
    };
    let info = first.info().clone();
    let mut pages: Vec<Page> = first.pages().to_vec();
    drop(first);
    for p in parts {
        pages.extend(p.pages().iter().cloned());
    }
    let mut labels = std::collections::HashMap::new();
    for (i, p) in pages.iter().enumerate() {
        labelled(&p.frame, i + 1, &mut labels);
    }
    for p in &mut pages {
        point_far_links(&mut p.frame, &labels);
    }
    // A link left pointing at its placeholder would be a dead link in the
    // PDF: regdoc only makes links to headings it shows, so this is a bug.
    if pages.iter().any(|p| super::frames::any(&p.frame, &far)) {
        return Err(crate::error::Error::input(
            "a link between two chunks of this document found no heading to point at",
        )
        .help("please report this input to regdoc's maintainers; REGDOC_CHUNK_BYTES=0 lays the document out in one piece"));
    }
    Ok(PagedDocument::new(pages.into_iter().collect(), info))
}

/// A labelled element's location and page number.
type Targets = std::collections::HashMap<Label, (typst::introspection::Location, usize)>;

/// Every labelled element's location and page, from the tags in the
/// frames of page number `page`.
fn labelled(frame: &Frame, page: usize, out: &mut Targets) {
    super::frames::each(frame, &mut |item| {
        if let FrameItem::Tag(Tag::Start(content, _)) = item
            && let (Some(l), Some(loc)) = (content.label(), content.location())
        {
            out.entry(l).or_insert((loc, page));
        }
    });
}

fn target<'a>(
    slug: &str,
    labels: &'a Targets,
) -> Option<&'a (typst::introspection::Location, usize)> {
    Label::new(typst::utils::PicoStr::intern(slug)).and_then(|l| labels.get(&l))
}

fn far_slug(dest: &Destination) -> Option<&str> {
    match dest {
        Destination::Url(u) => u.strip_prefix(FAR_ANCHOR),
        _ => None,
    }
}

/// A far link, or its tag.
fn far(item: &FrameItem) -> bool {
    match item {
        FrameItem::Link(dest, _) => far_slug(dest).is_some(),
        FrameItem::Tag(Tag::Start(content, _)) => far_alt(content).is_some(),
        _ => false,
    }
}

/// The slug a far link's tag names in its alternative text, which typst
/// made of its destination.
fn far_alt(content: &typst::foundations::Content) -> Option<&str> {
    content
        .to_packed::<typst::model::LinkMarker>()?
        .alt
        .as_deref()?
        .strip_prefix(FAR_ANCHOR)
}

/// Points each far link at its heading, and gives its tag the alternative
/// text typst gives a link to a heading: "Section, page 31".
fn point_far_links(frame: &mut Frame, labels: &Targets) {
    super::frames::edit(frame, &far, &mut |item| match item {
        FrameItem::Link(dest, _) => {
            if let Some((loc, _)) = far_slug(dest).and_then(|s| target(s, labels)) {
                *dest = Destination::Location(*loc);
            }
        }
        FrameItem::Tag(Tag::Start(content, _)) => {
            if let Some((_, page)) = far_alt(content).and_then(|s| target(s, labels)) {
                // typst's words for a link to a heading, in the language
                // the templates set (en).
                let alt = format!("Section, page {page}");
                if let Some(marker) = content.to_packed_mut::<typst::model::LinkMarker>() {
                    marker.alt = Some(alt.into());
                }
            }
        }
        _ => {}
    });
}
