//! Long documents: each top-level section on a new page (so that typst
//! lays sections out in parallel), page numbers stamped after layout, and
//! the same bytes whatever the number of cores.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// A plain Markdown file of `sections` top-level sections, each of
/// `paragraphs` paragraphs of about 600 characters.
fn code(sections: usize, paragraphs: usize, edit: bool) -> String {
    let words = [
        "Supplier",
        "shall",
        "notify",
        "the",
        "DCC",
        "of",
        "each",
        "Migration",
        "within",
        "five",
        "Working",
        "Days",
        "and",
        "publish",
        "a",
        "report",
        "monthly",
    ];
    let mut s = String::from("# A long code\n\n");
    for i in 1..=sections {
        s.push_str(&format!("## {i}. Section {i}\n\n"));
        for p in 1..=paragraphs {
            let mut para = format!("{i}.{p} ");
            for w in 0..90 {
                para.push_str(words[(i * 7 + p * 3 + w) % words.len()]);
                para.push(' ');
            }
            if edit && p == 2 {
                para.push_str("amended ");
            }
            s.push_str(para.trim_end());
            s.push_str(".\n\n");
        }
    }
    s
}

fn pages_text(pdf: &Path) -> Vec<String> {
    (1..=page_count(pdf))
        .map(|p| pdf_text(pdf, Some(p)))
        .collect()
}

/// The body's first line on a page: after the running header (the
/// title, then the text).
fn first_body_line(page: &str) -> &str {
    page.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .nth(1)
        .unwrap_or("")
}

#[test]
fn a_long_document_starts_each_top_level_section_on_a_new_page() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("code.md");
    // 16 sections of 14 paragraphs: some 140,000 characters, over the
    // threshold (render::data::LONG_DOCUMENT_CHARS).
    write(&md, &code(16, 14, false));
    let pdf = tmp.path().join("code.pdf");
    assert_ok(&regdoc(&[
        "render",
        md.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]));
    let pages = pages_text(&pdf);
    for i in 2..=16 {
        let heading = format!("{i}. Section {i}");
        let starts = pages
            .iter()
            .filter(|p| first_body_line(p) == heading)
            .count();
        assert_eq!(starts, 1, "section {i} must open a page");
    }
    // The level-1 title is not a section: the first section follows it.
    assert!(pages[0].contains("1. Section 1"));
}

#[test]
fn a_short_document_keeps_sections_together() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("code.md");
    write(&md, &code(16, 2, false));
    let pdf = tmp.path().join("code.pdf");
    assert_ok(&regdoc(&[
        "render",
        md.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]));
    let pages = pages_text(&pdf);
    assert!(
        pages.len() <= 6,
        "{} pages for 16 short sections",
        pages.len()
    );
    let opening = (2..=16)
        .filter(|i| {
            let heading = format!("{i}. Section {i}");
            pages.iter().any(|p| first_body_line(p) == heading)
        })
        .count();
    assert!(opening < 6, "{opening} short sections open a page");
}

/// Every page says "Page N of TOTAL", stamped after layout, and the
/// placeholder the templates lay out is nowhere.
#[test]
fn every_page_is_numbered_out_of_the_total() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.md");
    let new = tmp.path().join("new.md");
    write(&old, &code(16, 14, false));
    write(&new, &code(16, 14, true));
    let version = tmp.path().join("v.pdf");
    let markup = tmp.path().join("m.pdf");
    assert_ok(&regdoc(&[
        "render",
        new.to_str().unwrap(),
        "-o",
        version.to_str().unwrap(),
    ]));
    assert_ok(&regdoc(&[
        "markup",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "-o",
        markup.to_str().unwrap(),
    ]));
    // The EMRR's own PDFs, short, are stamped the same way.
    let emrr = tmp.path().join("emrr.pdf");
    assert_ok(&regdoc(&[
        "markup",
        "emrr@2.0",
        "emrr@3.0",
        "-o",
        emrr.to_str().unwrap(),
    ]));
    for pdf in [&version, &markup, &emrr] {
        let pages = pages_text(pdf);
        let total = pages.len();
        assert!(total > 1);
        for (i, text) in pages.iter().enumerate() {
            let want = format!("Page {} of {total}", i + 1);
            assert!(
                text.contains(&want),
                "{}: page {}: {text}",
                pdf.display(),
                i + 1
            );
            assert!(
                !text.contains("0123456789"),
                "{}: a placeholder is left",
                pdf.display()
            );
        }
    }
}

/// A paragraph that reads exactly like the placeholder is text, and stays
/// as it is: the placeholder is also told apart by its colour.
#[test]
fn text_that_reads_like_the_placeholder_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("p.md");
    write(&md, "# Placeholder\n\nPage 0123456789 of 0123456789\n");
    let pdf = tmp.path().join("p.pdf");
    assert_ok(&regdoc(&[
        "render",
        md.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]));
    let text = pdf_text(&pdf, None);
    assert!(text.contains("Page 0123456789 of 0123456789"), "{text}");
    assert!(text.contains("Page 1 of 1"), "{text}");
}

/// typst lays the sections out on as many cores as there are; the PDF is
/// the same bytes on one core as on two, for a version and a mark-up.
#[test]
fn one_core_and_two_make_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.md");
    let new = tmp.path().join("new.md");
    write(&old, &code(16, 14, false));
    write(&new, &code(16, 14, true));
    let make = |threads: &str, name: &str| -> (Vec<u8>, Vec<u8>) {
        let run = |args: &[&str]| {
            let o = Command::new(env!("CARGO_BIN_EXE_regdoc"))
                .args(args)
                .env("RAYON_NUM_THREADS", threads)
                .env_remove("SOURCE_DATE_EPOCH")
                .output()
                .unwrap();
            assert_ok(&o);
        };
        let v = tmp.path().join(format!("{name}-v.pdf"));
        let m = tmp.path().join(format!("{name}-m.pdf"));
        run(&["render", new.to_str().unwrap(), "-o", v.to_str().unwrap()]);
        run(&[
            "markup",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "-o",
            m.to_str().unwrap(),
        ]);
        (std::fs::read(v).unwrap(), std::fs::read(m).unwrap())
    };
    let one = make("1", "one");
    let two = make("2", "two");
    assert!(
        one.0 == two.0,
        "the version PDF differs between one core and two"
    );
    assert!(
        one.1 == two.1,
        "the mark-up PDF differs between one core and two"
    );
}
