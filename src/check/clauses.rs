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
    /// Whether each reference stands in a table (an amendment history
    /// cites clauses of other versions).
    in_table: Vec<bool>,
    /// Every number the version has, and every prefix of one (`4` for
    /// `4.1`), for looking references up.
    numbers: std::collections::HashSet<ClauseNumber>,
    /// The dotted clauses some sub-clause was read under.
    with_subs: std::collections::HashSet<ClauseNumber>,
    /// Where an unnumbered heading of the top levels (`# Schedule 1`,
    /// `## Annex A`) starts numbering afresh.
    restarts: Vec<usize>,
}

impl Read {
    fn index(&mut self) {
        for c in &self.clauses {
            let mut n = Some(c.number.clone());
            while let Some(x) = n {
                n = x.parent();
                self.numbers.insert(x);
            }
            if !c.number.subs.is_empty() {
                self.with_subs.insert(c.number.base());
            }
        }
    }

    /// Whether a reference to `n` names something this version has: a
    /// clause, a section its clauses are numbered under (`clause 4` with
    /// 4.1 to 4.7), or a sub-clause of a clause whose sub-clauses are not
    /// blocks of their own (`3.3(a)` where (a) runs on in 3.3's text).
    fn has(&self, n: &ClauseNumber) -> bool {
        self.numbers.contains(n)
            || (!n.subs.is_empty()
                && self.numbers.contains(&n.base())
                && !self.with_subs.contains(&n.base()))
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
    // Quoted text (legislation quoted) and footnotes are not this
    // document's clauses.
    let mut aside = 0usize;
    let mut in_table = false;
    // The dotted clause sub-clause markers belong to, and the markers open.
    let mut current: Option<ClauseNumber> = None;
    let mut markers: Vec<(String, Kind)> = Vec::new();
    // The number of the section the last numbered top heading opened.
    let mut section: Option<Part> = None;
    let mut heading_level = 0usize;
    let flush = |out: &mut Read, text: &str, pieces: &[(usize, usize)], in_table: bool| {
        let found = clause::references(text, &clause::REFERENCE_WORDS);
        if found.is_empty() {
            return;
        }
        // The block's words so far, each reference's numbers masked; the
        // last six words before each reference are its context.
        let mut window: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let mut from = 0;
        let mut piece_at = 0;
        for mut r in found {
            for w in text[from..r.offset].split_whitespace() {
                window.push_back(w.to_string());
                if window.len() > 6 {
                    window.pop_front();
                }
            }
            let context: Vec<&str> = window.iter().map(String::as_str).collect();
            let context = context.join(" ");
            window.push_back(r.word.to_lowercase());
            window.push_back("#".into());
            while window.len() > 6 {
                window.pop_front();
            }
            from = r.offset + r.len;
            while piece_at + 1 < pieces.len() && pieces[piece_at + 1].0 <= r.offset {
                piece_at += 1;
            }
            if let Some((at, source)) = pieces.get(piece_at).filter(|(at, _)| *at <= r.offset) {
                r.offset = source + (r.offset - at);
            }
            out.contexts.push(fold(&format!("{context} {}", r.word)));
            out.in_table.push(in_table);
            out.references.push(r);
        }
    };
    let start_block = |text: &mut String, pieces: &mut Vec<(usize, usize)>| {
        text.clear();
        pieces.clear();
    };
    for (event, range) in crate::source::markdown::events(body) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Start(Tag::BlockQuote(_) | Tag::FootnoteDefinition(_)) => aside += 1,
            Event::End(TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition) => {
                aside = aside.saturating_sub(1)
            }
            Event::Start(Tag::Table(_)) => in_table = true,
            Event::End(TagEnd::Table) => in_table = false,
            Event::Start(Tag::Paragraph | Tag::Item) => {
                block = Some((range.start, false));
                start_block(&mut text, &mut pieces);
            }
            Event::Start(Tag::Heading { level, .. }) => {
                block = Some((range.start, true));
                heading_level = level as usize;
                start_block(&mut text, &mut pieces);
            }
            Event::Start(Tag::TableCell) => start_block(&mut text, &mut pieces),
            Event::End(TagEnd::TableCell) => flush(&mut out, &text, &pieces, true),
            Event::Text(t) | Event::Code(t) if in_code == 0 => {
                pieces.push((text.len(), range.start));
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                let Some((start, heading)) = block.take() else {
                    continue;
                };
                let here = std::mem::take(&mut text);
                // A heading names its clause; it cites none.
                if !heading {
                    flush(&mut out, &here, &pieces, in_table);
                }
                pieces.clear();
                if aside > 0 || in_table {
                    continue;
                }
                // `# Schedule 1`, `### Annex A`, `## Part 2`: numbering
                // starts afresh.
                let opens_part = heading
                    && here.split_whitespace().next().is_some_and(|w| {
                        matches!(w, "Schedule" | "Annex" | "Appendix" | "Part" | "Annexure")
                    });
                let read = clause::leading_number(&here, heading);
                let Some((n, rest)) = read.filter(|_| !opens_part) else {
                    if heading && (heading_level <= 2 || opens_part) {
                        out.restarts.push(start);
                        current = None;
                        markers.clear();
                        section = None;
                    }
                    // A paragraph between two lists of one clause: its
                    // markers start again.
                    if !heading && !here.trim().is_empty() {
                        markers.clear();
                    }
                    continue;
                };
                // A paragraph's dotted number belongs to the section the
                // last numbered heading opened: `2.5 GW…` in section 4 is
                // a quantity, not a clause.
                if !heading
                    && !n.parts.is_empty()
                    && let Some(top) = section
                    && n.parts.first() != Some(&top)
                {
                    continue;
                }
                if heading && n.parts.len() == 1 && n.subs.is_empty() {
                    section = n.parts.first().copied();
                }
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
    out.index();
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

/// The most findings of one rule reported in one file: past it, one more
/// says how many were left out (a crafted file of a million references
/// is not a million lines).
const MAX_FINDINGS: usize = 50;

/// A finding of `rule`: an error in a draft, which can still be fixed; a
/// warning in an approved or superseded version, whose text the gate
/// keeps as it is.
fn finding(f: &VersionFile, rule: &'static str, message: String) -> Diagnostic {
    use crate::model::Status;
    match f.meta.status {
        Status::Approved | Status::Superseded => Diagnostic::warning(rule, &f.path, message),
        _ => Diagnostic::error(rule, &f.path, message),
    }
}

/// Pushes `d` unless [`MAX_FINDINGS`] of its rule were pushed already.
fn push_capped(report: &mut Report, count: &mut usize, f: &VersionFile, d: Diagnostic) {
    *count += 1;
    if *count <= MAX_FINDINGS {
        report.diagnostics.push(d);
    } else if *count == MAX_FINDINGS + 1 {
        let rule = d.rule;
        report.diagnostics.push(Diagnostic::warning(
            rule,
            &f.path,
            format!("more findings of {rule} here are not listed"),
        ));
    }
}

/// `clauses/numbering`: within each level, one up from the last.
fn numbering(f: &VersionFile, r: &Read, report: &mut Report) {
    if r.clauses.len() < 2 {
        return;
    }
    // The last number seen under each parent, and where.
    let mut last: HashMap<Option<ClauseNumber>, (ClauseNumber, u32)> = HashMap::new();
    let mut count = 0usize;
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
            // `(a)` or `(1)` opens a list afresh (a second list in a clause).
            _ if value == 1 && !c.number.subs.is_empty() => None,
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
            let d = finding(f, "clauses/numbering", message)
                .at(line, col)
                .help("number each clause one up from the clause before it at its level");
            push_capped(report, &mut count, f, d);
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
    let mut count = 0usize;
    // A table (an amendment history: "clause 4.8 deleted") may cite what
    // this version no longer has.
    for (reference, _) in r
        .references
        .iter()
        .zip(&r.in_table)
        .filter(|(x, in_table)| !x.external && !**in_table)
    {
        let mut targets = vec![&reference.first];
        if let Some((n, _)) = &reference.second {
            targets.push(n);
        }
        for t in targets {
            if r.has(t) {
                continue;
            }
            let (line, col) = at(f, reference.offset);
            let d = finding(
                f,
                "clauses/dangling-reference",
                format!(
                    "{} {t} does not exist in version {}",
                    reference.word.to_lowercase().trim_end_matches('s'),
                    f.meta.version
                ),
            )
            .at(line, col)
            .help("refer to a clause this version has, or name the document whose clause it is");
            push_capped(report, &mut count, f, d);
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
    let mut count = 0usize;
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
        if r.find(t).is_some_and(|now| now.text == was.text) {
            continue;
        }
        // What it meant, found by its text: a text of a few words said
        // once in each version ("Not used." is said of many clauses).
        let said = |read: &Read| read.clauses.iter().filter(|c| c.text == was.text).count();
        if was.text.split_whitespace().count() < 3 || said(old_read) != 1 || said(r) != 1 {
            continue;
        }
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
        let d = finding(
            f,
            "clauses/stale-reference",
            format!(
                "{from} {t}, which was \"{quoted}…\" in v{} and is {} in v{}",
                old_file.meta.version, moved.number, f.meta.version
            ),
        )
        .at(line, col)
        .help(format!(
            "cite it as {} (its number in this version)",
            moved.number
        ));
        push_capped(report, &mut count, f, d);
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
