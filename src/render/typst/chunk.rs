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
//! - links to headings: laid out as a link to
//!   [`FAR_ANCHOR`](crate::render::pdfjoin::FAR_ANCHOR)`slug` (typst
//!   refuses a label its compile does not have, and the alternative text
//!   it would give, "Section, page 31", needs the pages before), then
//!   pointed at the heading once all pages are joined, with the
//!   alternative text typst would have given it;
//! - locations: every chunk's files live under a root of their own
//!   (`RegdocWorld::for_chunk`), so the spans, and with them the
//!   locations typst derives, of two chunks never coincide.

use serde_json::Value;
use typst_layout::PagedDocument;

/// Template data, in bytes of JSON, above which a document is compiled in
/// chunks of about this size: some 30 pages each.
///
/// Smaller chunks lower the peak and what an edit costs (the chunk it
/// touches is laid out and exported again), but each compile has a fixed
/// cost (templates, fonts, data) and the join grows with their number.
/// Measured on the 1,000-page pair: at 512 KiB a `build` after a
/// one-paragraph edit spent 0.4 s laying out and 0.25 s exporting the
/// chunk it touched, at 256 KiB 0.25 s and 0.15 s, while the cold builds
/// took the same time (BENCHMARKS.md).
pub const CHUNK_BYTES: usize = 256 * 1024;

/// The chunk size in force: [`CHUNK_BYTES`], or `REGDOC_CHUNK_BYTES`
/// (0: never chunk), for tests and benchmarks that compare the two.
pub fn chunk_bytes() -> usize {
    std::env::var("REGDOC_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(CHUNK_BYTES)
}

/// A writer that only counts the bytes written to it.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

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
        .map(|b| {
            // Counted, not written: the document's whole JSON again.
            let mut count = Count(0);
            serde_json::to_writer(&mut count, b).map_or(0, |_| count.0)
        })
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
        let mut chunk = if k == 0 {
            rest.clone()
        } else {
            continuation_fields(&rest)
        };
        if k > 0 {
            // A chunk starts on a page of its own anyway, and its page
            // break would follow the title's stand-in (`continuation`),
            // leaving that on a blank page.
            if let Some(Value::Object(first)) = part.first_mut() {
                first.remove("page_break");
            }
            chunk["continuation"] = Value::Bool(true);
        }
        chunk["blocks"] = Value::Array(part);
        out.push(chunk);
    }
    out
}

/// What a continuation shows besides its blocks: the running header and
/// footer (a mark-up's names its `attachment`), the watermark. Only these
/// go with it, not the cover's summary
/// of changes or document control: an edit that changes those (most do)
/// would otherwise change every chunk, and the chunk cache
/// (`render::chunkcache`) would keep none.
const CONTINUATION_FIELDS: [&str; 4] = ["schema_version", "doc", "version", "attachment"];

fn continuation_fields(data: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in CONTINUATION_FIELDS {
        if let Some(v) = data.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    Value::Object(out)
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

/// A chunk's headings in order: level, and whether in the outline.
pub type Headings = Vec<(std::num::NonZeroUsize, bool)>;

/// Every heading of a compiled chunk in order, as typst's PDF export sees
/// them for the outline: its level, and whether it is bookmarked.
pub fn headings(doc: &PagedDocument) -> Headings {
    use typst::foundations::{NativeElement, StyleChain};
    use typst::introspection::Introspector as _;
    use typst::model::HeadingElem;
    doc.introspector()
        .query(&HeadingElem::ELEM.select())
        .iter()
        .filter_map(|e| {
            // The stand-in for the title a continuation starts with is
            // not the document's: the join drops it. (Its label has a
            // colon, which no heading's slug has.)
            if e.label()
                .is_some_and(|l| l.resolve().as_str() == "regdoc:continuation")
            {
                return None;
            }
            let h = e.to_packed::<HeadingElem>()?;
            let level = h.resolve_level(StyleChain::default());
            let bookmarked = h
                .bookmarked
                .get(StyleChain::default())
                .unwrap_or_else(|| h.outlined.get(StyleChain::default()));
            Some((level, bookmarked))
        })
        .collect()
}
