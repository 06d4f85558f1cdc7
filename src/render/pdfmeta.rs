//! Custom PDF Info entries typst does not write.
//!
//! Reviewers read them with `pdfinfo -custom`: DocumentId, DocumentVersion,
//! DocumentStatus and EffectiveDate.
//!
//! Two ways to do it, same result. typst writes a classic cross-reference
//! table, so [`edit_in_place`] changes only the two objects concerned and
//! shifts the table's offsets: about 20 ms for a 1,000-page PDF. Parsing
//! and re-serialising the whole file with lopdf took 2.5 s and 300 MB
//! there, more than typst's own export. lopdf stays as the fallback for a
//! file of any other shape (a cross-reference stream, an Info dictionary
//! that already has one of the keys).

use lopdf::{Document, Object};

use crate::error::{Error, Result};

/// Adds `entries` to the Info dictionary of `pdf`. Deterministic: the same
/// input gives the same bytes.
pub fn add_info(pdf: &[u8], entries: &[(&str, String)]) -> Result<Vec<u8>> {
    match edit_in_place(pdf, entries) {
        Some(out) => Ok(out),
        None => with_lopdf(pdf, entries),
    }
}

/// [`add_info`] the general way: parse the whole file and write it again.
fn with_lopdf(pdf: &[u8], entries: &[(&str, String)]) -> Result<Vec<u8>> {
    let fail = |e: lopdf::Error| Error::input(format!("cannot post-process the PDF: {e}"));
    let mut doc = Document::load_mem(pdf).map_err(fail)?;
    let info_id = match doc.trailer.get(b"Info") {
        Ok(Object::Reference(id)) => *id,
        _ => {
            let id = doc.add_object(lopdf::Dictionary::new());
            doc.trailer.set("Info", Object::Reference(id));
            id
        }
    };
    let info = doc
        .get_object_mut(info_id)
        .and_then(Object::as_dict_mut)
        .map_err(fail)?;
    for (k, v) in entries {
        info.set(*k, text_string(&crate::render::text::xml_safe(v)));
    }
    drop_false_suspects(&mut doc);
    let mut out = Vec::with_capacity(pdf.len() + 256);
    doc.save_to(&mut out)
        .map_err(|e| Error::input(format!("cannot write the PDF: {e}")))?;
    Ok(out)
}

/// A PDF text string: literal for ASCII, UTF-16BE with a byte-order mark
/// otherwise (PDF 1.7, 7.9.2.2).
fn text_string(v: &str) -> Object {
    if v.is_ascii() {
        return Object::string_literal(v.as_bytes().to_vec());
    }
    Object::String(text_bytes(v), lopdf::StringFormat::Hexadecimal)
}

/// The bytes of a PDF text string: ASCII as it is, UTF-16BE with a
/// byte-order mark otherwise (also `pdfjoin`'s).
pub(crate) fn text_bytes(v: &str) -> Vec<u8> {
    if v.is_ascii() {
        return v.as_bytes().to_vec();
    }
    let mut bytes = vec![0xFE, 0xFF];
    for u in v.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    bytes
}

/// `/Suspects false` is the default; Debian's poppler (22.x) wrongly reports
/// it as a syntax error, so reviewers' `pdfinfo` would print a scary line.
fn drop_false_suspects(doc: &mut Document) {
    let Ok(root) = doc.trailer.get(b"Root").and_then(Object::as_reference) else {
        return;
    };
    let mark_info = match doc
        .get_object(root)
        .and_then(Object::as_dict)
        .and_then(|c| c.get(b"MarkInfo"))
    {
        Ok(Object::Reference(id)) => Some(*id),
        Ok(Object::Dictionary(_)) => None,
        _ => return,
    };
    let dict = match mark_info {
        Some(id) => doc.get_object_mut(id).and_then(Object::as_dict_mut),
        None => doc
            .get_object_mut(root)
            .and_then(Object::as_dict_mut)
            .and_then(|c| c.get_mut(b"MarkInfo"))
            .and_then(Object::as_dict_mut),
    };
    if let Ok(d) = dict
        && matches!(d.get(b"Suspects"), Ok(Object::Boolean(false)))
    {
        d.remove(b"Suspects");
    }
}

