//! Returned consultation responses: Word files filled in from the response
//! template (`render::response_template`), read back by the labels of its
//! table rows.
//!
//! A response is read as people return it: answers left empty, extra
//! paragraphs in a cell, changed formatting, tracked insertions, a file
//! re-saved by LibreOffice. Only the table rows matter: a row whose first
//! cell is a field's label gives that field, in its second cell. A file
//! that is not a Word file, or not this consultation's template, is an
//! error for that file alone.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::consultation::{
    Answer, Confidentiality, ConsultationMeta, Field, Response, View,
};

/// Most bytes of one part of a Word file regdoc unpacks: the text of a
/// response is far smaller, and a zip bomb far larger.
pub const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;

/// The custom property the template names its consultation with.
const REFERENCE_PROPERTY: &str = "regdoc-consultation";

/// The entries of a folder of returned responses, sorted by name: every
/// one but hidden files and the lock files word processors leave beside an
/// open document (`.~lock.…#`, `~$…`). Each is `Ok(path)` for a regular
/// file, or the error that says why it is not one (a link, a pipe, a
/// folder): a response must not go missing from a report unsaid.
pub fn response_files(dir: &Path) -> Result<Vec<Result<PathBuf>>> {
    if !super::is_real_dir(dir) {
        return Err(Error::in_file(dir, "is not a folder of responses"));
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n.starts_with("~$"))
        })
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|p| {
            if super::is_regular_file(&p) {
                Ok(p)
            } else {
                Err(Error::in_file(
                    &p,
                    "is not a regular file (a link, a folder or a device): not read",
                )
                .help("put each returned response in the folder as a file of its own"))
            }
        })
        .collect())
}

/// Reads one returned response to `meta`.
pub fn read_response(path: &Path, meta: &ConsultationMeta) -> Result<Response> {
    let bytes = super::read_response_bytes(path)?;
    response_from_bytes(path, &bytes, meta)
}

/// Reads a returned response from its bytes; `path` names it in errors.
pub fn response_from_bytes(path: &Path, bytes: &[u8], meta: &ConsultationMeta) -> Result<Response> {
    let not_word = |why: String| {
        Error::in_file(path, format!("is not a Word file (.docx): {why}"))
            .help("return the response template as a .docx file")
    };
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(&bytes)).map_err(|e| not_word(e.to_string()))?;
    let document = part(&mut zip, "word/document.xml")
        .map_err(&not_word)?
        .ok_or_else(|| not_word("it has no word/document.xml".into()))?;
    let custom = part(&mut zip, "docProps/custom.xml").ok().flatten();
    let fields = table_fields(&document)
        .map_err(|e| Error::in_file(path, format!("cannot read the Word document: {e}")))?;
    // The reference row, or (a respondent may have typed over it) the
    // custom property the template carries; compared without regard to
    // case or spacing.
    let same = |a: &str, b: &str| {
        let n = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
        n(a) == n(b)
    };
    let wanted = meta.consults_on.to_string();
    let row = fields
        .get(&Field::normalise(&Field::Reference.label()))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let property = custom.as_deref().and_then(custom_reference);
    let ours = row.as_deref().is_some_and(|r| same(r, &wanted))
        || property.as_deref().is_some_and(|r| same(r, &wanted));
    if !ours {
        return Err(match row.or(property) {
            Some(r) => Error::in_file(
                path,
                format!(
                    "is the response template of {}, not of {wanted}",
                    crate::error::printable(&r)
                ),
            )
            .help("collate each consultation's responses on their own"),
            None => Error::in_file(
                path,
                format!(
                    "is not a response template of the consultation on {wanted}: it has no \"Consultation reference\" row"
                ),
            )
            .help("respondents fill in Attachment 2, the response template regdoc builds"),
        });
    }
    Ok(response_from(path, meta, &fields))
}

/// One part of the zip, bounded, if present.
fn part<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> std::result::Result<Option<String>, String> {
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut bytes = Vec::new();
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(format!(
            "{name} unpacks to more than {} MiB",
            MAX_PART_BYTES / (1024 * 1024)
        ));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{name} is not UTF-8"))
}

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// Every two-cell row of the document's tables: the first cell's first
/// paragraph (normalised) → the second cell's text.
fn table_fields(xml: &str) -> std::result::Result<HashMap<String, String>, String> {
    let doc = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 4_000_000,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    for tr in doc.descendants().filter(|n| n.has_tag_name((W, "tr"))) {
        let cells: Vec<roxmltree::Node> = tr
            .children()
            .filter(|n| n.has_tag_name((W, "tc")))
            .collect();
        let [label, value, ..] = cells.as_slice() else {
            continue;
        };
        let label = paragraphs(*label)
            .into_iter()
            .find(|p| !p.trim().is_empty());
        let Some(label) = label else { continue };
        let value = paragraphs(*value).join("\n");
        out.entry(Field::normalise(&label))
            .or_insert_with(|| value.trim().to_string());
    }
    Ok(out)
}

