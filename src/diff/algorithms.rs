//! The two sequence alignments of the diff engine, and why they are not
//! `similar`'s.
//!
//! # Which algorithm does regdoc use where?
//!
//! | what is aligned | algorithm | why |
//! |---|---|---|
//! | blocks of two documents | [`patience`] (here) | unique blocks anchor; what lies between anchors is paired by similarity, never by a quadratic search |
//! | words of two paired blocks | [`myers_capped`] (here) | minimal edits, with a cap on edits that is a count, not a clock |
//! | rows of two tables, by key | `similar`'s patience | tables are small, and rows with no unique key are rare |
//! | columns of two tables, by header | `similar`'s Myers | a handful of headers |
//!
//! # Why not `similar` for blocks and words too?
//!
//! `similar` is used wherever it does the job (tables). For blocks and
//! words, `benches/diff.rs` (`algorithms`) runs both on the same inputs;
//! the numbers are in BENCHMARKS.md ("Alignment algorithms"). In short:
//!
//! - **Blocks.** `similar`'s patience falls back to its Myers between
//!   anchors, so a wholesale rewrite (no anchors at all) costs
//!   O((N+M)·D) with D ≈ N+M: quadratic in the document. [`patience`] hands
//!   an anchorless range to the windowed pairing of `blocks.rs`, which is
//!   linear.
//! - **Words.** `similar`'s Myers can only be stopped by a deadline
//!   (`Instant`), and regdoc promises the same bytes for the same input on
//!   every machine, however loaded. [`myers_capped`] stops after a fixed
//!   number of edits ([`super::tuning::MAX_WORD_EDITS`]) and reports it, so
//!   a rewritten 100,000-word paragraph costs the same bounded time
//!   everywhere and gives the same (coarse, exact) answer.

use std::ops::Range;

use rustc_hash::FxHashMap as HashMap;

/// A step of the block alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `len` equal items from `old` and `new`.
    Equal(usize, usize, usize),
    /// Ranges with no anchor in them, to be paired some other way.
    Gap(Range<usize>, Range<usize>),
}

/// Patience alignment of block hashes: blocks that occur once on each side
/// anchor the alignment (their longest increasing run), recursively; what
/// lies between anchors is a gap, which the block diff pairs by similarity.
/// Unlike Myers it cannot go quadratic when most blocks changed, and it
/// needs no deadline, so the same input always gives the same answer.
pub fn patience(a: &[u64], b: &[u64]) -> Vec<Step> {
    let mut out = Vec::new();
    patience_into(a, b, 0, 0, &mut out);
    out
}

fn patience_into(a: &[u64], b: &[u64], a0: usize, b0: usize, out: &mut Vec<Step>) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if pre > 0 {
        out.push(Step::Equal(a0, b0, pre));
    }
    let (a, b) = (&a[pre..], &b[pre..]);
    let (a0, b0) = (a0 + pre, b0 + pre);
    let suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suf], &b[..b.len() - suf]);
    if !a.is_empty() || !b.is_empty() {
        // Hashes unique on both sides, in the order of `a`.
        let mut count: HashMap<u64, (u32, u32, usize, usize)> = HashMap::default();
        for (i, h) in a.iter().enumerate() {
            let e = count.entry(*h).or_insert((0, 0, i, 0));
            e.0 += 1;
        }
        for (j, h) in b.iter().enumerate() {
            if let Some(e) = count.get_mut(h) {
                e.1 += 1;
                e.3 = j;
            }
        }
        let mut pairs: Vec<(usize, usize)> = count
            .values()
            .filter(|e| e.0 == 1 && e.1 == 1)
            .map(|e| (e.2, e.3))
            .collect();
        pairs.sort_unstable();
        let anchors = longest_increasing(&pairs);
        if anchors.is_empty() {
            out.push(Step::Gap(a0..a0 + a.len(), b0..b0 + b.len()));
        } else {
            let (mut i, mut j) = (0, 0);
            for (ai, bj) in anchors {
                patience_into(&a[i..ai], &b[j..bj], a0 + i, b0 + j, out);
                out.push(Step::Equal(a0 + ai, b0 + bj, 1));
                i = ai + 1;
                j = bj + 1;
            }
            patience_into(&a[i..], &b[j..], a0 + i, b0 + j, out);
        }
    }
    if suf > 0 {
        out.push(Step::Equal(a0 + a.len(), b0 + b.len(), suf));
    }
}

