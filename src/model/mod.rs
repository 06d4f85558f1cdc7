//! The document tree and its metadata: what every other module agrees on.
//!
//! Nothing here reads files or knows about output formats.

mod block;
pub mod clause;
pub mod consultation;
mod meta;

pub use block::{
    Align, Block, Frame, Image, Inline, Leaf, List, ListItem, Style, Table, blocks_text, flatten,
    inlines_text, leaf_inlines, opens_at, slug, unflatten, walk,
};
pub use meta::{
    Approval, Consultation, DocumentInfo, EffectiveDate, HouseStyle, Status, VersionMeta,
    VersionNumber,
};

/// Most characters of a text every PDF keeps as a string of its own (the
/// title, the owner, the classification in its metadata and headers):
/// PDF/A holds such a string to 32,767 bytes, and a longer one made the
/// whole PDF fail with typst's "a PDF string is longer" and no place.
pub const MAX_PDF_STRING_CHARS: usize = 1_000;

use std::path::PathBuf;

/// Document ids are short lowercase names: `emrr`, `sec-appendix-as`.
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// One version's body and front matter, or any Markdown file.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// The file it came from (or a label such as `HEAD:doc.md`).
    pub origin: String,
    /// The document's folder, for the document-level metadata and assets.
    pub dir: Option<PathBuf>,
    pub info: Option<DocumentInfo>,
    /// regdoc's own front matter: a governed version's, or a plain file's
    /// that happens to follow regdoc's schema.
    pub meta: Option<VersionMeta>,
    /// A plain file's front matter, whatever tool it was written for. A
    /// governed version has none: its front matter is `meta`.
    pub front_matter: Option<FrontMatter>,
    pub blocks: Vec<Block>,
    /// The SHA-256 of the text it was parsed from (a byte-order mark
    /// dropped), where it was read from a file: what embeds the file's
    /// bytes later (`provenance`) checks that they are still the ones
    /// shown, so a save during a build cannot put other bytes in a PDF
    /// than those it shows.
    pub read_digest: Option<[u8; 32]>,
}

/// The digest [`SourceDoc::read_digest`] holds of `text`.
pub fn text_digest(text: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).into()
}

/// Front matter of another tool (a static-site generator, kramdown-rfc…):
/// kept verbatim, and read into fields where it parses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrontMatter {
    pub format: FrontMatterFormat,
    /// The text between the fences, byte for byte.
    pub raw: String,
    /// The closing line: `---`, `...`, `+++`, or a kramdown-rfc section
    /// marker such as `--- abstract`.
    pub close: String,
    /// Top-level keys and their values as display text, in source order;
    /// `None` where the text does not parse (it is then compared verbatim).
    pub fields: Option<Vec<(String, String)>>,
}

/// The language of front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrontMatterFormat {
    /// Fenced by `---` (Jekyll, Hugo, kramdown-rfc, pandoc…).
    Yaml,
    /// Fenced by `+++` (Hugo, Zola).
    Toml,
}

impl FrontMatter {
    /// The front matter as it stands in a file, fences included.
    pub fn fenced(&self) -> String {
        let open = match self.format {
            FrontMatterFormat::Yaml => "---",
            FrontMatterFormat::Toml => "+++",
        };
        let nl = if self.raw.is_empty() || self.raw.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        format!("{open}\n{}{nl}{}\n", self.raw, self.close)
    }

    /// The fields to show and compare: the parsed keys, or the whole text.
    pub fn display_fields(&self) -> Vec<(String, String)> {
        match &self.fields {
            Some(f) => f.clone(),
            None => vec![("front matter".into(), self.raw.trim_end().to_string())],
        }
    }
}

impl SourceDoc {
    /// A human label: `EMRR v3.0 (draft)` or the file name.
    pub fn label(&self) -> String {
        match (&self.info, &self.meta) {
            (Some(info), Some(meta)) => {
                format!(
                    "{} v{} ({})",
                    info.display_short(),
                    meta.version,
                    meta.status
                )
            }
            (None, Some(meta)) => format!("v{} ({})", meta.version, meta.status),
            _ => self.origin.clone(),
        }
    }

