//! The everyday steps of a version's life as commands: `new`, `approve`,
//! `at`. Edits change only the lines they must, are checked against every
//! rule before anything is written, and are written atomically.

use std::path::PathBuf;

use crate::check::{self, Report, rules};
use crate::error::{Error, Result};
use crate::fsutil::Transaction;
use crate::model::{Document, EffectiveDate, Status, VersionFile, VersionNumber};
use crate::source::{self, Workspace, frontmatter, yaml};

/// Rewrites the front matter of `text` with `edit`, keeping the rest.
fn edit_front(
    path: &std::path::Path,
    text: &str,
    edit: impl FnOnce(&str) -> Option<String>,
) -> Result<String> {
    let split = frontmatter::split(path, text)?;
    let y = split
        .yaml
        .ok_or_else(|| Error::in_file(path, "no front matter to edit"))?;
    let new_yaml = edit(y)
        .ok_or_else(|| Error::in_file(path, "cannot edit this front matter automatically"))?;
    let start = split.yaml_offset;
    Ok(format!(
        "{}{}{}",
        &text[..start],
        new_yaml,
        &text[start + y.len()..]
    ))
}

/// Checks `doc` with some files replaced, without writing anything.
fn validate(doc: &Document, replaced: &[(PathBuf, String)]) -> Result<(Document, Report)> {
    let mut versions = Vec::new();
    for f in &doc.versions {
        match replaced.iter().find(|(p, _)| p == &f.path) {
            Some((p, t)) => versions.push(source::parse_version(p, t.clone())?),
            None => versions.push(f.clone()),
        }
    }
    for (p, t) in replaced {
        if !doc.versions.iter().any(|f| &f.path == p) {
            versions.push(source::parse_version(p, t.clone())?);
        }
    }
    versions.sort_by(|a, b| a.meta.version.cmp(&b.meta.version));
    let new_doc = Document {
        dir: doc.dir.clone(),
        info: doc.info.clone(),
        versions,
        consultations: doc.consultations.clone(),
    };
    let mut report = Report::default();
    for f in &new_doc.versions {
        report.sources.push((f.path.clone(), f.text.clone()));
    }
    rules::check_document(&new_doc, &mut report);
    Ok((new_doc, report))
}

/// Writes every file as one step: after a kill at any moment the folder
/// holds either the old files or the new ones (see [`crate::fsutil`]).
fn write_all(tx: Transaction, files: &[(PathBuf, String)], boms: &[bool]) -> Result<()> {
    let mut tx = tx;
    for (i, (p, t)) in files.iter().enumerate() {
        let mut bytes = Vec::with_capacity(t.len() + 3);
        if boms.get(i).copied().unwrap_or(false) {
            bytes.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
        }
        bytes.extend_from_slice(t.as_bytes());
        tx.write(p, &bytes)?;
    }
    tx.commit()
}

/// The line ending a file uses (that of its first line), so edits match it.
fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// What a lifecycle command did.
#[derive(Debug)]
pub enum Outcome {
    Written(Vec<PathBuf>),
    Refused(Report),
}

/// `regdoc new`: starts the next draft from the latest version.
/// `regdoc new ID --title …`: a new document, `document.yaml` and a first
/// draft v1.0, proposed for `effective`. Every rule is checked on the new
/// files before anything is written; the folder must not exist.
pub fn new_document(
    ws: &Workspace,
    info: crate::model::DocumentInfo,
    effective: EffectiveDate,
) -> Result<Outcome> {
    if !source::is_id(&info.id) {
        return Err(Error::input(format!(
            "`{}` is not a document id: lower-case letters, digits, - and _",
            info.id
        )));
    }
    for (what, v) in [
        ("--title", &info.title),
        ("--owner", &info.owner),
        ("--classification", &info.classification),
        ("--approver", &info.approver),
    ] {
        if v.trim().is_empty() {
            return Err(Error::input(format!("{what} is empty")));
        }
    }
    let dir = ws.root().join(&info.id);
    if source::exists(&dir) {
        return Err(Error::in_file(&dir, "already exists").help(
            "`regdoc new ID` without --title starts the next draft of an existing document",
        ));
    }
    let info_path = dir.join(source::DOCUMENT_FILE);
    let info_text = yaml::document_yaml(&info, "\n");
    let draft_path = dir.join("v1.0.md");
    let draft_text = format!(
        "{}\n# 1. Introduction\n\nThe text of the first version.\n",
        yaml::first_draft_front_matter(
            effective,
            &format!("First version {PLACEHOLDER_SUMMARY}."),
            "\n"
        )
    );
    // What was composed reads back as what was meant, and passes the rules.
    let parsed: crate::model::DocumentInfo = yaml::parse(&info_path, &info_text, 1)?;
    if parsed != info {
        return Err(Error::input(
            "the document's details do not read back as given",
        ));
    }
    let doc = Document {
        dir: dir.clone(),
        info,
        versions: vec![source::parse_version(&draft_path, draft_text.clone())?],
        consultations: Vec::new(),
    };
    let mut report = Report::default();
    report
        .sources
        .push((draft_path.clone(), draft_text.clone()));
    rules::check_document(&doc, &mut report);
    if report.errors() > 0 {
        return Ok(Outcome::Refused(report));
    }
    let tx = Transaction::begin(&dir)?;
    write_all(
        tx,
        &[
            (info_path.clone(), info_text),
            (draft_path.clone(), draft_text),
        ],
        &[false, false],
    )?;
    Ok(Outcome::Written(vec![info_path, draft_path]))
}

