//! The typst `World` of one render: the only files typst can reach.
//!
//! - `/main.typ`: a two-line entry point regdoc writes;
//! - `/data.json`: the document as data;
//! - `/templates/*.typ`: the templates;
//! - `/doc/...`: files of the document's own folder (images), nothing
//!   outside it, even through a symlink;
//! - `/attachments.json` and `/NAME`: the files the PDF embeds
//!   (`crate::provenance`), which `/main.typ` attaches.
//!
//! Everything else, packages included, is refused: no network, no system
//! fonts, no other files. Fonts are regdoc's embedded ones and the house
//! fonts in the templates folder's `fonts/`; images of that folder (a
//! logo) are served under `/templates/`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::files::{FileLoader, FileStore};

use super::Templates;

pub(crate) struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Fonts {
    /// Whether any font has a glyph for `c`.
    pub(crate) fn covers(&self, c: char) -> bool {
        self.fonts
            .iter()
            .any(|f| f.info().coverage.contains(c as u32))
    }
}

/// The fonts of one render: regdoc's embedded fonts, and the house fonts
/// of the templates folder (`fonts/`) before them.
pub(crate) fn fonts_for(templates: &Templates) -> std::sync::Arc<Fonts> {
    static EMBEDDED: OnceLock<std::sync::Arc<Fonts>> = OnceLock::new();
    let embedded = EMBEDDED.get_or_init(|| {
        let f = fonts();
        std::sync::Arc::new(Fonts {
            book: f.book.clone(),
            fonts: f.fonts.clone(),
        })
    });
    if templates.fonts.is_empty() {
        return embedded.clone();
    }
    // Parsed once per templates folder, not once per render of a build.
    type Cache = Vec<(
        std::sync::Arc<Vec<(PathBuf, Vec<u8>)>>,
        std::sync::Arc<Fonts>,
    )>;
    static HOUSE: OnceLock<std::sync::Mutex<Cache>> = OnceLock::new();
    let cache = HOUSE.get_or_init(Default::default);
    if let Ok(c) = cache.lock()
        && let Some((_, f)) = c
            .iter()
            .find(|(k, _)| std::sync::Arc::ptr_eq(k, &templates.fonts))
    {
        return f.clone();
    }
    let mut all: Vec<Font> = templates
        .fonts
        .iter()
        .flat_map(|(_, bytes)| Font::iter(Bytes::new(bytes.clone())))
        .collect();
    all.extend(embedded.fonts.iter().cloned());
    let built = std::sync::Arc::new(Fonts {
        book: LazyHash::new(FontBook::from_fonts(&all)),
        fonts: all,
    });
    if let Ok(mut c) = cache.lock() {
        c.push((templates.fonts.clone(), built.clone()));
    }
    built
}

/// Fonts are compiled in and parsed once per process.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_kit::fonts::embedded().map(|(f, _)| f).collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIB: OnceLock<LazyHash<Library>> = OnceLock::new();
    // `a11y-extras` gives templates `pdf.header-cell`: a table of labelled
    // facts has its labels as row headers, which PDF/UA-1 asks for.
    LIB.get_or_init(|| {
        LazyHash::new(
            Library::builder()
                .with_features([typst::Feature::A11yExtras].into_iter().collect())
                .build(),
        )
    })
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("valid virtual path"),
    )
    .intern()
}

/// The files of one render, read through regdoc's sandbox. typst-kit's
/// [`FileStore`] caches what it loads, so typst sees one version of each
/// file (an image redrawn during a render must not appear twice,
/// differently) and parses each source once.
struct Sandbox {
    main: Bytes,
    data: Bytes,
    templates: Templates,
    doc_dir: Option<PathBuf>,
    /// The old version's folder in a mark-up, for images it deleted.
    old_dir: Option<PathBuf>,
    /// What the PDF embeds, by name, and their list for `/main.typ`.
    attached: Vec<(String, Bytes)>,
    attachments_json: Bytes,
}

impl FileLoader for Sandbox {
    fn load(&self, id: FileId) -> FileResult<Bytes> {
        // A chunk's root (`RegdocWorld::for_chunk`) holds the same files.
        let ours = match id.root() {
            VirtualRoot::Project => true,
            VirtualRoot::Package(spec) => spec.namespace == CHUNK_NAMESPACE,
        };
        if !ours {
            return Err(FileError::Other(Some(
                "packages are not available to regdoc templates".into(),
            )));
        }
        let vpath = id.vpath().get_with_slash();
        match vpath {
            MAIN => return Ok(self.main.clone()),
            "/data.json" => return Ok(self.data.clone()),
            "/attachments.json" => return Ok(self.attachments_json.clone()),
            _ => {}
        }
        // At the top, so that a PDF reader lists `emrr-v2.0.md`, not a
        // folder; provenance never gives one the name of a file above.
        if let Some((_, b)) = self
            .attached
            .iter()
            .find(|(n, _)| vpath.strip_prefix('/') == Some(n.as_str()))
        {
            return Ok(b.clone());
        }
        if let Some(name) = vpath.strip_prefix("/templates/") {
            return match self.templates.get(name) {
                Some(Ok(text)) => Ok(Bytes::from_string(text)),
                Some(Err(e)) => Err(FileError::Other(Some(e.message.into()))),
                // A house style's logo, through the same sandbox.
                None => match self.templates.image(name) {
                    Some(Ok(bytes)) => Ok(Bytes::new(bytes)),
                    Some(Err(e)) => Err(FileError::Other(Some(e.message.into()))),
                    None => Err(FileError::NotFound(PathBuf::from(vpath))),
                },
            };
        }
        if let Some(rel) = vpath.strip_prefix("/doc/")
            && let Some(dir) = &self.doc_dir
        {
            return read_inside(dir, rel);
        }
        if let Some(rel) = vpath.strip_prefix("/old/")
            && let Some(dir) = self.old_dir.as_ref().or(self.doc_dir.as_ref())
        {
            return read_inside(dir, rel);
        }
        Err(FileError::AccessDenied)
    }
}

