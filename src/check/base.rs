//! Rules against a git revision (`regdoc check --base origin/main`): what
//! was approved stays as it was, statuses only move forward, and changes
//! come as new versions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Diagnostic, Report, rules::key_line};
use crate::error::Result;
use crate::model::{Document, DocumentInfo, Status, VersionFile, VersionMeta};
use crate::source::{self, Workspace};

/// The files of the documents folder at `rev`: version files (`*.md`)
/// and `document.yaml`s, with their text; and, apart, consultations.
type Files = Vec<(PathBuf, String)>;

fn files_at(ws: &Workspace, rev: &str) -> Result<(Files, Files)> {
    let mut files = Vec::new();
    let mut consultations = Vec::new();
    for path in source::git_files(rev, ws.root())? {
        let name = path.to_string_lossy();
        // A document's consultations are not its versions.
        let in_consultations = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == crate::source::CONSULTATIONS);
        if in_consultations {
            if name.ends_with(".md") {
                let text = source::read_git(rev, &format!("./{name}"))?;
                consultations.push((path, text));
            }
            continue;
        }
        let wanted = name.ends_with(".md")
            || path
                .file_name()
                .is_some_and(|n| n == crate::source::DOCUMENT_FILE);
        if !wanted {
            continue;
        }
        // `./` makes git read the path relative to where we stand.
        let text = source::read_git(rev, &format!("./{name}"))?;
        files.push((path, text));
    }
    Ok((files, consultations))
}

/// The first field of two versions' front matter that differs, other than
/// `status` (whose moves `allowed` judges): `None` when they agree.
fn changed_field(was: &VersionMeta, now: &VersionMeta) -> Option<String> {
    let fields = |m: &VersionMeta| match serde_json::to_value(m) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (a, b) = (fields(was), fields(now));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.dedup();
    keys.into_iter()
        .filter(|k| k.as_str() != "status")
        // `version` as written too: `2.0` → `2` is the same version, but
        // the PDF and its file name print the text.
        .find(|k| a.get(k.as_str()) != b.get(k.as_str()))
        .cloned()
}

/// Within a changed field that is a mapping (`approved`, `consultation`),
/// the first key that differs.
fn changed_subfield(was: &VersionMeta, now: &VersionMeta, field: &str) -> Option<String> {
    let a = serde_json::to_value(was).ok()?;
    let b = serde_json::to_value(now).ok()?;
    let (a, b) = (a.get(field)?.as_object()?, b.get(field)?.as_object()?);
    a.keys()
        .chain(b.keys())
        .find(|k| a.get(*k) != b.get(*k))
        .cloned()
}