/// The words `regdoc new` puts in a draft's summary for its author to
/// replace; `check` warns while they are there.
pub const PLACEHOLDER_SUMMARY: &str = "(describe them here)";

/// `regdoc new`: the next draft of a document, from its latest version.
/// Without `effective`, the draft proposes the day after the latest's
/// effective date, or `not_before` if that is later (the command line gives
/// tomorrow: a new draft never proposes a date already past).
pub fn new_draft(
    ws: &Workspace,
    id: &str,
    version: Option<VersionNumber>,
    effective: Option<EffectiveDate>,
    not_before: Option<EffectiveDate>,
) -> Result<Outcome> {
    let tx = Transaction::begin(&ws.document_dir(id)?)?;
    let doc = ws.load_document(id)?;
    if let Some(d) = doc.versions.iter().find(|f| f.meta.status == Status::Draft) {
        return Err(check::rule_error(format!(
            "{id} already has a draft, v{} ({}): finish or withdraw it first",
            d.meta.version,
            d.path.display()
        )));
    }
    let latest = doc
        .versions
        .last()
        .ok_or_else(|| Error::input(format!("{id} has no version to start from")))?;
    let version = version.unwrap_or_else(|| latest.meta.version.next_minor());
    if version <= latest.meta.version {
        return Err(check::rule_error(format!(
            "version {version} is not after the latest, {}",
            latest.meta.version
        )));
    }
    let path = doc.dir.join(format!("v{version}.md"));
    if source::exists(&path) {
        return Err(Error::in_file(&path, "already exists"));
    }
    let effective = match effective {
        Some(e) => e,
        None => {
            let after = latest
                .meta
                .effective
                .add_days(1)
                .unwrap_or(latest.meta.effective);
            not_before.map_or(after, |n| after.max(n))
        }
    };
    let body = &latest.text[latest.body_offset..];
    let eol = line_ending(&latest.text);
    let front = yaml::draft_front_matter(
        &version,
        effective,
        &latest.meta.version,
        &format!(
            "Draft v{version}: changes to v{} {PLACEHOLDER_SUMMARY}.",
            latest.meta.version
        ),
        eol,
    );
    let text = format!("{front}{body}");
    let files = vec![(path.clone(), text)];
    let (_, report) = validate(&doc, &files)?;
    if report.errors() > 0 {
        return Ok(Outcome::Refused(report));
    }
    // And with a byte-order mark if it has one.
    write_all(tx, &files, &[source::has_bom(&latest.path)?])?;
    Ok(Outcome::Written(vec![path]))
}

