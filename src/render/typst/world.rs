//! The typst `World` of one render: the only files typst can reach.
//!
//! - `/main.typ`: a two-line entry point regdoc writes;
//! - `/data.json`: the document as data;
//! - `/templates/*.typ`: the templates;
//! - `/doc/...`: files of the document's own folder (images), nothing
//!   outside it, even through a symlink.
//!
//! Everything else, packages included, is refused: no network, no system
//! fonts, no other files.

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

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
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
    LIB.get_or_init(|| LazyHash::new(Library::builder().build()))
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
}

impl FileLoader for Sandbox {
    fn load(&self, id: FileId) -> FileResult<Bytes> {
        if id.root() != &VirtualRoot::Project {
            return Err(FileError::Other(Some(
                "packages are not available to regdoc templates".into(),
            )));
        }
        let vpath = id.vpath().get_with_slash();
        match vpath {
            MAIN => return Ok(self.main.clone()),
            "/data.json" => return Ok(self.data.clone()),
            _ => {}
        }
        if let Some(name) = vpath.strip_prefix("/templates/") {
            return match self.templates.get(name) {
                Some(Ok(text)) => Ok(Bytes::from_string(text)),
                Some(Err(e)) => Err(FileError::Other(Some(e.message.into()))),
                None => Err(FileError::NotFound(PathBuf::from(vpath))),
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

pub struct RegdocWorld {
    main: FileId,
    files: FileStore<Sandbox>,
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
        let text =
            format!("#import \"/templates/{template}\": main\n#main(json(\"/data.json\"))\n");
        RegdocWorld {
            main: file_id(MAIN),
            files: FileStore::new(Sandbox {
                main: Bytes::from_string(text),
                data: Bytes::new(data),
                templates,
                doc_dir,
                old_dir: None,
            }),
        }
    }

    /// Serves `/old/` from this folder (a mark-up's old version).
    pub fn with_old_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.files.loader_mut().old_dir = dir;
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
        &fonts().book
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
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // No wall-clock time inside a PDF: same input, same bytes.
        None
    }
}
