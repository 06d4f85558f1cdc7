//! What an approved PDF looks like is held like its text: against a git
//! revision, every file of the templates folder the PDFs are built with
//! (the typst templates, the house fonts in `fonts/`, the logo and any
//! picture a template shows) must be as it was while a version is
//! approved. Editing `version.typ` or redrawing the logo changes every
//! approved PDF's pages as surely as editing their Markdown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Diagnostic, Report};
use crate::error::Result;
use crate::source;

/// The most bytes of one templates-folder file compared (a font).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Where the templates folder is, and whether a change to it is allowed
/// (then reported as a warning, naming the approved versions it restyles).
#[derive(Debug, Clone, Default)]
pub struct Appearance {
    pub templates: Option<PathBuf>,
    pub allow_restyle: bool,
}

/// The files under `dir` (recursively) that can reach a PDF, by their
/// path inside it.
type Files = BTreeMap<PathBuf, Vec<u8>>;

/// Whether a file of the templates folder can change a PDF: a template
/// (`.typ`), a house font (in `fonts/`) or a picture a template shows.
/// A README or an editor's file beside them cannot.
fn reaches_pdfs(inside: &Path) -> bool {
    let ext = inside
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let font = inside.starts_with("fonts") && matches!(ext.as_str(), "otf" | "ttf" | "otc" | "ttc");
    font || matches!(
        ext.as_str(),
        "typ" | "svg" | "png" | "jpg" | "jpeg" | "gif" | "webp"
    )
}

fn at_revision(rev: &str, dir: &Path) -> Result<Files> {
    let mut files = Files::new();
    // Git names them relative to where we stand, as `dir` is given.
    let shown = relative_to_here(dir);
    for path in source::git_files(rev, &shown)? {
        let Ok(inside) = path.strip_prefix(&shown) else {
            continue;
        };
        if !reaches_pdfs(inside) {
            continue;
        }
        let bytes = source::read_git_bytes(rev, &format!("./{}", path.display()), MAX_FILE_BYTES)?;
        files.insert(inside.to_path_buf(), bytes);
    }
    Ok(files)
}

fn in_work_tree(dir: &Path) -> Result<Files> {
    let mut files = Files::new();
    for path in source::files_under(dir)? {
        let Ok(inside) = path.strip_prefix(dir) else {
            continue;
        };
        if !reaches_pdfs(inside) {
            continue;
        }
        files.insert(
            inside.to_path_buf(),
            source::bytes_as_git_keeps(&path, MAX_FILE_BYTES)?,
        );
    }
    Ok(files)
}

/// `dir` relative to the current folder where it is under it.
fn relative_to_here(dir: &Path) -> PathBuf {
    if dir.is_absolute()
        && let Ok(here) = std::env::current_dir()
        && let Ok(rel) = dir.strip_prefix(&here)
    {
        return rel.to_path_buf();
    }
    dir.to_path_buf()
}

/// The templates folder of a workspace: the one given, else `templates/`
/// beside the documents folder when there is one.
pub fn templates_dir(ws: &source::Workspace, given: Option<&Path>) -> Option<PathBuf> {
    if let Some(g) = given {
        return Some(g.to_path_buf());
    }
    let beside = match ws.root().parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join("templates"),
        _ => PathBuf::from("templates"),
    };
    source::is_real_dir(&beside).then_some(beside)
}

/// Reports every file of the templates folder added, changed or removed
/// since `rev` while any document has a version approved at `rev`.
/// `approved` names those versions (`emrr v2.0`).
pub fn check_appearance(
    ws: &source::Workspace,
    rev: &str,
    opts: &Appearance,
    approved: &[String],
    report: &mut Report,
) -> Result<()> {
    let Some(dir) = templates_dir(ws, opts.templates.as_deref()) else {
        return Ok(());
    };
    if approved.is_empty() {
        return Ok(());
    }
    let was = at_revision(rev, &dir)?;
    let now = if source::is_real_dir(&dir) {
        in_work_tree(&dir)?
    } else {
        Files::new()
    };
    let mut names: Vec<&PathBuf> = was.keys().chain(now.keys()).collect();
    names.sort();
    names.dedup();
    let shown: String = match approved {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => unreachable!("checked above"),
    };
    for name in names {
        let what = match (was.get(name), now.get(name)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(_), Some(_)) => "changed",
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (None, None) => continue,
        };
        let path = dir.join(name);
        let message = format!(
            "{} was {what} since {rev}: the templates folder is part of how approved versions print ({shown})",
            name.display()
        );
        let d = if opts.allow_restyle {
            Diagnostic::warning("base/approved-appearance", &path, message)
                .help("--allow-restyle: the approved PDFs will print differently when rebuilt")
        } else {
            Diagnostic::error("base/approved-appearance", &path, message).help(
                "an approved PDF must not change unseen: restore the file, or, if restyling approved versions is intended, say so with --allow-restyle",
            )
        };
        report.diagnostics.push(d);
    }
    Ok(())
}