/// The 1-based line of the first body line that differs between two
/// versions of a file: where a reviewer should look.
fn first_changed_line(was: &VersionFile, now: &VersionFile) -> usize {
    let first = line_of_offset(&now.text, now.body_offset);
    let old = was.text[was.body_offset..].lines();
    let mut new = now.text[now.body_offset..].lines();
    let mut i = 0;
    for o in old {
        match new.next() {
            // Trailing blanks are no change (they do not reach the tree).
            Some(n) if n.trim_end() == o.trim_end() => i += 1,
            _ => break,
        }
    }
    first + i
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
    appearance: &super::appearance::Appearance,
    report: &mut Report,
) -> Result<()> {
    let mut base: HashMap<String, Vec<(PathBuf, Option<VersionFile>, String)>> = HashMap::new();
    let mut infos: HashMap<String, DocumentInfo> = HashMap::new();
    let (files, consultations) = files_at(ws, rev)?;
    for (path, text) in files {
        let Some(id) = doc_id_of(&path) else { continue };
        if path
            .file_name()
            .is_some_and(|n| n == crate::source::DOCUMENT_FILE)
        {
            if let Some(info) = source::yaml::try_parse::<DocumentInfo>(&text) {
                infos.insert(id, info);
            }
            continue;
        }
        let parsed = source::parse_version(&path, text.clone()).ok();
        base.entry(id).or_default().push((path, parsed, text));
    }
    let mut approved: Vec<String> = base
        .iter()
        .flat_map(|(id, files)| {
            files
                .iter()
                .filter_map(|(_, p, _)| p.as_ref().filter(|p| settled(p)))
                .map(move |p| format!("{id} v{}", p.meta.version))
        })
        .collect();
    approved.sort();
    super::appearance::check_appearance(ws, rev, appearance, &approved, report)?;
    for doc in docs {
        let old = base.remove(&doc.info.id).unwrap_or_default();
        check_consultations(doc, &old, &consultations, rev, report);
        check_document(doc, &old, rev, report);
        let approved_before = old.iter().any(|(_, p, _)| p.as_ref().is_some_and(settled));
        if approved_before && let Some(was) = infos.get(&doc.info.id) {
            check_document_info(doc, was, rev, report);
        }
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
        let Some(was) = parsed else {
            // A file that does not parse at the base cannot be shown not to
            // have been approved: if it looks approved and changed, refuse.
            let looks_settled = text.lines().any(|l| {
                let l = l.trim();
                l.starts_with("approved:") || l == "status: approved" || l == "status: superseded"
            });
            let now = doc
                .versions
                .iter()
                .find(|f| f.path.file_name() == path.file_name());
            if looks_settled && now.is_none_or(|n| &n.text != text) {
                immutable_broken = true;
                report.diagnostics.push(
                    Diagnostic::error(
                        "base/approved-immutable",
                        now.map_or(&doc.dir.join(crate::source::DOCUMENT_FILE), |n| &n.path),
                        format!(
                            "{} looks approved at {rev} but does not parse there, and changed since",
                            path.display()
                        ),
                    )
                    .help("an approved version is immutable: restore it, and fix it in a new version"),
                );
            }
            continue;
        };
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
        if settled(was) {
            let (what, line) = if was.blocks != now.blocks {
                ("text".to_string(), first_changed_line(was, now))
            } else if let Some(field) = changed_field(&was.meta, &now.meta) {
                // A nested field (`approved.on`) is located at its own line.
                let (name, line) =
                    match changed_subfield(&was.meta, &now.meta, &field).and_then(|sub| {
                        source::yaml::nested_key_line(&now.text, &field, &sub)
                            .map(|l| (format!("{field}.{sub}"), l))
                    }) {
                        Some(found) => found,
                        None => (
                            field.clone(),
                            key_line(&now.text, &field)
                                .or_else(|| key_line(&now.text, "version"))
                                .unwrap_or(1),
                        ),
                    };
                (format!("`{name}`"), line)
            } else {
                continue;
            };
            immutable_broken = true;
            report.diagnostics.push(
                Diagnostic::error(
                    "base/approved-immutable",
                    &now.path,
                    format!(
                        "v{} was {} at {rev}, but its {what} changed",
                        was.meta.version, was.meta.status
                    ),
                )
                .at(line, 1)
                .help("an approved version is immutable: start a new version with `regdoc new`"),
            );
        }
    }
    // The pictures an approved version shows are part of it: a redrawn
    // diagram changes the approved PDF as surely as a changed word.
    for (path, parsed, _) in old {
        let Some(was) = parsed else { continue };
        if !settled(was) {
            continue;
        }
        let Some(now) = doc
            .versions
            .iter()
            .find(|f| f.meta.version == was.meta.version)
        else {
            continue;
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        for src in crate::source::assets::image_sources(&was.blocks) {
            if crate::source::assets::is_remote(&src) {
                continue;
            }
            let git_path = format!("./{}", dir.join(src.trim_start_matches("./")).display());
            let before =
                source::read_git_bytes(rev, &git_path, crate::source::assets::MAX_IMAGE_BYTES).ok();
            let after = crate::source::assets::read_image(&doc.dir, &src)
                .ok()
                .map(|p| p.bytes);
            if before.is_some() && before == after {
                continue;
            }
            immutable_broken = true;
            let line = crate::source::assets::find_image(&now.text, &src)
                .map_or(1, |i| line_of_offset(&now.text, i));
            report.diagnostics.push(
                Diagnostic::error(
                    "base/approved-immutable",
                    &now.path,
                    format!(
                        "the image `{src}` of v{} (approved at {rev}) changed",
                        was.meta.version
                    ),
                )
                .at(line, 1)
                .help(
                    "an approved version's pictures are part of it: give a new version a new file",
                ),
            );
        }
    }
    // A version enters as a draft: one that first appears approved (or
    // superseded, or withdrawn after approval) would add a row to the
    // history of approved PDFs without anyone approving it here. Whole
    // documents new at this revision (an imported history) are exempt.
    if !old.is_empty() {
        for f in &doc.versions {
            let known = old
                .iter()
                .any(|(_, p, _)| p.as_ref().is_some_and(|p| p.meta.version == f.meta.version));
            if !known && f.meta.status != Status::Draft {
                report.diagnostics.push(
                    Diagnostic::error(
                        "base/enters-as-draft",
                        &f.path,
                        format!(
                            "v{} is new since {rev} but already {}: a version enters as a draft",
                            f.meta.version, f.meta.status
                        ),
                    )
                    .at(key_line(&f.text, "status").unwrap_or(1), 1)
                    .help("add it as a draft, then approve it in a later change with `regdoc approve`"),
                );
            }
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

/// `document.yaml` is printed in every PDF of the document (title, owner,
/// classification, approver, governing clauses): once a version is
/// approved, changing it would change what that approved PDF says. So its
/// fields are as immutable as the approved text.
fn check_document_info(doc: &Document, was: &DocumentInfo, rev: &str, report: &mut Report) {
    let fields = |i: &DocumentInfo| match serde_json::to_value(i) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (a, b) = (fields(was), fields(&doc.info));
    let path = doc.dir.join(crate::source::DOCUMENT_FILE);
    let text = report.source(&path).unwrap_or("").to_string();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        if a.get(key) == b.get(key) {
            continue;
        }
        report.diagnostics.push(
            Diagnostic::error(
                "base/approved-immutable",
                &path,
                format!(
                    "`{key}` of `{}` changed since {rev}, but approved versions print it",
                    doc.info.id
                ),
            )
            .at(key_line(&text, key).unwrap_or(1), 1)
            .help(
                "what an approved PDF says cannot change: a new version may set its own `title`; \
                 anything else needs a new document",
            ),
        );
    }
}

/// Approved once: approved, superseded, or withdrawn after an approval.
/// Such a version is immutable.
/// A consultation on a version that was approved (or superseded) at the
/// base is the record of how that version came to be: it may not change,
/// nor go, since.
fn check_consultations(
    doc: &Document,
    old: &[(PathBuf, Option<VersionFile>, String)],
    consultations: &[(PathBuf, String)],
    rev: &str,
    report: &mut Report,
) {
    for (path, text) in consultations {
        let in_doc = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|n| n.to_str() == Some(doc.info.id.as_str()));
        if !in_doc {
            continue;
        }
        let Ok(was) = source::parse_consultation(path, text.clone()) else {
            continue;
        };
        let settled_at_base = old.iter().any(|(_, v, _)| {
            v.as_ref()
                .is_some_and(|v| v.meta.version == was.meta.consults_on.version && settled(v))
        });
        if !settled_at_base {
            continue;
        }
        let now = doc
            .consultations
            .iter()
            .find(|c| c.path.file_name() == path.file_name());
        match now {
            Some(now) if &now.text == text => {}
            Some(now) => {
                let line = text
                    .lines()
                    .zip(now.text.lines())
                    .position(|(a, b)| a.trim_end() != b.trim_end())
                    .unwrap_or_else(|| text.lines().count().min(now.text.lines().count()))
                    + 1;
                report.diagnostics.push(
                    Diagnostic::error(
                        "base/consultation-immutable",
                        &now.path,
                        format!(
                            "the consultation on v{} changed since {rev}, where that version is approved",
                            was.meta.consults_on.version
                        ),
                    )
                    .at(line, 1)
                    .help("a consultation on an approved version is its record: restore it"),
                );
            }
            None => report.diagnostics.push(
                Diagnostic::error(
                    "base/consultation-immutable",
                    &doc.dir.join(crate::source::DOCUMENT_FILE),
                    format!(
                        "the consultation on v{} ({}) was deleted since {rev}, where that version is approved",
                        was.meta.consults_on.version,
                        path.display()
                    ),
                )
                .help("a consultation on an approved version is its record: restore it"),
            ),
        }
    }
}

fn settled(f: &VersionFile) -> bool {
    matches!(f.meta.status, Status::Approved | Status::Superseded)
        || (f.meta.status == Status::Withdrawn && f.meta.approved.is_some())
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    crate::error::line_col(text, offset).0
}
