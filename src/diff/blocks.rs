//! Block alignment: anchors on unchanged blocks, pairs similar ones, finds
//! moves.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use super::words::{self, Span};
use super::{BlockDiff, Change, Redline, table};
use crate::model::{Block, inlines_text};

/// Blocks looked at ahead when pairing inside a changed range. Keeps the
/// work linear on a complete rewrite.
const WINDOW: usize = 12;
/// Below this word similarity two blocks are a delete and an insert.
const PAIR_AT: f64 = 0.5;
/// A lightly edited block that moved must be at least this similar.
const MOVE_AT: f64 = 0.8;
/// Cap on removed × added pairs tried for edited moves.
const MOVE_PAIRS: usize = 250_000;

/// Identity of a block for alignment. A list item's number is left out:
/// renumbering a list is not a change of its items.
fn hash(b: &Block) -> u64 {
    let mut h = DefaultHasher::new();
    match b {
        Block::ListItem {
            depth,
            number,
            content,
        } => ("list_item", depth, number.is_some(), content).hash(&mut h),
        b => b.hash(&mut h),
    }
    h.finish()
}

/// Compares two block sequences.
pub fn diff_blocks(old: &[Block], new: &[Block]) -> Redline {
    let ha: Vec<u64> = old.iter().map(hash).collect();
    let hb: Vec<u64> = new.iter().map(hash).collect();
    let deadline = Some(Instant::now() + Duration::from_secs(2));
    let ops = capture_diff_slices_deadline(Algorithm::Patience, &ha, &hb, deadline);

    let mut out: Vec<BlockDiff> = Vec::new();
    let mut pending: Option<(usize, usize, usize, usize)> = None;
    let flush = |out: &mut Vec<BlockDiff>, p: &mut Option<(usize, usize, usize, usize)>| {
        if let Some((i0, i1, j0, j1)) = p.take() {
            pair_range(out, old, new, i0..i1, j0..j1);
        }
    };
    for op in ops {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                flush(&mut out, &mut pending);
                for k in 0..len {
                    out.push(diff_of(
                        Change::Unchanged,
                        Some(&old[old_index + k]),
                        Some(&new[new_index + k]),
                    ));
                }
            }
            op => {
                let (ra, rb) = (op.old_range(), op.new_range());
                pending = Some(match pending {
                    Some((i0, _, j0, _)) => (i0, ra.end, j0, rb.end),
                    None => (ra.start, ra.end, rb.start, rb.end),
                });
            }
        }
    }
    flush(&mut out, &mut pending);
    find_moves(&mut out);
    set_sections(&mut out);
    Redline {
        meta: Vec::new(),
        blocks: out,
    }
}

fn diff_of(change: Change, old: Option<&Block>, new: Option<&Block>) -> BlockDiff {
    BlockDiff {
        change,
        old: old.cloned(),
        new: new.cloned(),
        words: Vec::new(),
        table: None,
        section: Vec::new(),
        partner: None,
    }
}

/// How alike two blocks are, 0 when they cannot be compared word by word.
fn affinity(a: &Block, b: &Block) -> f64 {
    if !a.same_shape(b) {
        return 0.0;
    }
    if let (Block::Table(x), Block::Table(y)) = (a, b) {
        let hx: Vec<String> = x
            .header
            .iter()
            .map(|h| inlines_text(h).to_lowercase())
            .collect();
        let shared = y
            .header
            .iter()
            .filter(|h| hx.contains(&inlines_text(h).to_lowercase()))
            .count();
        if shared > 0 {
            return 1.0;
        }
    }
    words::similarity(&a.text(), &b.text())
}

/// Pairs the blocks of a changed range: similar blocks of the same shape
/// become word-level changes, the rest whole removals and additions.
fn pair_range(
    out: &mut Vec<BlockDiff>,
    old: &[Block],
    new: &[Block],
    ra: std::ops::Range<usize>,
    rb: std::ops::Range<usize>,
) {
    let (mut i, mut j) = (ra.start, rb.start);
    while i < ra.end && j < rb.end {
        let mut best: Option<(usize, f64)> = None;
        for (k, candidate) in new.iter().enumerate().take(rb.end.min(j + WINDOW)).skip(j) {
            let s = affinity(&old[i], candidate);
            if s >= PAIR_AT && best.is_none_or(|(_, b)| s > b) {
                best = Some((k, s));
            }
        }
        match best {
            Some((k, _)) => {
                for n in &new[j..k] {
                    out.push(diff_of(Change::Added, None, Some(n)));
                }
                out.push(changed(&old[i], &new[k]));
                i += 1;
                j = k + 1;
            }
            None => {
                out.push(diff_of(Change::Removed, Some(&old[i]), None));
                i += 1;
            }
        }
    }
    for o in &old[i..ra.end] {
        out.push(diff_of(Change::Removed, Some(o), None));
    }
    for n in &new[j..rb.end] {
        out.push(diff_of(Change::Added, None, Some(n)));
    }
}

