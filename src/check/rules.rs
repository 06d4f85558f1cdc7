//! Rules over one document: schema, Markdown structure, references and the
//! version lifecycle.

use std::collections::{BTreeSet, HashSet};

use super::{Diagnostic, Report};
use crate::error::line_col;
use crate::model::{Block, Document, Status, VersionFile, inlines_text};
use crate::source::markdown::{Event, Tag, TagEnd};

pub use crate::source::yaml::key_line;

fn at_key(d: Diagnostic, f: &VersionFile, key: &str) -> Diagnostic {
    let line = key_line(&f.text, key).unwrap_or(1);
    d.at(line, 1)
}

/// Every rule for one document.
pub fn check_document(doc: &Document, report: &mut Report) {
    for f in &doc.versions {
        check_version(f, report);
        check_controls(f, report);
        check_markdown(f, report);
        check_references(f, report);
    }
    check_field_lengths(doc, report);
    super::clauses::check_clauses(doc, report);
    super::terms::check_terms(doc, report);
    check_lifecycle(doc, report);
    super::consultation::check_consultations(doc, report);
}

/// The texts every PDF keeps as strings of their own (titles, names) are
/// held to what a PDF string can hold, where they are written.
fn check_field_lengths(doc: &Document, report: &mut Report) {
    let max = crate::model::MAX_PDF_STRING_CHARS;
    let i = &doc.info;
    let yaml = doc.dir.join(crate::source::DOCUMENT_FILE);
    let mut found: Vec<(std::path::PathBuf, &str, usize, Option<usize>)> = Vec::new();
    for (name, v) in i.pdf_strings() {
        if v.chars().count() > max {
            let line = report.source(&yaml).and_then(|t| key_line(t, name));
            found.push((yaml.clone(), name, v.chars().count(), line));
        }
    }
    for f in &doc.versions {
        if let Some(t) = f.meta.title.as_ref().filter(|t| t.chars().count() > max) {
            found.push((
                f.path.clone(),
                "title",
                t.chars().count(),
                key_line(&f.text, "title"),
            ));
        }
    }
    for (path, name, n, line) in found {
        report.diagnostics.push(
            Diagnostic::error(
                "limits/field-length",
                &path,
                format!(
                    "`{name}` is {n} characters long; a PDF keeps it as a string of at most {max}"
                ),
            )
            .at(line.unwrap_or(1), 1)
            .help("shorten it: titles and names are printed on every page"),
        );
    }
}

/// A control character in a version's text (a BEL, an escape; not a tab
/// or a line break) prints as its code point in every PDF: said where it
/// is, once per file.
fn check_controls(f: &VersionFile, report: &mut Report) {
    let found = f.text[f.body_offset..]
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    if let Some((i, c)) = found {
        let (line, col) = line_col(&f.text, f.body_offset + i);
        report.diagnostics.push(
            Diagnostic::warning(
                "markdown/control-character",
                &f.path,
                format!(
                    "a control character (U+{:04X}) here cannot be printed: PDFs show it as [U+{:04X}]",
                    c as u32, c as u32
                ),
            )
            .at(line, col)
            .help("remove it; a word processor's paste often leaves one"),
        );
    }
}

