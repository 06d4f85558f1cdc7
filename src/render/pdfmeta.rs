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
        info.set(*k, text_string(v));
    }
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
