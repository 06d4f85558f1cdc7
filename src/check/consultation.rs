//! Rules over a document's consultations: what it consults on exists and
//! is a draft, its questions are unique and each set in the text once, its
//! paragraphs are numbered continuously, and every fact its text states
//! that another source holds (the draft's dates, the in-force version's
//! table) agrees with that source.

use std::collections::HashSet;

use super::{Diagnostic, Report};
use crate::model::consultation::{AttachmentContent, ConsultationFile, Directive, Place};
use crate::model::{Block, Document, EffectiveDate, Status, VersionFile, blocks_text};
use crate::source::yaml::key_line;

/// Every consultation rule for one document.
pub fn check_consultations(doc: &Document, report: &mut Report) {
    let mut drafts_seen: Vec<(String, &ConsultationFile)> = Vec::new();
    for c in &doc.consultations {
        let draft = check_consults_on(doc, c, report);
        if let Some(d) = draft {
            let key = d.meta.version.canonical();
            if let Some((_, first)) = drafts_seen.iter().find(|(k, _)| *k == key) {
                report.diagnostics.push(
                    at_key(
                        Diagnostic::error(
                            "consultation/consults-on",
                            &c.path,
                            format!(
                                "version {} already has a consultation: {}",
                                d.meta.version,
                                first.path.display()
                            ),
                        ),
                        c,
                        "consults_on",
                    )
                    .help("one consultation per draft"),
                );
            } else {
                drafts_seen.push((key, c));
            }
        }
        check_in_force(doc, c, draft, report);
        check_questions(c, report);
        check_body(doc, c, report);
        check_numbering(c, report);
        if let Some(d) = draft {
            check_cites(c, d, report);
            check_attachments(c, d, report);
        }
    }
}

fn at_key(d: Diagnostic, c: &ConsultationFile, key: &str) -> Diagnostic {
    let line = key_line(&c.text, key).unwrap_or(1);
    d.at(line, 1)
}

/// The draft a consultation names, if it names one of this document's
/// versions; otherwise a located error.
fn check_consults_on<'a>(
    doc: &'a Document,
    c: &ConsultationFile,
    report: &mut Report,
) -> Option<&'a VersionFile> {
    let spec = &c.meta.consults_on;
    let err = |report: &mut Report, msg: String, help: &str| {
        report.diagnostics.push(
            at_key(
                Diagnostic::error("consultation/consults-on", &c.path, msg),
                c,
                "consults_on",
            )
            .help(help.to_string()),
        );
    };
    let v = &spec.version;
    if spec.doc != doc.info.id {
        err(
            report,
            format!(
                "`{spec}` is not a version of {}, whose folder this consultation is in",
                doc.info.id
            ),
            "keep a consultation in the folder of the document it consults on",
        );
        return None;
    }
    let Some(f) = doc.version(v) else {
        let known: Vec<String> = doc
            .versions
            .iter()
            .map(|f| f.meta.version.to_string())
            .collect();
        // A version file that does not load has its own error: say that,
        // not that the version does not exist.
        let file = doc.dir.join(format!("v{v}.md"));
        if crate::source::exists(&file) {
            err(
                report,
                format!(
                    "{} does not load as version {v}: see its own error",
                    file.display()
                ),
                "fix that file first",
            );
        } else {
            err(
                report,
                format!("{} has no version {v}", doc.info.id),
                &format!("versions: {}", known.join(", ")),
            );
        }
        return None;
    };
    // A consultation is on a draft. Once the draft is approved (after it
    // closed: `lifecycle/approval` holds that date), the consultation is
    // the record of how it was, so any status will do for a version that
    // was consulted on; one never consulted on is no draft of a consultation.
    if f.meta.status != Status::Draft && f.meta.consultation.is_none() {
        err(
            report,
            format!(
                "version {v} is {} and was never consulted on: a consultation is on a draft",
                f.meta.status
            ),
            "name the draft this consultation proposes",
        );
        return None;
    }
    if f.meta.consultation.is_none() {
        err(
            report,
            format!(
                "version {v} has no `consultation:` dates, which this consultation's cover and closing date are"
            ),
            &format!(
                "give {} `consultation: {{published: …, closes: …}}`",
                f.path.display()
            ),
        );
        return None;
    }
    Some(f)
}

