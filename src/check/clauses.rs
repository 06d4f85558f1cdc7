//! Clauses and references to them (`model::clause`), held to the document:
//!
//! - `clauses/numbering`: within one level, numbers go up by one — none
//!   skipped, repeated or going back (`3.2`, `3.4`; `3.2`, `3.2`);
//! - `clauses/dangling-reference`: "clause 4.9" where the version has no
//!   clause 4.9;
//! - `clauses/stale-reference`: a draft still citing a clause by the number
//!   it had in the version it supersedes, where that clause now has another
//!   ("clause 4.1 cites 3.3, which was 'Access logs are kept…' in v1.2 and
//!   is 3.4 in v2.0").
//!
//! A reference to another document's clause ("SEC Appendix AS … clause
//! 4.1", "ETMAD clauses 4.2 to 4.5") is never held to this one. A version
//! with no numbered clauses has nothing to hold references to.

use std::collections::HashMap;

use super::{Diagnostic, Report};
use crate::error::line_col;
use crate::model::clause::{self, ClauseNumber, Part, Reference};
use crate::model::{Document, VersionFile};
use crate::source::markdown::{Event, Tag, TagEnd};

/// A numbered clause of one version.
#[derive(Debug, Clone)]
struct Clause {
    number: ClauseNumber,
    /// A sub-clause's marker kind (`None`: a dotted clause).
    kind: Option<Kind>,
    /// Byte offset of its block in the body.
    offset: usize,
    /// Its text after the number, white space folded: what it says, so
    /// that a clause renumbered is found by its text.
    text: String,
}

/// What one version numbers and refers to.
#[derive(Debug, Default)]
struct Read {
    clauses: Vec<Clause>,
    /// References, their offsets in the body.
    references: Vec<Reference>,
    /// Each reference's left context: the words before it in its block,
    /// up to six, folded, other references' numbers masked — how a
    /// reference is found again in another version whatever it cites.
    contexts: Vec<String>,
    /// Where an unnumbered heading of the top levels (`# Schedule 1`,
    /// `## Annex A`) starts numbering afresh.
    restarts: Vec<usize>,
}

impl Read {
    fn has(&self, n: &ClauseNumber) -> bool {
        self.clauses
            .iter()
            .any(|c| &c.number == n || c.number.base() == *n)
    }

    fn find(&self, n: &ClauseNumber) -> Option<&Clause> {
        self.clauses.iter().find(|c| &c.number == n)
    }

    /// The clause a body offset is in: the last numbered one before it.
    fn around(&self, offset: usize) -> Option<&Clause> {
        self.clauses.iter().rev().find(|c| c.offset <= offset)
    }
}

/// Folded for comparison: lower case, white space as single spaces.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What a sub-clause marker counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Roman,
    Lower,
    Upper,
    Digit,
}

