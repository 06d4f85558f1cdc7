//! `regdoc responses`: the returned response templates of a consultation,
//! collated into the consultation report that goes to the approver (ETMAD
//! clauses 4.2–4.5: "copies of the consultation responses received; and any
//! areas of disagreement … that have not been resolved").
//!
//! Two editions, as paragraph 18 of the EMRR consultation sets out:
//! [`Edition::Published`] leaves out what respondents marked confidential
//! (a respondent who asked for all of it is not named); [`Edition::Full`],
//! for the approver, holds everything and says so on every page.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Document;
use crate::model::consultation::{
    Confidentiality, ConsultationFile, ConsultationMeta, Response, View,
};

/// The responses of a folder: those read, and an error for each file that
/// could not be (not a Word file, another consultation's template…).
#[derive(Debug)]
pub struct Collation {
    pub responses: Vec<Response>,
    pub problems: Vec<Error>,
    /// What the collation counts but a person should look at (two
    /// responses from one organisation), for standard error.
    pub warnings: Vec<String>,
}

/// Most returned files collated into one report. Each response is kept
/// and laid out in the report: 3,000 took 3.9 s and 400 MB; 10,000 ran
/// out of 2 GiB. Real consultations have tens, a large one hundreds.
pub const MAX_RESPONSES: usize = 2_000;

/// Reads every response in `dir`. One bad file does not stop the others;
/// a file that is byte for byte another one is an error (it would count one
/// response twice), and two responses from one organisation are noted.
/// More than [`MAX_RESPONSES`] files is an error before any is read.
pub fn collate(meta: &ConsultationMeta, dir: &Path) -> Result<Collation> {
    use sha2::{Digest, Sha256};
    let mut responses: Vec<Response> = Vec::new();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    // "Alpha Ltd" and "Alpha Ltd." are one organisation.
    let org_key = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    let mut seen: Vec<(Vec<u8>, String)> = Vec::new();
    let entries = crate::source::response::response_files(dir)?;
    if entries.len() > MAX_RESPONSES {
        return Err(crate::error::Error::in_file(
            dir,
            format!(
                "holds {} returned files; regdoc collates at most {MAX_RESPONSES} into one report",
                entries.len()
            ),
        )
        .help("a consultation's responses are one folder; remove what is not a response"));
    }
    for entry in entries {
        let file = match entry {
            Ok(f) => f,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let bytes = match crate::source::read_response_bytes(&file) {
            Ok(b) => b,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let hash = Sha256::digest(&bytes).to_vec();
        if let Some((_, first)) = seen.iter().find(|(h, _)| *h == hash) {
            problems.push(
                Error::in_file(&file, format!("is the same file as {first}: counted once"))
                    .help("remove the copy"),
            );
            continue;
        }
        seen.push((hash, file.display().to_string()));
        match crate::source::response::response_from_bytes(&file, &bytes, meta) {
            Ok(mut r) => {
                let org = org_key(&r.organisation);
                if !org.is_empty()
                    && let Some(other) = responses.iter().find(|o| org_key(&o.organisation) == org)
                {
                    r.notes.push(format!(
                        "another response from the same organisation: {}",
                        file_name(&other.file)
                    ));
                    warnings.push(format!(
                        "warning: {} and {} are responses from the same organisation: both are counted",
                        other.file, r.file
                    ));
                }
                responses.push(r)
            }
            Err(e) => problems.push(e),
        }
    }
    Ok(Collation {
        responses,
        problems,
        warnings,
    })
}

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// For publication: without what respondents marked confidential.
    Published,
    /// For the approver: everything, marked as such.
    Full,
}

/// The consultation report: the data of its PDF, CSV and JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub edition: Edition,
    /// The consultation's title.
    pub title: String,
    /// `EMRR v3.0 (draft)`.
    pub consults_on: String,
    /// `28 June 2024`.
    pub closed: String,
    pub respondents: usize,
    /// Each response read, by file name order: in the full report with
    /// its contact and confidentiality request, in the published one only
    /// as named there and its category.
    pub responses: Vec<RespondentRow>,
    /// Respondents by Party category, in the consultation's order, then
    /// the categories respondents named, then "Not given".
    pub categories: Vec<Category>,
    pub questions: Vec<QuestionReport>,
    /// Each question at least one respondent disagreed with.
    pub disagreements: Vec<Disagreement>,
    /// What could not be read as it should (a missing row, an answer that
    /// is not agree, disagree or neutral), by respondent.
    pub notes: Vec<String>,
}

