//! The diff engine alone, on generated documents of 10, 100 and 1,000 pages
//! and each edit pattern: `cargo bench --bench diff`.
//!
//! Parsing is done before timing; what is timed is `diff_blocks` (block
//! alignment, table rows, word diffs, moves).

#[path = "support/generate.rs"]
mod generate;

use generate::{Edit, document, edit, markdown};
use regdoc::model::Block;

fn main() {
    divan::main();
}

fn pair(pages: usize, pattern: Edit) -> (Vec<Block>, Vec<Block>) {
    let old = document(pages, pages as u64);
    let new = edit(&old, pattern, pages as u64);
    (
        regdoc::source::markdown::parse(&markdown(&old, None)),
        regdoc::source::markdown::parse(&markdown(&new, None)),
    )
}

fn run(bencher: divan::Bencher, pages: usize, pattern: Edit) {
    let (old, new) = pair(pages, pattern);
    bencher.bench(|| regdoc::diff::diff_blocks(divan::black_box(&old), divan::black_box(&new)));
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn words_1pct(bencher: divan::Bencher, pages: usize) {
    run(bencher, pages, Edit::Words1);
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn words_10pct(bencher: divan::Bencher, pages: usize) {
    run(bencher, pages, Edit::Words10);
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn table_rows(bencher: divan::Bencher, pages: usize) {
    run(bencher, pages, Edit::Rows);
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn sections_moved(bencher: divan::Bencher, pages: usize) {
    run(bencher, pages, Edit::Moves);
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn rewrite(bencher: divan::Bencher, pages: usize) {
    run(bencher, pages, Edit::Rewrite);
}

/// Parsing Markdown into blocks, for scale.
#[divan::bench(args = [10, 100, 1000], sample_count = 10)]
fn parse(bencher: divan::Bencher, pages: usize) {
    let text = markdown(&document(pages, pages as u64), None);
    bencher.bench(|| regdoc::source::markdown::parse(divan::black_box(&text)));
}

/// regdoc's own alignments against `similar`'s on the same inputs: why
/// `diff::algorithms` keeps its own code (see its module doc and
/// BENCHMARKS.md, "Alignment algorithms").
mod algorithms {
    use similar::{Algorithm, capture_diff_slices};

    /// One hash a leaf, as the block alignment sees the documents.
    fn hashes(blocks: &[regdoc::model::Block]) -> Vec<u64> {
        regdoc::model::flatten(blocks)
            .iter()
            .map(regdoc::diff::leaf_identity)
            .collect()
    }

    fn block_pair(pattern: super::Edit) -> (Vec<u64>, Vec<u64>) {
        let (old, new) = super::pair(1000, pattern);
        (hashes(&old), hashes(&new))
    }

    #[divan::bench(args = ["10pct", "rewrite"], sample_count = 5)]
    fn blocks_patience_regdoc(bencher: divan::Bencher, case: &str) {
        let (a, b) = block_pair(edit_of(case));
        bencher.bench(|| regdoc::diff::algorithms::patience(divan::black_box(&a), &b));
    }

    #[divan::bench(args = ["10pct", "rewrite"], sample_count = 5)]
    fn blocks_patience_similar(bencher: divan::Bencher, case: &str) {
        let (a, b) = block_pair(edit_of(case));
        bencher.bench(|| capture_diff_slices(Algorithm::Patience, divan::black_box(&a), &b));
    }

    fn edit_of(case: &str) -> super::Edit {
        match case {
            "10pct" => super::Edit::Words10,
            _ => super::Edit::Rewrite,
        }
    }

    /// A paragraph of `n` words drawn from a vocabulary of a few hundred
    /// (as prose reuses words), and the same paragraph with every tenth
    /// word replaced (`rewrite` false) or an unrelated one (true).
    fn word_pair(n: usize, rewrite: bool) -> (Vec<u32>, Vec<u32>) {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 400) as u32
        };
        let a: Vec<u32> = (0..n).map(|_| next()).collect();
        let b: Vec<u32> = if rewrite {
            (0..n).map(|_| next()).collect()
        } else {
            a.iter()
                .enumerate()
                .map(|(i, &w)| if i % 10 == 5 { next() + 400 } else { w })
                .collect()
        };
        (a, b)
    }

    const WORD_CASES: [(usize, bool); 4] =
        [(200, false), (3000, false), (3000, true), (20000, true)];

    fn word_case(case: &str) -> (Vec<u32>, Vec<u32>) {
        let (n, rewrite) = match case {
            "200 words, 10%" => WORD_CASES[0],
            "3000 words, 10%" => WORD_CASES[1],
            "3000 words, rewrite" => WORD_CASES[2],
            _ => WORD_CASES[3],
        };
        word_pair(n, rewrite)
    }

    #[divan::bench(
        args = ["200 words, 10%", "3000 words, 10%", "3000 words, rewrite", "20000 words, rewrite"],
        sample_count = 5
    )]
    fn words_myers_regdoc(bencher: divan::Bencher, case: &str) {
        let (a, b) = word_case(case);
        bencher.bench(|| {
            regdoc::diff::algorithms::myers_capped(
                divan::black_box(&a),
                &b,
                regdoc::diff::tuning::MAX_WORD_EDITS,
            )
        });
    }

    #[divan::bench(
        args = ["200 words, 10%", "3000 words, 10%", "3000 words, rewrite", "20000 words, rewrite"],
        sample_count = 5
    )]
    fn words_myers_similar(bencher: divan::Bencher, case: &str) {
        let (a, b) = word_case(case);
        bencher.bench(|| capture_diff_slices(Algorithm::Myers, divan::black_box(&a), &b));
    }
}
