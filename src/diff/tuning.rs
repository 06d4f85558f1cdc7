//! Every threshold of the diff engine, in one place, with why it is what it
//! is.
//!
//! # Which threshold should you change?
//!
//! Mostly none: each was set against the EMRR, the real-Markdown corpus
//! (`tests/corpus/real`) and the generated 1,000-page documents of
//! BENCHMARKS.md, and each trades readability of the mark-up against its
//! cost. What moves when you change one:
//!
//! | if reviewers see… | look at | raise it to… | lower it to… |
//! |---|---|---|---|
//! | a rewritten paragraph shown as word confetti | [`REWRITE_BELOW`] | show more blocks replaced whole | keep more word-level detail |
//! | two unrelated paragraphs compared word by word | [`PAIR_AT`] | pair fewer blocks (more delete + insert) | pair more |
//! | a moved and edited block shown as delete + insert | [`MOVE_AT`], [`MOVE_MIN_WORDS`] | find fewer moves | find more (and more false ones) |
//! | a table row edited in its key column shown as removed + added | [`ROW_PAIR_AT`] | pair fewer rows | pair more |
//! | a slow diff of a complete rewrite | [`WINDOW`], [`MOVE_PAIRS`], [`MAX_WORD_EDITS`] | better pairing, more time | less time, coarser result |
//!
//! None of them is a deadline: the same input gives the same mark-up on
//! every machine, however loaded. Where a cap is reached the result is
//! coarser but still exact (accept-all and reject-all still give the two
//! versions), and the redline says so in its [`super::Redline::notes`].

/// Blocks looked at ahead when pairing inside a changed range. Pairing is
/// a search for the most similar block; without a window a complete
/// rewrite of n blocks costs n² comparisons. Twelve covers the reordering
/// seen in real revisions (a clause moved a few paragraphs); farther moves
/// are found by the move pass instead.
pub const WINDOW: usize = 12;

/// Word similarity (0–1) from which two blocks in a changed range are one
/// block edited rather than one deleted and another inserted. Below half
/// the words in common, a word diff is mostly deletions and insertions
/// anyway, and reads worse than the two blocks whole.
pub const PAIR_AT: f64 = 0.5;

/// A paired block whose word diff keeps less than this share of its text
/// is shown replaced whole. If we don't do this, a paragraph rewritten but
/// for a few "the"s and "of"s becomes confetti of one-word changes.
pub const REWRITE_BELOW: f64 = 0.3;

/// Similarity from which a block deleted in one place and inserted in
/// another is a move (possibly lightly edited). Higher than [`PAIR_AT`]:
/// calling two different paragraphs "the same, moved" misleads more than
/// missing a move does.
pub const MOVE_AT: f64 = 0.8;

/// Blocks shorter than this many words are never called moved unless
/// identical: short lines ("Not used.", "See above.") recur everywhere and
/// would pair by accident.
pub const MOVE_MIN_WORDS: usize = 8;

/// Most removed × added pairs tried when looking for edited moves. The
/// search is quadratic; past this (a wholesale rewrite) only identical
/// moves are found, and the redline notes it.
pub const MOVE_PAIRS: usize = 250_000;

/// Row similarity from which a table row whose key cell changed is still
/// the same row (edited), as for blocks ([`PAIR_AT`]).
pub const ROW_PAIR_AT: f64 = 0.5;

/// Most edits Myers' algorithm looks for between two paragraphs' words.
/// Its cost grows with the square of the edits; past this the differing
/// middle is one replacement, and the redline notes it.
pub const MAX_WORD_EDITS: usize = 1200;
