//! Word-level diff inside one block, tidied for people to read.

use serde::{Deserialize, Serialize};

use rustc_hash::FxHashMap as HashMap;

use super::algorithms::{Group, myers_capped};
use crate::model::{Inline, Style};

/// What happens to a span of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Equal,
    Delete,
    Insert,
}

/// A run of text with one operation and one style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub op: Op,
    pub text: String,
    #[serde(flatten)]
    pub style: Style,
}

/// A token: a word or one punctuation character, with the white space
/// after it. Keeping the spaces on the words halves the tokens the diff
/// has to align, and a change still covers whole words.
#[derive(Clone)]
struct Token<'a> {
    text: &'a str,
    style: &'a Style,
}

fn tokenize(inlines: &[Inline]) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for inline in inlines {
        let s = inline.text.as_str();
        // An image, a footnote reference or a tag is one token, even when
        // its text is empty: half of one cannot be accepted.
        if inline.is_atomic() {
            out.push(Token {
                text: s,
                style: &inline.style,
            });
            continue;
        }
        let mut start = 0;
        let mut prev: Option<u8> = None;
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        for (n, &(i, c)) in chars.iter().enumerate() {
            let mut class = char_class(c);
            // Joiners inside a word keep it whole: ECOSMIG-001, 4.1, 30,000, and/or.
            if class == 2 && prev == Some(0) {
                let next = chars.get(n + 1).map(|&(_, d)| d);
                let before = chars[n - 1].1;
                let joins = match c {
                    '-' | '/' | '_' => next.is_some_and(char::is_alphanumeric),
                    '.' | ',' => {
                        before.is_ascii_digit() && next.is_some_and(|d| d.is_ascii_digit())
                    }
                    _ => false,
                };
                if joins {
                    class = 0;
                }
            }
            // A token ends where white space stops; punctuation stands alone.
            let split = match prev {
                None => false,
                Some(p) => {
                    (p == 1 && class != 1) || (class == 2 && p != 1) || (p == 2 && class == 0)
                }
            };
            if split {
                out.push(Token {
                    text: &s[start..i],
                    style: &inline.style,
                });
                start = i;
            }
            prev = Some(class);
        }
        if start < s.len() {
            out.push(Token {
                text: &s[start..],
                style: &inline.style,
            });
        }
    }
    out
}

fn char_class(c: char) -> u8 {
    if c.is_alphanumeric() || c == '\'' || c == '’' {
        0
    } else if c.is_whitespace() {
        1
    } else {
        2
    }
}

fn is_word(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_alphanumeric())
}

fn visible_chars(t: &str) -> usize {
    t.chars().filter(|c| !c.is_whitespace()).count()
}

/// Word diff of two inline sequences. Accepting the result (equal and
/// inserted spans) gives `new` exactly; rejecting it gives `old`.
pub fn diff_inlines<'a>(old: &'a [Inline], new: &'a [Inline]) -> Vec<Span> {
    diff_inlines_capped(old, new).0
}

/// [`diff_inlines`], and whether it stopped at
/// [`super::tuning::MAX_WORD_EDITS`] (the differing middle then is one
/// replacement: exact, but coarse).
pub fn diff_inlines_capped<'a>(old: &'a [Inline], new: &'a [Inline]) -> (Vec<Span>, bool) {
    let a = tokenize(old);
    let b = tokenize(new);
    // Intern tokens so the diff compares integers.
    let mut ids: HashMap<(&str, &Style), u32> = HashMap::default();
    let mut intern = |toks: &[Token<'a>]| -> Vec<u32> {
        toks.iter()
            .map(|t| {
                let n = ids.len() as u32;
                *ids.entry((t.text, t.style)).or_insert(n)
            })
            .collect()
    };
    let ia = intern(&a);
    let ib = intern(&b);
    let (mut groups, capped) = myers_capped(&ia, &ib, super::tuning::MAX_WORD_EDITS);
    cleanup(&mut groups, &a);

    let mut spans = Vec::new();
    for g in &groups {
        match g {
            Group::Equal(ra) => emit(&mut spans, Op::Equal, &a[ra.clone()]),
            Group::Change(ra, rb) => {
                emit(&mut spans, Op::Delete, &a[ra.clone()]);
                emit(&mut spans, Op::Insert, &b[rb.clone()]);
            }
        }
    }
    tidy_whitespace(&mut spans);
    (spans, capped)
}