/// The version `in_force` names is one of this document's, approved, and
/// in force when the consultation is published.
fn check_in_force(
    doc: &Document,
    c: &ConsultationFile,
    draft: Option<&VersionFile>,
    report: &mut Report,
) {
    let Some(spec) = &c.meta.in_force else {
        return;
    };
    let found = Some(spec)
        .filter(|r| r.doc == doc.info.id)
        .and_then(|r| doc.version(&r.version));
    let problem = match found {
        None => Some(format!("`{spec}` is not a version of {}", doc.info.id)),
        Some(f) if f.meta.approved.is_none() => Some(format!(
            "{spec} is {}: the version in force is an approved one",
            f.meta.status
        )),
        Some(f) => draft
            .and_then(|d| d.meta.consultation.as_ref())
            .filter(|dates| f.meta.effective > dates.published)
            .map(|dates| {
                format!(
                    "{spec} takes effect on {}, after the consultation is published ({})",
                    f.meta.effective.long(),
                    dates.published.long()
                )
            }),
    };
    if let Some(msg) = problem {
        report.diagnostics.push(at_key(
            Diagnostic::error("consultation/in-force", &c.path, msg),
            c,
            "in_force",
        ));
    }
}

/// The 1-based line of the `n`-th line (0-based) matching `pred` in `text`
/// from byte `from`.
fn line_where(text: &str, from: usize, pred: impl Fn(&str) -> bool) -> Option<usize> {
    let before = text[..from].matches('\n').count();
    text[from..].lines().position(pred).map(|i| before + i + 1)
}

/// The line of question `id`'s `- id:` entry (the `nth` with that id).
fn question_line(c: &ConsultationFile, id: &str, nth: usize) -> usize {
    crate::source::yaml::item_line(&c.text, "id", id, nth, None)
        .or_else(|| key_line(&c.text, "questions"))
        .unwrap_or(1)
}

/// The line of question `id`'s `text:`.
fn question_text_line(c: &ConsultationFile, id: &str) -> usize {
    crate::source::yaml::item_line(&c.text, "id", id, 0, Some("text"))
        .unwrap_or_else(|| question_line(c, id, 0))
}

/// Question ids are unique, non-empty, and each asks for something.
fn check_questions(c: &ConsultationFile, report: &mut Report) {
    let mut seen = HashSet::new();
    for q in &c.meta.questions {
        if !seen.insert(q.id.as_str()) {
            report.diagnostics.push(
                Diagnostic::error(
                    "consultation/question-id",
                    &c.path,
                    format!("question id {} is used twice", q.id),
                )
                .at(question_line(c, &q.id, 1), 1)
                .help("number the questions Q1, Q2… once each"),
            );
        }
        if q.text.trim().is_empty() || q.asks.is_empty() {
            report.diagnostics.push(
                Diagnostic::error(
                    "consultation/question",
                    &c.path,
                    format!("question {} needs its text and what it asks for", q.id),
                )
                .at(question_line(c, &q.id, 0), 1)
                .help("asks: [agreement, rationale]"),
            );
        }
    }
}

/// The line of a body block: the line of a directive or of paragraph `n`.
fn body_line(c: &ConsultationFile, needle: &str) -> usize {
    line_where(&c.text, c.body_offset, |l| l.contains(needle)).unwrap_or(1)
}

