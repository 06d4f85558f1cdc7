//! Defined terms: what a code capitalises because it carries a defined
//! meaning.
//!
//! A version defines a term where drafters do: `"Access Request" means …`
//! (or `“…”`, `**…**`, `has the meaning`, `shall mean`, `includes`) in a
//! paragraph, list item or table cell, or a row of a definitions table
//! (first column headed *Term*, *Defined term* or *Expression*). Then:
//!
//! - `terms/unused`: a term defined but used nowhere else (a warning);
//! - `terms/undefined`: a capitalised phrase of two to four words, used
//!   at least twice and never at a sentence's start, that no definition
//!   gives (a warning): "Permitted Purpose".
//!
//! Only a version that defines terms is held to them: one that defines
//! none (the EMRR, whose terms are the SEC's) gives no findings, because a
//! rule that cannot tell a defined term from a name would be noise. A
//! phrase that is part of a defined term, or holds one, is not reported;
//! nor are headings, or the document's title, owner and approver.

use std::collections::{BTreeMap, HashSet};

use super::{Diagnostic, Report};
use crate::error::line_col;
use crate::model::{Document, VersionFile};
use crate::source::markdown::{Event, Tag, TagEnd};

/// The most distinct phrases counted in one version.
const MAX_PHRASES: usize = 100_000;

/// Words that open a definition after its quoted term.
const DEFINING: [&str; 5] = [
    "means",
    "shall mean",
    "has the meaning",
    "have the meaning",
    "includes",
];

/// What a version's text says of terms.
#[derive(Debug, Default)]
struct Terms {
    /// Each defined term and where its definition is (body offset).
    defined: Vec<(String, usize)>,
    /// The text of every block (not headings), with its body offset.
    blocks: Vec<(String, usize)>,
}

fn read(body: &str) -> Terms {
    let mut out = Terms::default();
    let mut text = String::new();
    let mut start = 0usize;
    let mut in_heading = false;
    let mut in_code = 0usize;
    // A definitions table: whether its first column is headed as terms,
    // and where the row's first cell is.
    let mut table_of_terms = false;
    let mut in_head = false;
    let mut cell = 0usize;
    for (event, range) in crate::source::markdown::events(body) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::Table(_)) => table_of_terms = false,
            Event::Start(Tag::TableHead) => {
                in_head = true;
                cell = 0;
            }
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => cell = 0,
            Event::Start(Tag::Paragraph | Tag::TableCell) => {
                text.clear();
                start = range.start;
            }
            Event::Text(t) | Event::Code(t) if in_code == 0 && !in_heading => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::TableCell) => {
                let t = text.trim().to_string();
                if in_head && cell == 0 {
                    let h = t.to_lowercase();
                    table_of_terms =
                        matches!(h.as_str(), "term" | "defined term" | "expression" | "terms");
                } else if !in_head && cell == 0 && table_of_terms && !t.is_empty() {
                    out.defined.push((strip_quotes(&t).to_string(), start));
                }
                let term_cell = cell == 0 && table_of_terms;
                if !in_head && !term_cell {
                    defined_in(&t, start, &mut out.defined);
                    out.blocks.push((t, start));
                }
                cell += 1;
            }
            Event::End(TagEnd::Paragraph) if !in_heading => {
                defined_in(&text, start, &mut out.defined);
                out.blocks.push((std::mem::take(&mut text), start));
            }
            _ => {}
        }
    }
    out
}

fn strip_quotes(s: &str) -> &str {
    s.trim_matches(|c: char| {
        matches!(c, '"' | '“' | '”' | '\'' | '‘' | '’' | '*') || c.is_whitespace()
    })
}

/// The terms a text defines: a quoted (or bold, read as its text) phrase
/// followed by a defining word.
fn defined_in(text: &str, at: usize, out: &mut Vec<(String, usize)>) {
    for (open, close) in [('"', '"'), ('“', '”'), ('‘', '’')] {
        let mut from = 0;
        while let Some(i) = text[from..].find(open) {
            let s = from + i + open.len_utf8();
            let Some(j) = text[s..].find(close) else {
                break;
            };
            let term = &text[s..s + j];
            let after = text[s + j + close.len_utf8()..].trim_start().to_lowercase();
            if !term.is_empty()
                && term.chars().count() <= 80
                && term.chars().next().is_some_and(char::is_uppercase)
                && DEFINING.iter().any(|d| after.starts_with(d))
            {
                out.push((term.to_string(), at));
            }
            from = s + j + close.len_utf8();
        }
    }
    // `Term means …` at a definition row's start, the term in bold (the
    // parser gave its text without the stars).
    let lower = text.to_lowercase();
    if let Some(d) = DEFINING.iter().find_map(|d| lower.find(&format!(" {d} "))) {
        let head = text[..d].trim();
        if !head.is_empty()
            && head.split_whitespace().count() <= 6
            && head
                .split_whitespace()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase))
            && !out.iter().any(|(t, _)| t == head)
        {
            out.push((head.to_string(), at));
        }
    }
}

