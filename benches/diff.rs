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
