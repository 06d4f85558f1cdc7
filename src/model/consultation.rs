//! A consultation on a draft version: its front matter (questions, party
//! categories, attachments, what its text cites) and its numbered body.
//!
//! A consultation lives beside the versions it consults on, in
//! `documents/<id>/consultations/<file>.md`. Facts another source already
//! holds are not copied: the cover's dates are the draft's
//! (`consultation.published`, `consultation.closes`), a table "at present"
//! is quoted from the version in force by a directive, and where the text
//! must say a fact in words (paragraph 16: "effective from 19 July 2024"),
//! `cites` names the paragraph so that `check` can hold it to the source.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Block, VersionNumber};

/// Front matter of a consultation file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationMeta {
    pub title: String,
    /// The line under the title on the cover.
    #[serde(default)]
    pub strapline: Option<String>,
    pub author: String,
    pub classification: String,
    /// The draft consulted on: `emrr@3.0`.
    pub consults_on: VersionRef,
    /// The version in force while the consultation runs: `emrr@2.0`.
    #[serde(default)]
    pub in_force: Option<VersionRef>,
    /// Where responses go (an e-mail address).
    pub respond_to: String,
    /// The time of day on the closing date responses are due by ("5pm").
    #[serde(default)]
    pub respond_by_time: Option<String>,
    /// The Party categories the consultation expects to affect; a
    /// respondent may name another.
    #[serde(default)]
    pub party_categories: Vec<String>,
    pub questions: Vec<Question>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Paragraphs (`"12"`) and questions (`"Q3"`) whose text states a fact
    /// of the draft or of this front matter.
    #[serde(default)]
    pub cites: Cites,
}

/// A version of a document, written `doc@version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VersionRef {
    pub doc: String,
    pub version: VersionNumber,
}

impl TryFrom<String> for VersionRef {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (doc, v) = s
            .split_once('@')
            .ok_or_else(|| format!("`{s}` does not name a version as DOC@VERSION (emrr@3.0)"))?;
        if !super::is_id(doc) {
            return Err(format!("`{doc}` is not a document id"));
        }
        Ok(VersionRef {
            doc: doc.to_string(),
            version: v.parse()?,
        })
    }
}

impl From<VersionRef> for String {
    fn from(r: VersionRef) -> String {
        r.to_string()
    }
}

impl std::fmt::Display for VersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.doc, self.version)
    }
}

/// One consultation question.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// `Q1`, `Q2`…: unique in the consultation.
    pub id: String,
    /// The question, word for word.
    pub text: String,
    /// What a response gives.
    pub asks: Vec<Ask>,
}

/// What a question asks a respondent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ask {
    /// Agree, disagree or neutral.
    Agreement,
    /// Free text: why.
    Rationale,
}

/// An attachment the consultation lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// "Attachment 1".
    pub label: String,
    /// "ECoS Migration Reporting Regime v3.0 (mark-up)".
    pub title: String,
    /// What regdoc builds for it.
    pub content: AttachmentContent,
}

impl Attachment {
    /// "Attachment 1: ECoS Migration Reporting Regime v3.0 (mark-up)".
    pub fn full_title(&self) -> String {
        format!("{}: {}", self.label, self.title)
    }
}

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttachmentContent {
    /// The mark-up of the draft against the version it supersedes.
    Markup,
    /// The Word response template.
    ResponseTemplate,
}

/// Where the consultation's text states facts held elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cites {
    /// The draft's `consultation.published`.
    #[serde(default)]
    pub published: Vec<Place>,
    /// The draft's `consultation.closes`.
    #[serde(default)]
    pub closes: Vec<Place>,
    /// The draft's proposed `effective` date.
    #[serde(default)]
    pub effective: Vec<Place>,
    /// `respond_to`.
    #[serde(default)]
    pub respond_to: Vec<Place>,
    /// Every one of `party_categories`.
    #[serde(default)]
    pub party_categories: Vec<Place>,
    /// `respond_by_time` ("5pm").
    #[serde(default)]
    pub respond_by_time: Vec<Place>,
}

/// A numbered paragraph (`"12"`) or a question (`"Q3"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Place {
    Paragraph(u32),
    Question(String),
}

