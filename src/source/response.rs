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
/// one but the lock files word processors leave beside an open document
/// (`.~lock.…#`, a small `~$…`) and desktop folder files. Each is `Ok(path)` for a regular
/// file, or the error that says why it is not one (a link, a pipe, a
/// folder): a response must not go missing from a report unsaid.
pub fn response_files(dir: &Path) -> Result<Vec<Result<PathBuf>>> {
    if !super::is_real_dir(dir) {
        return Err(Error::in_file(dir, "is not a folder of responses"));
    }
    // Lock files a word processor keeps beside an open document, and the
    // folder files of desktops: never responses. Any other hidden file is
    // said, not skipped.
    let noise = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let small = std::fs::symlink_metadata(p).is_ok_and(|m| m.len() <= 4096);
        (name.starts_with(".~lock.") && name.ends_with('#'))
            || (name.starts_with("~$") && small)
            || matches!(name, ".DS_Store" | "Thumbs.db" | "desktop.ini")
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| !noise(p))
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
    // Styles can hide text or strike it out (`<w:vanish/>` in a style):
    // read as Word shows it. A styles part that cannot be read is a file
    // whose text cannot be shown to be visible: refused.
    let styles = match part(&mut zip, "word/styles.xml").map_err(&not_word)? {
        Some(xml) => Styles::read(&xml)
            .map_err(|e| Error::in_file(path, format!("cannot read the Word styles: {e}")))?,
        None => Styles::default(),
    };
    let fields = table_fields(&document, &styles)
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
        .and_then(|rows| rows.iter().map(|r| r.value.trim()).find(|v| !v.is_empty()))
        .map(str::to_string);
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
    response_from(path, meta, &fields)
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

/// One row of a returned template: its label cell and its answer.
#[derive(Debug, Clone)]
struct Row {
    /// The label cell's hint paragraphs, struck-out text left out.
    hint: String,
    /// Whether any of the label cell's text was struck out.
    struck: bool,
    /// Whether the hint's words are set apart by formatting (one word
    /// bold, highlighted or underlined): a choice made by formatting.
    marked: bool,
    /// Whether any of the row's text is hidden (directly or by a style).
    hidden: bool,
    /// The answer: every cell after the label, paragraph by paragraph (a
    /// cell a respondent added is read too).
    value: String,
}

/// The deepest nesting of elements read in a returned file: the template
/// nests a dozen; a crafted file a million, which every walk up the tree
/// would pay for.
const MAX_XML_DEPTH: usize = 256;

/// The XML of a part, bounded in nodes and depth.
fn parse_part(xml: &str) -> std::result::Result<roxmltree::Document<'_>, String> {
    let doc = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 4_000_000,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    // Nodes come in document order, each after its parent: one pass.
    let mut depth: Vec<u16> = vec![0; doc.descendants().count()];
    for n in doc.descendants() {
        let d = n.parent().map_or(0, |p| depth[p.id().get_usize()] + 1);
        if usize::from(d) > MAX_XML_DEPTH {
            return Err(format!(
                "its XML nests deeper than {MAX_XML_DEPTH} elements"
            ));
        }
        depth[n.id().get_usize()] = d;
    }
    Ok(doc)
}

/// What the document's styles say of hidden and struck-out text: the
/// styles (paragraph and character) that set each, through their
/// `basedOn` chains, the defaults, and the default paragraph style.
#[derive(Debug, Default)]
struct Styles {
    /// Style id → its own setting of a property, and the style it is based on.
    own: HashMap<String, (HashMap<&'static str, bool>, Option<String>)>,
    defaults: HashMap<&'static str, bool>,
    default_paragraph: Option<String>,
}

/// The run properties styles are read for (`specVanish` hides as
/// `vanish` does).
const STYLE_PROPS: [&str; 4] = ["vanish", "strike", "dstrike", "specVanish"];

/// A toggle property's element as Word reads it: on unless `w:val` says off.
fn toggle_on(e: &roxmltree::Node) -> bool {
    !matches!(
        e.attribute((W, "val")),
        Some("0" | "false" | "off" | "none")
    )
}

/// The properties of `STYLE_PROPS` an `rPr` sets (on or off).
fn props_of(rpr: Option<roxmltree::Node>) -> HashMap<&'static str, bool> {
    let mut out = HashMap::new();
    if let Some(rpr) = rpr {
        for c in rpr.children() {
            if let Some(p) = STYLE_PROPS.iter().find(|p| c.has_tag_name((W, **p))) {
                out.insert(*p, toggle_on(&c));
            }
        }
    }
    out
}

