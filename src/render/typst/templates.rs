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

/// Where templates come from. A folder's templates are read once, when
/// it is given: a build renders many PDFs from the same files.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// A folder overriding the built-in templates, file by file.
    pub dir: Option<PathBuf>,
    /// The folder's overrides, by name: its text, or why it is unusable.
    overrides: Vec<(&'static str, PathBuf, Result<String>)>,
}

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
        Ok(Templates {
            dir: Some(dir),
            overrides,
        })
    }

    /// The text of template `name`, or `None` if it is not a template.
    pub fn get(&self, name: &str) -> Option<Result<String>> {
        let builtin = FILES.iter().find(|(n, _)| *n == name)?.1;
        match self.overrides.iter().find(|(n, _, _)| *n == name) {
            Some((_, _, text)) => Some(text.clone()),
            None => Some(Ok(builtin.to_string())),
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

/// Reads a template that really lives in the templates folder: the same
/// sandbox as the document folder. A symlink out of it (to `/etc/passwd`)
/// would otherwise be printed into the PDF.
fn read_inside(dir: &std::path::Path, path: &std::path::Path) -> Result<String> {
    crate::source::inside(dir, path, "templates")?;
    crate::source::read_source(path)
}