/// Moves white space out of the edges of changes, so a reader sees
/// `[-provides-]{+gives+} an` rather than `[-provides -]{+gives +}an`. Only
/// rotations that keep both sides' text (and the styles) exactly are made.
fn tidy_whitespace(spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < spans.len() {
        if spans[i].op == Op::Equal {
            i += 1;
            continue;
        }
        let start = i;
        while i < spans.len() && spans[i].op != Op::Equal {
            i += 1;
        }
        let end = i; // spans[start..end] is one change group
        let last_del = (start..end).rev().find(|&k| spans[k].op == Op::Delete);
        let last_ins = (start..end).rev().find(|&k| spans[k].op == Op::Insert);
        let trailing = |sp: &Span| sp.text.chars().last().filter(|c| c.is_whitespace());
        let style = spans[end - 1].style.clone();
        if spans[start..end].iter().any(|s| s.style.is_atomic()) {
            i = end;
            continue;
        }
        let next_ok = end == spans.len() || spans[end].style == style;
        match (last_del, last_ins) {
            (Some(d), Some(n)) => {
                let (cd, cn) = (trailing(&spans[d]), trailing(&spans[n]));
                if let Some(c) = cd
                    && cd == cn
                    && spans[d].style == style
                    && spans[n].style == style
                    && next_ok
                {
                    spans[d].text.pop();
                    spans[n].text.pop();
                    push_front_equal(spans, end, c, &style);
                }
            }
            (Some(k), None) | (None, Some(k)) => {
                let c = trailing(&spans[k]);
                let prev_ok = start > 0
                    && spans[start - 1].op == Op::Equal
                    && spans[start - 1].style == spans[start].style
                    && spans[start - 1].text.chars().last() == c;
                if let Some(c) = c
                    && prev_ok
                    && spans[k].style == style
                    && next_ok
                {
                    spans[start - 1].text.pop();
                    spans[start].text.insert(0, c);
                    spans[k].text.pop();
                    push_front_equal(spans, end, c, &style);
                }
            }
            (None, None) => {}
        }
        i = end;
    }
    spans.retain(|s| !s.text.is_empty() || s.style.is_atomic() || s.style.link.is_some());
}

fn push_front_equal(spans: &mut Vec<Span>, at: usize, c: char, style: &Style) {
    if at < spans.len() && spans[at].op == Op::Equal {
        spans[at].text.insert(0, c);
    } else {
        spans.insert(
            at,
            Span {
                op: Op::Equal,
                text: c.to_string(),
                style: style.clone(),
            },
        );
    }
}

/// Whole-block replacement: everything old deleted, everything new inserted.
pub fn replace_all(old: &[Inline], new: &[Inline]) -> Vec<Span> {
    let mut spans = Vec::new();
    for i in old {
        spans.push(Span {
            op: Op::Delete,
            text: i.text.clone(),
            style: i.style.clone(),
        });
    }
    for i in new {
        spans.push(Span {
            op: Op::Insert,
            text: i.text.clone(),
            style: i.style.clone(),
        });
    }
    spans
}

/// Spans of one operation for a whole inline sequence.
pub fn whole(op: Op, inlines: &[Inline]) -> Vec<Span> {
    inlines
        .iter()
        .map(|i| Span {
            op,
            text: i.text.clone(),
            style: i.style.clone(),
        })
        .collect()
}