/// The entry point regdoc writes.
const MAIN: &str = "/main.typ";

/// The namespace of the roots chunks of one document are compiled under.
const CHUNK_NAMESPACE: &str = "regdoc-chunk";

pub struct RegdocWorld {
    main: FileId,
    files: FileStore<Sandbox>,
    fonts: std::sync::Arc<Fonts>,
}

impl RegdocWorld {
    /// A world whose main file imports `template` and calls its `main`
    /// with the JSON `data`.
    pub fn new(
        template: &str,
        data: Vec<u8>,
        templates: Templates,
        doc_dir: Option<PathBuf>,
    ) -> Self {
        // The template name is one of ours, never user text.
        debug_assert!(
            template
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        );
        // The document's title is the PDF's until the template sets its
        // own: PDF/UA-1 requires one, and a minimal template of
        // `--templates` should not have to know that.
        let text = format!(
            "#import \"/templates/{template}\": main\n\
             #let data = json(\"/data.json\")\n\
             #set document(title: data.at(\"doc\", default: (:)).at(\"title\", default: none))\n\
             #for a in json(\"/attachments.json\") {{ pdf.attach(a.path, relationship: a.relationship, mime-type: a.mime, description: a.description) }}\n\
             #main(data)\n"
        );
        RegdocWorld {
            main: file_id(MAIN),
            fonts: fonts_for(&templates),
            files: FileStore::new(Sandbox {
                main: Bytes::from_string(text),
                data: Bytes::new(data),
                templates,
                doc_dir,
                old_dir: None,
                attached: Vec::new(),
                attachments_json: Bytes::from_string("[]"),
            }),
        }
    }

    /// The world of chunk `index` of a long document (`chunk`): the same
    /// files under a root of the chunk's own. Every span typst makes
    /// names its file, and the locations it gives elements are derived
    /// from spans, so two chunks laying out equal text never give two
    /// elements the same location, which joining their pages would
    /// confuse.
    pub fn for_chunk(mut self, index: usize) -> Self {
        if index == 0 {
            return self;
        }
        let spec = typst::syntax::package::PackageSpec {
            namespace: CHUNK_NAMESPACE.into(),
            name: format!("chunk{index}").into(),
            version: typst::syntax::package::PackageVersion {
                major: 0,
                minor: 0,
                patch: u32::try_from(index).unwrap_or(u32::MAX),
            },
        };
        self.main = RootedPath::new(
            VirtualRoot::Package(spec),
            VirtualPath::new(MAIN).expect("valid virtual path"),
        )
        .intern();
        self
    }

    /// Serves `/old/` from this folder (a mark-up's old version).
    pub fn with_old_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.files.loader_mut().old_dir = dir;
        self
    }

    /// Files the PDF embeds as PDF/A-3 associated files. Their names and
    /// descriptions travel as JSON, like all text: never as typst code.
    pub fn with_attachments(mut self, files: Vec<crate::provenance::Embedded>) -> Self {
        let list: Vec<serde_json::Value> = files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "path": format!("/{}", f.name),
                    "relationship": f.relationship,
                    "mime": f.mime,
                    "description": f.description,
                })
            })
            .collect();
        let loader = self.files.loader_mut();
        loader.attachments_json = Bytes::new(serde_json::to_vec(&list).expect("plain data"));
        loader.attached = files
            .into_iter()
            .map(|f| (f.name, Bytes::new(f.bytes)))
            .collect();
        self
    }

    /// A path for messages about file `id`.
    pub fn describe(&self, id: FileId) -> String {
        let p = id.vpath().get_with_slash().to_string();
        match p.strip_prefix("/templates/") {
            Some(name) => self.files.loader().templates.describe(name),
            None => p,
        }
    }
}

/// Reads `rel` under `dir`, refusing anything that resolves outside it
/// (the sandbox rule of `source`), within the image size limit.
fn read_inside(dir: &Path, rel: &str) -> FileResult<Bytes> {
    let path = dir.join(rel);
    match crate::source::resolve_inside(dir, &path) {
        Err(e) => Err(FileError::from_io(e, &path)),
        Ok(None) => Err(FileError::AccessDenied),
        Ok(Some(real)) => {
            crate::source::read_bounded(&real, crate::source::assets::MAX_IMAGE_BYTES)
                .map(Bytes::new)
                .map_err(|e| FileError::Other(Some(e.message.into())))
        }
    }
}

impl World for RegdocWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.files.source(id)
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.file(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // No wall-clock time inside a PDF: same input, same bytes.
        None
    }
}
