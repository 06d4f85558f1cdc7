//! What each fuzz target checks, shared by the targets (`cargo fuzz run
//! NAME`) and by `tests/fuzz_corpus.rs`, which replays the whole corpus and
//! every crash ever found (`fuzz/regressions/`) on each `cargo test`.
//!
//! Each check takes any text: it must never panic, and it asserts what
//! regdoc promises of that input.

// Each fuzz target uses one check of this file.
#![allow(dead_code)]

use std::path::Path;

use regdoc::render::markdown::{apply_critic, blocks_md, critic_markup};
use regdoc::render::{data, docx, html, json, terminal};
use regdoc::source::markdown::{parse, parse_with_limits};
use regdoc::source::{assets::Images, parse_plain_markdown};

/// Front matter of every kind, strict (a governed version) and lenient
/// (any Markdown file): errors, never a panic, and bounded work.
pub fn front_matter(text: &str) {
    if let Err(e) = regdoc::source::parse_version(Path::new("v1.0.md"), text.to_string()) {
        // Every error is located in the file it names.
        assert!(e.path.is_some(), "{e:?}");
    }
    let _ = regdoc::source::parse_markdown_file("doc/v1.0.md", text);
    // Any Markdown file: its front matter kept verbatim.
    if let Ok(doc) = parse_plain_markdown("a.md", text)
        && let Some(fm) = &doc.front_matter
    {
        assert!(text.contains(&fm.raw));
    }
    let _ = regdoc::source::yaml::top_level_fields(text);
    let _ = regdoc::source::yaml::guard(text);
}

/// Markdown → model → Markdown: the tree a file reads as is the tree its
/// Markdown output reads as (after one normalising pass), and the tree's
/// leaves rebuild the tree.
pub fn markdown(text: &str) {
    let (blocks, limits) = parse_with_limits(text);
    for l in &limits {
        assert!(l.offset <= text.len());
    }
    if !limits.is_empty() {
        return;
    }
    let once = parse(&blocks_md(&blocks));
    let twice = parse(&blocks_md(&once));
    assert_eq!(
        once,
        twice,
        "Markdown output is not stable:\n{}",
        blocks_md(&once)
    );
    let leaves = regdoc::model::flatten(&blocks);
    assert_eq!(regdoc::model::unflatten(&leaves), blocks);
}

/// Two documents from one input: split at the first `\n====\n`, or halved.
pub fn sides(text: &str) -> (&str, &str) {
    match text.split_once("\n====\n") {
        Some(p) => p,
        None => {
            let mut mid = text.len() / 2;
            while !text.is_char_boundary(mid) {
                mid -= 1;
            }
            text.split_at(mid)
        }
    }
}

/// The diff of two inputs is lossless: accepting every change gives the
/// new side, rejecting every change the old, in the model and in
/// CriticMarkup.
pub fn diff(text: &str) {
    let (a, b) = sides(text);
    // Normal form: what a Markdown file reads back as (see `markdown`).
    let (old, new) = (parse(&blocks_md(&parse(a))), parse(&blocks_md(&parse(b))));
    let r = regdoc::diff::diff_blocks(&old, &new);
    assert_eq!(r.accept(), new);
    assert_eq!(r.reject(), old);
    let md = critic_markup(&r);
    assert_eq!(
        parse(&apply_critic(&md, regdoc::diff::Side::New)),
        new,
        "accept-all:\n{md}"
    );
    assert_eq!(
        parse(&apply_critic(&md, regdoc::diff::Side::Old)),
        old,
        "reject-all:\n{md}"
    );
}

/// Every output format, and the PDF templates' data, of the diff of two
/// arbitrary files (front matter included): no panic, well-formed output,
/// no control character in terminal text.
pub fn outputs(text: &str) {
    let (a, b) = sides(text);
    let (Ok(old), Ok(new)) = (
        parse_plain_markdown("a.md", a),
        parse_plain_markdown("b.md", b),
    ) else {
        return;
    };
    let r = regdoc::diff::diff_docs(&old, &new);
    let term = terminal::redline_term(&old, &new, &r, true);
    // Only regdoc's own colour codes: source text never brings an ESC.
    let stripped = term.replace("\u{1b}[", "");
    assert!(!stripped.contains('\u{1b}'), "{term:?}");
    let _ = critic_markup(&r);
    let j = json::redline_json(&old, &new, &r);
    serde_json::from_str::<serde_json::Value>(&j).expect("valid JSON");
    let _ = html::redline_html(&old, &new, &r, &Images::default());
    let rev = docx::Revision {
        author: "fuzz".into(),
        date: "2024-06-10T00:00:00Z".into(),
    };
    if let Ok(bytes) = docx::redline_docx(&old, &new, &r, &rev, &Images::default()) {
        assert!(bytes.starts_with(b"PK"));
    }
    let v = data::version_data(None, &new);
    let m = data::markup_data(None, &old, &new, &r, Some("Attachment 1"));
    serde_json::to_string(&v).expect("data");
    serde_json::to_string(&m).expect("data");
}

/// A returned response template: any bytes (a zip, a Word file, a zip
/// bomb, broken XML) give a response or an error, never a panic; a
/// response answers every question, once.
pub fn response(bytes: &[u8]) {
    let c = regdoc::source::parse_consultation(
        Path::new("v3.0.md"),
        include_str!("../documents/emrr/consultations/v3.0.md").to_string(),
    )
    .expect("the bundled consultation parses");
    if let Ok(r) =
        regdoc::source::response::response_from_bytes(Path::new("r.docx"), bytes, &c.meta)
    {
        assert_eq!(r.answers.len(), c.meta.questions.len());
        for (a, q) in r.answers.iter().zip(&c.meta.questions) {
            assert_eq!(a.question, q.id);
        }
        serde_json::to_string(&r).expect("JSON of a response");
    }
}