/// One respondent as a report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RespondentRow {
    pub name: String,
    pub category: String,
    /// Full report only: contact details are personal information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Full report only: `none`, `all` or `parts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidentiality: Option<Confidentiality>,
    /// Full report only: which parts are confidential, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidential_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub name: String,
    /// Respondents' names (a respondent who asked for confidentiality is
    /// not named in the published report).
    pub respondents: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionReport {
    pub id: String,
    pub text: String,
    /// Views counted in this edition. In the published one an answer kept
    /// back as confidential is counted only in `withheld`: with the names
    /// of the others, its view could otherwise be worked out.
    pub agree: usize,
    /// Agreement with a qualification: a partial disagreement.
    pub in_part: usize,
    pub disagree: usize,
    pub neutral: usize,
    pub no_answer: usize,
    /// Answers kept back from this edition (always 0 in the full one).
    pub withheld: usize,
    /// Every answer this edition shows, in respondent order.
    pub answers: Vec<AnswerRow>,
}

/// One respondent's answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRow {
    pub respondent: String,
    pub category: String,
    /// `agree`, `agree in part`, `disagree`, `neutral` or `no answer`.
    pub view: String,
    /// Empty when none was given.
    pub rationale: String,
    /// The respondent asked for it to be confidential (full report only).
    pub confidential: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub id: String,
    pub text: String,
    /// Respondents disagreeing, as this edition counts them.
    pub respondents: usize,
    /// Respondents agreeing only in part.
    pub in_part: usize,
    /// The disagreeing answers with a rationale this edition shows.
    pub quotes: Vec<AnswerRow>,
}

fn view_name(v: Option<View>) -> &'static str {
    match v {
        Some(View::Agree) => "agree",
        Some(View::InPart) => "agree in part",
        Some(View::Disagree) => "disagree",
        Some(View::Neutral) => "neutral",
        None => "no answer",
    }
}

/// The category a respondent's answer names: one of the consultation's
/// (any case, singular or plural), else the respondent's own words.
fn category_of(meta: &ConsultationMeta, written: &str) -> String {
    let w = written.trim().trim_end_matches(['.', ';']);
    if w.is_empty() {
        return "Not given".into();
    }
    let key = |s: &str| s.trim().to_lowercase().trim_end_matches('s').to_string();
    meta.party_categories
        .iter()
        .find(|c| key(c) == key(w))
        .cloned()
        .unwrap_or_else(|| format!("Other: {w}"))
}

