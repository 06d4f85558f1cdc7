//! Block alignment: anchors on unchanged blocks, pairs similar ones, finds
//! moves.

use rustc_hash::FxHashMap as HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::algorithms::{Step, patience};
use super::words::{self, Span};
use super::{BlockDiff, Detail, DiffOptions, Edit, Redline, table};
use crate::model::{Block, Leaf, flatten, inlines_text};

use super::tuning::{MOVE_AT, MOVE_MIN_WORDS, MOVE_PAIRS, PAIR_AT, REWRITE_BELOW, WINDOW};

/// Identity of a leaf for alignment: the block and the kinds of the
/// containers above it. Container ids and list numbers are left out:
/// renumbering a list is not a change of its items.
pub fn leaf_identity(l: &Leaf) -> u64 {
    let mut h = DefaultHasher::new();
    l.path.len().hash(&mut h);
    for f in &l.path {
        f.hash_kind(&mut h);
    }
    l.block.hash(&mut h);
    h.finish()
}

/// Compares two documents.
pub fn diff_blocks(old: &[Block], new: &[Block]) -> Redline {
    diff_blocks_with(old, new, &DiffOptions::default())
}

/// Compares two documents with options: their leaves, in reading order.
pub fn diff_blocks_with(old: &[Block], new: &[Block], opts: &DiffOptions) -> Redline {
    diff_leaves(flatten(old), flatten(new), opts)
}

/// The leaf at `i`, not yet moved into the redline.
fn at(v: &[Option<Leaf>], i: usize) -> &Leaf {
    v[i].as_ref().expect("a leaf is read before it is placed")
}

/// Compares two leaf sequences. The leaves move into the redline rather
/// than being copied: at 1,000 pages a copy of both documents is a fifth of
/// the diff's time and a third of its memory.
pub fn diff_leaves(old: Vec<Leaf>, new: Vec<Leaf>, opts: &DiffOptions) -> Redline {
    let ha: Vec<u64> = old.iter().map(leaf_identity).collect();
    let hb: Vec<u64> = new.iter().map(leaf_identity).collect();
    let mut old: Vec<Option<Leaf>> = old.into_iter().map(Some).collect();
    let mut new: Vec<Option<Leaf>> = new.into_iter().map(Some).collect();
    let mut out: Vec<BlockDiff> = Vec::new();
    for step in patience(&ha, &hb) {
        match step {
            Step::Equal(i, j, len) => {
                for k in 0..len {
                    out.push(BlockDiff::new(Edit::Unchanged {
                        old: take(&mut old, i + k),
                        new: take(&mut new, j + k),
                    }));
                }
            }
            Step::Gap(ra, rb) => pair_range(&mut out, &mut old, &mut new, ra, rb),
        }
    }
    // Word diffs of paired blocks are independent: compute them on all cores.
    let key = opts.table_key.as_deref();
    let capped = on_all_cores(
        out.iter_mut()
            .filter(|d| matches!(d.edit, Edit::Changed { .. })),
        |d| usize::from(fill_changed(d, key)),
    );
    // Where a cap of `tuning` was reached the result is exact but coarser:
    // say so, as difftastic says when it falls back.
    let mut notes = Vec::new();
    if capped > 0 {
        notes.push(format!(
            "{capped} block(s) differ in more than {} words: each differing middle is shown as one replacement",
            super::tuning::MAX_WORD_EDITS
        ));
    }
    if let Some((a, r)) = find_moves(&mut out) {
        notes.push(format!(
            "edited moves were not looked for: {a} added × {r} removed blocks is more than {} pairs; only unedited moves are shown",
            MOVE_PAIRS
        ));
    }
    set_sections(&mut out);
    Redline {
        meta: Vec::new(),
        front_matter: Default::default(),
        blocks: out,
        notes,
    }
}

/// Moves the leaf at `i` into the redline.
/// The sum of `f` over `items`, on threads of this call's own, one per
/// core, each taking the next few items as it is free. Not on rayon's
/// pool: `build` and `watch` run a mark-up's diff beside a version's
/// render, whose typst compiles hold rayon's threads for a tenth of a
/// second or more, and the diff's word diffs queued behind them (the
/// mark-up's data waited 0.1 s in a `watch` round).
fn on_all_cores<'a, T: Send + 'a>(
    items: impl Iterator<Item = &'a mut T> + Send,
    f: impl Fn(&mut T) -> usize + Sync,
) -> usize {
    const BATCH: usize = 16;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let queue = std::sync::Mutex::new(items);
    let work = || {
        let mut sum = 0;
        loop {
            let batch: Vec<&mut T> = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .by_ref()
                .take(BATCH)
                .collect();
            if batch.is_empty() {
                return sum;
            }
            sum += batch.into_iter().map(&f).sum::<usize>();
        }
    };
    if cores == 1 {
        return work();
    }
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..cores).map(|_| scope.spawn(work)).collect();
        let mut sum = work();
        for h in helpers {
            sum += h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        sum
    })
}