/// Rules on one version's front matter beyond its types.
fn check_version(f: &VersionFile, report: &mut Report) {
    let m = &f.meta;
    // What `regdoc new` writes for the author to replace.
    if m.summary.contains(crate::lifecycle::PLACEHOLDER_SUMMARY) {
        report.diagnostics.push(at_key(
            Diagnostic::warning(
                "lifecycle/placeholder-summary",
                &f.path,
                "the summary is still the placeholder `regdoc new` wrote",
            )
            .help("say in one line what this version changes: it goes into the document-control table"),
            f,
            "summary",
        ));
    }
    let expected = format!("v{}.md", m.version);
    if f.path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        report.diagnostics.push(at_key(
            Diagnostic::warning(
                "schema/file-name",
                &f.path,
                format!("version {} should be in a file named {expected}", m.version),
            ),
            f,
            "version",
        ));
    }
    if m.summary.trim().is_empty() {
        report.diagnostics.push(at_key(
            Diagnostic::error("lifecycle/summary", &f.path, "the summary is empty")
                .help("write one line for the document-control table"),
            f,
            "summary",
        ));
    }
    if matches!(m.status, Status::Approved | Status::Superseded) && m.approved.is_none() {
        report.diagnostics.push(at_key(
            Diagnostic::error(
                "lifecycle/approval",
                &f.path,
                format!("an {} version needs `approved: {{by, on}}`", m.status),
            )
            .help("record who approved it and when, e.g. approved: {by: DESNZ, on: 2024-07-12}"),
            f,
            "status",
        ));
    }
    if m.status == Status::Draft && m.approved.is_some() {
        report.diagnostics.push(at_key(
            Diagnostic::error("lifecycle/approval", &f.path, "a draft carries an approval")
                .help("use `regdoc approve` to approve it, which also sets the status"),
            f,
            "approved",
        ));
    }
    if let Some(a) = &m.approved
        && matches!(m.status, Status::Approved | Status::Superseded)
        && m.effective < a.on
    {
        report.diagnostics.push(at_key(
            Diagnostic::error(
                "lifecycle/effective-before-approval",
                &f.path,
                format!(
                    "takes effect on {} but was approved only on {}",
                    m.effective, a.on
                ),
            ),
            f,
            "effective",
        ));
    }
    if let Some(c) = &m.consultation {
        if c.closes < c.published {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/consultation",
                    &f.path,
                    format!(
                        "the consultation closes ({}) before it is published ({})",
                        c.closes, c.published
                    ),
                ),
                f,
                "consultation",
            ));
        }
        if m.status == Status::Draft && m.effective <= c.closes {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/effective-after-consultation",
                    &f.path,
                    format!(
                        "the proposed effective date {} is not after the consultation closes ({})",
                        m.effective, c.closes
                    ),
                ),
                f,
                "effective",
            ));
        }
    }
    if f.blocks.is_empty() {
        report.diagnostics.push(
            Diagnostic::warning("markdown/empty", &f.path, "the version has no text").at(1, 1),
        );
    }
}