impl Styles {
    fn read(xml: &str) -> std::result::Result<Styles, String> {
        let doc = parse_part(xml)?;
        let mut styles = Styles::default();
        if let Some(rpr) = doc
            .descendants()
            .find(|n| n.has_tag_name((W, "rPrDefault")))
            .and_then(|d| d.descendants().find(|n| n.has_tag_name((W, "rPr"))))
        {
            styles.defaults = props_of(Some(rpr));
        }
        for st in doc.descendants().filter(|n| n.has_tag_name((W, "style"))) {
            let Some(id) = st.attribute((W, "styleId")) else {
                continue;
            };
            if st.attribute((W, "type")) == Some("paragraph")
                && st
                    .attribute((W, "default"))
                    .is_some_and(|v| matches!(v, "1" | "true" | "on"))
            {
                styles.default_paragraph = Some(id.to_string());
            }
            let based = st
                .children()
                .find(|c| c.has_tag_name((W, "basedOn")))
                .and_then(|b| b.attribute((W, "val")))
                .map(str::to_string);
            let rpr = st.children().find(|c| c.has_tag_name((W, "rPr")));
            let mut own = props_of(rpr);
            // A table style's conditional parts (first column, header
            // row…) may hide or strike text of some cells: read as if they
            // did it to all, so such a reading is never taken as plain.
            for part in st.children().filter(|c| c.has_tag_name((W, "tblStylePr"))) {
                let cond = props_of(part.children().find(|c| c.has_tag_name((W, "rPr"))));
                for (k, v) in cond {
                    if v {
                        own.insert(k, true);
                    }
                }
            }
            // Word uses the first of two styles with one id.
            styles.own.entry(id.to_string()).or_insert((own, based));
        }
        Ok(styles)
    }

    /// What style `id` (through what it is based on) sets `prop` to, if
    /// anything. Chains are followed 32 styles deep, loops cut.
    fn style_sets(&self, id: &str, prop: &str) -> Option<bool> {
        let mut at = Some(id);
        for _ in 0..32 {
            let (own, based) = self.own.get(at?)?;
            if let Some(v) = own.get(prop) {
                return Some(*v);
            }
            at = based.as_deref();
        }
        None
    }

    /// Whether `prop` is on for run `r` (a `w:r`) in paragraph `p`:
    /// direct formatting, then the run's character style, the paragraph's
    /// style (or the default one), then the document's defaults.
    fn on(&self, r: roxmltree::Node, p: Option<roxmltree::Node>, prop: &str) -> bool {
        let rpr = r.children().find(|c| c.has_tag_name((W, "rPr")));
        if prop == "vanish" && self.on(r, p, "specVanish") {
            return true;
        }
        if let Some(e) = rpr.and_then(|x| x.children().find(|c| c.has_tag_name((W, prop)))) {
            return toggle_on(&e);
        }
        let style_of = |n: Option<roxmltree::Node>, pr: &str, tag: &str| {
            n.and_then(|n| n.children().find(|c| c.has_tag_name((W, pr))))
                .and_then(|x| x.children().find(|c| c.has_tag_name((W, tag))))
                .and_then(|s| s.attribute((W, "val")))
                .map(str::to_string)
        };
        if let Some(v) = style_of(Some(r), "rPr", "rStyle").and_then(|s| self.style_sets(&s, prop))
        {
            return v;
        }
        // A paragraph style the styles do not have is the default one, as
        // Word reads it.
        let pstyle = style_of(p, "pPr", "pStyle")
            .filter(|s| self.own.contains_key(s))
            .or_else(|| self.default_paragraph.clone());
        if let Some(v) = pstyle.and_then(|s| self.style_sets(&s, prop)) {
            return v;
        }
        // The table's style, under the paragraph's.
        let table_style = r
            .ancestors()
            .find(|a| a.has_tag_name((W, "tbl")))
            .and_then(|t| style_of(Some(t), "tblPr", "tblStyle"));
        if let Some(v) = table_style.and_then(|s| self.style_sets(&s, prop)) {
            return v;
        }
        self.defaults.get(prop).copied().unwrap_or(false)
    }
}