/// Directives read, refer to what exists, and place each question once.
fn check_body(doc: &Document, c: &ConsultationFile, report: &mut Report) {
    let mut placed: Vec<&str> = Vec::new();
    for b in &c.blocks {
        let Some(d) = Directive::of(b) else { continue };
        let text = match b {
            Block::Html { text } => text.trim(),
            _ => "",
        };
        let line = body_line(c, text.lines().next().unwrap_or(text));
        let problem = match d {
            Err(why) => Some(why),
            Ok(Directive::Question(id)) => {
                if !c.meta.questions.iter().any(|q| q.id == id) {
                    Some(format!("no question {id} in the front matter"))
                } else if placed.contains(&id.as_str()) {
                    Some(format!("question {id} is placed twice"))
                } else {
                    placed.push(
                        c.meta
                            .questions
                            .iter()
                            .find(|q| q.id == id)
                            .map_or("", |q| q.id.as_str()),
                    );
                    None
                }
            }
            Ok(Directive::QuoteTable { version, table }) => doc.quoted_table(&version, table).err(),
            Ok(Directive::Attachments) => None,
        };
        if let Some(msg) = problem {
            report
                .diagnostics
                .push(Diagnostic::error("consultation/directive", &c.path, msg).at(line, 1));
        }
    }
    let lists = c
        .blocks
        .iter()
        .filter(|b| matches!(Directive::of(b), Some(Ok(Directive::Attachments))))
        .count();
    if !c.meta.attachments.is_empty() && lists != 1 {
        report.diagnostics.push(
            at_key(
                Diagnostic::error(
                    "consultation/attachments",
                    &c.path,
                    if lists == 0 {
                        "the attachments are not listed in the text".to_string()
                    } else {
                        format!("the attachments are listed {lists} times")
                    },
                ),
                c,
                "attachments",
            )
            .help("put `<!-- regdoc:attachments -->` once, where the list goes"),
        );
    }
    let cites = &c.meta.cites;
    if cites.published.is_empty()
        && cites.closes.is_empty()
        && cites.effective.is_empty()
        && cites.respond_to.is_empty()
    {
        report.diagnostics.push(
            Diagnostic::warning(
                "consultation/cites",
                &c.path,
                "`cites` names no paragraph: check cannot hold the text to the draft's dates",
            )
            .at(1, 1)
            .help("name the paragraphs that state the closing date and the effective date: cites: {closes: [\"12\"], effective: [\"16\"]}"),
        );
    }
    let expected = format!("v{}.md", c.meta.consults_on.version);
    if c.path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        report.diagnostics.push(at_key(
            Diagnostic::warning(
                "consultation/file-name",
                &c.path,
                format!(
                    "the consultation on {} should be in a file named {expected}",
                    c.meta.consults_on
                ),
            ),
            c,
            "consults_on",
        ));
    }
    for q in &c.meta.questions {
        if !placed.contains(&q.id.as_str()) {
            report.diagnostics.push(
                Diagnostic::error(
                    "consultation/question-placed",
                    &c.path,
                    format!("question {} is not placed in the text", q.id),
                )
                .at(question_line(c, &q.id, 0), 1)
                .help(format!(
                    "put `<!-- regdoc:question {} -->` where respondents should read it",
                    q.id
                )),
            );
        }
    }
}

/// The numbered paragraphs of a consultation's body: each top-level
/// ordered list's items, with their numbers and text.
pub fn paragraphs(blocks: &[Block]) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for b in blocks {
        if let Block::List(l) = b
            && let Some(start) = l.start
        {
            for (k, item) in l.items.iter().enumerate() {
                out.push((start + k as u64, blocks_text(&item.blocks)));
            }
        }
    }
    out
}

/// Paragraphs run 1, 2, 3… across sections, as the consultation numbers
/// them (a reader cites "paragraph 16").
fn check_numbering(c: &ConsultationFile, report: &mut Report) {
    let mut previous = 0;
    for (n, _) in paragraphs(&c.blocks) {
        // Markdown numbers a list's items from its first: an item written
        // `13.` after `11.` is shown as 12. Say so rather than let the
        // source and the PDF disagree.
        if paragraph_line_of(c, n).is_none() {
            report.diagnostics.push(
                Diagnostic::error(
                    "consultation/numbering",
                    &c.path,
                    format!(
                        "paragraph {n} (as its list numbers it) is written with another number"
                    ),
                )
                .at(paragraph_line(c, previous.max(1)), 1)
                .help(
                    "Markdown numbers a list's items from the first: write each item's own number",
                ),
            );
        }
        if n != previous + 1 {
            report.diagnostics.push(
                Diagnostic::error(
                    "consultation/numbering",
                    &c.path,
                    if previous == 0 {
                        format!("the first paragraph is numbered {n}")
                    } else {
                        format!("paragraph {n} follows paragraph {previous}")
                    },
                )
                .at(paragraph_line(c, n), 1)
                .help(format!(
                    "paragraphs are numbered continuously across sections: this one is {}",
                    previous + 1
                )),
            );
        }
        previous = n;
    }
}

fn paragraph_line(c: &ConsultationFile, n: u64) -> usize {
    paragraph_line_of(c, n).unwrap_or(1)
}