fn take(v: &mut [Option<Leaf>], i: usize) -> Leaf {
    v[i].take().expect("a leaf is placed once")
}

fn added(new: Leaf) -> BlockDiff {
    BlockDiff::new(Edit::Added { new })
}

fn removed(old: Leaf) -> BlockDiff {
    BlockDiff::new(Edit::Removed { old })
}

/// How alike two leaves are, 0 when they cannot be compared word by word.
fn affinity(a: &Leaf, b: &Leaf) -> f64 {
    // Leaves in different kinds of container (a list item's paragraph and
    // a top-level one) are not compared word by word: if they were, a
    // rewrite would pair every paragraph with every item near it, at twice
    // the cost, and show an item turned into a paragraph as word edits.
    let same_containers =
        a.path.len() == b.path.len() && a.path.iter().zip(&b.path).all(|(x, y)| x.same_kind(y));
    if !same_containers {
        return 0.0;
    }
    block_affinity(&a.block, &b.block)
}

fn block_affinity(a: &Block, b: &Block) -> f64 {
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
    old: &mut [Option<Leaf>],
    new: &mut [Option<Leaf>],
    ra: std::ops::Range<usize>,
    rb: std::ops::Range<usize>,
) {
    let (mut i, mut j) = (ra.start, rb.start);
    while i < ra.end && j < rb.end {
        let mut best: Option<(usize, f64)> = None;
        for k in j..rb.end.min(j + WINDOW) {
            let s = affinity(at(old, i), at(new, k));
            if s >= PAIR_AT && best.is_none_or(|(_, b)| s > b) {
                best = Some((k, s));
            }
        }
        match best {
            Some((k, _)) => {
                for n in j..k {
                    out.push(added(take(new, n)));
                }
                // A pair to compare; [`fill_changed`] does the comparing.
                out.push(BlockDiff::new(Edit::Changed {
                    old: take(old, i),
                    new: take(new, k),
                    detail: Detail::Words(Vec::new()),
                }));
                i += 1;
                j = k + 1;
            }
            None => {
                out.push(removed(take(old, i)));
                i += 1;
            }
        }
    }
    for o in i..ra.end {
        out.push(removed(take(old, o)));
    }
    for n in j..rb.end {
        out.push(added(take(new, n)));
    }
}

/// Word or table diff of a paired block; identical pairs become unchanged.
/// True when the word diff stopped at its cap.
fn fill_changed(d: &mut BlockDiff, table_key: Option<&str>) -> bool {
    let Edit::Changed {
        old: a,
        new: b,
        detail,
    } = &mut d.edit
    else {
        return false;
    };
    if leaf_identity(a) == leaf_identity(b) && a.block == b.block {
        // Paired by affinity and identical after all: say so.
        let hole = || Leaf {
            path: Vec::new(),
            block: Block::Rule,
        };
        let (old, new) = (std::mem::replace(a, hole()), std::mem::replace(b, hole()));
        d.edit = Edit::Unchanged { old, new };
        return false;
    }
    match (&a.block, &b.block) {
        (Block::Table(x), Block::Table(y)) => {
            *detail = Detail::Table(table::diff_tables_keyed(x, y, table_key));
            false
        }
        (x, y) => {
            let (spans, capped) = text_spans(x, y);
            *detail = Detail::Words(spans);
            capped
        }
    }
}

fn text_spans(a: &Block, b: &Block) -> (Vec<Span>, bool) {
    match (a.inlines(), b.inlines()) {
        (Some(x), Some(y)) => {
            let (spans, capped) = words::diff_inlines_capped(x, y);
            // Mostly rewritten: show it as one replacement, not confetti.
            if words::equal_ratio(&spans) < REWRITE_BELOW {
                (words::replace_all(x, y), capped)
            } else {
                (spans, capped)
            }
        }
        _ => {
            let x = [crate::model::Inline::plain(a.text())];
            let y = [crate::model::Inline::plain(b.text())];
            words::diff_inlines_capped(&x, &y)
        }
    }
}

