//! Long documents compiled in chunks, each exported to a PDF of its own,
//! the PDFs joined into one (`render::pdfjoin`).
//!
//! A chunk is a run of top-level sections, cut only where the templates
//! already start a new page (`page_break`, `render::data::section_breaks`),
//! so that each chunk's pages are the pages one compile of the whole
//! document gives (`tests/long_documents.rs` compares them). Chunks are
//! compiled side by side, one per core (`render::pdf`, `Long::lay_out`),
//! and typst's memo caches are trimmed between them: the peak is a few
//! chunks' compiles plus their PDFs, not the whole document's compile.
//! The join makes one outline, one structure tree, one set of metadata
//! and attachments, as if it had been one compile.
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

/// One chunk's template data, and what is known of it before layout.
pub struct Chunk {
    /// Its JSON, without `footnotes_before` (`render::pdf` adds it).
    pub json: Vec<u8>,
    /// The footnotes its data makes ([`footnotes_in`]): where the next
    /// chunk's counter is predicted to start.
    pub footnotes: usize,
    /// The pictures it shows, for the chunk cache's key.
    pub pictures: Vec<(Picture, String)>,
}

/// A document's template data, as serde_json wrote it, read as far as
/// cutting it needs: its fields and its blocks, each as the JSON it was.
struct Top {
    fields: Vec<(String, Box<serde_json::value::RawValue>)>,
    blocks: Option<Vec<Box<serde_json::value::RawValue>>>,
}

impl<'de> serde::Deserialize<'de> for Top {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Top;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("template data: an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
                let mut top = Top {
                    fields: Vec::new(),
                    blocks: None,
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "blocks" {
                        top.blocks = Some(map.next_value()?);
                    } else {
                        top.fields.push((key, map.next_value()?));
                    }
                }
                Ok(top)
            }
        }
        d.deserialize_map(Fields)
    }
}

/// What cutting needs of a block besides its JSON.
#[derive(serde::Deserialize)]
struct BlockHead {
    #[serde(default)]
    page_break: bool,
}

/// Whether the JSON `raw`, as serde_json writes it (no spaces), has an
/// object key `key` anywhere. Inside a string every `"` is written `\"`,
/// so `{"key":` and `,"key":` are keys, never text.
fn has_key(raw: &str, key: &str) -> bool {
    [b'{', b','].iter().any(|&before| {
        let mut pattern = vec![before, b'"'];
        pattern.extend_from_slice(key.as_bytes());
        pattern.extend_from_slice(b"\":");
        memchr::memmem::find(raw.as_bytes(), &pattern).is_some()
    })
}

/// The template data `json` (as serde_json writes it) in chunks, in
/// order; `None` when it stays whole: short, no blocks, or no section
/// break to cut at.
///
/// Cut as JSON, not as values: read into `serde_json::Value`s and written
/// again, a 1,000-page mark-up's data cost 0.2 s before its first chunk
/// could be looked up or laid out. Only the few parts that can hold a
/// footnote, a link or a picture are read as values, to count and list
/// them.
pub fn split(json: &[u8], max_bytes: usize) -> Option<Vec<Chunk>> {
    if max_bytes == 0 || json.len() <= max_bytes {
        return None;
    }
    let top: Top = serde_json::from_slice(json).ok()?;
    let blocks = top.blocks?;
    let sizes: Vec<usize> = blocks.iter().map(|b| b.get().len()).collect();
    if sizes.iter().sum::<usize>() <= max_bytes {
        return None;
    }
    // Cut before a block that opens a page, once the chunk is full enough.
    let mut cuts = vec![0];
    let mut size = 0;
    for (i, b) in blocks.iter().enumerate() {
        let opens_page = serde_json::from_str::<BlockHead>(b.get()).is_ok_and(|h| h.page_break);
        if opens_page && size >= max_bytes {
            cuts.push(i);
            size = 0;
        }
        size += sizes[i];
    }
    if cuts.len() == 1 {
        return None;
    }
    cuts.push(blocks.len());
    let mut out = Vec::with_capacity(cuts.len() - 1);
    for (k, w) in cuts.windows(2).enumerate() {
        let mut part: Vec<String> = blocks[w[0]..w[1]]
            .iter()
            .map(|b| far_anchors(b.get()))
            .collect();
        if k > 0 {
            // A chunk starts on a page of its own anyway, and its page
            // break would follow the title's stand-in (`continuation`),
            // leaving that on a blank page.
            if let Some(first) = part.first_mut()
                && let Ok(Value::Object(mut block)) = serde_json::from_str::<Value>(first)
            {
                block.remove("page_break");
                *first = serde_json::to_string(&block).expect("JSON of JSON");
            }
        }
        let fields: Vec<(&str, &str)> = top
            .fields
            .iter()
            .filter(|(name, _)| k == 0 || CONTINUATION_FIELDS.contains(&name.as_str()))
            .map(|(name, raw)| (name.as_str(), raw.get()))
            .collect();
        let mut json = Vec::with_capacity(sizes[w[0]..w[1]].iter().sum::<usize>() + 1024);
        json.push(b'{');
        for (name, raw) in &fields {
            serde_json::to_writer(&mut json, name).expect("writing to memory");
            json.push(b':');
            json.extend_from_slice(raw.as_bytes());
            json.push(b',');
        }
        if k > 0 {
            json.extend_from_slice(b"\"continuation\":true,");
        }
        json.extend_from_slice(b"\"blocks\":[");
        for (i, b) in part.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.extend_from_slice(b.as_bytes());
        }
        json.extend_from_slice(b"]}");
        let mut chunk = Chunk {
            json,
            footnotes: 0,
            pictures: Vec::new(),
        };
        // What only a few parts can hold is read from those parts alone.
        let parts = fields
            .iter()
            .map(|(_, raw)| *raw)
            .chain(part.iter().map(String::as_str));
        for raw in parts {
            let notes = has_key(raw, "footnote") || has_key(raw, "link");
            let shows = has_key(raw, "image") || has_key(raw, "logo");
            if !(notes || shows) {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(raw) else {
                continue;
            };
            if notes {
                chunk.footnotes += footnotes_in(&v);
            }
            if shows {
                pictures(&v, &mut chunk.pictures);
            }
        }
        out.push(chunk);
    }
    Some(out)
}

