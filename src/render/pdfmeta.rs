//! Custom PDF Info entries typst does not write.
//!
//! Reviewers read them with `pdfinfo -custom`: DocumentId, DocumentVersion,
//! DocumentStatus and EffectiveDate.

use lopdf::{Document, Object};

use crate::error::{Error, Result};

/// Adds `entries` to the Info dictionary of `pdf`. Deterministic: the same
/// input gives the same bytes.
pub fn add_info(pdf: &[u8], entries: &[(&str, String)]) -> Result<Vec<u8>> {
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
    let mut bytes = vec![0xFE, 0xFF];
    for u in v.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    Object::String(bytes, lopdf::StringFormat::Hexadecimal)
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