    /// The document title: from the document metadata, else from another
    /// tool's front matter (`title:`), else the first heading, else the
    /// file name.
    pub fn title(&self) -> String {
        // A blank title is no title: a PDF needs one (PDF/UA-1), and `## `
        // is a heading of real Markdown.
        let given = |t: &str| !t.trim().is_empty();
        if let Some(info) = &self.info
            && given(&info.title)
        {
            return info.title.clone();
        }
        if let Some(meta) = &self.meta
            && let Some(t) = meta.title.as_deref().filter(|t| given(t))
        {
            return t.to_string();
        }
        // The front matter of another tool (Jekyll, Hugo, kramdown-rfc,
        // pandoc) names the title its site or draft shows; the first
        // heading may be a section's ("Introduction" for the CommonMark
        // spec, whose front matter says "CommonMark Spec").
        if let Some(t) = self
            .front_matter
            .as_ref()
            .and_then(|f| f.fields.as_ref())
            .and_then(|fields| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case("title")))
            .map(|(_, v)| v.trim())
            .filter(|t| given(t))
        {
            return t.to_string();
        }
        for b in &self.blocks {
            if let Block::Heading { content, .. } = b {
                let text = inlines_text(content);
                if given(&text) {
                    return text;
                }
            }
        }
        self.origin.clone()
    }
}

/// The title to show for a comparison: a governed document's title wins
/// over a plain file's first heading.
pub fn comparison_title(old: &SourceDoc, new: &SourceDoc) -> String {
    if new.info.is_none() && old.info.is_some() {
        old.title()
    } else {
        new.title()
    }
}

/// A governed document: its metadata and every version, oldest first.
#[derive(Debug, Clone)]
pub struct Document {
    pub dir: PathBuf,
    pub info: DocumentInfo,
    pub versions: Vec<VersionFile>,
    /// Consultations on its drafts (`consultations/*.md`), by file name.
    pub consultations: Vec<consultation::ConsultationFile>,
}

/// A version file on disk with its parsed contents.
#[derive(Debug, Clone)]
pub struct VersionFile {
    pub path: PathBuf,
    pub meta: VersionMeta,
    pub blocks: Vec<Block>,
    /// The raw source text, kept for located diagnostics.
    pub text: String,
    /// Byte offset of the body (after the front matter) in `text`.
    pub body_offset: usize,
}

impl Document {
    pub fn version(&self, v: &VersionNumber) -> Option<&VersionFile> {
        self.versions.iter().find(|f| &f.meta.version == v)
    }

    /// The version a given one supersedes, if it names one that exists.
    pub fn predecessor(&self, file: &VersionFile) -> Option<&VersionFile> {
        file.meta.supersedes.as_ref().and_then(|v| self.version(v))
    }

    /// Table `n` (1-based, in reading order) of version `v` of document
    /// `id`, which must be this one: what a consultation quotes.
    pub fn quoted_table(&self, r: &consultation::VersionRef, n: usize) -> Result<&Table, String> {
        let (id, v) = (&r.doc, &r.version);
        if *id != self.info.id {
            return Err(format!(
                "`{id}@{v}`: a consultation quotes versions of its own document ({})",
                self.info.id
            ));
        }
        let f = self
            .version(v)
            .ok_or_else(|| format!("{id} has no version {v}"))?;
        let mut tables = Vec::new();
        walk(&f.blocks, &mut |b: &Block| {
            if let Block::Table(t) = b {
                tables.push(t);
            }
        });
        let count = tables.len();
        tables
            .into_iter()
            .nth(n.saturating_sub(1))
            .ok_or_else(|| format!("{id}@{v} has {count} table(s), not {n}"))
    }

    /// The consultation on version `v`, if there is one.
    pub fn consultation_on(&self, v: &VersionNumber) -> Option<&consultation::ConsultationFile> {
        self.consultations
            .iter()
            .find(|c| c.meta.consults_on.doc == self.info.id && &c.meta.consults_on.version == v)
    }

    pub fn source_doc(&self, file: &VersionFile) -> SourceDoc {
        SourceDoc {
            origin: file.path.display().to_string(),
            dir: Some(self.dir.clone()),
            info: Some(self.info.clone()),
            meta: Some(file.meta.clone()),
            front_matter: None,
            blocks: file.blocks.clone(),
            read_digest: Some(text_digest(&file.text)),
        }
    }
}