/// A roman numeral's value (`i`, `iv`, `xii`).
fn roman(m: &str) -> Option<u32> {
    if m.is_empty() || !m.bytes().all(|c| matches!(c, b'i' | b'v' | b'x')) {
        return None;
    }
    let value = |c: u8| match c {
        b'i' => 1,
        b'v' => 5,
        _ => 10,
    };
    let b = m.as_bytes();
    let mut total = 0i32;
    for (k, &c) in b.iter().enumerate() {
        let v = value(c);
        if b.get(k + 1).is_some_and(|&n| value(n) > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    u32::try_from(total).ok().filter(|&t| t > 0)
}

/// A marker's place in its sequence: `a` 1, `b` 2; `ii` 2; `12` 12.
fn ordinal(m: &str, kind: Kind) -> Option<u32> {
    match kind {
        Kind::Roman => roman(m),
        Kind::Digit => m.parse().ok(),
        Kind::Lower | Kind::Upper => {
            let c = m.chars().next()?;
            (m.len() == 1).then(|| (c.to_ascii_lowercase() as u32) - ('a' as u32) + 1)
        }
    }
}

/// What `m` counts in, given the markers open above it: `(i)` after `(h)`
/// is the letter i, otherwise a roman one.
fn kind_of(m: &str, open: &[(String, Kind)]) -> Kind {
    if m.bytes().all(|c| c.is_ascii_digit()) {
        return Kind::Digit;
    }
    if m.bytes().all(|c| c.is_ascii_uppercase()) {
        return Kind::Upper;
    }
    if roman(m).is_some() {
        let continues_letters = m.len() == 1
            && open
                .iter()
                .rev()
                .find(|(_, k)| *k == Kind::Lower)
                .is_some_and(|(p, _)| p.len() == 1 && p.as_bytes()[0] + 1 == m.as_bytes()[0]);
        if !continues_letters {
            return Kind::Roman;
        }
    }
    Kind::Lower
}

/// Reads the clauses and references of a body.
fn read(body: &str) -> Read {
    let mut out = Read::default();
    // The block being read: its start, whether a heading, its text, and
    // where each piece of its text is in the body.
    let mut block: Option<(usize, bool)> = None;
    let mut text = String::new();
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut in_code = 0usize;
    // The dotted clause sub-clause markers belong to, and the markers open.
    let mut current: Option<ClauseNumber> = None;
    let mut markers: Vec<(String, Kind)> = Vec::new();
    let mut top_heading = false;
    let flush = |out: &mut Read, text: &str, pieces: &[(usize, usize)]| {
        let found = clause::references(text, &clause::REFERENCE_WORDS);
        if found.is_empty() {
            return;
        }
        // The block's words so far, each reference's numbers masked.
        let mut masked = String::new();
        let mut from = 0;
        for mut r in found {
            masked.push_str(&text[from..r.offset]);
            let words: Vec<&str> = masked.split_whitespace().collect();
            let context = words[words.len().saturating_sub(6)..].join(" ");
            masked.push_str(&r.word.to_lowercase());
            masked.push_str(" # ");
            from = r.offset + r.len;
            let piece = pieces.iter().rev().find(|(at, _)| *at <= r.offset);
            if let Some((at, source)) = piece {
                r.offset = source + (r.offset - at);
            }
            out.contexts.push(fold(&format!("{context} {}", r.word)));
            out.references.push(r);
        }
    };
    for (event, range) in crate::source::markdown::events(body) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Start(Tag::Paragraph) => {
                block = Some((range.start, false));
                text.clear();
                pieces.clear();
            }
            Event::Start(Tag::Heading { level, .. }) => {
                block = Some((range.start, true));
                top_heading = (level as usize) <= 2;
                text.clear();
                pieces.clear();
            }
            Event::Start(Tag::TableCell) => {
                text.clear();
                pieces.clear();
            }
            Event::End(TagEnd::TableCell) => flush(&mut out, &text, &pieces),
            Event::Text(t) | Event::Code(t) if in_code == 0 => {
                pieces.push((text.len(), range.start));
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                let Some((start, heading)) = block.take() else {
                    continue;
                };
                flush(&mut out, &text, &pieces);
                let Some((n, rest)) = clause::leading_number(&text, heading) else {
                    if heading && top_heading {
                        out.restarts.push(start);
                        current = None;
                        markers.clear();
                    }
                    continue;
                };
                let (number, kind) = if n.parts.is_empty() {
                    // `(a)`: a sub-clause of the dotted clause above, at
                    // the level of its kind (`(i)` under `(a)`).
                    let Some(base) = current.clone() else {
                        continue;
                    };
                    let m = n.subs[0].clone();
                    let kind = kind_of(&m, &markers);
                    let level = markers
                        .iter()
                        .position(|(_, k)| *k == kind)
                        .unwrap_or(markers.len());
                    markers.truncate(level);
                    markers.push((m, kind));
                    let number = ClauseNumber {
                        parts: base.parts.clone(),
                        subs: markers.iter().map(|(m, _)| m.clone()).collect(),
                    };
                    (number, Some(kind))
                } else {
                    current = Some(n.base());
                    markers.clear();
                    (n, None)
                };
                out.clauses.push(Clause {
                    number,
                    kind,
                    offset: start,
                    text: fold(rest),
                });
            }
            _ => {}
        }
    }
    out
}