/// Capitalised phrases of two to four words in `text`, each with whether
/// it starts a sentence.
fn phrases(text: &str) -> Vec<(String, bool)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let cap = |w: &str| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().any(char::is_lowercase)
                && w.chars().all(char::is_alphanumeric)
        };
        if !cap(words[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < words.len() && cap(words[j]) && j - i < 4 {
            // A phrase ends at punctuation after a word.
            let ends = words[j].ends_with([',', '.', ';', ':', ')', '’', '"', '”']);
            j += 1;
            if ends {
                break;
            }
        }
        // Leading articles are not part of a term.
        let mut s = i;
        while s < j
            && matches!(
                words[s],
                "The" | "A" | "An" | "This" | "These" | "Each" | "Any" | "Where" | "If" | "In"
            )
        {
            s += 1;
        }
        if j - s >= 2 {
            let sentence_start = i == 0 || words[i - 1].ends_with(['.', '!', '?', ':']);
            let phrase = words[s..j]
                .iter()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .collect::<Vec<_>>()
                .join(" ");
            out.push((phrase, sentence_start && s == i));
        }
        i = j.max(i + 1);
    }
    out
}

/// Whether `term` is used in `text` as a whole phrase.
fn uses(text: &str, term: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text[from..].find(term) {
        let s = from + i;
        let e = s + term.len();
        let before = text[..s]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = text[e..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return true;
        }
        from = e;
    }
    false
}

/// Every term rule for one document's versions.
pub fn check_terms(doc: &Document, report: &mut Report) {
    let mut names: HashSet<String> = HashSet::new();
    for n in [&doc.info.title, &doc.info.owner, &doc.info.approver] {
        names.insert(n.clone());
    }
    for f in &doc.versions {
        check_version(f, &names, report);
    }
}

fn check_version(f: &VersionFile, names: &HashSet<String>, report: &mut Report) {
    let t = read(&f.text[f.body_offset..]);
    if t.defined.is_empty() {
        return;
    }
    let at = |offset: usize| line_col(&f.text, f.body_offset + offset);
    let defined: Vec<&str> = t.defined.iter().map(|(d, _)| d.as_str()).collect();
    // Unused: no block other than its definition's uses it.
    let mut seen = HashSet::new();
    for (term, offset) in &t.defined {
        if !seen.insert(term.as_str()) {
            continue;
        }
        let used = t
            .blocks
            .iter()
            .any(|(text, o)| o != offset && uses(text, term));
        if !used {
            let (line, col) = at(*offset);
            report.diagnostics.push(
                Diagnostic::warning(
                    "terms/unused",
                    &f.path,
                    format!("\"{term}\" is defined but not used"),
                )
                .at(line, col)
                .help("remove the definition, or use the term where it is meant"),
            );
        }
    }
    // Undefined: a capitalised phrase used as a term, defined nowhere.
    // Each phrase: how often, how often not opening a sentence (where
    // any word is capitalised), and where it is first used so.
    let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (text, offset) in &t.blocks {
        for (p, starts) in phrases(text) {
            if counts.len() >= MAX_PHRASES && !counts.contains_key(&p) {
                continue;
            }
            let e = counts.entry(p).or_insert((0, 0, *offset));
            e.0 += 1;
            if !starts {
                if e.1 == 0 {
                    e.2 = *offset;
                }
                e.1 += 1;
            }
        }
    }
    for (phrase, (n, inside, offset)) in counts {
        let known = defined
            .iter()
            .any(|d| d.contains(phrase.as_str()) || phrase.contains(d))
            || names.iter().any(|x| x.contains(&phrase));
        if n < 2 || inside == 0 || known {
            continue;
        }
        let (line, col) = at(offset);
        report.diagnostics.push(
            Diagnostic::warning(
                "terms/undefined",
                &f.path,
                format!("\"{phrase}\" is used as a defined term ({n} times) but defined nowhere"),
            )
            .at(line, col)
            .help("define it with the others, or write it in lower case if it is plain English"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_as_drafters_write_them() {
        let mut d = Vec::new();
        defined_in("\"Access Request\" means an application.", 0, &mut d);
        defined_in(
            "“Consumption Data” has the meaning given in the SEC.",
            0,
            &mut d,
        );
        defined_in("Data Controller means the person who decides.", 0, &mut d);
        let d: Vec<&str> = d.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(d, ["Access Request", "Consumption Data", "Data Controller"]);
    }

    #[test]
    fn phrases_not_at_a_sentence_start() {
        let p = phrases(
            "The Party may make an Access Request. Permitted Purpose applies, for a Permitted Purpose only.",
        );
        assert!(p.contains(&("Access Request".to_string(), false)));
        assert!(p.contains(&("Permitted Purpose".to_string(), true)));
        assert!(p.contains(&("Permitted Purpose".to_string(), false)));
    }
}
