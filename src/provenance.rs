//! What a PDF carries to prove what it was made from.
//!
//! Every version and mark-up PDF embeds, as PDF/A-3 associated files:
//! - the Markdown it shows, byte for byte (a mark-up: both sides);
//! - the `document.yaml` each was read with, which names the table key
//!   the comparison used and the title the PDF shows;
//! - a mark-up: the JSON redline, as `regdoc diff --format json
//!   --no-blocks` writes it;
//! - [`MANIFEST_NAME`]: regdoc's version, each file's role, origin,
//!   SHA-256 and, when git knows it, the commit that holds those bytes.
//!
//! `regdoc verify` (`crate::verify`) reads them back: a reader holding only
//! the PDF can check that "Attachment 1" is the difference between the two
//! versions it names, and with `--against` that they are the governed ones.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diff::Redline;
use crate::error::{Error, Result};
use crate::model::SourceDoc;

/// The name of the manifest among a PDF's embedded files.
pub const MANIFEST_NAME: &str = "regdoc-manifest.json";
/// The name of a mark-up's JSON redline among its embedded files.
pub const REDLINE_NAME: &str = "redline.json";
/// Bumped when a reader of an older manifest could misread a newer one.
pub const MANIFEST_VERSION: u32 = 1;

/// What kind of PDF a manifest describes, which says what `verify` can
/// recompute from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Artefact {
    /// One version: its source.
    Version,
    /// A mark-up: both sides, and the redline between them.
    Markup,
    /// A consultation: its own source.
    Consultation,
}

/// What an embedded file is to the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The source a version or consultation PDF shows.
    Source,
    /// A mark-up's old side.
    Old,
    /// A mark-up's new side.
    New,
    /// A `document.yaml` one of the sources was read with.
    Document,
    /// A mark-up's JSON redline.
    Redline,
}

impl Role {
    /// The PDF/A-3 `AFRelationship` (typst's names).
    fn relationship(self) -> &'static str {
        match self {
            Role::Source | Role::Old | Role::New | Role::Document => "source",
            Role::Redline => "data",
        }
    }
}

/// The manifest: `regdoc-manifest.json` inside the PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub manifest_version: u32,
    /// `regdoc X.Y.Z`: a redline recomputed by another version may differ.
    pub generator: String,
    pub artefact: Artefact,
    /// The column that identified table rows in the comparison, if the
    /// document named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_key: Option<String>,
    pub files: Vec<ManifestFile>,
    /// What the pages show beyond the embedded files, when the built-in
    /// templates laid them out: `verify` lays them out again from the
    /// embedded sources and this, and compares every page's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<PagesFrom>,
}

/// What, besides its embedded sources, a PDF's pages were laid out from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagesFrom {
    /// The document-control table as printed: the other versions' front
    /// matter, which the PDF does not embed.
    pub history: Vec<crate::render::data::HistoryRow>,
}

/// One embedded file, as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Its name among the PDF's embedded files.
    pub name: String,
    pub role: Role,
    /// Where regdoc read it, as it was named (`documents/emrr/v2.0.md`,
    /// `HEAD~1:notes.md`): the JSON redline quotes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// A source read with a `document.yaml`: that file's name here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_yaml: Option<String>,
    /// A governed file: which document, and its path in that document's
    /// folder (`v2.0.md`, `consultations/v3.0.md`), for `--against DIR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governed: Option<Governed>,
    /// The commit that holds these exact bytes, when git knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitPlace>,
    pub sha256: String,
    pub bytes: u64,
}