/// Every clause rule for one document.
pub fn check_clauses(doc: &Document, report: &mut Report) {
    let reads: Vec<Read> = doc
        .versions
        .iter()
        .map(|f| read(&f.text[f.body_offset..]))
        .collect();
    for (f, r) in doc.versions.iter().zip(&reads) {
        numbering(f, r, report);
        dangling(f, r, report);
        if let Some(old) = f.meta.supersedes.as_ref().and_then(|v| {
            doc.versions
                .iter()
                .position(|o| &o.meta.version == v)
                .map(|i| (&doc.versions[i], &reads[i]))
        }) {
            stale(f, r, old, report);
        }
    }
}

fn at(f: &VersionFile, offset: usize) -> (usize, usize) {
    line_col(&f.text, f.body_offset + offset)
}

/// `clauses/numbering`: within each level, one up from the last.
fn numbering(f: &VersionFile, r: &Read, report: &mut Report) {
    if r.clauses.len() < 2 {
        return;
    }
    // The last number seen under each parent, and where.
    let mut last: HashMap<Option<ClauseNumber>, (ClauseNumber, u32)> = HashMap::new();
    let mut restarts = r.restarts.iter().peekable();
    for c in &r.clauses {
        while restarts.next_if(|&&at| at < c.offset).is_some() {
            last.clear();
        }
        let parent = c.number.parent();
        let value = match (c.number.subs.last(), c.kind, c.number.parts.last()) {
            (Some(m), Some(kind), _) => ordinal(m, kind),
            (_, _, Some(Part::Number(n))) => Some(*n),
            (_, _, Some(Part::Letter(l))) => Some(*l as u32 - 'A' as u32 + 1),
            _ => None,
        };
        let Some(value) = value else { continue };
        let problem = match last.get(&parent) {
            Some((prev, v)) if *v == value => Some(format!(
                "clause {} is numbered again: it follows {prev}",
                c.number
            )),
            Some((prev, v)) if value < *v => {
                Some(format!("clause {} goes back: it follows {prev}", c.number))
            }
            Some((prev, v)) if value > v + 1 => Some(format!(
                "clause {} follows {prev}: {} is missing",
                c.number,
                missing(&c.number, c.kind, v + 1)
            )),
            _ => None,
        };
        if let Some(message) = problem {
            let (line, col) = at(f, c.offset);
            report.diagnostics.push(
                Diagnostic::error("clauses/numbering", &f.path, message)
                    .at(line, col)
                    .help("number each clause one up from the clause before it at its level"),
            );
        }
        last.insert(parent, (c.number.clone(), value));
    }
}

/// The number that should stand where `n` does, its last part `value`.
fn missing(n: &ClauseNumber, kind: Option<Kind>, value: u32) -> String {
    let mut m = n.clone();
    let letter = |base: u8| {
        char::from_u32(u32::from(base) + value - 1).map_or(value.to_string(), String::from)
    };
    if let Some(s) = m.subs.last_mut() {
        *s = match kind {
            Some(Kind::Roman) => [
                "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii",
            ]
            .get(value as usize - 1)
            .map_or(value.to_string(), |r| r.to_string()),
            Some(Kind::Lower) => letter(b'a'),
            Some(Kind::Upper) => letter(b'A'),
            _ => value.to_string(),
        };
    } else if let Some(p) = m.parts.last_mut() {
        *p = match p {
            Part::Number(_) => Part::Number(value),
            Part::Letter(_) => Part::Letter(char::from_u32('A' as u32 + value - 1).unwrap_or('?')),
        };
    }
    m.to_string()
}

