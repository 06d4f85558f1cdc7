//! The typst templates: compiled in, or read from `--templates DIR`.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Every template file regdoc knows. Only these names are ever read.
pub const FILES: [(&str, &str); 5] = [
    ("regdoc.typ", include_str!("../../../templates/regdoc.typ")),
    (
        "version.typ",
        include_str!("../../../templates/version.typ"),
    ),
    ("markup.typ", include_str!("../../../templates/markup.typ")),
    (
        "consultation.typ",
        include_str!("../../../templates/consultation.typ"),
    ),
    ("report.typ", include_str!("../../../templates/report.typ")),
];

/// The line by which a template that replaces `version.typ`,
/// `markup.typ` or `regdoc.typ` says it lays out a long document's chunks
/// as the built-in ones do (`continuation`, `footnotes_before`,
/// `far_anchor` and the page-number placeholder: docs/template-data.md).
pub const CHUNKS_DECLARATION: &str = "// regdoc: lays out chunks";

/// Where templates come from. A folder's templates are read once, when
/// it is given: a build renders many PDFs from the same files.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// A folder overriding the built-in templates, file by file.
    pub dir: Option<PathBuf>,
    /// The folder's overrides, by name: its text, or why it is unusable.
    overrides: Vec<(&'static str, PathBuf, Result<String>)>,
    /// The house fonts of its `fonts/` folder, each file's path and bytes.
    pub fonts: std::sync::Arc<Vec<(PathBuf, Vec<u8>)>>,
}

/// The font files of a templates folder's `fonts/`, by extension.
const FONT_EXTENSIONS: [&str; 4] = ["otf", "ttf", "otc", "ttc"];
/// The most font files, and bytes of one, read from `fonts/`.
const MAX_FONTS: usize = 64;
const MAX_FONT_BYTES: u64 = 32 * 1024 * 1024;
/// The images a template may show from the folder (a logo).
const IMAGE_EXTENSIONS: [&str; 6] = ["svg", "png", "jpg", "jpeg", "gif", "webp"];

impl Templates {
    pub fn builtin() -> Self {
        Templates::default()
    }

    pub fn from_dir(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(Error::in_file(&dir, "the templates folder does not exist"));
        }
        let overrides = FILES
            .iter()
            .map(|(name, _)| (*name, dir.join(name)))
            .filter(|(_, path)| crate::source::exists(path))
            .map(|(name, path)| {
                let text = read_inside(&dir, &path);
                (name, path, text)
            })
            .collect();
        let fonts = read_fonts(&dir)?;
        Ok(Templates {
            dir: Some(dir),
            overrides,
            fonts: std::sync::Arc::new(fonts),
        })
    }

    /// An image of the templates folder (`logo.svg`, `img/seal.png`), read
    /// through the sandbox: `None` if there is no folder or `name` is no
    /// image.
    pub fn image(&self, name: &str) -> Option<Result<Vec<u8>>> {
        let dir = self.dir.as_ref()?;
        let ext = std::path::Path::new(name)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            return None;
        }
        let path = dir.join(name);
        Some(
            crate::source::inside(dir, &path, "templates")
                .and_then(|real| {
                    crate::source::read_bounded(&real, crate::source::assets::MAX_IMAGE_BYTES)
                })
                // A logo is held to a document image's rules: an SVG that
                // pulls in another file is refused.
                .and_then(|bytes| {
                    crate::source::assets::decode(name, bytes)
                        .map(|p| p.bytes)
                        .map_err(|e| crate::error::Error::in_file(&path, e.to_string()))
                }),
        )
    }

    /// The text of template `name`, or `None` if it is not a template.
    pub fn get(&self, name: &str) -> Option<Result<String>> {
        let builtin = FILES.iter().find(|(n, _)| *n == name)?.1;
        match self.overrides.iter().find(|(n, _, _)| *n == name) {
            Some((_, _, text)) => Some(text.clone()),
            None => Some(Ok(builtin.to_string())),
        }
    }

    /// Whether the folder replaces the built-in template `name`.
    pub fn overrides(&self, name: &str) -> bool {
        self.overrides.iter().any(|(n, _, _)| *n == name)
    }

    /// Whether template `name` lays out a long document's chunks: the
    /// built-in one does, and a replacement says so on a line of its own
    /// ([`CHUNKS_DECLARATION`]). Asked rather than assumed: a template
    /// that knows nothing of continuations would repeat its cover in every
    /// chunk and number each chunk's pages from 1.
    pub fn lays_out_chunks(&self, name: &str) -> bool {
        match self.overrides.iter().find(|(n, _, _)| *n == name) {
            None => true,
            Some((_, _, Ok(text))) => text.lines().any(|l| l.trim() == CHUNKS_DECLARATION),
            Some((_, _, Err(_))) => false,
        }
    }

    /// Where template `name` comes from, for error messages.
    pub fn describe(&self, name: &str) -> String {
        match self.overrides.iter().find(|(n, _, _)| *n == name) {
            Some((_, path, _)) => path.display().to_string(),
            None => format!("templates/{name} (built in)"),
        }
    }
}

/// The font files in `dir/fonts/`, sorted by name (same input, same
/// bytes): each must be a readable font of the folder, or the whole
/// folder is refused with the file named.
fn read_fonts(dir: &std::path::Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let fonts_dir = dir.join("fonts");
    if !crate::source::is_real_dir(&fonts_dir) {
        return Ok(Vec::new());
    }
    let paths = crate::source::files_with_extensions(&fonts_dir, &FONT_EXTENSIONS)?;
    if paths.len() > MAX_FONTS {
        return Err(Error::in_file(
            &fonts_dir,
            format!(
                "holds {} font files; regdoc reads at most {MAX_FONTS}",
                paths.len()
            ),
        ));
    }
    paths
        .into_iter()
        .map(|p| {
            let real = crate::source::inside(dir, &p, "templates")?;
            let bytes = crate::source::read_bounded(&real, MAX_FONT_BYTES)?;
            if typst::text::Font::iter(typst::foundations::Bytes::new(bytes.clone()))
                .next()
                .is_none()
            {
                return Err(Error::in_file(
                    &p,
                    "is not a font regdoc can read (OpenType or TrueType)",
                ));
            }
            Ok((p, bytes))
        })
        .collect()
}

/// Reads a template that really lives in the templates folder: the same
/// sandbox as the document folder. A symlink out of it (to `/etc/passwd`)
/// would otherwise be printed into the PDF.
fn read_inside(dir: &std::path::Path, path: &std::path::Path) -> Result<String> {
    crate::source::inside(dir, path, "templates")?;
    crate::source::read_source(path)
}
