//! Clause numbers as drafters write them, and references to them.
//!
//! A regulated code numbers its clauses: a heading's leading number
//! ("# 4. Report descriptions", "## 4.1"), a paragraph's ("3.2 The Code
//! Administrator shall…"), a sub-clause's marker ("(a)", "(ii)") and an
//! annex's ("A.1"). Its text refers to them: "as set out in clause 3.3",
//! "clauses 4.2 to 4.5", "paragraph 18", "section 2", "clause 3.3(a)".
//! This module reads both from plain text; `check::clauses` holds them to
//! the document. Nothing here reads files.

/// One part of a clause number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// `3` in `3.2`.
    Number(u32),
    /// `A` in `A.1` (an annex or schedule).
    Letter(char),
}

/// A clause number: its dotted parts (`3.2` is `[3, 2]`, `A.1` is
/// `[A, 1]`) and any sub-clause markers after them (`3.3(a)(ii)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClauseNumber {
    pub parts: Vec<Part>,
    /// `(a)`, `(ii)`: the markers as written, without their brackets.
    pub subs: Vec<String>,
}

/// The most parts and markers a clause number is read with: real codes go
/// four or five deep; a "number" of 10,000 levels is not one.
pub const MAX_PARTS: usize = 8;
/// The most digits of one part.
const MAX_DIGITS: usize = 6;

impl std::fmt::Display for ClauseNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match p {
                Part::Number(n) => write!(f, "{n}")?,
                Part::Letter(c) => write!(f, "{c}")?,
            }
        }
        for s in &self.subs {
            write!(f, "({s})")?;
        }
        Ok(())
    }
}

impl ClauseNumber {
    /// The clause this one is numbered under (`3.2` → `3`), if any.
    pub fn parent(&self) -> Option<ClauseNumber> {
        if !self.subs.is_empty() {
            let mut p = self.clone();
            p.subs.pop();
            return Some(p);
        }
        (self.parts.len() > 1).then(|| ClauseNumber {
            parts: self.parts[..self.parts.len() - 1].to_vec(),
            subs: Vec::new(),
        })
    }

    /// The dotted number alone (`3.3(a)` → `3.3`).
    pub fn base(&self) -> ClauseNumber {
        ClauseNumber {
            parts: self.parts.clone(),
            subs: Vec::new(),
        }
    }
}

/// Reads a dotted number (`3`, `3.2`, `A.1`, `4.1.2`) at the start of `s`,
/// then any sub-clause markers (`(a)`, `(ii)`); returns it and its length
/// in bytes. `None` when `s` does not start with one, or it is longer than
/// [`MAX_PARTS`] parts or [`MAX_DIGITS`] digits a part.
pub fn read_number(s: &str) -> Option<(ClauseNumber, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut parts = Vec::new();
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i > start {
            if i - start > MAX_DIGITS {
                return None;
            }
            parts.push(Part::Number(s[start..i].parse().ok()?));
        } else if parts.is_empty()
            && i < b.len()
            && b[i].is_ascii_uppercase()
            && b.get(i + 1) == Some(&b'.')
            && b.get(i + 2).is_some_and(u8::is_ascii_digit)
        {
            // An annex letter: `A.1`, never a lone `A` (a word).
            parts.push(Part::Letter(b[i] as char));
            i += 1;
        } else {
            break;
        }
        if parts.len() > MAX_PARTS {
            return None;
        }
        // A dot continues the number only if a digit follows it.
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
        } else {
            break;
        }
    }
    if parts.is_empty() {
        return None;
    }
    let mut subs = Vec::new();
    while let Some((sub, len)) = read_marker(&s[i..]) {
        subs.push(sub);
        i += len;
        if parts.len() + subs.len() > MAX_PARTS {
            return None;
        }
    }
    Some((ClauseNumber { parts, subs }, i))
}

/// A sub-clause marker at the start of `s`: `(a)`, `(ii)`, `(A)`, `(12)`
/// — at most four letters or digits in brackets.
fn read_marker(s: &str) -> Option<(String, usize)> {
    let rest = s.strip_prefix('(')?;
    let end = rest.find(')')?;
    let inner = &rest[..end];
    let ok = !inner.is_empty()
        && inner.len() <= 4
        && (inner.bytes().all(|c| c.is_ascii_lowercase())
            || inner.bytes().all(|c| c.is_ascii_uppercase())
            || inner.bytes().all(|c| c.is_ascii_digit()));
    ok.then(|| (inner.to_string(), end + 2))
}

