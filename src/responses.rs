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
}

/// Reads every response in `dir`. One bad file does not stop the others.
pub fn collate(meta: &ConsultationMeta, dir: &Path) -> Result<Collation> {
    let mut responses = Vec::new();
    let mut problems = Vec::new();
    for file in crate::source::response::response_files(dir)? {
        match crate::source::response::read_response(&file, meta) {
            Ok(r) => responses.push(r),
            Err(e) => problems.push(e),
        }
    }
    Ok(Collation {
        responses,
        problems,
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
    /// `emrr@3.0`.
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
    pub agree: usize,
    pub disagree: usize,
    pub neutral: usize,
    pub no_answer: usize,
    pub rationales: Vec<Rationale>,
    /// Rationales left out of this edition as confidential.
    pub withheld: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rationale {
    pub respondent: String,
    /// `agree`, `disagree`, `neutral` or `no answer`.
    pub view: String,
    pub text: String,
    /// In the full report: the respondent asked for it to be confidential.
    pub confidential: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub id: String,
    pub text: String,
    pub respondents: usize,
    /// The disagreeing rationales this edition may quote.
    pub quotes: Vec<Rationale>,
    pub withheld: usize,
}

fn view_name(v: Option<View>) -> &'static str {
    match v {
        Some(View::Agree) => "agree",
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
    // How each respondent is named in this edition.
    let mut withheld_names = 0;
    let names: Vec<String> = collation
        .responses
        .iter()
        .map(|r| {
            let name = if r.organisation.trim().is_empty() {
                format!("Unnamed respondent ({})", file_name(&r.file))
            } else {
                r.organisation.trim().to_string()
            };
            if !full && r.confidentiality == Confidentiality::All {
                withheld_names += 1;
                format!("Confidential respondent {withheld_names}")
            } else {
                name
            }
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
    for (r, name) in collation.responses.iter().zip(&names) {
        let cat = category_of(meta, &r.party_category);
        match categories.iter_mut().find(|c| c.name == cat) {
            Some(c) => c.respondents.push(name.clone()),
            None => categories.push(Category {
                name: cat,
                respondents: vec![name.clone()],
            }),
        }
    }
    let rows: Vec<RespondentRow> = collation
        .responses
        .iter()
        .zip(&names)
        .map(|(r, name)| RespondentRow {
            name: name.clone(),
            category: category_of(meta, &r.party_category),
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
            disagree: 0,
            neutral: 0,
            no_answer: 0,
            rationales: Vec::new(),
            withheld: 0,
        };
        let mut d = Disagreement {
            id: q.id.clone(),
            text: q.text.clone(),
            respondents: 0,
            quotes: Vec::new(),
            withheld: 0,
        };
        for (r, name) in collation.responses.iter().zip(&names) {
            let Some(a) = r.answers.iter().find(|a| a.question == q.id) else {
                qr.no_answer += 1;
                continue;
            };
            match a.view {
                Some(View::Agree) => qr.agree += 1,
                Some(View::Disagree) => qr.disagree += 1,
                Some(View::Neutral) => qr.neutral += 1,
                None => qr.no_answer += 1,
            }
            let disagrees = a.view == Some(View::Disagree);
            if disagrees {
                d.respondents += 1;
            }
            if a.rationale.trim().is_empty() {
                continue;
            }
            if a.confidential && !full {
                qr.withheld += 1;
                if disagrees {
                    d.withheld += 1;
                }
                continue;
            }
            let entry = Rationale {
                respondent: name.clone(),
                view: view_name(a.view).into(),
                text: a.rationale.trim().to_string(),
                confidential: a.confidential,
            };
            if disagrees {
                d.quotes.push(entry.clone());
            }
            qr.rationales.push(entry);
        }
        questions.push(qr);
        if d.respondents > 0 {
            disagreements.push(d);
        }
    }
    let mut notes = Vec::new();
    for (r, name) in collation.responses.iter().zip(&names) {
        for n in &r.notes {
            let who = if full || r.confidentiality != Confidentiality::All {
                file_name(&r.file)
            } else {
                name.clone()
            };
            notes.push(format!("{who}: {n}"));
        }
    }
    let draft = doc.version(&meta.consults_on.version);
    let closed = draft
        .and_then(|d| d.meta.consultation.as_ref())
        .map(|c| c.closes.long())
        .unwrap_or_default();
    Report {
        schema_version: 1,
        edition,
        title: meta.title.clone(),
        consults_on: meta.consults_on.to_string(),
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

/// The report as CSV: one row per respondent and question, with the
/// respondent's category, view and rationale (RFC 4180 quoting).
pub fn to_csv(r: &Report) -> String {
    let mut out = String::from("question,respondent,category,view,rationale,confidential\r\n");
    let category_of = |name: &str| {
        r.categories
            .iter()
            .find(|c| c.respondents.iter().any(|n| n == name))
            .map_or("", |c| c.name.as_str())
            .to_string()
    };
    for q in &r.questions {
        for x in &q.rationales {
            let row = [
                q.id.clone(),
                x.respondent.clone(),
                category_of(&x.respondent),
                x.view.clone(),
                x.text.clone(),
                x.confidential.to_string(),
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