/// Every two-cell row of the document's tables, by normalised label (the
/// first paragraph of the first cell); a label may come more than once (a
/// respondent's own cover table, a copied table).
fn table_fields(
    xml: &str,
    styles: &Styles,
) -> std::result::Result<HashMap<String, Vec<Row>>, String> {
    let doc = parse_part(xml)?;
    let mut out: HashMap<String, Vec<Row>> = HashMap::new();
    for tr in doc.descendants().filter(|n| n.has_tag_name((W, "tr"))) {
        // A row's cells wherever Word lets them stand: inside a content
        // control (`w:sdt`) or custom XML as well as directly in the row,
        // but not the cells of a table nested in one of them.
        let cells: Vec<roxmltree::Node> = tr
            .descendants()
            .filter(|n| n.has_tag_name((W, "tc")))
            .filter(|n| {
                n.ancestors()
                    .skip(1)
                    .find(|a| a.has_tag_name((W, "tc")) || a.has_tag_name((W, "tr")))
                    == Some(tr)
            })
            .collect();
        let [label, values @ ..] = cells.as_slice() else {
            continue;
        };
        if values.is_empty() {
            continue;
        }
        let paras = paragraphs(*label, styles);
        let Some(first) = paras.iter().position(|p| !p.text.trim().is_empty()) else {
            continue;
        };
        let hint: Vec<&str> = paras[first + 1..]
            .iter()
            .map(|p| p.text.as_str())
            .filter(|t| !t.trim().is_empty())
            .collect();
        let value_paras: Vec<Para> = values.iter().flat_map(|c| paragraphs(*c, styles)).collect();
        let row = Row {
            hint: hint.join("\n"),
            struck: paras.iter().any(|p| p.struck),
            marked: {
                // Across all the hint's paragraphs: a choice split onto a
                // line of its own and set in bold is set apart too.
                let mut all: Vec<&Vec<(String, String)>> = Vec::new();
                for look in paras[first + 1..].iter().flat_map(|p| &p.looks) {
                    if !all.contains(&look) {
                        all.push(look);
                    }
                }
                all.len() > 1
            },
            hidden: paras.iter().chain(&value_paras).any(|p| p.hidden),
            value: value_paras
                .into_iter()
                .map(|p| p.text)
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string(),
        };
        out.entry(Field::normalise(&paras[first].text))
            .or_default()
            .push(row);
    }
    Ok(out)
}

/// A paragraph as a reader of the document sees it.
struct Para {
    /// Runs' text, tabs and breaks; a symbol, a ticked box or a picture
    /// as a visible mark. Deleted, moved-away and hidden text is left out,
    /// and so is struck-out text.
    text: String,
    /// Some of its text is struck out.
    struck: bool,
    /// Some of its text is hidden (`vanish`, directly or by a style).
    hidden: bool,
    /// How its words look, each look once: more than one (across a
    /// cell's hint paragraphs) is a word set apart by formatting.
    looks: Vec<Vec<(String, String)>>,
}