/// Worth reporting as a move: not a rule or a one-word line.
fn movable(l: &Leaf) -> bool {
    !matches!(l.block, Block::Rule) && l.block.text().split_whitespace().count() >= 2
}

/// Turns a removal and an addition of the same (or a lightly edited)
/// block into a move. Returns `(added, removed)` when there were too many
/// to look for edited moves ([`MOVE_PAIRS`]).
fn find_moves(out: &mut [BlockDiff]) -> Option<(usize, usize)> {
    let removed: Vec<usize> = (0..out.len())
        .filter(|&i| removed_leaf(&out[i]).is_some_and(movable))
        .collect();
    let added: Vec<usize> = (0..out.len())
        .filter(|&i| added_leaf(&out[i]).is_some_and(movable))
        .collect();
    if removed.is_empty() || added.is_empty() {
        return None;
    }
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::default();
    for &r in removed.iter().rev() {
        by_hash
            .entry(leaf_identity(removed_leaf(&out[r]).expect("a removal")))
            .or_default()
            .push(r);
    }
    let mut used = vec![false; out.len()];
    let mut unmatched = Vec::new();
    for &a in &added {
        let h = leaf_identity(added_leaf(&out[a]).expect("an addition"));
        match by_hash.get_mut(&h).and_then(|v| v.pop()) {
            Some(r) => {
                link(out, r, a, Vec::new());
                used[r] = true;
            }
            None => unmatched.push(a),
        }
    }
    if unmatched.len() * removed.len() > MOVE_PAIRS {
        return Some((unmatched.len(), removed.len()));
    }
    for a in unmatched {
        let nb = added_leaf(&out[a]).expect("an addition").clone();
        if nb.block.inlines().is_none()
            || nb.block.text().split_whitespace().count() < MOVE_MIN_WORDS
        {
            continue;
        }
        let best = removed
            .iter()
            .filter(|&&r| !used[r])
            .map(|&r| (r, affinity(removed_leaf(&out[r]).expect("a removal"), &nb)))
            .filter(|&(_, s)| s >= MOVE_AT)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((r, _)) = best {
            let old = removed_leaf(&out[r]).expect("a removal");
            let (spans, _) = text_spans(&old.block, &nb.block);
            link(out, r, a, spans);
            used[r] = true;
        }
    }
    None
}

fn removed_leaf(d: &BlockDiff) -> Option<&Leaf> {
    match &d.edit {
        Edit::Removed { old } => Some(old),
        _ => None,
    }
}

fn added_leaf(d: &BlockDiff) -> Option<&Leaf> {
    match &d.edit {
        Edit::Added { new } => Some(new),
        _ => None,
    }
}

/// Makes removal `r` and addition `a` the two ends of one move.
fn link(out: &mut [BlockDiff], r: usize, a: usize, words: Vec<Span>) {
    let (Edit::Removed { old }, Edit::Added { new }) = (&out[r].edit, &out[a].edit) else {
        unreachable!("a move joins a removal and an addition");
    };
    let here = Edit::MovedHere {
        old: old.clone(),
        new: new.clone(),
        words,
        from: r,
    };
    let away = Edit::MovedAway {
        old: old.clone(),
        to: a,
    };
    out[r].edit = away;
    out[a].edit = here;
}

/// Gives every block the heading path above it.
fn set_sections(out: &mut [BlockDiff]) {
    let mut stack: Vec<(u8, String)> = Vec::new();
    for d in out.iter_mut() {
        // Headings of moved-away blocks are not where the reader is.
        let block = if matches!(d.edit, Edit::MovedAway { .. }) {
            d.old_block()
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
    use crate::diff::Change;
    use crate::source::markdown::parse;

    #[test]
    fn rewrite_removes_then_adds() {
        let old = parse("# A\n\nOne two three.\n\n- x y\n");
        let new = parse("# Cessation\n\nReporting ends.\n");
        let r = diff_blocks(&old, &new);
        let changes: Vec<Change> = r.blocks.iter().map(|b| b.change()).collect();
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
            r.blocks.iter().map(|b| b.change()).collect::<Vec<_>>()
        );
        assert_eq!(r.accept(), new);
        assert_eq!(r.reject(), old);
    }
}
