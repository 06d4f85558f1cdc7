//! Word-level diff inside one block, tidied for people to read.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

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

/// How long one block's word diff may search before settling for a
/// coarser (still correct) answer.
const DEADLINE: Duration = Duration::from_millis(200);

/// A token: a word, a run of white space, or one punctuation character.
#[derive(Clone)]
struct Token<'a> {
    text: &'a str,
    style: &'a Style,
}

fn tokenize(inlines: &[Inline]) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for inline in inlines {
        let s = inline.text.as_str();
        let mut start = 0;
        let mut prev: Option<u8> = None;
        for (i, c) in s.char_indices() {
            let class = char_class(c);
            // Punctuation stands alone; words and spaces run on.
            let split = match prev {
                None => false,
                Some(p) => p != class || class == 2,
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

/// Word diff of two inline sequences. Accepting the result (equal and
/// inserted spans) gives `new` exactly; rejecting it gives `old`.
pub fn diff_inlines<'a>(old: &'a [Inline], new: &'a [Inline]) -> Vec<Span> {
    let a = tokenize(old);
    let b = tokenize(new);
    // Intern tokens so the diff compares integers.
    let mut ids: HashMap<(&str, &Style), u32> = HashMap::new();
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
    let ops =
        capture_diff_slices_deadline(Algorithm::Myers, &ia, &ib, Some(Instant::now() + DEADLINE));

    // Groups: Equal(range in a) or Change(range in a, range in b).
    let mut groups: Vec<Group> = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                groups.push(Group::Equal(old_index..old_index + len))
            }
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => push_change(
                &mut groups,
                old_index..old_index + old_len,
                new_index..new_index,
            ),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => push_change(
                &mut groups,
                old_index..old_index,
                new_index..new_index + new_len,
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => push_change(
                &mut groups,
                old_index..old_index + old_len,
                new_index..new_index + new_len,
            ),
        }
    }
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
    spans
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

#[derive(Debug, Clone)]
enum Group {
    Equal(std::ops::Range<usize>),
    Change(std::ops::Range<usize>, std::ops::Range<usize>),
}

fn push_change(groups: &mut Vec<Group>, ra: std::ops::Range<usize>, rb: std::ops::Range<usize>) {
    if let Some(Group::Change(pa, pb)) = groups.last_mut() {
        pa.end = ra.end.max(pa.end);
        pb.end = rb.end.max(pb.end);
        return;
    }
    groups.push(Group::Change(ra, rb));
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
                let chars: usize = toks.iter().map(|t| t.text.chars().count()).sum();
                words == 0 || (words == 1 && chars <= 4)
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
pub fn side(spans: &[Span], new: bool) -> Vec<Inline> {
    let skip = if new { Op::Delete } else { Op::Insert };
    let mut out: Vec<Inline> = Vec::new();
    for s in spans.iter().filter(|s| s.op != skip) {
        if let Some(last) = out.last_mut()
            && last.style == s.style
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
    let mut counts: HashMap<&str, i32> = HashMap::new();
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
        assert_eq!(side(&spans, true), p("gamma a delta"));
        assert_eq!(side(&spans, false), p("alpha a beta"));
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
        assert_eq!(side(&spans, true), new);
        assert_eq!(side(&spans, false), old);
    }
}