/// Run properties no reader sees: revision ids, language and spelling
/// marks, complex-script twins. Every other property of a run (bold, a
/// highlight, a border, a size, a font, small capitals…) sets a word apart.
fn invisible(name: &str) -> bool {
    name.starts_with("rsid")
        || matches!(
            name,
            "lang"
                | "noProof"
                | "bCs"
                | "iCs"
                | "szCs"
                | "cs"
                | "rtl"
                | "specVanish"
                | "webHidden"
                | "eastAsianLayout"
                | "snapToGrid"
        )
}

/// How a run looks: its visible properties with their attributes.
fn emphasis_of(r: roxmltree::Node) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .children()
        .find(|c| c.has_tag_name((W, "rPr")))
        .into_iter()
        .flat_map(|p| p.children())
        .filter(|c| c.is_element() && !invisible(c.tag_name().name()))
        .map(|c| {
            let attrs: Vec<String> = c
                .attributes()
                .map(|a| format!("{}={}", a.name(), a.value()))
                .collect();
            (c.tag_name().name().to_string(), attrs.join(" "))
        })
        .collect();
    out.sort();
    out
}

/// The paragraphs of a cell, as Word shows them.
fn paragraphs(cell: roxmltree::Node, styles: &Styles) -> Vec<Para> {
    let gone = |n: &roxmltree::Node| {
        n.ancestors()
            .any(|a| a.has_tag_name((W, "del")) || a.has_tag_name((W, "moveFrom")))
    };
    cell.descendants()
        .filter(|n| n.has_tag_name((W, "p")))
        .map(|p| {
            let mut text = String::new();
            let mut struck = false;
            let mut hidden = false;
            let mut looks: Vec<Vec<(String, String)>> = Vec::new();
            for n in p.descendants() {
                if gone(&n) {
                    continue;
                }
                let run = n.ancestors().find(|a| a.has_tag_name((W, "r")));
                let prop = |name: &str| run.is_some_and(|r| styles.on(r, Some(p), name));
                if prop("vanish") {
                    hidden |= n.has_tag_name((W, "t")) && !n.text().unwrap_or("").trim().is_empty();
                    continue;
                }
                let strike = prop("strike") || prop("dstrike");
                if n.has_tag_name((W, "t")) {
                    if !n.text().unwrap_or("").trim().is_empty()
                        && let Some(r) = run
                    {
                        let look = emphasis_of(r);
                        if !looks.contains(&look) {
                            looks.push(look);
                        }
                    }
                    if strike {
                        struck |= !n.text().unwrap_or("").trim().is_empty();
                    } else {
                        text.push_str(n.text().unwrap_or(""));
                    }
                } else if n.has_tag_name((W, "tab")) {
                    text.push('\t');
                } else if n.has_tag_name((W, "br")) || n.has_tag_name((W, "cr")) {
                    text.push('\n');
                } else if n.has_tag_name((W, "sym")) {
                    text.push_str("[symbol]");
                } else if n.has_tag_name((W, "drawing")) || n.has_tag_name((W, "pict")) {
                    text.push_str("[picture]");
                } else if n.tag_name().name() == "checkBox" || n.tag_name().name() == "checkbox" {
                    // A legacy form checkbox (`w:checked`, `w:default`) or a
                    // content-control one (`w14:checked w14:val="1"`).
                    let on = n.children().any(|c| {
                        let name = c.tag_name().name();
                        (name == "checked" || name == "default")
                            && !c
                                .attributes()
                                .any(|a| a.name() == "val" && matches!(a.value(), "0" | "false"))
                    });
                    if on {
                        text.push_str("[ticked]");
                    }
                }
            }
            Para {
                text,
                struck,
                hidden,
                looks,
            }
        })
        .collect()
}

/// The consultation a template's custom property names.
fn custom_reference(xml: &str) -> Option<String> {
    let doc = parse_part(xml).ok()?;
    doc.descendants()
        .find(|n| {
            n.tag_name().name() == "property" && n.attribute("name") == Some(REFERENCE_PROPERTY)
        })
        .and_then(|p| p.descendants().find(|n| n.is_text()))
        .and_then(|t| t.text())
        .map(|t| t.trim().to_string())
}