/// The longest run of `pairs` (sorted by the first) increasing in the
/// second: patience sorting, O(n log n).
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut tails: Vec<usize> = Vec::new(); // index into pairs
    let mut prev: Vec<Option<usize>> = vec![None; pairs.len()];
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let pos = tails.partition_point(|&t| pairs[t].1 < j);
        if pos > 0 {
            prev[k] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(k);
        } else {
            tails[pos] = k;
        }
    }
    let mut out = Vec::new();
    let mut cur = tails.last().copied();
    while let Some(k) = cur {
        out.push(pairs[k]);
        cur = prev[k];
    }
    out.reverse();
    out
}

/// Aligns two token sequences: equal runs and changes, in order, and
/// whether it stopped at `max_edits` (the differing middle is then one
/// change).
///
/// A plain O((N+M)·D) Myers with the common prefix and suffix trimmed; word
/// diffs inside one block are short, so keeping every round's frontier is
/// cheap.
pub fn myers_capped(a: &[u32], b: &[u32], max_edits: usize) -> (Vec<Group>, bool) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut groups = Vec::new();
    if pre > 0 {
        groups.push(Group::Equal(0..pre));
    }
    // Past `max_edits` differences the middle is one replacement: coarse
    // but exact, and the same on every machine (no deadline).
    let found = myers(ma, mb, max_edits);
    let capped = found.is_none();
    let middle = found.unwrap_or_else(|| {
        if ma.is_empty() && mb.is_empty() {
            Vec::new()
        } else {
            vec![Group::Change(0..ma.len(), 0..mb.len())]
        }
    });
    for g in middle {
        groups.push(match g {
            Group::Equal(r) => Group::Equal(r.start + pre..r.end + pre),
            Group::Change(ra, rb) => {
                Group::Change(ra.start + pre..ra.end + pre, rb.start + pre..rb.end + pre)
            }
        });
    }
    if suf > 0 {
        groups.push(Group::Equal(a.len() - suf..a.len()));
    }
    (groups, capped)
}

fn myers(a: &[u32], b: &[u32], max_edits: usize) -> Option<Vec<Group>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 && m == 0 {
        return Some(Vec::new());
    }
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'outer: for d in 0..=max.min(max_edits) as isize {
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let i = (off + k) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1]
            } else {
                v[i - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                found = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let dmax = found?;
    // Walk back through the frontiers: each round is one insert or delete
    // followed by a run of equal tokens.
    let mut steps: Vec<(isize, isize, isize, isize)> = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=dmax).rev() {
        let vd = &trace[d as usize];
        let get = |k: isize| vd[(k + d) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && get(k - 1) < get(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let px = get(prev_k);
        let py = px - prev_k;
        steps.push((px, py, x, y));
        x = px;
        y = py;
    }
    steps.reverse();
    let mut groups: Vec<Group> = Vec::new();
    // The snake of round 0.
    if x > 0 {
        groups.push(Group::Equal(0..x as usize));
    }
    for (px, py, nx, ny) in steps {
        // One edit (x moves: delete; y moves: insert), then equal tokens.
        let (ex, ey) = if prev_was_delete(px, py, nx, ny) {
            (px + 1, py)
        } else {
            (px, py + 1)
        };
        let (ra, rb) = (px as usize..ex as usize, py as usize..ey as usize);
        match groups.last_mut() {
            Some(Group::Change(ga, gb)) if ga.end == ra.start && gb.end == rb.start => {
                ga.end = ra.end;
                gb.end = rb.end;
            }
            _ => groups.push(Group::Change(ra, rb)),
        }
        if nx > ex {
            groups.push(Group::Equal(ex as usize..nx as usize));
        }
    }
    Some(groups)
}

/// Whether the edit from (px, py) to the snake ending at (nx, ny) was a
/// deletion: the diagonal moved by one towards x.
fn prev_was_delete(px: isize, py: isize, nx: isize, ny: isize) -> bool {
    (nx - ny) == (px - py) + 1
}

/// A run of an alignment: equal items, or items of `old` replaced by
/// items of `new` (either range may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Group {
    Equal(Range<usize>),
    Change(Range<usize>, Range<usize>),
}