/// The clause number a block's text starts with, as drafters write it,
/// and the text after it. A heading may be numbered `4.` or `4`; a
/// paragraph needs a dotted number (`3.2`: a sentence may start with a
/// year or a count) or a marker (`(a)`). A number must be followed by
/// white space (or, `4.` in a heading, a dot and white space).
pub fn leading_number(text: &str, heading: bool) -> Option<(ClauseNumber, &str)> {
    let t = text.trim_start();
    if let Some((sub, len)) = read_marker(t) {
        let rest = &t[len..];
        return rest.starts_with(char::is_whitespace).then(|| {
            (
                ClauseNumber {
                    parts: Vec::new(),
                    subs: vec![sub],
                },
                rest.trim_start(),
            )
        });
    }
    let (n, len) = read_number(t)?;
    let mut rest = &t[len..];
    if n.subs.is_empty()
        && let Some(r) = rest.strip_prefix('.')
    {
        rest = r;
    }
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    if !heading && n.parts.len() < 2 && n.subs.is_empty() {
        return None;
    }
    // `# 2024 Review`: a year or a count, not a clause.
    if n.parts.len() == 1 && n.subs.is_empty() && matches!(n.parts[0], Part::Number(v) if v > 999) {
        return None;
    }
    Some((n, rest.trim_start()))
}

/// A reference in text to a clause: `clause 3.3`, `clauses 4.2 to 4.5`,
/// `paragraph 18(b)`, `section 2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Byte offset of the reference word in the text searched.
    pub offset: usize,
    /// Its length, from the word to the last number.
    pub len: usize,
    /// The word as written (`clause`, `Sections`).
    pub word: String,
    pub first: ClauseNumber,
    /// The end of a range (`clauses 4.2 to 4.5`), or the second of a pair
    /// (`clauses 4.2 and 4.4`): `(number, is_range)`.
    pub second: Option<(ClauseNumber, bool)>,
    /// It names another document's clause ("SEC Appendix AS … clause 4.1",
    /// "ETMAD clauses 4.2 to 4.5", "clause 3 of the Code"): never checked
    /// against this one.
    pub external: bool,
}

/// The words a reference starts with, singular and plural, by default.
pub const REFERENCE_WORDS: [&str; 8] = [
    "clause",
    "clauses",
    "paragraph",
    "paragraphs",
    "section",
    "sections",
    "subclause",
    "subclauses",
];

/// The most references read in one text: past it, the rest are not read
/// (a paragraph of 100,000 references is bounded, not walked whole).
pub const MAX_REFERENCES: usize = 10_000;