/// A picture a chunk shows, by where the world reads it from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Picture {
    /// An image of the document's folder (`/doc/…`) or, in a mark-up, of
    /// the old version's (`/old/…`).
    Document,
    /// An image of the templates folder (a house logo).
    Templates,
}

/// Every picture `v` shows: a span's `image`, the house style's `logo`.
fn pictures(v: &Value, out: &mut Vec<(Picture, String)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("image", Value::String(s)) => {
                        out.push((Picture::Document, s.clone()));
                    }
                    ("logo", Value::String(s)) => {
                        out.push((Picture::Templates, s.clone()));
                    }
                    _ => pictures(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| pictures(x, out)),
        _ => {}
    }
}

/// What a continuation shows besides its blocks: the running header and
/// footer (a mark-up's names its `attachment`), the watermark. Only these
/// go with it, not the cover's summary
/// of changes or document control: an edit that changes those (most do)
/// would otherwise change every chunk, and the chunk cache
/// (`render::chunkcache`) would keep none.
const CONTINUATION_FIELDS: [&str; 4] = ["schema_version", "doc", "version", "attachment"];

/// Every link to a heading becomes a far link, also one to a heading of
/// the same chunk: its alternative text names the heading's page, which a
/// chunk compiled beside the ones before it cannot know. The key `anchor`
/// is renamed in the JSON ([`has_key`] says why the pattern is never
/// text).
fn far_anchors(raw: &str) -> String {
    if !has_key(raw, "anchor") {
        return raw.to_string();
    }
    raw.replace("{\"anchor\":", "{\"far_anchor\":")
        .replace(",\"anchor\":", ",\"far_anchor\":")
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_keys_are_renamed_never_text() {
        let span =
            json!({"text": "{\"anchor\":1} ,\"anchor\":", "anchor": "scope", "link": "#scope"});
        let raw = serde_json::to_string(&span).unwrap();
        let far: Value = serde_json::from_str(&far_anchors(&raw)).unwrap();
        assert_eq!(
            far,
            json!({"text": "{\"anchor\":1} ,\"anchor\":", "far_anchor": "scope", "link": "#scope"})
        );
        assert!(!has_key(
            &serde_json::to_string(&json!({"t": "{\"image\":"})).unwrap(),
            "image"
        ));
    }

    #[test]
    fn data_is_cut_at_page_breaks_and_what_each_chunk_holds_is_counted() {
        let note = json!({"text": "1", "styled": true, "footnote": "1", "note": [[{"text": "n"}]], "op": "eq"});
        let web =
            json!({"text": "site", "styled": true, "link": "https://example.org", "op": "eq"});
        let picture = json!({"text": "", "styled": true, "image": "/doc/plan.png", "op": "eq"});
        let filler = "x".repeat(100);
        let block = |spans: Value| json!({"kind": "paragraph", "page_break": true, "spans": spans});
        let data = json!({
            "schema_version": 1,
            "doc": {"title": "T"},
            "summary": {"changes": 3},
            "blocks": [
                block(json!([{"text": filler}, note])),
                block(json!([{"text": filler}, web, picture])),
                block(json!([{"text": filler}])),
            ],
        });
        let json = serde_json::to_vec(&data).unwrap();
        let chunks = split(&json, 100).expect("cut");
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks.iter().map(|c| c.footnotes).collect::<Vec<_>>(),
            [1, 1, 0]
        );
        assert_eq!(
            chunks[1].pictures,
            [(Picture::Document, "/doc/plan.png".to_string())]
        );
        let first: Value = serde_json::from_slice(&chunks[0].json).unwrap();
        let second: Value = serde_json::from_slice(&chunks[1].json).unwrap();
        // The first chunk has every field; a continuation only what its
        // pages show, and its first block no page break of its own.
        assert_eq!(first["summary"], json!({"changes": 3}));
        assert_eq!(first["blocks"][0]["page_break"], json!(true));
        assert_eq!(second.get("summary"), None);
        assert_eq!(second["continuation"], json!(true));
        assert_eq!(second["doc"], json!({"title": "T"}));
        assert_eq!(second["blocks"][0].get("page_break"), None);
        // Short data stays whole.
        assert!(split(&json, json.len()).is_none());
    }
}