/// The report of `collation` for `edition`.
pub fn report(
    doc: &Document,
    c: &ConsultationFile,
    collation: &Collation,
    edition: Edition,
) -> Report {
    let meta = &c.meta;
    let full = edition == Edition::Full;
    // The order respondents are listed in: file order, except that in the
    // published edition those who asked for all of it to be confidential
    // come last, so that their place among named ones tells nothing.
    let mut order: Vec<usize> = (0..collation.responses.len()).collect();
    if !full {
        order.sort_by_key(|&i| collation.responses[i].confidentiality == Confidentiality::All);
    }
    let responses: Vec<&Response> = order.iter().map(|&i| &collation.responses[i]).collect();
    // How each respondent is named and categorised in this edition: one
    // who asked for all of it to be confidential is neither named nor
    // described in their own words; an unnamed one is not named by its
    // file (a file name may be a person's name) outside the full edition.
    let (mut anonymous, mut unnamed) = (0, 0);
    let who: Vec<(String, String)> = responses
        .iter()
        .map(|r| {
            let category = category_of(meta, &r.party_category);
            if !full && r.confidentiality == Confidentiality::All {
                anonymous += 1;
                let category = if meta.party_categories.contains(&category) {
                    category
                } else {
                    "Other (not named)".to_string()
                };
                return (format!("Confidential respondent {anonymous}"), category);
            }
            let name = if !r.organisation.trim().is_empty() {
                r.organisation.trim().to_string()
            } else if full {
                format!("Unnamed respondent ({})", file_name(&r.file))
            } else {
                unnamed += 1;
                format!("Unnamed respondent {unnamed}")
            };
            (name, category)
        })
        .collect();
    let mut categories: Vec<Category> = meta
        .party_categories
        .iter()
        .map(|n| Category {
            name: n.clone(),
            respondents: Vec::new(),
        })
        .collect();
    for (name, cat) in &who {
        match categories.iter_mut().find(|c| &c.name == cat) {
            Some(c) => c.respondents.push(name.clone()),
            None => categories.push(Category {
                name: cat.clone(),
                respondents: vec![name.clone()],
            }),
        }
    }
    let rows: Vec<RespondentRow> = responses
        .iter()
        .zip(&who)
        .map(|(r, (name, category))| RespondentRow {
            name: name.clone(),
            category: category.clone(),
            contact: full.then(|| r.contact.trim().to_string()),
            confidentiality: full.then_some(r.confidentiality),
            confidential_reason: full.then(|| r.confidential_reason.trim().to_string()),
        })
        .collect();
    let mut questions = Vec::new();
    let mut disagreements = Vec::new();
    for q in &meta.questions {
        let mut qr = QuestionReport {
            id: q.id.clone(),
            text: q.text.clone(),
            agree: 0,
            in_part: 0,
            disagree: 0,
            neutral: 0,
            no_answer: 0,
            withheld: 0,
            answers: Vec::new(),
        };
        for (r, (name, category)) in responses.iter().zip(&who) {
            let answer = r.answers.iter().find(|a| a.question == q.id);
            if answer.is_some_and(|a| a.confidential) && !full {
                qr.withheld += 1;
                continue;
            }
            let view = answer.and_then(|a| a.view);
            match view {
                Some(View::Agree) => qr.agree += 1,
                Some(View::InPart) => qr.in_part += 1,
                Some(View::Disagree) => qr.disagree += 1,
                Some(View::Neutral) => qr.neutral += 1,
                None => qr.no_answer += 1,
            }
            qr.answers.push(AnswerRow {
                respondent: name.clone(),
                category: category.clone(),
                view: view_name(view).into(),
                rationale: answer.map_or(String::new(), |a| a.rationale.trim().to_string()),
                confidential: answer.is_some_and(|a| a.confidential),
            });
        }
        // A partial agreement is a partial disagreement: it is an area
        // of disagreement too.
        if qr.disagree > 0 || qr.in_part > 0 {
            disagreements.push(Disagreement {
                id: q.id.clone(),
                text: q.text.clone(),
                respondents: qr.disagree,
                in_part: qr.in_part,
                quotes: qr
                    .answers
                    .iter()
                    .filter(|a| {
                        (a.view == "disagree" || a.view == "agree in part")
                            && !a.rationale.is_empty()
                    })
                    .cloned()
                    .collect(),
            });
        }
        questions.push(qr);
    }
    // Reading notes name files and fields a respondent filled in: the
    // full report only.
    let notes = if full {
        collation
            .responses
            .iter()
            .flat_map(|r| {
                r.notes
                    .iter()
                    .map(|n| format!("{}: {n}", file_name(&r.file)))
            })
            .collect()
    } else {
        Vec::new()
    };
    let draft = doc.version(&meta.consults_on.version);
    let closed = draft
        .and_then(|d| d.meta.consultation.as_ref())
        .map(|c| c.closes.long())
        .unwrap_or_default();
    Report {
        schema_version: 1,
        edition,
        title: meta.title.clone(),
        consults_on: format!(
            "{} v{} (draft)",
            doc.info.display_short(),
            meta.consults_on.version
        ),
        closed,
        respondents: collation.responses.len(),
        responses: rows,
        categories,
        questions,
        disagreements,
        notes,
    }
}

/// Every output of `regdoc responses` for a consultation: the published
/// and the full report as PDF, CSV and JSON, by file name.
#[cfg(feature = "pdf")]
pub fn outputs(
    doc: &Document,
    c: &ConsultationFile,
    collation: &Collation,
    templates: &crate::render::typst::Templates,
) -> Result<Vec<(String, Vec<u8>)>> {
    let stem = format!(
        "{}-v{}-consultation-report",
        doc.info.id, c.meta.consults_on.version
    );
    let mut out = Vec::new();
    for (edition, suffix) in [(Edition::Published, ""), (Edition::Full, "-full")] {
        let r = report(doc, c, collation, edition);
        let full = edition == Edition::Full;
        let data = crate::render::data::report_pdf_data(doc, c, &r, full);
        let pdf = crate::render::pdf::render_report(doc, c, data, full, templates)?;
        out.push((format!("{stem}{suffix}.pdf"), pdf));
        out.push((format!("{stem}{suffix}.csv"), to_csv(&r).into_bytes()));
        out.push((format!("{stem}{suffix}.json"), to_json(&r).into_bytes()));
    }
    Ok(out)
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The report as JSON text (pretty-printed, with a final newline).
pub fn to_json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("JSON of plain data");
    s.push('\n');
    s
}

/// The report as CSV: one row per respondent and question this edition
/// shows, with the respondent's category, view and rationale (RFC 4180
/// quoting); the rows add up to the edition's counts.
pub fn to_csv(r: &Report) -> String {
    let mut out = String::from("question,respondent,category,view,rationale,confidential\r\n");
    for q in &r.questions {
        for x in &q.answers {
            let row = [
                q.id.as_str(),
                x.respondent.as_str(),
                x.category.as_str(),
                x.view.as_str(),
                x.rationale.as_str(),
                if x.confidential { "true" } else { "false" },
            ];
            let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// A CSV cell: quoted when it must be, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'`).
fn csv_cell(s: &str) -> String {
    let s = crate::error::printable_in_place(s);
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"no\""), "\"say \"\"no\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