/// Every reference to a clause in `text`, with whether it names another
/// document's clause. Linear in the text.
pub fn references(text: &str, words: &[&str]) -> Vec<Reference> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let b = text.as_bytes();
    let mut at = 0;
    while at < b.len() && out.len() < MAX_REFERENCES {
        // The next word start.
        if !b[at].is_ascii_alphabetic() || (at > 0 && b[at - 1].is_ascii_alphanumeric()) {
            at += 1;
            continue;
        }
        let end = at
            + b[at..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
        let word = &lower[at..end];
        if !words.contains(&word) {
            at = end;
            continue;
        }
        let mut i = end;
        let skip_space = |i: &mut usize| {
            while *i < b.len() && b[*i] == b' ' {
                *i += 1;
            }
        };
        skip_space(&mut i);
        let Some((first, len)) = read_number(&text[i..]) else {
            at = end;
            continue;
        };
        i += len;
        // `clause 4.1A`, `section 3A`: a number of its own, read no
        // further than regdoc reads numbers.
        if text[i..].starts_with(|c: char| c.is_alphanumeric()) {
            at = i;
            continue;
        }
        let mut last = i;
        // A range or a pair: `to`, `and`, `or`, `-`, `–`.
        let mut second = None;
        let mut j = i;
        skip_space(&mut j);
        for (joiner, range) in [
            ("to", true),
            ("and", false),
            ("or", false),
            ("-", true),
            ("–", true),
        ] {
            if lower[j..].starts_with(joiner)
                && !lower[j + joiner.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            {
                let mut k = j + joiner.len();
                skip_space(&mut k);
                if let Some((n, len)) = read_number(&text[k..]) {
                    second = Some((n, range));
                    last = k + len;
                }
                break;
            }
        }
        let external = names_another_document(text, at, last);
        out.push(Reference {
            offset: at,
            len: last - at,
            word: text[at..end].to_string(),
            first,
            second,
            external,
        });
        at = last;
    }
    out
}

/// Whether the reference at `start..end` of `text` is to another
/// document's clause: a document is named right before it (a quoted
/// title, an acronym such as `SEC` or `(ETMAD)`, `Appendix X`, `Schedule
/// 2`), or right after it (`of the SEC`, `of the Grid Code`, `of ETMAD`).
/// `of this document`, `above` and `below` are this one.
fn names_another_document(text: &str, start: usize, end: usize) -> bool {
    // Before: the words of the same sentence, nearest first.
    let before = &text[..start];
    let sentence = before
        .rfind(['.', ';', ':', '\n'])
        .map_or(before, |i| &before[i + 1..]);
    let trimmed = sentence.trim_end();
    if trimmed.ends_with(['’', '\'', '"', '”', ')']) {
        // `‘… Document’ clause`, `(ETMAD) clauses`.
        if trimmed.ends_with(')') {
            let open = trimmed
                .rfind('(')
                .map_or("", |i| &trimmed[i + 1..trimmed.len() - 1]);
            return is_acronym(open);
        }
        return true;
    }
    let mut words = trimmed.split_whitespace().rev();
    let last = words.next().unwrap_or("");
    let last = last
        .trim_end_matches(['’', '\'', 's'])
        .trim_end_matches('\'');
    if is_acronym(last) {
        return true;
    }
    // `Appendix AS clause`, `Schedule 2 paragraph`.
    if let Some(prev) = words.next()
        && matches!(prev, "Appendix" | "Schedule" | "Annex" | "Part")
    {
        return true;
    }
    // After: `of the Code`, `of the SEC`, `of ETMAD` (but `of this …`).
    let after = text[end..].trim_start();
    if let Some(rest) = after
        .strip_prefix("of ")
        .or_else(|| after.strip_prefix("in "))
    {
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix("the ")
            .map(str::trim_start)
            .unwrap_or(rest);
        let next = rest.split_whitespace().next().unwrap_or("");
        let next = next.trim_end_matches([',', '.', ';', ':', ')']);
        // `of the Code`, `of their licence`, `of the relevant direction`:
        // another's; `of this document`, `of these rules`: this one's.
        return !next.is_empty()
            && !matches!(
                next.to_lowercase().as_str(),
                "this" | "these" | "above" | "below" | "it"
            );
    }
    false
}

/// An acronym naming a document: two or more capitals, perhaps with
/// digits (`SEC`, `ETMAD`, `BSC`, `REC`, `CUSC`).
fn is_acronym(w: &str) -> bool {
    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
    w.len() >= 2
        && w.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && w.chars().filter(char::is_ascii_uppercase).count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> ClauseNumber {
        read_number(s).unwrap().0
    }

    #[test]
    fn numbers_as_drafters_write_them() {
        assert_eq!(n("3.2").to_string(), "3.2");
        assert_eq!(n("4.1(a)(ii) text").to_string(), "4.1(a)(ii)");
        assert_eq!(n("A.1").parts, vec![Part::Letter('A'), Part::Number(1)]);
        assert_eq!(n("3.2.").to_string(), "3.2");
        assert!(read_number("Appendix").is_none());
        assert!(read_number(&"1.".repeat(10_000)).is_none());
        assert!(read_number(&"9".repeat(1_000)).is_none());
        assert_eq!(n("3.2").parent(), Some(n("3")));
        assert_eq!(n("3.2(a)").parent(), Some(n("3.2")));
    }

    #[test]
    fn a_block_starts_with_its_number() {
        let (c, rest) = leading_number("1. Purpose", true).unwrap();
        assert_eq!((c.to_string().as_str(), rest), ("1", "Purpose"));
        assert_eq!(leading_number("4.1 The DCC", false).unwrap().0, n("4.1"));
        assert_eq!(leading_number("(b) the next", false).unwrap().0.subs, ["b"]);
        // A sentence that starts with a year or a count is no clause.
        assert!(leading_number("2024 was the year", false).is_none());
        assert!(leading_number("3 reports are due", false).is_none());
        assert!(leading_number("3.2million", false).is_none());
    }

    #[test]
    fn references_to_this_document_and_to_others() {
        let r = references(
            "as set out in clause 3.3, see clauses 4.2 to 4.5 (inclusive)",
            &REFERENCE_WORDS,
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].first, n("3.3"));
        assert!(!r[0].external);
        assert_eq!(r[1].second, Some((n("4.5"), true)));
        let emrr = "In accordance with SEC Appendix AS ‘ECoS Transition and Migration Approach Document’ clause 4.1, the DCC";
        assert!(references(emrr, &REFERENCE_WORDS)[0].external);
        let etmad = "The ECoS Transition and Migration Approach Document (ETMAD) clauses 4.2 to 4.5 (inclusive) set out";
        assert!(references(etmad, &REFERENCE_WORDS)[0].external);
        assert!(references("under SEC clause 4.1", &REFERENCE_WORDS)[0].external);
        assert!(references("see clause 3 of the Grid Code", &REFERENCE_WORDS)[0].external);
        assert!(!references("see clause 3 of this document", &REFERENCE_WORDS)[0].external);
        assert!(!references("Clause 2.1 applies", &REFERENCE_WORDS)[0].external);
        assert_eq!(
            references("paragraph 18(b) and section 2", &REFERENCE_WORDS).len(),
            2
        );
        // Bounded: a paragraph of 100,000 references.
        let many = "clause 1.1 ".repeat(100_000);
        assert_eq!(references(&many, &REFERENCE_WORDS).len(), MAX_REFERENCES);
    }
}