/// The paragraphs of a cell as text: runs' text, tabs and breaks; deleted
/// text (tracked) is not text.
fn paragraphs(cell: roxmltree::Node) -> Vec<String> {
    cell.descendants()
        .filter(|n| n.has_tag_name((W, "p")))
        .map(|p| {
            let mut s = String::new();
            for n in p.descendants() {
                if n.ancestors().any(|a| a.has_tag_name((W, "del"))) {
                    continue;
                }
                if n.has_tag_name((W, "t")) {
                    s.push_str(n.text().unwrap_or(""));
                } else if n.has_tag_name((W, "tab")) {
                    s.push('\t');
                } else if n.has_tag_name((W, "br")) || n.has_tag_name((W, "cr")) {
                    s.push('\n');
                }
            }
            s
        })
        .collect()
}

/// Whether the first word of `s` (letters only, any case) is one of `words`.
fn first_word_is(s: &str, words: &[&str]) -> bool {
    let w: String = s
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    words.contains(&w.as_str())
}

/// The consultation a template's custom property names.
fn custom_reference(xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.descendants()
        .find(|n| {
            n.tag_name().name() == "property" && n.attribute("name") == Some(REFERENCE_PROPERTY)
        })
        .and_then(|p| p.descendants().find(|n| n.is_text()))
        .and_then(|t| t.text())
        .map(|t| t.trim().to_string())
}

/// The response the fields give, with a note for each field missing or
/// not understood.
fn response_from(
    path: &Path,
    meta: &ConsultationMeta,
    fields: &HashMap<String, String>,
) -> Response {
    let mut notes = Vec::new();
    let get = |f: &Field, notes: &mut Vec<String>| -> String {
        match fields.get(&Field::normalise(&f.label())) {
            Some(v) => v.clone(),
            None => {
                notes.push(format!("no \"{}\" row", f.label()));
                String::new()
            }
        }
    };
    let organisation = get(&Field::Organisation, &mut notes);
    let contact = get(&Field::Contact, &mut notes);
    let party_category = get(&Field::PartyCategory, &mut notes);
    let conf_text = get(&Field::Confidentiality, &mut notes);
    let choice = if conf_text.trim().is_empty() {
        None
    } else {
        Some(Confidentiality::read(&conf_text).unwrap_or_else(|| {
            // Not understood: the careful reading is that all of it is.
            notes.push(format!(
                "the confidentiality choice is not none, all or parts: treated as all ({} characters not quoted)",
                conf_text.trim().chars().count()
            ));
            Confidentiality::All
        }))
    };
    let confidential_reason = get(&Field::ConfidentialReason, &mut notes);
    // Each answer's own mark: "no" or nothing is not confidential; any
    // other answer ("Yes", "Y", "Yes, confidential", "✔") is. `None` when
    // the row is missing.
    let marks: Vec<Option<bool>> = meta
        .questions
        .iter()
        .map(|q| {
            fields
                .get(&Field::normalise(
                    &Field::Confidential(q.id.clone()).label(),
                ))
                .map(|v| {
                    let v = v.trim();
                    !(v.is_empty() || first_word_is(v, &["no", "n", "none", "not"]))
                })
        })
        .collect();
    // Whatever the top choice says, an answer marked confidential is; a
    // "parts" whose parts cannot be told keeps every answer back.
    let confidentiality = match choice {
        Some(Confidentiality::All) => Confidentiality::All,
        _ if marks.contains(&Some(true)) => Confidentiality::Parts,
        Some(Confidentiality::Parts) => {
            notes.push(
                "confidentiality is \"parts\" but no answer is marked confidential: every answer is treated as confidential".into(),
            );
            Confidentiality::All
        }
        _ => Confidentiality::None,
    };
    if choice.is_none() && confidentiality == Confidentiality::Parts {
        notes.push(
            "no confidentiality choice, but answers are marked confidential: they are kept back"
                .into(),
        );
    }
    if confidentiality == Confidentiality::Parts && marks.iter().any(Option::is_none) {
        notes.push("confidentiality is \"parts\" and a \"confidential?\" row is missing: that answer is kept back".into());
    }
    let answers = meta
        .questions
        .iter()
        .zip(&marks)
        .map(|(q, mark)| {
            let view_text = get(&Field::View(q.id.clone()), &mut notes);
            let view = View::read(&view_text);
            if view.is_none() && !view_text.trim().is_empty() {
                notes.push(format!(
                    "{}: the view is not agree, disagree or neutral: counted as no answer",
                    q.id
                ));
            }
            let rationale = get(&Field::Rationale(q.id.clone()), &mut notes);
            Answer {
                question: q.id.clone(),
                view,
                rationale,
                confidential: match confidentiality {
                    Confidentiality::All => true,
                    // A missing mark keeps the answer back.
                    Confidentiality::Parts => mark.unwrap_or(true),
                    Confidentiality::None => false,
                },
            }
        })
        .collect();
    Response {
        file: path.display().to_string(),
        organisation,
        contact,
        party_category,
        confidentiality,
        confidential_reason,
        answers,
        notes,
    }
}