/// The line whose list marker is `n.`, if one is.
fn paragraph_line_of(c: &ConsultationFile, n: u64) -> Option<usize> {
    let marker = format!("{n}.");
    line_where(&c.text, c.body_offset, |l| {
        l.trim_start()
            .strip_prefix(&marker)
            .is_some_and(|r| r.starts_with([' ', '\t']) || r.is_empty())
    })
}

/// Every cited paragraph or question states the fact it is cited for.
fn check_cites(c: &ConsultationFile, draft: &VersionFile, report: &mut Report) {
    let Some(dates) = &draft.meta.consultation else {
        return;
    };
    let paras = paragraphs(&c.blocks);
    let date = |d: &EffectiveDate| vec![d.long()];
    let facts: [(&str, &[Place], Vec<String>, String); 6] = [
        (
            "published",
            &c.meta.cites.published,
            date(&dates.published),
            format!(
                "the draft's consultation.published ({})",
                draft.path.display()
            ),
        ),
        (
            "closes",
            &c.meta.cites.closes,
            date(&dates.closes),
            format!("the draft's consultation.closes ({})", draft.path.display()),
        ),
        (
            "effective",
            &c.meta.cites.effective,
            date(&draft.meta.effective),
            format!(
                "the draft's proposed effective date ({})",
                draft.path.display()
            ),
        ),
        (
            "respond_to",
            &c.meta.cites.respond_to,
            vec![c.meta.respond_to.clone()],
            "respond_to".to_string(),
        ),
        (
            "party_categories",
            &c.meta.cites.party_categories,
            c.meta.party_categories.clone(),
            "party_categories".to_string(),
        ),
        (
            "respond_by_time",
            &c.meta.cites.respond_by_time,
            c.meta.respond_by_time.iter().cloned().collect(),
            "respond_by_time".to_string(),
        ),
    ];
    for (what, places, wanted, source) in facts {
        for place in places {
            let (text, line) = match place {
                Place::Paragraph(n) => (
                    paras
                        .iter()
                        .find(|(m, _)| m == &(*n as u64))
                        .map(|(_, t)| t.clone()),
                    paragraph_line(c, *n as u64),
                ),
                Place::Question(id) => (
                    c.meta
                        .questions
                        .iter()
                        .find(|q| &q.id == id)
                        .map(|q| q.text.clone()),
                    question_text_line(c, id),
                ),
            };
            let Some(text) = text else {
                report.diagnostics.push(at_key(
                    Diagnostic::error(
                        "consultation/cites",
                        &c.path,
                        format!("cites.{what} names {place}, which the consultation does not have"),
                    ),
                    c,
                    "cites",
                ));
                continue;
            };
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for w in &wanted {
                if !text.contains(w.as_str()) {
                    report.diagnostics.push(
                        Diagnostic::error(
                            "consultation/cites",
                            &c.path,
                            format!("{place} should state {w}, {source}"),
                        )
                        .at(line, 1)
                        .help(format!(
                            "the text and {source} must agree: change both, or neither"
                        )),
                    );
                }
            }
        }
    }
}

/// The draft's own name for its mark-up (`consultation.attachment`) is
/// the consultation's, and each kind of attachment is listed once.
fn check_attachments(c: &ConsultationFile, draft: &VersionFile, report: &mut Report) {
    for kind in [
        AttachmentContent::Markup,
        AttachmentContent::ResponseTemplate,
    ] {
        if c.meta
            .attachments
            .iter()
            .filter(|a| a.content == kind)
            .count()
            > 1
        {
            report.diagnostics.push(at_key(
                Diagnostic::error(
                    "consultation/attachments",
                    &c.path,
                    format!("two attachments are the {kind:?}"),
                ),
                c,
                "attachments",
            ));
        }
    }
    let markup = c
        .meta
        .attachments
        .iter()
        .find(|a| a.content == AttachmentContent::Markup);
    let named = draft
        .meta
        .consultation
        .as_ref()
        .and_then(|d| d.attachment.as_deref());
    if let (Some(a), Some(n)) = (markup, named)
        && a.label != n
    {
        report.diagnostics.push(at_key(
            Diagnostic::error(
                "consultation/attachments",
                &c.path,
                format!(
                    "the mark-up is {} here but \"{n}\" in {}",
                    a.label,
                    draft.path.display()
                ),
            ),
            c,
            "attachments",
        ));
    }
}