/// `clauses/dangling-reference`: a reference to a clause this version
/// does not have.
fn dangling(f: &VersionFile, r: &Read, report: &mut Report) {
    if r.clauses.is_empty() {
        return;
    }
    for reference in r.references.iter().filter(|x| !x.external) {
        let mut targets = vec![&reference.first];
        if let Some((n, _)) = &reference.second {
            targets.push(n);
        }
        for t in targets {
            if r.has(t) || r.has(&t.base()) && t.subs.is_empty() {
                continue;
            }
            let (line, col) = at(f, reference.offset);
            report.diagnostics.push(
                Diagnostic::error(
                    "clauses/dangling-reference",
                    &f.path,
                    format!(
                        "{} {t} does not exist in version {}",
                        reference.word.to_lowercase().trim_end_matches('s'),
                        f.meta.version
                    ),
                )
                .at(line, col)
                .help(
                    "refer to a clause this version has, or name the document whose clause it is",
                ),
            );
        }
    }
}

/// `clauses/stale-reference`: a reference that still gives the number its
/// target had in the version this one supersedes. A reference is found
/// again there by its left context (the words before it, whatever they
/// cite); it is stale when it gives the number it gave there, and the
/// clause it gave it for now has another number: renumbered under it,
/// not changed.
fn stale(f: &VersionFile, r: &Read, old: (&VersionFile, &Read), report: &mut Report) {
    let (old_file, old_read) = old;
    let mut earlier: HashMap<&str, Vec<&Reference>> = HashMap::new();
    for (c, x) in old_read.contexts.iter().zip(&old_read.references) {
        earlier.entry(c.as_str()).or_default().push(x);
    }
    for (context, reference) in r.contexts.iter().zip(&r.references) {
        if reference.external {
            continue;
        }
        let t = &reference.first;
        // Given there as here: the same words before it, the same number.
        let given_before = earlier
            .get(context.as_str())
            .is_some_and(|xs| xs.iter().any(|x| !x.external && &x.first == t));
        if !given_before {
            continue;
        }
        let Some(was) = old_read.find(t) else {
            continue;
        };
        if was.text.is_empty() || r.find(t).is_some_and(|now| now.text == was.text) {
            continue;
        }
        // Where the clause it meant is now.
        let Some(moved) = r
            .clauses
            .iter()
            .find(|c| c.text == was.text && &c.number != t)
        else {
            continue;
        };
        let from = r
            .around(reference.offset)
            .map(|c| format!("clause {} cites", c.number))
            .unwrap_or_else(|| "this cites".to_string());
        let quoted: String = was.text.chars().take(40).collect();
        let (line, col) = at(f, reference.offset);
        report.diagnostics.push(
            Diagnostic::error(
                "clauses/stale-reference",
                &f.path,
                format!(
                    "{from} {t}, which was \"{quoted}…\" in v{} and is {} in v{}",
                    old_file.meta.version, moved.number, f.meta.version
                ),
            )
            .at(line, col)
            .help(format!(
                "cite it as {} (its number in this version)",
                moved.number
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_and_their_sub_clauses_are_read() {
        let r = read(
            "# 3. Reports\n\n3.1 First.\n\n(a) one;\n\n(b) two:\n\n(i) deep;\n\n(ii) deeper.\n\n3.2 Next, see clause 3.1(b).\n",
        );
        let numbers: Vec<String> = r.clauses.iter().map(|c| c.number.to_string()).collect();
        assert_eq!(
            numbers,
            [
                "3",
                "3.1",
                "3.1(a)",
                "3.1(b)",
                "3.1(b)(i)",
                "3.1(b)(ii)",
                "3.2"
            ]
        );
        assert_eq!(r.references.len(), 1);
        assert!(r.has(&r.references[0].first));
    }

    #[test]
    fn roman_numerals() {
        assert_eq!(roman("iv"), Some(4));
        assert_eq!(roman("xii"), Some(12));
        assert_eq!(roman("b"), None);
    }
}