/// The fields of one returned file being read, and what the reading noted.
struct Reading<'a> {
    fields: &'a HashMap<String, Vec<Row>>,
    meta: &'a ConsultationMeta,
    notes: Vec<String>,
    /// Fields answered more than once, differently.
    conflicts: Vec<Field>,
    /// Fields whose row has hidden text, or a hint set apart by formatting:
    /// read, but not plainly.
    unplain: Vec<Field>,
    /// How many fields had a row.
    found: usize,
}

impl Reading<'_> {
    /// A field's answer: its value, or (left empty) the hint as the
    /// respondent edited it; `None` when no row has its label. Answered
    /// twice differently (a cover table of their own, a copied table), the
    /// first is taken and the field noted as a conflict.
    fn get(&mut self, f: &Field) -> Option<String> {
        let rows = self.fields.get(&Field::normalise(&f.label()))?;
        let hint = f.hint(self.meta).unwrap_or_default();
        let mut values: Vec<String> = Vec::new();
        if rows.iter().any(|r| r.hidden || r.marked) {
            self.unplain.push(f.clone());
        }
        for r in rows {
            let v = if r.value.is_empty() && (r.struck || plain(&r.hint) != plain(&hint)) {
                r.hint.trim().to_string()
            } else {
                r.value.clone()
            };
            if !v.is_empty() && !values.iter().any(|x| plain(x) == plain(&v)) {
                values.push(v);
            }
        }
        if values.len() > 1 {
            self.notes.push(format!(
                "\"{}\" is answered {} times, differently",
                f.label(),
                values.len()
            ));
            self.conflicts.push(f.clone());
        }
        Some(values.into_iter().next().unwrap_or_default())
    }

    /// A field's answer, noting a missing row.
    fn text(&mut self, f: &Field) -> String {
        match self.get(f) {
            Some(v) => {
                self.found += 1;
                v
            }
            None => {
                self.notes.push(format!("no \"{}\" row", f.label()));
                String::new()
            }
        }
    }
}