/// Folds short equal runs between two changes into the changes, so a
/// reader sees "old phrase → new phrase" rather than confetti.
fn cleanup(groups: &mut Vec<Group>, a: &[Token<'_>]) {
    let mut i = 1;
    while i + 1 < groups.len() {
        let fold = match (&groups[i - 1], &groups[i], &groups[i + 1]) {
            (Group::Change(..), Group::Equal(ra), Group::Change(..)) => {
                let toks = &a[ra.clone()];
                let words = toks.iter().filter(|t| is_word(t.text)).count();
                let chars: usize = toks.iter().map(|t| visible_chars(t.text)).sum();
                words == 0 || (words == 1 && chars <= 3)
            }
            _ => false,
        };
        if fold {
            let (Group::Change(pa, pb), Group::Change(na, nb)) =
                (groups[i - 1].clone(), groups[i + 1].clone())
            else {
                unreachable!()
            };
            groups[i - 1] = Group::Change(pa.start..na.end, pb.start..nb.end);
            groups.drain(i..i + 2);
            i = i.max(2) - 1;
        } else {
            i += 1;
        }
    }
}

fn emit(spans: &mut Vec<Span>, op: Op, toks: &[Token<'_>]) {
    for t in toks {
        if let Some(last) = spans.last_mut()
            && last.op == op
            && &last.style == t.style
            && !t.style.is_atomic()
        {
            last.text.push_str(t.text);
            continue;
        }
        spans.push(Span {
            op,
            text: t.text.to_string(),
            style: t.style.clone(),
        });
    }
}

/// The inline runs one side of a span list gives: accepting (`new`) keeps
/// equal and inserted text, rejecting keeps equal and deleted text.
pub fn side(spans: &[Span], side: super::Side) -> Vec<Inline> {
    let new = side == super::Side::New;
    let skip = if new { Op::Delete } else { Op::Insert };
    let mut out: Vec<Inline> = Vec::new();
    for s in spans.iter().filter(|s| s.op != skip) {
        if let Some(last) = out.last_mut()
            && last.style == s.style
            && !s.style.is_atomic()
        {
            last.text.push_str(&s.text);
            continue;
        }
        out.push(Inline {
            text: s.text.clone(),
            style: s.style.clone(),
        });
    }
    out
}

/// Share of text (by characters) the two sides have in common, 0..=1.
pub fn equal_ratio(spans: &[Span]) -> f64 {
    let (mut eq, mut total) = (0usize, 0usize);
    for s in spans {
        let n = s.text.chars().count();
        total += n;
        if s.op == Op::Equal {
            eq += 2 * n;
            total += n;
        }
    }
    if total == 0 {
        1.0
    } else {
        eq as f64 / total as f64
    }
}

/// Dice similarity of the words of two texts, 0..=1; cheap enough to try
/// many pairs.
pub fn similarity(a: &str, b: &str) -> f64 {
    let mut counts: HashMap<&str, i32> = HashMap::default();
    let mut na = 0;
    for w in a
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(w).or_default() += 1;
        na += 1;
    }
    let mut nb = 0;
    let mut common = 0;
    for w in b
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        nb += 1;
        if let Some(c) = counts.get_mut(w)
            && *c > 0
        {
            *c -= 1;
            common += 1;
        }
    }
    if na + nb == 0 {
        return if a == b { 1.0 } else { 0.0 };
    }
    2.0 * common as f64 / (na + nb) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<Inline> {
        vec![Inline::plain(s)]
    }

    #[test]
    fn word_change_is_a_word() {
        let spans = diff_inlines(&p("reports are made daily"), &p("reports are made weekly"));
        let ops: Vec<(Op, &str)> = spans.iter().map(|s| (s.op, s.text.as_str())).collect();
        assert_eq!(
            ops,
            vec![
                (Op::Equal, "reports are made "),
                (Op::Delete, "daily"),
                (Op::Insert, "weekly")
            ]
        );
    }

    #[test]
    fn short_common_runs_are_folded() {
        let spans = diff_inlines(&p("alpha a beta"), &p("gamma a delta"));
        assert!(spans.iter().all(|s| s.op != Op::Equal), "{spans:?}");
        assert_eq!(side(&spans, super::super::Side::New), p("gamma a delta"));
        assert_eq!(side(&spans, super::super::Side::Old), p("alpha a beta"));
    }

    #[test]
    fn sides_are_lossless_with_styles() {
        let old = vec![
            Inline::plain("The "),
            Inline {
                text: "DCC".into(),
                style: Style {
                    strong: true,
                    ..Style::default()
                },
            },
            Inline::plain(" shall report."),
        ];
        let new = vec![Inline::plain("The DCC shall not report, ever.")];
        let spans = diff_inlines(&old, &new);
        assert_eq!(side(&spans, super::super::Side::New), new);
        assert_eq!(side(&spans, super::super::Side::Old), old);
    }
}