/// The diff of two paired blocks.
fn changed(a: &Block, b: &Block) -> BlockDiff {
    let mut d = diff_of(Change::Changed, Some(a), Some(b));
    match (a, b) {
        (Block::Table(x), Block::Table(y)) => d.table = Some(table::diff_tables(x, y)),
        _ => d.words = text_spans(a, b),
    }
    if hash(a) == hash(b) && a.text() == b.text() {
        d.change = Change::Unchanged;
        d.words.clear();
        d.table = None;
    }
    d
}

fn text_spans(a: &Block, b: &Block) -> Vec<Span> {
    match (a.inlines(), b.inlines()) {
        (Some(x), Some(y)) => {
            let spans = words::diff_inlines(x, y);
            // Mostly rewritten: show it as one replacement, not confetti.
            if words::equal_ratio(&spans) < 0.3 {
                words::replace_all(x, y)
            } else {
                spans
            }
        }
        _ => {
            let x = [crate::model::Inline::plain(a.text())];
            let y = [crate::model::Inline::plain(b.text())];
            words::diff_inlines(&x, &y)
        }
    }
}

/// Worth reporting as a move: not a rule or a one-word line.
fn movable(b: &Block) -> bool {
    !matches!(b, Block::Rule) && b.text().split_whitespace().count() >= 2
}

/// Turns a removal and an addition of the same (or a lightly edited)
/// block into a move.
fn find_moves(out: &mut [BlockDiff]) {
    let removed: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].change == Change::Removed && out[i].old.as_ref().is_some_and(movable))
        .collect();
    let added: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].change == Change::Added && out[i].new.as_ref().is_some_and(movable))
        .collect();
    if removed.is_empty() || added.is_empty() {
        return;
    }
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    for &r in removed.iter().rev() {
        by_hash
            .entry(hash(out[r].old.as_ref().expect("old")))
            .or_default()
            .push(r);
    }
    let mut used = vec![false; out.len()];
    let mut unmatched = Vec::new();
    for &a in &added {
        let h = hash(out[a].new.as_ref().expect("new"));
        match by_hash.get_mut(&h).and_then(|v| v.pop()) {
            Some(r) => {
                link(out, r, a, Vec::new());
                used[r] = true;
            }
            None => unmatched.push(a),
        }
    }
    if unmatched.len() * removed.len() > MOVE_PAIRS {
        return;
    }
    for a in unmatched {
        let nb = out[a].new.clone().expect("new");
        if nb.inlines().is_none() || nb.text().split_whitespace().count() < 8 {
            continue;
        }
        let best = removed
            .iter()
            .filter(|&&r| !used[r])
            .map(|&r| (r, affinity(out[r].old.as_ref().expect("old"), &nb)))
            .filter(|&(_, s)| s >= MOVE_AT)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((r, _)) = best {
            let spans = text_spans(out[r].old.as_ref().expect("old"), &nb);
            link(out, r, a, spans);
            used[r] = true;
        }
    }
}

fn link(out: &mut [BlockDiff], r: usize, a: usize, spans: Vec<Span>) {
    out[r].change = Change::MovedAway;
    out[r].partner = Some(a);
    out[a].change = Change::MovedHere;
    out[a].partner = Some(r);
    out[a].old = out[r].old.clone();
    out[a].words = spans;
}

/// Gives every block the heading path above it.
fn set_sections(out: &mut [BlockDiff]) {
    let mut stack: Vec<(u8, String)> = Vec::new();
    for d in out.iter_mut() {
        // Headings of moved-away blocks are not where the reader is.
        let block = if d.change == Change::MovedAway {
            d.old.as_ref()
        } else {
            Some(d.shown())
        };
        if let Some(Block::Heading { level, content }) = block {
            while stack.last().is_some_and(|(l, _)| l >= level) {
                stack.pop();
            }
            stack.push((*level, inlines_text(content)));
        }
        d.section = stack.iter().map(|(_, t)| t.clone()).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::markdown::parse;

    #[test]
    fn rewrite_removes_then_adds() {
        let old = parse("# A\n\nOne two three.\n\n- x y\n");
        let new = parse("# Cessation\n\nReporting ends.\n");
        let r = diff_blocks(&old, &new);
        let changes: Vec<Change> = r.blocks.iter().map(|b| b.change).collect();
        assert_eq!(
            changes,
            vec![
                Change::Removed,
                Change::Removed,
                Change::Removed,
                Change::Added,
                Change::Added
            ]
        );
        assert_eq!(r.accept(), new);
        assert_eq!(r.reject(), old);
    }

    #[test]
    fn moved_paragraph_is_a_move() {
        let old = parse("First para here now.\n\nSecond para stays put.\n\nThird para is last.\n");
        let new = parse("Second para stays put.\n\nThird para is last.\n\nFirst para here now.\n");
        let r = diff_blocks(&old, &new);
        assert_eq!(
            r.stats().moved,
            1,
            "{:?}",
            r.blocks.iter().map(|b| b.change).collect::<Vec<_>>()
        );
        assert_eq!(r.accept(), new);
        assert_eq!(r.reject(), old);
    }
}