/// Letters and digits only, lower case: how plain answers are compared.
fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// The response the fields give, with a note for each field missing, not
/// understood or given twice. Wherever the respondent's wish about
/// confidentiality is not plain, the reading keeps more back, never less.
fn response_from(
    path: &Path,
    meta: &ConsultationMeta,
    fields: &HashMap<String, Vec<Row>>,
) -> Result<Response> {
    let mut r = Reading {
        fields,
        meta,
        notes: Vec::new(),
        conflicts: Vec::new(),
        unplain: Vec::new(),
        found: 0,
    };
    let organisation = r.text(&Field::Organisation);
    let contact = r.text(&Field::Contact);
    let party_category = r.text(&Field::PartyCategory);
    let conf_text = r.text(&Field::Confidentiality);
    let confidential_reason = r.text(&Field::ConfidentialReason);
    let mut notes = Vec::new();
    // The top choice: "none" only when it says just that; "all" and
    // "parts" by their first word; anything else is read as all.
    let choice = if conf_text.trim().is_empty() {
        None
    } else if matches!(plain(&conf_text).as_str(), "none" | "no" | "nothing") {
        Some(Confidentiality::None)
    } else {
        Some(match Confidentiality::read(&conf_text) {
            Some(c @ (Confidentiality::All | Confidentiality::Parts)) => c,
            _ => {
                notes.push(format!(
                    "the confidentiality choice is not plainly none, all or parts: treated as all ({} characters not quoted)",
                    conf_text.trim().chars().count()
                ));
                Confidentiality::All
            }
        })
    };
    // Each answer's own mark: nothing or a plain "no" is not confidential;
    // anything else is, and what is not a plain "yes" is noted. `None`
    // when the row is missing.
    let mut marks: Vec<Option<bool>> = Vec::new();
    for q in &meta.questions {
        let mark = r.get(&Field::Confidential(q.id.clone())).map(|v| {
            let p = plain(&v);
            // A tick (✔) has no letters but is not nothing.
            let no = v.trim().is_empty() || matches!(p.as_str(), "no" | "n" | "none");
            if !no && !matches!(p.as_str(), "yes" | "y") {
                notes.push(format!(
                    "{}: the \"confidential?\" answer is not plainly yes or no: the answer is kept back",
                    q.id
                ));
            }
            !no
        });
        marks.push(mark);
    }
    let sensitive = |f: &Field| {
        matches!(
            f,
            Field::Confidentiality | Field::ConfidentialReason | Field::Confidential(_)
        )
    };
    let sensitive_conflict = r.conflicts.iter().any(sensitive);
    let unplain: Vec<String> = r
        .unplain
        .iter()
        .filter(|f| sensitive(f))
        .map(|f| format!("\"{}\"", f.label()))
        .collect();
    let confidentiality = if sensitive_conflict {
        notes
            .push("confidentiality is answered more than once, differently: treated as all".into());
        Confidentiality::All
    } else if !unplain.is_empty() {
        // Hidden text, or a choice made by bold or a highlight, is not a
        // plain answer about confidentiality: nothing is published.
        notes.push(format!(
            "{} has hidden text or a choice marked by formatting: treated as all",
            unplain.join(", ")
        ));
        Confidentiality::All
    } else {
        match choice {
            Some(Confidentiality::All) => Confidentiality::All,
            _ if marks.contains(&Some(true)) => Confidentiality::Parts,
            Some(Confidentiality::Parts) => {
                notes.push(
                    "confidentiality is \"parts\" but no answer is marked confidential: treated as all".into(),
                );
                Confidentiality::All
            }
            _ if !confidential_reason.trim().is_empty() => {
                notes.push(
                    "a reason for confidentiality is given but no part is marked: treated as all"
                        .into(),
                );
                Confidentiality::All
            }
            _ => Confidentiality::None,
        }
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
    let mut answers = Vec::new();
    for (q, mark) in meta.questions.iter().zip(&marks) {
        let view_text = r.text(&Field::View(q.id.clone()));
        let view = View::read(&view_text);
        if view.is_none() && !view_text.trim().is_empty() {
            notes.push(format!(
                "{}: the view is not agree, disagree or neutral: counted as no answer",
                q.id
            ));
        }
        let rationale = r.text(&Field::Rationale(q.id.clone()));
        answers.push(Answer {
            question: q.id.clone(),
            view,
            rationale,
            confidential: match confidentiality {
                Confidentiality::All => true,
                // A missing mark keeps the answer back.
                Confidentiality::Parts => mark.unwrap_or(true),
                Confidentiality::None => false,
            },
        });
    }
    // The template as built, nothing typed in: not a response.
    let blank = organisation.trim().is_empty()
        && contact.trim().is_empty()
        && party_category.trim().is_empty()
        && conf_text.trim().is_empty()
        && confidential_reason.trim().is_empty()
        && !marks.contains(&Some(true))
        && answers
            .iter()
            .all(|a: &Answer| a.view.is_none() && a.rationale.trim().is_empty());
    if blank && r.found > 0 {
        return Err(Error::in_file(
            path,
            "is the response template with nothing filled in: not counted",
        )
        .help("remove it, or ask the respondent for the filled-in copy"));
    }
    if r.found == 0 && marks.iter().all(Option::is_none) {
        return Err(Error::in_file(
            path,
            "none of the response template's rows could be read (its tables are gone: converted to text, or saved in another format)",
        )
        .help("ask the respondent to return the template as a .docx with its tables"));
    }
    // What reading the fields noted comes first, then the judgements.
    let mut all_notes = r.notes;
    all_notes.extend(notes);
    let notes = all_notes;
    Ok(Response {
        file: path.display().to_string(),
        organisation,
        contact,
        party_category,
        confidentiality,
        confidential_reason,
        answers,
        notes,
    })
}