impl TryFrom<String> for Place {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if let Ok(n) = s.trim().parse::<u32>() {
            return Ok(Place::Paragraph(n));
        }
        if s.starts_with('Q') && s.len() > 1 {
            return Ok(Place::Question(s));
        }
        Err(format!(
            "`{s}` is neither a paragraph number (\"12\") nor a question id (\"Q3\")"
        ))
    }
}

impl From<Place> for String {
    fn from(p: Place) -> String {
        p.to_string()
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Paragraph(n) => write!(f, "paragraph {n}"),
            Place::Question(q) => write!(f, "{q}"),
        }
    }
}

/// A consultation file with its parsed contents.
#[derive(Debug, Clone)]
pub struct ConsultationFile {
    pub path: PathBuf,
    pub meta: ConsultationMeta,
    pub blocks: Vec<Block>,
    /// The raw text, for located diagnostics.
    pub text: String,
    /// Byte offset of the body in `text`.
    pub body_offset: usize,
}

/// A directive in a consultation's body, written as an HTML comment on its
/// own (so that other Markdown viewers show nothing):
///
/// - `<!-- regdoc:question Q1 -->`: question Q1, set apart, here;
/// - `<!-- regdoc:quote emrr@2.0 table 1 -->`: the first table of
///   emrr@2.0, quoted;
/// - `<!-- regdoc:attachments -->`: the list of attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Question(String),
    QuoteTable { version: VersionRef, table: usize },
    Attachments,
}

