//! Rules against a git revision (`regdoc check --base origin/main`): what
//! was approved stays as it was, statuses only move forward, and changes
//! come as new versions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Diagnostic, Report, rules::key_line};
use crate::error::{Error, Result};
use crate::model::{Document, Status, VersionFile};
use crate::source::{self, Workspace};

/// Version files under the documents folder as they were at `rev`.
fn files_at(ws: &Workspace, rev: &str) -> Result<Vec<(PathBuf, String)>> {
    if rev.starts_with('-') {
        return Err(Error::input(format!("`{rev}` is not a git revision")));
    }
    let out = Command::new("git")
        .args(["ls-tree", "-r", "--name-only", rev, "--"])
        .arg(ws.root())
        .output()
        .map_err(|e| Error::input(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::input(format!(
            "git cannot list {} at {rev}: {}",
            ws.root().display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut files = Vec::new();
    for name in String::from_utf8_lossy(&out.stdout).lines() {
        if !name.ends_with(".md") {
            continue;
        }
        // `./` makes git read the path relative to where we stand.
        let text = source::read_git(rev, &format!("./{name}"))?;
        files.push((PathBuf::from(name), text));
    }
    Ok(files)
}

/// The governed metadata and text of a version, as compared for
/// immutability (the status may still move on).
fn governed(f: &VersionFile) -> impl PartialEq + std::fmt::Debug {
    let m = &f.meta;
    (
        m.version.to_string(),
        m.effective,
        m.approved.clone(),
        m.supersedes.as_ref().map(|v| v.to_string()),
        m.summary.clone(),
        m.consultation.clone(),
        m.title.clone(),
        f.blocks.clone(),
    )
}

fn allowed(from: Status, to: Status) -> bool {
    use Status::*;
    from == to
        || matches!(
            (from, to),
            (Draft, Approved) | (Draft, Withdrawn) | (Approved, Superseded) | (Approved, Withdrawn)
        )
}

fn doc_id_of(path: &Path) -> Option<String> {
    path.parent()?.file_name()?.to_str().map(|s| s.to_string())
}

/// Runs the base rules for every document.
pub fn check_against(
    ws: &Workspace,
    rev: &str,
    docs: &[Document],
    report: &mut Report,
) -> Result<()> {
    let mut base: HashMap<String, Vec<(PathBuf, Option<VersionFile>, String)>> = HashMap::new();
    for (path, text) in files_at(ws, rev)? {
        let Some(id) = doc_id_of(&path) else { continue };
        let parsed = source::parse_version(&path, text.clone()).ok();
        base.entry(id).or_default().push((path, parsed, text));
    }
    for doc in docs {
        let old = base.remove(&doc.info.id).unwrap_or_default();
        check_document(doc, &old, rev, report);
    }
    // Whole documents deleted since the base.
    for (id, files) in base {
        for (path, parsed, _) in files {
            if let Some(v) = parsed {
                report.diagnostics.push(
                    Diagnostic::error(
                        "base/deleted-version",
                        &ws.root().join(&id),
                        format!(
                            "version {} of `{id}` ({}) was deleted since {rev}",
                            v.meta.version,
                            path.display()
                        ),
                    )
                    .help("versions are never deleted: mark one withdrawn or superseded instead"),
                );
            }
        }
    }
    Ok(())
}

fn check_document(
    doc: &Document,
    old: &[(PathBuf, Option<VersionFile>, String)],
    rev: &str,
    report: &mut Report,
) {
    let mut immutable_broken = false;
    let mut changed = false;
    let mut draft_changed = false;
    for (path, parsed, text) in old {
        let Some(was) = parsed else { continue };
        let now = doc
            .versions
            .iter()
            .find(|f| f.meta.version == was.meta.version);
        let Some(now) = now else {
            changed = true;
            report.diagnostics.push(
                Diagnostic::error(
                    "base/deleted-version",
                    &doc.dir.join(crate::source::DOCUMENT_FILE),
                    format!(
                        "version {} ({}) was deleted since {rev}",
                        was.meta.version,
                        path.display()
                    ),
                )
                .help("versions are never deleted: mark one withdrawn or superseded instead"),
            );
            continue;
        };
        if &now.text != text {
            changed = true;
            if was.meta.status == Status::Draft {
                draft_changed = true;
            }
        }
        if !allowed(was.meta.status, now.meta.status) {
            report.diagnostics.push(
                Diagnostic::error(
                    "base/status",
                    &now.path,
                    format!(
                        "the status went from {} (at {rev}) to {}",
                        was.meta.status, now.meta.status
                    ),
                )
                .at(key_line(&now.text, "status").unwrap_or(1), 1)
                .help("a status moves only draft → approved → superseded, or to withdrawn"),
            );
        }
        if matches!(was.meta.status, Status::Approved | Status::Superseded)
            && governed(was) != governed(now)
        {
            immutable_broken = true;
            let what = if was.blocks != now.blocks {
                "text"
            } else {
                "metadata"
            };
            report.diagnostics.push(
                Diagnostic::error(
                    "base/approved-immutable",
                    &now.path,
                    format!(
                        "v{} was {} at {rev}, but its {what} changed",
                        was.meta.version, was.meta.status
                    ),
                )
                .at(
                    if what == "text" {
                        line_of_offset(&now.text, now.body_offset)
                    } else {
                        2
                    },
                    1,
                )
                .help("an approved version is immutable: start a new version with `regdoc new`"),
            );
        }
    }
    let added = doc.versions.iter().any(|f| {
        !old.iter()
            .any(|(_, p, _)| p.as_ref().is_some_and(|p| p.meta.version == f.meta.version))
    });
    if changed && !added && !draft_changed && !immutable_broken {
        report.diagnostics.push(
            Diagnostic::error(
                "base/new-version",
                &doc.dir.join(crate::source::DOCUMENT_FILE),
                format!(
                    "`{}` changed since {rev} without a new or draft version",
                    doc.info.id
                ),
            )
            .help("start a draft with `regdoc new`"),
        );
    }
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    crate::error::line_col(text, offset).0
}