impl ManifestFile {
    /// An entry with only a name and a role; the hash and length are set
    /// when it is embedded.
    fn named(name: &str, role: Role) -> Self {
        ManifestFile {
            name: name.to_string(),
            role,
            origin: None,
            document_yaml: None,
            governed: None,
            git: None,
            sha256: String::new(),
            bytes: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Governed {
    pub document: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitPlace {
    pub commit: String,
    /// The path from the repository's top.
    pub path: String,
}

/// A file to embed in a PDF.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub name: String,
    pub bytes: Vec<u8>,
    /// PDF/A-3 `AFRelationship`: `source` or `data`.
    pub relationship: &'static str,
    pub mime: &'static str,
    pub description: String,
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Collects the files and their manifest entries.
struct Collector {
    artefact: Artefact,
    table_key: Option<String>,
    pages: Option<PagesFrom>,
    files: Vec<(ManifestFile, Embedded)>,
}

impl Collector {
    fn new(artefact: Artefact) -> Self {
        Collector {
            artefact,
            table_key: None,
            pages: None,
            files: Vec::new(),
        }
    }

    /// A free name: `name`, else `name` with `-2`, `-3`… before its
    /// extension.
    fn free_name(&self, name: &str) -> String {
        // The names the typst world serves itself are never taken.
        let reserved = [MANIFEST_NAME, "main.typ", "data.json", "attachments.json"];
        let taken = |n: &str| reserved.contains(&n) || self.files.iter().any(|(m, _)| m.name == n);
        if !taken(name) {
            return name.to_string();
        }
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => (&name[..i], &name[i..]),
            _ => (name, ""),
        };
        (2..)
            .map(|n| format!("{stem}-{n}{ext}"))
            .find(|n| !taken(n))
            .expect("a free name")
    }

    fn push(&mut self, mut entry: ManifestFile, bytes: Vec<u8>, mime: &'static str, what: String) {
        // The same document.yaml for both sides is embedded once.
        if entry.role == Role::Document
            && self
                .files
                .iter()
                .any(|(m, e)| m.role == Role::Document && e.bytes == bytes)
        {
            return;
        }
        let mut name = safe_name(&entry.name);
        if entry.role == Role::New && self.files.iter().any(|(m, _)| m.name == name) {
            name = format!("new-{name}");
        }
        entry.name = self.free_name(&name);
        entry.sha256 = sha256(&bytes);
        entry.bytes = bytes.len() as u64;
        let embedded = Embedded {
            name: entry.name.clone(),
            relationship: entry.role.relationship(),
            mime,
            description: what,
            bytes,
        };
        self.files.push((entry, embedded));
    }

    /// The name under which `bytes` (a document.yaml) is embedded.
    fn document_name(&self, bytes: &[u8]) -> Option<String> {
        self.files
            .iter()
            .find(|(m, e)| m.role == Role::Document && e.bytes == bytes)
            .map(|(m, _)| m.name.clone())
    }

    /// A source document and the `document.yaml` it was read with.
    fn source(&mut self, doc: &SourceDoc, role: Role, what: &str) -> Result<()> {
        let bytes = crate::source::raw_bytes(&doc.origin)?;
        // The bytes embedded must be the ones shown: a save between the
        // read and now (during `watch`) is this render's error, not a PDF
        // that proves other text than it prints.
        if let Some(read) = doc.read_digest {
            let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            let now = std::str::from_utf8(text)
                .map(crate::model::text_digest)
                .ok();
            if now != Some(read) {
                return Err(Error::in_file(
                    std::path::Path::new(&doc.origin),
                    "changed while it was being built: the PDF would embed other bytes than it shows",
                )
                .help("build again once it is saved"));
            }
        }
        let mut yaml_name = None;
        if let Some(info) = &doc.info
            && let Some(dir) = &doc.dir
        {
            let path = dir.join(crate::source::DOCUMENT_FILE);
            // Read with the text: refused, not left out, when it cannot be
            // read or no longer says what the PDF shows.
            let yaml = crate::source::raw_bytes(&path.display().to_string())?;
            let same = crate::source::text_from_bytes(&path.display().to_string(), yaml.clone())
                .and_then(|t| crate::source::parse_document_info(&path.display().to_string(), &t))
                .is_ok_and(|now| &now == info);
            if !same {
                return Err(Error::in_file(
                    &path,
                    "changed while it was being built: the PDF would embed other bytes than it shows",
                )
                .help("build again once it is saved"));
            }
            {
                let entry = ManifestFile {
                    name: crate::source::DOCUMENT_FILE.to_string(),
                    role: Role::Document,
                    origin: Some(path.display().to_string()),
                    document_yaml: None,
                    governed: governed(doc, &path),
                    git: crate::source::git_place(&path.display().to_string()),
                    sha256: String::new(),
                    bytes: 0,
                };
                let what = format!(
                    "the {} the document was read with",
                    crate::source::DOCUMENT_FILE
                );
                self.push(entry, yaml.clone(), "application/yaml", what);
                yaml_name = self.document_name(&yaml);
            }
        }
        let entry = ManifestFile {
            name: source_name(doc),
            role,
            origin: Some(doc.origin.clone()),
            document_yaml: yaml_name,
            governed: governed(doc, std::path::Path::new(&doc.origin)),
            git: crate::source::git_place(&doc.origin),
            sha256: String::new(),
            bytes: 0,
        };
        self.push(entry, bytes, "text/markdown", what.to_string());
        Ok(())
    }

    /// The files to embed, the manifest last.
    fn finish(self) -> Vec<Embedded> {
        let manifest = Manifest {
            manifest_version: MANIFEST_VERSION,
            generator: format!("regdoc {}", env!("CARGO_PKG_VERSION")),
            artefact: self.artefact,
            table_key: self.table_key,
            files: self.files.iter().map(|(m, _)| m.clone()).collect(),
            pages: self.pages,
        };
        let mut out: Vec<Embedded> = self.files.into_iter().map(|(_, e)| e).collect();
        let mut json = serde_json::to_vec_pretty(&manifest).expect("plain data");
        json.push(b'\n');
        out.push(Embedded {
            name: MANIFEST_NAME.to_string(),
            bytes: json,
            relationship: "supplement",
            mime: "application/json",
            description: "what regdoc embedded, with SHA-256 hashes: check with `regdoc verify`"
                .to_string(),
        });
        out
    }
}

/// A file's name among the embedded files: `emrr-v2.0.md` for a governed
/// version, the file's own name otherwise (a mark-up's new side gets
/// `new-` before it when both sides share a name: `a.md` and `HEAD:a.md`).
fn source_name(doc: &SourceDoc) -> String {
    if let (Some(i), Some(m)) = (&doc.info, &doc.meta) {
        return format!("{}-v{}.md", i.id, m.version);
    }
    let base = doc
        .origin
        .rsplit(['/', '\\', ':'])
        .next()
        .filter(|b| !b.is_empty())
        .unwrap_or("source.md");
    base.to_string()
}

/// Letters, digits, `.`, `-` and `_` only, never starting with a dot: the
/// name is shown by PDF readers and written by `pdfdetach -saveall`.
fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    match s.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None => s,
    }
}

/// A governed file's document and its path in the document's folder.
fn governed(doc: &SourceDoc, path: &std::path::Path) -> Option<Governed> {
    governed_in(&doc.info.as_ref()?.id, doc.dir.as_ref()?, path)
}

/// `path` as a file of document `id`, whose folder is `dir`: its path
/// there with `/`, whatever the platform.
fn governed_in(id: &str, dir: &std::path::Path, path: &std::path::Path) -> Option<Governed> {
    let parts = path
        .strip_prefix(dir)
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<_>>>()?;
    Some(Governed {
        document: id.to_string(),
        path: parts.join("/"),
    })
}

/// What a version PDF embeds: its source and the manifest (with what
/// else its pages show, when `verify` can lay them out again).
pub fn for_version(doc: &SourceDoc, pages: Option<PagesFrom>) -> Result<Vec<Embedded>> {
    let mut c = Collector::new(Artefact::Version);
    c.pages = pages;
    c.source(doc, Role::Source, "the Markdown source of this version")?;
    Ok(c.finish())
}

/// What a consultation PDF embeds: the consultation's source.
pub fn for_consultation(
    document: &crate::model::Document,
    consultation: &crate::model::consultation::ConsultationFile,
) -> Result<Vec<Embedded>> {
    let mut c = Collector::new(Artefact::Consultation);
    let origin = consultation.path.display().to_string();
    let bytes = crate::source::raw_bytes(&origin)?;
    let governed = governed_in(&document.info.id, &document.dir, &consultation.path);
    let entry = ManifestFile {
        name: format!(
            "{}-v{}-consultation.md",
            document.info.id, consultation.meta.consults_on.version
        ),
        role: Role::Source,
        git: crate::source::git_place(&origin),
        origin: Some(origin),
        document_yaml: None,
        governed,
        sha256: String::new(),
        bytes: 0,
    };
    c.push(
        entry,
        bytes,
        "text/markdown",
        "the Markdown source of this consultation".to_string(),
    );
    Ok(c.finish())
}

/// What a mark-up embeds: both sources, the redline and the manifest.
pub fn for_markup(
    old: &SourceDoc,
    new: &SourceDoc,
    redline: &Redline,
    table_key: Option<String>,
    pages: Option<PagesFrom>,
) -> Result<Vec<Embedded>> {
    let mut c = Collector::new(Artefact::Markup);
    c.table_key = table_key;
    c.pages = pages;
    c.source(old, Role::Old, "the old version's Markdown source")?;
    c.source(new, Role::New, "the new version's Markdown source")?;
    let json = crate::render::json::redline_json_with(old, new, redline, false);
    let entry = ManifestFile::named(REDLINE_NAME, Role::Redline);
    c.push(
        entry,
        json.into_bytes(),
        "application/json",
        "the redline as `regdoc diff --format json --no-blocks` writes it".to_string(),
    );
    Ok(c.finish())
}

/// Reads a manifest, refusing one of a newer format.
pub fn read_manifest(bytes: &[u8]) -> Result<Manifest> {
    let m: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| Error::input(format!("its {MANIFEST_NAME} is unreadable: {e}")))?;
    if m.manifest_version > MANIFEST_VERSION {
        return Err(Error::input(format!(
            "its manifest is of format {}; this regdoc reads format {MANIFEST_VERSION} and older",
            m.manifest_version
        ))
        .help("use a newer regdoc"));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_unique() {
        assert_eq!(safe_name("../a b.md"), "_._a_b.md");
        assert_eq!(safe_name(".hidden"), "_hidden");
        let mut c = Collector::new(Artefact::Version);
        c.files.push((
            ManifestFile::named("a.md", Role::Old),
            Embedded {
                name: "a.md".into(),
                bytes: vec![],
                relationship: "source",
                mime: "text/markdown",
                description: String::new(),
            },
        ));
        assert_eq!(c.free_name("a.md"), "a-2.md");
        assert_eq!(c.free_name(MANIFEST_NAME), "regdoc-manifest-2.json");
    }
}