impl Directive {
    /// The directive a block is, if it is one; `Err` for a comment that
    /// starts `regdoc:` but does not read as a directive.
    pub fn of(block: &Block) -> Option<Result<Directive, String>> {
        let Block::Html { text } = block else {
            return None;
        };
        let inner = text
            .trim()
            .strip_prefix("<!--")?
            .strip_suffix("-->")?
            .trim();
        let rest = inner.strip_prefix("regdoc:")?;
        let words: Vec<&str> = rest.split_whitespace().collect();
        Some(match words.as_slice() {
            ["question", id] => Ok(Directive::Question(id.to_string())),
            ["quote", version, "table", n] => match (
                VersionRef::try_from(version.to_string()),
                n.parse::<usize>(),
            ) {
                (Err(e), _) => Err(e),
                (Ok(version), Ok(table)) if table >= 1 => {
                    Ok(Directive::QuoteTable { version, table })
                }
                _ => Err(format!("`{n}` is not a table number (1, 2…)")),
            },
            ["attachments"] => Ok(Directive::Attachments),
            _ => Err(format!(
                "`{inner}` is not a directive: regdoc:question ID, regdoc:quote DOC@VERSION table N or regdoc:attachments"
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(t: &str) -> Block {
        Block::Html {
            text: t.to_string(),
        }
    }

    #[test]
    fn directives_read_and_bad_ones_say_why() {
        assert_eq!(
            Directive::of(&html("<!-- regdoc:question Q1 -->\n")),
            Some(Ok(Directive::Question("Q1".into())))
        );
        assert_eq!(
            Directive::of(&html("<!-- regdoc:quote emrr@2.0 table 1 -->")),
            Some(Ok(Directive::QuoteTable {
                version: VersionRef::try_from("emrr@2.0".to_string()).unwrap(),
                table: 1
            }))
        );
        assert!(matches!(
            Directive::of(&html("<!-- regdoc:quote emrr@2.0 table 0 -->")),
            Some(Err(_))
        ));
        assert!(matches!(
            Directive::of(&html("<!-- regdoc:questoin Q1 -->")),
            Some(Err(_))
        ));
        assert_eq!(Directive::of(&html("<!-- a note -->")), None);
    }

    #[test]
    fn places_are_paragraphs_or_questions() {
        assert_eq!(Place::try_from("12".to_string()), Ok(Place::Paragraph(12)));
        assert_eq!(
            Place::try_from("Q3".to_string()),
            Ok(Place::Question("Q3".into()))
        );
        assert!(Place::try_from("twelve".to_string()).is_err());
    }
}

/// A field of the response template: the label in its row's first cell,
/// which is also how a returned response is read back. Labels are matched
/// without regard to case, spacing or a trailing colon, so a response
/// re-saved by another word processor still reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The consultation a template belongs to (`emrr@3.0`), filled in.
    Reference,
    Organisation,
    Contact,
    PartyCategory,
    Confidentiality,
    ConfidentialReason,
    View(String),
    Rationale(String),
    Confidential(String),
}

impl Field {
    /// The label of the field's row.
    pub fn label(&self) -> String {
        match self {
            Field::Reference => "Consultation reference".into(),
            Field::Organisation => "Organisation".into(),
            Field::Contact => "Contact (name and e-mail)".into(),
            Field::PartyCategory => "Party category".into(),
            Field::Confidentiality => "Confidentiality".into(),
            Field::ConfidentialReason => "Confidential parts and why".into(),
            Field::View(q) => format!("{q}: your view"),
            Field::Rationale(q) => format!("{q}: rationale"),
            Field::Confidential(q) => format!("{q}: confidential?"),
        }
    }

    /// The hint printed under the label, if any: what the template asks
    /// for. A respondent may answer by editing it (striking out the
    /// choices they do not make), so the reader compares it too.
    pub fn hint(&self, meta: &ConsultationMeta) -> Option<String> {
        match self {
            Field::Reference => {
                Some("Filled in for this consultation: please leave as it is".into())
            }
            Field::PartyCategory => Some(if meta.party_categories.is_empty() {
                "Name your Party category".to_string()
            } else {
                format!("{}, or name another", meta.party_categories.join(", "))
            }),
            Field::Confidentiality => Some("none, all or parts".into()),
            Field::View(_) => Some("agree, disagree or neutral".into()),
            Field::Confidential(_) => Some("yes or no".into()),
            _ => None,
        }
    }

    /// Every field of the template of `meta`, in order.
    pub fn all(meta: &ConsultationMeta) -> Vec<Field> {
        let mut v = vec![
            Field::Reference,
            Field::Organisation,
            Field::Contact,
            Field::PartyCategory,
            Field::Confidentiality,
            Field::ConfidentialReason,
        ];
        for q in &meta.questions {
            if q.asks.contains(&Ask::Agreement) {
                v.push(Field::View(q.id.clone()));
            }
            if q.asks.contains(&Ask::Rationale) {
                v.push(Field::Rationale(q.id.clone()));
            }
            v.push(Field::Confidential(q.id.clone()));
        }
        v
    }

    /// A label as matched: lower case, single spaces, no trailing colon.
    pub fn normalise(label: &str) -> String {
        label
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches(':')
            .trim()
            .to_lowercase()
    }
}

/// A respondent's view on a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    Agree,
    /// Agreement with a qualification ("agree in part", "agree, subject to
    /// …", "yes, but …", "disagree in part"): a partial disagreement,
    /// never counted as plain agreement.
    InPart,
    Disagree,
    Neutral,
}

/// Words that qualify a view, read in its first sentence.
const QUALIFIERS: [&str; 17] = [
    "in part",
    "partly",
    "partially",
    "subject to",
    "but",
    "conditional",
    "conditionally",
    "with conditions",
    "with reservations",
    "in principle",
    "broadly",
    "mostly",
    "largely",
    "somewhat",
    "except",
    "provided that",
    "to an extent",
];

impl View {
    /// The view a typed answer gives, in any case: `agree`, `disagree` or
    /// `neutral` by its first word (after `strongly`, `fully`…); any of
    /// those (or `yes`, `partly`…) with a qualification in its first
    /// sentence is [`View::InPart`]. `None` when it is none of them.
    pub fn read(answer: &str) -> Option<View> {
        let first_sentence: String = answer
            .split(['.', ';', '\n'])
            .next()
            .unwrap_or("")
            .chars()
            .map(|c| {
                if c.is_alphabetic() {
                    c.to_ascii_lowercase()
                } else {
                    ' '
                }
            })
            .collect();
        let words: Vec<&str> = first_sentence.split_whitespace().collect();
        let mut i = 0;
        while words.get(i).is_some_and(|w| {
            matches!(
                *w,
                "strongly" | "fully" | "completely" | "totally" | "i" | "we"
            )
        }) {
            i += 1;
        }
        let head = words.get(i).copied()?;
        let padded = format!(" {} ", words.join(" "));
        let qualified = QUALIFIERS
            .iter()
            .any(|q| padded.contains(&format!(" {q} ")));
        let view = match head {
            "agree" | "agreed" | "agrees" | "yes" => Some(View::Agree),
            "disagree" | "disagreed" | "disagrees" | "no" => Some(View::Disagree),
            "neutral" => Some(View::Neutral),
            "partly" | "partially" | "conditionally" | "broadly" | "mostly" | "largely"
            | "somewhat" | "qualified" => Some(View::InPart),
            "in" if matches!(words.get(i + 1).copied(), Some("part" | "principle")) => {
                Some(View::InPart)
            }
            _ => None,
        }?;
        match view {
            _ if qualified && view != View::Neutral => Some(View::InPart),
            // A bare yes or no is not a view the template asks for.
            View::Agree if head == "yes" => None,
            View::Disagree if head == "no" => None,
            v => Some(v),
        }
    }
}

#[cfg(test)]
mod view_tests {
    use super::View;

    /// Twenty-odd ways respondents write a view, read as given.
    #[test]
    fn answers_are_read_as_given() {
        let cases: &[(&str, Option<View>)] = &[
            ("Agree", Some(View::Agree)),
            ("agree.", Some(View::Agree)),
            ("AGREE", Some(View::Agree)),
            ("Agreed - no further comments", Some(View::Agree)),
            ("Strongly agree", Some(View::Agree)),
            ("We agree", Some(View::Agree)),
            ("Agree in part", Some(View::InPart)),
            ("Agree, subject to conditions", Some(View::InPart)),
            ("Agree subject to the date moving", Some(View::InPart)),
            ("Partly agree", Some(View::InPart)),
            ("Partially agree", Some(View::InPart)),
            (
                "Agree in principle, but the date is too soon",
                Some(View::InPart),
            ),
            ("Yes, but only if the reports continue", Some(View::InPart)),
            ("Agree but with reservations", Some(View::InPart)),
            ("Broadly agree", Some(View::InPart)),
            ("Disagree in part", Some(View::InPart)),
            ("In part", Some(View::InPart)),
            ("Agree with conditions", Some(View::InPart)),
            ("Mostly agree", Some(View::InPart)),
            ("Agree, except for the wording of 1.3", Some(View::InPart)),
            ("Conditionally agree", Some(View::InPart)),
            ("Disagree", Some(View::Disagree)),
            ("Strongly disagree.", Some(View::Disagree)),
            ("Neutral", Some(View::Neutral)),
            ("Agree. But see our letter", Some(View::Agree)),
            ("In our view the date is wrong", None),
            ("yes", None),
            ("", None),
        ];
        for (answer, view) in cases {
            assert_eq!(View::read(answer), *view, "{answer:?}");
        }
    }
}

/// The first word of a typed answer, its letters only, in lower case:
/// `Disagree.` and `DISAGREE` read as `disagree`.
fn first_word(answer: &str) -> Option<String> {
    let w = answer.split_whitespace().next()?;
    Some(
        w.chars()
            .filter(|c| c.is_alphabetic())
            .collect::<String>()
            .to_lowercase(),
    )
}

/// What a respondent asked to be kept confidential (paragraph 18 of the
/// EMRR consultation: "all or any part").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidentiality {
    None,
    All,
    /// The answers marked confidential, question by question.
    Parts,
}

impl Confidentiality {
    /// `none`, `all` or `parts` (or `part`), as the first word, any case.
    pub fn read(answer: &str) -> Option<Confidentiality> {
        match first_word(answer)?.as_str() {
            "none" | "no" => Some(Confidentiality::None),
            "all" => Some(Confidentiality::All),
            "parts" | "part" | "some" => Some(Confidentiality::Parts),
            _ => None,
        }
    }
}

/// One returned response, as read from its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The file it was read from.
    pub file: String,
    pub organisation: String,
    pub contact: String,
    /// As the respondent wrote it.
    pub party_category: String,
    pub confidentiality: Confidentiality,
    pub confidential_reason: String,
    pub answers: Vec<Answer>,
    /// Fields that were missing or not understood, for the report.
    pub notes: Vec<String>,
}

/// A response to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub question: String,
    pub view: Option<View>,
    pub rationale: String,
    /// Marked confidential by the respondent (or the whole response is).
    pub confidential: bool,
}
