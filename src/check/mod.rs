//! `regdoc check`: the CI gate for governed documents.
//!
//! Every rule yields located [`Diagnostic`]s; nothing stops at the first
//! problem, so one run shows a governance officer everything to fix. Rules
//! live in [`rules`] (one source, one document) and [`base`] (against a git
//! revision); [`report`] prints them for people, GitHub and machines.

pub mod appearance;
pub mod base;
pub mod clauses;
pub mod consultation;
pub mod report;
pub mod rules;
pub mod terms;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, ExitKind, Result};
use crate::model::Document;
use crate::source::{DOCUMENT_FILE, Workspace};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One finding, located in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule id, e.g. `lifecycle/one-draft`.
    pub rule: &'static str,
    pub message: String,
    pub path: PathBuf,
    /// 1-based; 0 when the finding is about the whole file.
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(rule: &'static str, path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            rule,
            message: message.into(),
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            help: None,
        }
    }

    pub fn warning(rule: &'static str, path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(rule, path, message)
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A loading error (bad YAML, bad date…) as a diagnostic.
    fn from_error(rule: &'static str, path: &Path, e: &Error) -> Self {
        let (line, column) = e.line_col.unwrap_or((0, 0));
        let rule = e.rule.unwrap_or(rule);
        let mut d = Diagnostic::error(rule, e.path.as_deref().unwrap_or(path), e.message.clone())
            .at(line, column);
        d.help = e.help.clone();
        d
    }
}

/// What a check run found, with the sources for showing snippets.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Text of every file read, for snippets.
    pub sources: Vec<(PathBuf, String)>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    pub fn source(&self, path: &Path) -> Option<&str> {
        self.sources
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }
}

/// Loads one document folder as far as it can, through the same loader
/// as every other command, turning every problem into a diagnostic
/// (`None` when its document.yaml is unusable). Only an unreadable folder
/// is an error (exit status 2).
pub fn load_tolerant(ws: &Workspace, dir: &Path, report: &mut Report) -> Result<Option<Document>> {
    load_folder(ws, dir, report, false)
}

/// Loads a folder for checking. Against a base (`as_committed`), a
/// pending journal is itself an error and is not applied: regdoc never
/// leaves one in a finished change, and applying a committed one would
/// check a rewritten tree instead of the commit.
fn load_folder(
    ws: &Workspace,
    dir: &Path,
    report: &mut Report,
    as_committed: bool,
) -> Result<Option<Document>> {
    // A linked folder or a submodule is a finding, and nothing in it is
    // read or finished (a journal there could act outside documents/).
    if let Err(e) = ws.real_document_dir(dir) {
        report
            .diagnostics
            .push(Diagnostic::from_error("schema/linked-folder", dir, &e));
        return Ok(None);
    }
    let journal = dir.join(crate::fsutil::JOURNAL);
    let loaded = if as_committed {
        if crate::source::exists(&journal) {
            report.diagnostics.push(
                Diagnostic::error(
                    "base/pending-change",
                    &journal,
                    "an interrupted change is recorded here: regdoc never leaves one in a finished change",
                )
                .help("do not commit it: run any regdoc command locally to finish the change, then commit the result"),
            );
        }
        ws.load_as_is(dir)?
    } else {
        match ws.load_tolerant(dir) {
            Ok(loaded) => loaded,
            // A journal that cannot be finished (refused, or naming files
            // it may not touch) is this folder's finding; the others are
            // still checked.
            Err(e) if crate::source::exists(&journal) => {
                report.diagnostics.push(Diagnostic::from_error(
                    "lifecycle/interrupted-change",
                    dir,
                    &e,
                ));
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    };
    for e in &loaded.problems {
        let path = e.path.clone().unwrap_or_else(|| dir.to_path_buf());
        report
            .diagnostics
            .push(Diagnostic::from_error("schema/front-matter", &path, e));
    }
    report.sources.extend(loaded.sources);
    Ok(loaded.document)
}

/// Options of a check run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A git revision to compare against (`origin/main`).
    pub base: Option<String>,
    /// Only these document folders (default: all).
    pub only: Vec<PathBuf>,
    /// Today, for the rules about dates that pass (`None`: not checked;
    /// the library reads no clock, the command line gives it).
    pub today: Option<crate::model::EffectiveDate>,
    /// The templates folder approved PDFs are built with, held against
    /// `base` (`check::appearance`).
    pub appearance: appearance::Appearance,
}

/// Runs every rule over the workspace.
pub fn check(ws: &Workspace, opts: &Options) -> Result<Report> {
    let mut report = Report::default();
    let dirs: Vec<PathBuf> = if opts.only.is_empty() {
        crate::source::folders(ws.root())?
    } else {
        // A file given stands for its document folder.
        let mut v: Vec<PathBuf> = opts
            .only
            .iter()
            .map(|p| {
                if p.is_file() {
                    // A consultation stands for the document it is in.
                    let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
                    if dir
                        .file_name()
                        .is_some_and(|n| n == crate::source::CONSULTATIONS)
                        && !dir.join(DOCUMENT_FILE).exists()
                    {
                        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
                    } else {
                        dir
                    }
                } else {
                    p.clone()
                }
            })
            .collect();
        v.dedup();
        v
    };
    let mut docs = Vec::new();
    for dir in &dirs {
        if !dir.join(DOCUMENT_FILE).exists() {
            report.diagnostics.push(
                Diagnostic::error(
                    "schema/document",
                    dir,
                    format!("no {DOCUMENT_FILE} in this document folder"),
                )
                .help("every folder under documents/ is one document and needs its document.yaml"),
            );
            continue;
        }
        if let Some(doc) = load_folder(ws, dir, &mut report, opts.base.is_some())? {
            rules::check_document(&doc, &mut report);
            if let Some(today) = opts.today {
                rules::check_dates(&doc, today, &mut report);
            }
            docs.push(doc);
        }
    }
    // A submodule under documents/ (checked out or not) holds files this
    // repository's gate cannot see: at the base and in the index alike.
    let mut linked = crate::source::submodules(None, ws.root())?;
    if let Some(rev) = &opts.base {
        linked.extend(crate::source::submodules(Some(rev), ws.root())?);
    }
    linked.sort();
    linked.dedup();
    for path in linked {
        report.diagnostics.push(
            Diagnostic::error(
                "schema/submodule",
                &path,
                "is a git submodule: its files are another repository's, and the gate cannot hold them",
            )
            .help("keep documents in this repository: `git rm --cached` the submodule and add its files"),
        );
    }
    if let Some(rev) = &opts.base {
        base::check_against(ws, rev, &docs, &opts.appearance, &mut report)?;
    }
    report
        .diagnostics
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    Ok(report)
}

/// The exit status of a report.
pub fn exit_code(report: &Report, deny_warnings: bool) -> i32 {
    if report.errors() > 0 || (deny_warnings && report.warnings() > 0) {
        1
    } else {
        0
    }
}

/// An error meaning "a rule would break", exit status 1.
pub fn rule_error(message: impl Into<String>) -> Error {
    Error {
        kind: ExitKind::Check,
        ..Error::input(message)
    }
}