/// Tables with consistent columns; headings that do not skip levels.
fn check_markdown(f: &VersionFile, report: &mut Report) {
    let body = &f.text[f.body_offset..];
    let loc = |offset: usize| line_col(&f.text, f.body_offset + offset);
    let mut last_level: Option<u8> = None;
    let mut header_cells: usize = 0;
    // Every heading's anchor, however deep in lists and quotes it stands.
    let mut slugs: HashSet<String> = HashSet::new();
    crate::model::walk(&f.blocks, &mut |b| {
        if let Block::Heading { content, .. } = b {
            slugs.insert(slug(&inlines_text(content)));
        }
    });
    let dir = f.path.parent().map(std::path::Path::to_path_buf);
    let mut notes_used: HashSet<String> = HashSet::new();
    let mut notes_defined: Vec<(String, usize)> = Vec::new();
    // Text of the block being read, to find `[^label]` left as text.
    let mut text = String::new();
    let mut text_start: Option<usize> = None;
    let mut undefined: Vec<(String, usize)> = Vec::new();
    for (event, range) in crate::source::markdown::events(body) {
        match &event {
            Event::Text(t) => {
                text_start.get_or_insert(range.start);
                text.push_str(t);
            }
            Event::End(_) | Event::Start(_) if !text.is_empty() => {
                let mut rest = text.as_str();
                while let Some(i) = rest.find("[^") {
                    let after = &rest[i + 2..];
                    match after.find(']') {
                        Some(j) if j > 0 && !after[..j].contains(char::is_whitespace) => {
                            undefined.push((after[..j].to_string(), text_start.unwrap_or(0)));
                            rest = &after[j..];
                        }
                        _ => rest = after,
                    }
                }
                text.clear();
                text_start = None;
            }
            _ => {}
        }
        match event {
            Event::FootnoteReference(label) => {
                notes_used.insert(label.to_string());
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                notes_defined.push((label.to_string(), range.start));
            }
            Event::Start(Tag::Image { dest_url, .. })
                if !crate::source::assets::is_remote(&dest_url) =>
            {
                if let Some(dir) = &dir
                    && let Err(problem) = crate::source::assets::read_image(dir, &dest_url)
                {
                    let (l, c) = loc(range.start);
                    report.diagnostics.push(
                        Diagnostic::error("markdown/image", &f.path, problem.to_string())
                            .at(l, c)
                            .help("images are read from the document's own folder (PNG, JPEG, GIF, WebP or SVG)"),
                    );
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                let level = level as u8;
                let limit = last_level.map_or(1, |l| l + 1);
                if level > limit {
                    let (l, c) = loc(range.start);
                    let msg = match last_level {
                        Some(p) => {
                            format!("heading level {level} follows level {p}: a level is skipped")
                        }
                        None => format!("the first heading is level {level}: start at level 1"),
                    };
                    report
                        .diagnostics
                        .push(Diagnostic::error("markdown/heading-levels", &f.path, msg).at(l, c));
                }
                last_level = Some(level);
            }
            Event::Start(Tag::TableHead) => {
                header_cells = cell_count(&body[range.clone()]);
            }
            Event::Start(Tag::TableRow) => {
                let n = cell_count(&body[range.clone()]);
                if n != header_cells {
                    let (l, c) = loc(range.start);
                    report.diagnostics.push(
                        Diagnostic::error(
                            "markdown/table-columns",
                            &f.path,
                            format!(
                                "this row has {n} cells but the table has {header_cells} columns"
                            ),
                        )
                        .at(l, c)
                        .help(if n < header_cells {
                            "add the missing cells (empty cells are `|  |`)"
                        } else {
                            "remove the extra cells: they are not shown"
                        }),
                    );
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) if dest_url.starts_with('#') => {
                let anchor = &dest_url[1..];
                if !slugs.contains(anchor) {
                    let (l, c) = loc(range.start);
                    report.diagnostics.push(
                        Diagnostic::error(
                            "references/link",
                            &f.path,
                            format!("the link #{anchor} points to no heading"),
                        )
                        .at(l, c),
                    );
                }
            }
            Event::End(TagEnd::Table) => header_cells = 0,
            _ => {}
        }
    }
    for (label, at) in undefined {
        if notes_defined.iter().any(|(l, _)| *l == label) {
            continue;
        }
        let (l, c) = loc(at);
        report.diagnostics.push(
            Diagnostic::error(
                "markdown/footnote-undefined",
                &f.path,
                format!("the footnote [^{label}] is not defined: it would print as text"),
            )
            .at(l, c)
            .help(format!("add a line `[^{label}]: …` with the note's text")),
        );
    }
    for (label, at) in notes_defined {
        if !notes_used.contains(&label) {
            let (l, c) = loc(at);
            report.diagnostics.push(
                Diagnostic::warning(
                    "markdown/footnote-unused",
                    &f.path,
                    format!("the footnote [^{label}] is defined but never referred to"),
                )
                .at(l, c),
            );
        }
    }
}

pub use crate::model::slug;

/// Cells of one raw table row: unescaped pipes, edges trimmed.
fn cell_count(row: &str) -> usize {
    let line = row.lines().next().unwrap_or("").trim();
    let mut count = 1;
    let mut escaped = false;
    let mut in_code = false;
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '`' => in_code = !in_code,
            '|' if !in_code => {
                let edge = i == 0 || i == chars.len() - 1;
                if !edge {
                    count += 1;
                }
            }
            _ => {}
        }
    }
    count
}