/// [`add_info`] without parsing the file: the Info dictionary gets the
/// entries before its closing `>>`, the catalog loses `/Suspects false`,
/// and every cross-reference offset after an edit moves by its length.
/// `None` when the file is not as typst writes it; the caller then takes
/// the slow, general way.
fn edit_in_place(pdf: &[u8], entries: &[(&str, String)]) -> Option<Vec<u8>> {
    let table = XrefTable::read(pdf)?;
    let info = object_range(pdf, &table, table.info?)?;
    let dict_end = info.start + find_last(&pdf[info.clone()], b">>")?;
    let mut added = Vec::new();
    for (k, v) in entries {
        let key = format!("/{k}");
        // A key already there would be doubled: leave that to lopdf.
        if contains_key(&pdf[info.clone()], key.as_bytes()) {
            return None;
        }
        added.extend_from_slice(key.as_bytes());
        added.extend_from_slice(&pdf_string(&crate::render::text::xml_safe(v)));
    }
    let mut edits = vec![(dict_end..dict_end, added)];
    let catalog = object_range(pdf, &table, table.root)?;
    if let Some(at) = find(&pdf[catalog.clone()], b"/Suspects false") {
        let at = catalog.start + at;
        edits.push((at..at + b"/Suspects false".len(), Vec::new()));
    }
    edits.sort_by_key(|(r, _)| r.start);
    // The new file: the body with its edits, then the table, shifted.
    let mut out = Vec::with_capacity(pdf.len() + 1024);
    let mut from = 0;
    for (range, with) in &edits {
        out.extend_from_slice(&pdf[from..range.start]);
        out.extend_from_slice(with);
        from = range.end;
    }
    out.extend_from_slice(&pdf[from..table.at]);
    let shift = |offset: usize| -> usize {
        edits
            .iter()
            .filter(|(r, _)| r.start < offset)
            .fold(offset, |o, (r, with)| o + with.len() - r.len())
    };
    let xref_at = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n", table.offsets.len()).as_bytes());
    for entry in &table.offsets {
        let line = match entry {
            Some(o) => format!("{:010} 00000 n \n", shift(*o)),
            None => "0000000000 65535 f \n".to_string(),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out.extend_from_slice(&pdf[table.trailer.clone()]);
    out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    Some(out)
}

/// A classic cross-reference table of one section, from object 0, as
/// typst (krilla) writes it, and the trailer after it.
pub(crate) struct XrefTable {
    /// Where `xref` starts.
    pub(crate) at: usize,
    /// Each object's offset; `None` for a free entry.
    pub(crate) offsets: Vec<Option<usize>>,
    /// `trailer<<…>>` and the line break after it.
    pub(crate) trailer: std::ops::Range<usize>,
    root: usize,
    info: Option<usize>,
}

impl XrefTable {
    pub(crate) fn read(pdf: &[u8]) -> Option<Self> {
        let tail_from = pdf.len().saturating_sub(64);
        let tail = &pdf[tail_from..];
        let sx = find_last(tail, b"startxref")?;
        let at: usize = number_after(&tail[sx + b"startxref".len()..])?;
        let body = pdf.get(at..)?;
        let rest = body.strip_prefix(b"xref\n")?;
        let line_end = find(rest, b"\n")?;
        let header = std::str::from_utf8(&rest[..line_end]).ok()?;
        let (first, count) = header.trim().split_once(' ')?;
        let (first, count): (usize, usize) = (first.parse().ok()?, count.parse().ok()?);
        if first != 0 {
            return None;
        }
        let entries_at = at + 5 + line_end + 1;
        let entries = pdf.get(entries_at..entries_at.checked_add(count.checked_mul(20)?)?)?;
        let offsets = entries
            .chunks_exact(20)
            .map(|e| {
                let offset: usize = std::str::from_utf8(&e[..10]).ok()?.parse().ok()?;
                match e[17] {
                    b'n' => Some(Some(offset)),
                    b'f' => Some(None),
                    _ => None,
                }
            })
            .collect::<Option<Vec<_>>>()?;
        let trailer_at = entries_at + count * 20;
        let after = pdf.get(trailer_at..)?;
        if !after.starts_with(b"trailer") {
            return None;
        }
        let trailer_end = trailer_at + find(after, b"startxref")?;
        let trailer = &pdf[trailer_at..trailer_end];
        let reference = |key: &[u8]| -> Option<usize> {
            let k = find(trailer, key)? + key.len();
            let n: usize = number_after(&trailer[k..])?;
            (n < offsets.len()).then_some(n)
        };
        Some(XrefTable {
            at,
            root: reference(b"/Root ")?,
            info: reference(b"/Info "),
            offsets,
            trailer: trailer_at..trailer_end,
        })
    }
}

/// The bytes of object `n`, from `n 0 obj` to its `endobj`: it must be
/// a dictionary, not a stream.
fn object_range(pdf: &[u8], table: &XrefTable, n: usize) -> Option<std::ops::Range<usize>> {
    let start = (*table.offsets.get(n)?)?;
    let head = format!("{n} 0 obj");
    if !pdf.get(start..)?.starts_with(head.as_bytes()) {
        return None;
    }
    // The object runs to the next one in the file (or the table), and
    // ends with its last `endobj`: a string inside it may hold the word.
    let next = table
        .offsets
        .iter()
        .flatten()
        .copied()
        .filter(|&o| o > start)
        .min()
        .unwrap_or(table.at)
        .min(table.at);
    let len = find_last(pdf.get(start..next)?, b"endobj")?;
    let object = &pdf[start..start + len];
    // A stream's dictionary is followed by its data: not ours to edit.
    let is_stream = object.trim_ascii_end().ends_with(b"endstream");
    (!is_stream).then_some(start..start + len)
}

/// Whether a dictionary's text has `key` as a name (not a prefix of one).
fn contains_key(dict: &[u8], key: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = find(&dict[from..], key) {
        let end = from + i + key.len();
        match dict.get(end) {
            Some(c) if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-' => from = end,
            _ => return true,
        }
    }
    false
}

/// The unsigned number at the start of `bytes`, after white space.
fn number_after(bytes: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(bytes).ok()?.trim_start();
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
}

/// A PDF text string as it is written in a file: literal for printable
/// ASCII (with `\`, `(` and `)` escaped), UTF-16BE hex with a byte-order
/// mark otherwise (PDF 1.7, 7.3.4, 7.9.2.2).
fn pdf_string(v: &str) -> Vec<u8> {
    if v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let mut out = vec![b'('];
        for b in v.bytes() {
            if matches!(b, b'\\' | b'(' | b')') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b')');
        return out;
    }
    let mut out = String::from("<FEFF");
    for u in v.encode_utf16() {
        out.push_str(&format!("{u:04X}"));
    }
    out.push('>');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways give the same Info entries and catalog: the fast way is
    /// an optimisation, not a second behaviour.
    #[test]
    fn editing_in_place_agrees_with_lopdf() {
        let dict = |entries: Vec<(&str, Object)>| {
            let mut d = lopdf::Dictionary::new();
            for (k, v) in entries {
                d.set(k, v);
            }
            d
        };
        let mut doc = lopdf::Document::with_version("1.7");
        let pages = doc.add_object(dict(vec![
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Kids", Object::Array(Vec::new())),
            ("Count", Object::Integer(0)),
        ]));
        let mark = dict(vec![
            ("Marked", Object::Boolean(true)),
            ("Suspects", Object::Boolean(false)),
        ]);
        let catalog = doc.add_object(dict(vec![
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(pages)),
            ("MarkInfo", Object::Dictionary(mark)),
        ]));
        // A title that holds the words the fast way looks for.
        let title = "Upstream endobj (stream)";
        let info = doc.add_object(dict(vec![("Title", Object::string_literal(title))]));
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        // A cross-reference stream (lopdf's default) is the slow way's.
        let mut pdf = Vec::new();
        doc.save_to(&mut pdf).unwrap();
        assert!(edit_in_place(&pdf, &[("DocumentId", "x".into())]).is_none());
        // A classic table, as typst writes: the fast way.
        doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        let mut pdf = Vec::new();
        doc.save_to(&mut pdf).unwrap();
        let entries = [
            ("DocumentId", "emrr (a) \\ b".to_string()),
            ("DocumentStatus", "draft – ünïcode".to_string()),
        ];
        let fast = edit_in_place(&pdf, &entries).expect("a classic table");
        let read = lopdf::Document::load_mem(&fast).expect("the edited file parses");
        let info = read
            .get_object(read.trailer.get(b"Info").unwrap().as_reference().unwrap())
            .unwrap()
            .as_dict()
            .unwrap();
        assert_eq!(
            info.get(b"Title").unwrap().as_str().unwrap(),
            title.as_bytes()
        );
        // The same dictionaries as the general way gives.
        let slow = lopdf::Document::load_mem(&with_lopdf(&pdf, &entries).unwrap()).unwrap();
        let slow_info = slow
            .get_object(slow.trailer.get(b"Info").unwrap().as_reference().unwrap())
            .unwrap()
            .as_dict()
            .unwrap();
        assert_eq!(format!("{info:?}"), format!("{slow_info:?}"));
        assert_eq!(
            format!("{:?}", read.catalog().unwrap()),
            format!("{:?}", slow.catalog().unwrap())
        );
        let id = info.get(b"DocumentId").unwrap().as_str().unwrap();
        assert_eq!(id, b"emrr (a) \\ b");
        let status = lopdf::decode_text_string(info.get(b"DocumentStatus").unwrap()).unwrap();
        assert_eq!(status, "draft – ünïcode");
        let root = read.catalog().unwrap();
        let mark = root.get(b"MarkInfo").unwrap().as_dict().unwrap();
        assert!(mark.get(b"Suspects").is_err());
        // A key already there is lopdf's case.
        assert!(edit_in_place(&pdf, &[("Title", "x".into())]).is_none());
        // Not a PDF at all: no fast way, and no panic.
        assert!(edit_in_place(b"%PDF-1.7\nstartxref\n99999\n%%EOF", &entries).is_none());
    }
}