/// `regdoc approve`: records approval and supersedes the predecessor.
/// `by` defaults to the document's approver, and must be it when given.
pub fn approve(
    ws: &Workspace,
    id: &str,
    version: &VersionNumber,
    by: Option<&str>,
    on: EffectiveDate,
    effective: Option<EffectiveDate>,
) -> Result<Outcome> {
    let tx = Transaction::begin(&ws.document_dir(id)?)?;
    let doc = ws.load_document(id)?;
    let by = match by.map(str::trim) {
        None => doc.info.approver.as_str(),
        Some("") => {
            return Err(Error::input("--by is empty: name who approved the version")
                .help(format!("{id} is approved by {}", doc.info.approver)));
        }
        Some(b) if b != doc.info.approver => {
            return Err(check::rule_error(format!(
                "`{b}` is not the approver of `{id}`: document.yaml names {}",
                doc.info.approver
            ))
            .help("leave out --by to record the document's approver"));
        }
        Some(b) => b,
    };
    let target = doc
        .version(version)
        .ok_or_else(|| Error::input(format!("document `{id}` has no version {version}")))?;
    if target.meta.status != Status::Draft {
        return Err(check::rule_error(format!(
            "v{version} is {}, not a draft: only a draft can be approved",
            target.meta.status
        )));
    }
    // Lines as the file writes them: a CRLF file stays CRLF.
    let eol = line_ending(&target.text);
    let approval = yaml::approval_block(by, on, eol);
    let text = edit_front(&target.path, &target.text, |y| {
        let y = yaml::set_top_level_scalar(y, "status", "approved")?;
        let y = match effective {
            Some(e) => yaml::set_top_level_scalar(&y, "effective", &e.to_string())?,
            None => y,
        };
        yaml::insert_after_key(&y, "status", &approval)
    })?;
    let mut files = vec![(target.path.clone(), text)];
    // Every version approved until now is superseded by this one, whatever
    // its `supersedes:` names: one approved version at a time, or which is
    // in force would be a guess.
    for prev in doc
        .versions
        .iter()
        .filter(|f| f.meta.status == Status::Approved && f.path != target.path)
    {
        let t = edit_front(&prev.path, &prev.text, |y| {
            yaml::set_top_level_scalar(y, "status", "superseded")
        })?;
        files.push((prev.path.clone(), t));
    }
    let (_, report) = validate(&doc, &files)?;
    if report.errors() > 0 {
        return Ok(Outcome::Refused(report));
    }
    let boms = files
        .iter()
        .map(|(p, _)| source::has_bom(p))
        .collect::<Result<Vec<bool>>>()?;
    write_all(tx, &files, &boms)?;
    Ok(Outcome::Written(
        files.into_iter().map(|(p, _)| p).collect(),
    ))
}

/// A version in force and its range: `(file, from, until)`, `until`
/// inclusive and `None` while still in force.
pub fn in_force(
    doc: &Document,
    date: EffectiveDate,
) -> Option<(&VersionFile, EffectiveDate, Option<EffectiveDate>)> {
    doc.versions.iter().find_map(|f| {
        let (from, until) = range_of(doc, f)?;
        (from <= date && until.is_none_or(|u| date <= u)).then_some((f, from, until))
    })
}

/// The effective range of a version (`until` inclusive, `None` while in
/// force), for `list` and `at`: `None` if it was never in force.
pub fn range_of(doc: &Document, f: &VersionFile) -> Option<(EffectiveDate, Option<EffectiveDate>)> {
    if !matches!(f.meta.status, Status::Approved | Status::Superseded) {
        return None;
    }
    let next = doc
        .versions
        .iter()
        .filter(|n| {
            matches!(n.meta.status, Status::Approved | Status::Superseded)
                && n.meta.effective > f.meta.effective
        })
        .map(|n| n.meta.effective)
        .min();
    Some((f.meta.effective, next.and_then(|n| n.add_days(-1))))
}

/// Where a consultation stands on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultationState {
    /// Not yet published: it opens on `opens`.
    NotYetOpen { opens: EffectiveDate },
    /// Taking responses until the end of `closes`.
    Open { closes: EffectiveDate },
    /// Closed at the end of `closed`.
    Closed { closed: EffectiveDate },
}

impl std::fmt::Display for ConsultationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsultationState::NotYetOpen { opens } => write!(f, "not yet open (opens {opens})"),
            ConsultationState::Open { closes } => write!(f, "open (closes {closes})"),
            ConsultationState::Closed { closed } => write!(f, "closed on {closed}"),
        }
    }
}

/// The state on `date` of the consultation on draft `draft`, from the
/// draft's consultation dates (`None` when it has none).
pub fn consultation_state(draft: &VersionFile, date: EffectiveDate) -> Option<ConsultationState> {
    let c = draft.meta.consultation.as_ref()?;
    Some(if date < c.published {
        ConsultationState::NotYetOpen { opens: c.published }
    } else if date <= c.closes {
        ConsultationState::Open { closes: c.closes }
    } else {
        ConsultationState::Closed { closed: c.closes }
    })
}