/// References like `ECOSMIG-008` in the text must name a row of a table
/// whose first column holds references of that kind.
fn check_references(f: &VersionFile, report: &mut Report) {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for b in &f.blocks {
        if let Block::Table(t) = b {
            for r in &t.rows {
                if let Some(cell) = r.first() {
                    let k = inlines_text(cell).trim().to_string();
                    if reference_prefix(&k).is_some() {
                        keys.insert(k);
                    }
                }
            }
        }
    }
    let prefixes: HashSet<&str> = keys.iter().filter_map(|k| reference_prefix(k)).collect();
    if prefixes.is_empty() {
        return;
    }
    let body = &f.text[f.body_offset..];
    let mut reported = HashSet::new();
    for (i, word) in words_with_offsets(body) {
        if let Some(p) = reference_prefix(word)
            && prefixes.contains(p)
            && !keys.contains(word)
            && reported.insert(word.to_string())
        {
            let (l, c) = line_col(&f.text, f.body_offset + i);
            report.diagnostics.push(
                Diagnostic::error(
                    "references/unknown",
                    &f.path,
                    format!("`{word}` is not in the table of {p} references"),
                )
                .at(l, c)
                .help(format!(
                    "known: {}",
                    keys.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            );
        }
    }
}

/// `ECOSMIG` of `ECOSMIG-001`: upper-case letters, a dash, digits.
fn reference_prefix(s: &str) -> Option<&str> {
    let (p, n) = s.split_once('-')?;
    let ok = p.len() >= 2
        && p.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && !n.is_empty()
        && n.chars().all(|c| c.is_ascii_digit());
    ok.then_some(p)
}

fn words_with_offsets(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let w = c.is_ascii_alphanumeric() || c == '-';
        match (w, start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                out.push((b, s[b..i].trim_matches('-')));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, s[b..].trim_matches('-')));
    }
    out.into_iter()
}

/// Rules across the versions of one document.
pub fn check_lifecycle(doc: &Document, report: &mut Report) {
    // The approval a version records is the one `approve` would record:
    // by the document's approver, not before the consultation closed.
    for f in &doc.versions {
        let Some(a) = &f.meta.approved else { continue };
        if a.by.trim() != doc.info.approver.trim() {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/approval",
                    &f.path,
                    format!(
                        "approved by `{}`, but document.yaml names {} as the approver",
                        a.by, doc.info.approver
                    ),
                )
                .help("only the document's approver approves its versions"),
                f,
                "approved",
            ));
        }
        if let Some(c) = &f.meta.consultation
            && a.on <= c.closes
        {
            // Responses arrive until the end of the closing day: approval
            // comes after they have been considered.
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/approval",
                    &f.path,
                    format!(
                        "approved on {}, before its consultation closed (it closes at the end of {})",
                        a.on, c.closes
                    ),
                )
                .help("approve after the consultation's closing date"),
                f,
                "approved",
            ));
        }
    }
    let drafts: Vec<&VersionFile> = doc
        .versions
        .iter()
        .filter(|f| f.meta.status == Status::Draft)
        .collect();
    if drafts.len() > 1 {
        for f in &drafts[1..] {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/one-draft",
                    &f.path,
                    format!(
                        "{} has more than one draft (also v{})",
                        doc.info.id, drafts[0].meta.version
                    ),
                )
                .help("finish or withdraw the other draft first"),
                f,
                "status",
            ));
        }
    }
    // A draft comes after everything already approved: numbered below, it
    // would sort into the history of versions approved before it.
    let settled = doc
        .versions
        .iter()
        .filter(|f| matches!(f.meta.status, Status::Approved | Status::Superseded))
        .map(|f| &f.meta.version)
        .max();
    for f in drafts.iter() {
        if let Some(top) = settled
            && f.meta.version <= *top
        {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/version-order",
                    &f.path,
                    format!(
                        "draft v{} is numbered at or below v{top}, which is already approved",
                        f.meta.version
                    ),
                )
                .help("a new draft takes a higher number: `regdoc new` picks one"),
                f,
                "version",
            ));
        }
    }
    let mut seen = HashSet::new();
    for f in &doc.versions {
        if !seen.insert(f.meta.version.clone()) {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/version-order",
                    &f.path,
                    format!("version {} appears twice", f.meta.version),
                ),
                f,
                "version",
            ));
        }
        if let Some(s) = &f.meta.supersedes {
            match doc.version(s) {
                None => report.diagnostics.push(at_key(
                    Diagnostic::error(
                        "lifecycle/supersedes",
                        &f.path,
                        format!("supersedes version {s}, which does not exist"),
                    ),
                    f,
                    "supersedes",
                )),
                Some(_) if s >= &f.meta.version => report.diagnostics.push(at_key(
                    Diagnostic::error(
                        "lifecycle/version-order",
                        &f.path,
                        format!(
                            "version {} supersedes {s}: versions must increase",
                            f.meta.version
                        ),
                    ),
                    f,
                    "supersedes",
                )),
                _ => {}
            }
        }
    }
    // Approved (and once-approved) versions take effect in version order.
    let in_force: Vec<&VersionFile> = doc
        .versions
        .iter()
        .filter(|f| matches!(f.meta.status, Status::Approved | Status::Superseded))
        .collect();
    for w in in_force.windows(2) {
        if w[1].meta.effective <= w[0].meta.effective {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/effective-order",
                    &w[1].path,
                    format!(
                        "v{} takes effect on {}, not after v{} ({})",
                        w[1].meta.version,
                        w[1].meta.effective,
                        w[0].meta.version,
                        w[0].meta.effective
                    ),
                ),
                w[1],
                "effective",
            ));
        }
    }
    for (i, f) in in_force.iter().enumerate() {
        if f.meta.status == Status::Superseded
            && !in_force[i + 1..]
                .iter()
                .any(|n| n.meta.status == Status::Approved)
        {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/superseded",
                    &f.path,
                    format!(
                        "v{} is superseded, but no later approved version is in force",
                        f.meta.version
                    ),
                ),
                f,
                "status",
            ));
        }
    }
    let approved: Vec<&&VersionFile> = in_force
        .iter()
        .filter(|f| f.meta.status == Status::Approved)
        .collect();
    if approved.len() > 1 {
        for f in &approved[..approved.len() - 1] {
            // An error, not a warning: two approved versions is the
            // half-done state a killed approve used to leave, and which of
            // them is in force would be a guess.
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "lifecycle/superseded",
                    &f.path,
                    format!(
                        "v{} is still marked approved though a later version is approved",
                        f.meta.version
                    ),
                )
                .help("mark it `status: superseded`"),
                f,
                "status",
            ));
        }
    }
}

/// Rules that need today's date (the caller's clock: the library has
/// none): a draft not consulted on whose proposed effective date has
/// passed. A consulted draft keeps the date it was consulted on: changing
/// it would change what respondents answered.
pub fn check_dates(doc: &Document, today: crate::model::EffectiveDate, report: &mut Report) {
    for f in &doc.versions {
        let m = &f.meta;
        // No record of the future: an approval is given on a day that came.
        if let Some(a) = &m.approved
            && a.on > today
        {
            let line = crate::source::yaml::nested_key_line(&f.text, "approved", "on")
                .or_else(|| key_line(&f.text, "approved"))
                .unwrap_or(1);
            report.diagnostics.push(
                Diagnostic::error(
                    "lifecycle/approval-in-the-future",
                    &f.path,
                    format!("the approval is dated {} — after today ({today})", a.on),
                )
                .at(line, 1)
                .help("record an approval on the day it is given"),
            );
        }
        if m.status == Status::Draft && m.consultation.is_none() && m.effective < today {
            report.diagnostics.push(at_key(
                Diagnostic::warning(
                    "lifecycle/draft-date-passed",
                    &f.path,
                    format!(
                        "the proposed effective date {} has passed (today is {today})",
                        m.effective
                    ),
                )
                .help("propose a date to come"),
                f,
                "effective",
            ));
        }
    }
}
