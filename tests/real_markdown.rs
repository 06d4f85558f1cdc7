//! Markdown as real projects write it (tests/corpus/real): a site
//! generator's policy page with YAML front matter and redirects, a Hugo
//! page with TOML front matter, an IETF draft in kramdown-rfc, and a
//! charter with images in a subfolder, long nested numbered lists, tables
//! inside list items, footnotes and reference links. Every pair diffs in
//! every format without being refused, and nothing is lost.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use regdoc::model::{Block, SourceDoc};
use regdoc::render::markdown::apply_critic;
use regdoc::source::parse_plain_markdown;

const PAIRS: [&str; 4] = [
    "jekyll/privacy",
    "hugo/terms",
    "ietf/draft",
    "charter/charter",
];

/// A line each pair leaves unchanged, in a container whose other lines
/// change: it must stand outside any change in the CriticMarkup.
const UNCHANGED: [&str; 4] = [
    "   - Aggregated counts are kept for 2 years.",
    "- attack other systems;",
    "1. checks that the name is unique;",
    "   2. Members serve two-year terms.",
];

/// Whether `line` starts a line of `md` outside every change.
fn outside_markup(md: &str, line: &str) -> bool {
    let Some(at) = md.find(&format!("\n{line}")) else {
        return false;
    };
    let before = &md[..at];
    let opened = ["{++", "{--", "{~~"]
        .iter()
        .map(|o| before.matches(o).count())
        .sum::<usize>();
    let closed = ["++}", "--}", "~~}"]
        .iter()
        .map(|c| before.matches(c).count())
        .sum::<usize>();
    opened == closed
}

fn corpus() -> PathBuf {
    repo().join("tests/corpus/real")
}

fn side(pair: &str, which: &str) -> PathBuf {
    corpus().join(format!("{pair}-{which}.md"))
}

/// `regdoc diff OLD NEW ARGS…` on one pair of the corpus, which must succeed.
fn diff_pair(pair: &str, args: &[&str]) -> String {
    let (old, new) = (side(pair, "old"), side(pair, "new"));
    let mut all = vec!["diff", old.to_str().unwrap(), new.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = regdoc(&all);
    assert_ok(&o);
    stdout(&o)
}

fn read(path: &Path) -> SourceDoc {
    parse_plain_markdown("", &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_pair_diffs_without_refusal_and_criticmarkup_round_trips() {
    for (pair, unchanged) in PAIRS.iter().zip(UNCHANGED) {
        let (old, new) = (side(pair, "old"), side(pair, "new"));
        let md = diff_pair(pair, &["--format", "md"]);
        let (a, b) = (read(&old), read(&new));
        let accepted = read_text(&apply_critic(&md, regdoc::diff::Side::New));
        let rejected = read_text(&apply_critic(&md, regdoc::diff::Side::Old));
        assert_eq!(accepted.blocks, b.blocks, "{pair} accept:\n{md}");
        assert_eq!(rejected.blocks, a.blocks, "{pair} reject:\n{md}");
        assert_eq!(accepted.front_matter, b.front_matter, "{pair}");
        assert_eq!(rejected.front_matter, a.front_matter, "{pair}");
        // Changes are marked where they are, not by replacing whole lists.
        assert!(
            outside_markup(&md, unchanged),
            "{pair}: {unchanged:?} in\n{md}"
        );
        let o = regdoc(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--exit-code",
        ]);
        assert_eq!(o.status.code(), Some(1), "{pair}: {}", stderr(&o));
    }
}

fn read_text(text: &str) -> SourceDoc {
    parse_plain_markdown("", text).unwrap()
}

#[test]
fn front_matter_of_other_tools_is_kept_and_compared_key_by_key() {
    let diff = |pair: &str| diff_pair(pair, &["--color", "never"]);
    let t = diff("jekyll/privacy");
    assert!(
        t.contains("front matter title: [-Privacy policy-] → {+Privacy notice+}"),
        "{t}"
    );
    assert!(t.contains("front matter redirect_from:"), "{t}");
    let t = diff("hugo/terms");
    assert!(t.contains("front matter date:"), "{t}");
    assert!(t.contains("front matter tags:"), "{t}");
    let t = diff("ietf/draft");
    assert!(
        t.contains(
            "front matter docname: [-draft-example-registry-01-] → {+draft-example-registry-02+}"
        ),
        "{t}"
    );
    // The section markers stay in the text; the abstract's edit is a word change.
    assert!(t.contains("{+an IANA+}"), "{t}");
    let j: serde_json::Value =
        serde_json::from_str(&diff_pair("ietf/draft", &["--format", "json"])).unwrap();
    assert_eq!(j["front_matter"]["new"]["close"], "--- abstract");
    assert!(
        j["metadata_changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["field"] == "keyword")
    );
}

#[test]
fn json_rebuilds_both_trees() {
    for pair in PAIRS {
        let j: serde_json::Value =
            serde_json::from_str(&diff_pair(pair, &["--format", "json"])).unwrap();
        let blocks: Vec<regdoc::diff::BlockDiff> =
            serde_json::from_value(j["blocks"].clone()).unwrap();
        let tree = |s: regdoc::diff::Side| -> Vec<Block> {
            regdoc::model::unflatten(&blocks.iter().filter_map(|b| b.side(s)).collect::<Vec<_>>())
        };
        assert_eq!(
            tree(regdoc::diff::Side::New),
            read(&side(pair, "new")).blocks,
            "{pair}"
        );
        assert_eq!(
            tree(regdoc::diff::Side::Old),
            read(&side(pair, "old")).blocks,
            "{pair}"
        );
    }
}

#[test]
fn html_has_real_nested_lists_pictures_and_numbered_notes() {
    let h = diff_pair("charter/charter", &["--format", "html"]);
    assert!(
        h.contains("<img src=\"data:image/png;base64,"),
        "images are embedded"
    );
    assert!(h.contains("alt=\"Decision process, revised\""));
    assert!(
        h.contains("<li><div class=\"blk\"><p>The Board</p></div><ol>"),
        "nested <ol> inside <li>"
    );
    assert!(h.contains("<sup class=\"fnref\"><a href=\"#fn-lazy\">1</a></sup>"));
    assert!(h.contains("id=\"fn-lazy\""));
    assert!(
        !h.contains("http://") || !h.contains("<img src=\"http"),
        "nothing is fetched"
    );
}

#[test]
fn word_has_numbering_footnotes_pictures_and_links_and_pandoc_accepts_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let docx = tmp.path().join("c.docx");
    let (old, new) = (
        side("charter/charter", "old"),
        side("charter/charter", "new"),
    );
    let o = regdoc(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "docx",
        "-o",
        docx.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let numbering = docx_part(&docx, "word/numbering.xml");
    assert!(
        numbering.contains("w:abstractNumId=\"11\"")
            || numbering.contains("w:abstractNumId w:val=\"11\""),
        "{numbering}"
    );
    let document = docx_part(&docx, "word/document.xml");
    assert!(
        document.contains("<w:numPr>"),
        "list paragraphs carry Word numbering"
    );
    assert!(!document.contains("•\t"), "no bullet characters as text");
    assert!(document.contains("<w:hyperlink"), "links are hyperlinks");
    assert!(document.contains("<w:drawing>"), "images are pictures");
    let notes = docx_part(&docx, "word/footnotes.xml");
    assert!(
        notes.contains("Silence is taken as assent after"),
        "{notes}"
    );
    let plain = |mode: &str| {
        let o = Command::new("pandoc")
            .arg(format!("--track-changes={mode}"))
            .arg(&docx)
            .args(["-t", "plain", "--wrap=none"])
            .output()
            .expect("pandoc");
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let (acc, rej) = (plain("accept"), plain("reject"));
    assert!(
        acc.contains("nine members") && !acc.contains("seven members"),
        "{acc}"
    );
    assert!(
        rej.contains("seven members") && !rej.contains("nine members"),
        "{rej}"
    );
    assert!(acc.contains("96 hours") && rej.contains("72 hours"));
    // Nested numbering comes through as a nested list.
    let md = Command::new("pandoc")
        .args(["--track-changes=accept", "-t", "markdown"])
        .arg(&docx)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.lines()
            .any(|l| l.starts_with("    1.") || l.starts_with("    a.") || l.starts_with("    i.")),
        "{md}"
    );
}

#[test]
fn pdf_shows_every_word_every_image_and_indents_nesting() {
    let tmp = tempfile::tempdir().unwrap();
    let new = side("charter/charter", "new");
    let pdf = tmp.path().join("charter.pdf");
    assert_ok(&regdoc(&[
        "render",
        new.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]));
    let text = pdf_text(&pdf, None);
    let have: std::collections::HashSet<String> = words(&text).into_iter().collect();
    let doc = read(&new);
    let mut missing = Vec::new();
    regdoc::model::walk(&doc.blocks, &mut |b| {
        regdoc::model::leaf_inlines(b, &mut |i| {
            if i.style.image.is_none() && i.style.footnote.is_none() {
                for w in words(&i.text) {
                    // Note numbers stick to the word before them in
                    // pdftotext's output ("consensus1").
                    if !have.contains(&w) && !text.contains(&w) {
                        missing.push(w);
                    }
                }
            }
        })
    });
    assert!(
        missing.is_empty(),
        "words missing from the PDF: {missing:?}\n{text}"
    );
    let images = Command::new("pdfimages")
        .arg("-list")
        .arg(&pdf)
        .output()
        .expect("pdfimages");
    let list = String::from_utf8_lossy(&images.stdout);
    assert!(list.lines().count() >= 4, "two images:\n{list}");
    // Nesting shows as indentation: the third-level item stands further
    // right than the second, which stands further right than the first.
    let layout = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let layout = String::from_utf8_lossy(&layout.stdout);
    // Where the text of a line starts (after its list marker).
    let indent = |needle: &str| {
        let line = layout
            .lines()
            .find(|l| l.trim_end().ends_with(needle))
            .unwrap_or_else(|| panic!("{needle} in\n{layout}"));
        line.find(needle).unwrap()
    };
    assert!(
        indent("The Board has nine members.") > indent("The Board"),
        "{layout}"
    );
    assert!(
        indent("Terms are staggered.") > indent("The Board has nine members."),
        "{layout}"
    );
    // The mark-up draws the old picture struck and the new one underlined.
    let markup = tmp.path().join("m.pdf");
    assert_ok(&regdoc(&[
        "markup",
        side("charter/charter", "old").to_str().unwrap(),
        new.to_str().unwrap(),
        "-o",
        markup.to_str().unwrap(),
    ]));
    let images = Command::new("pdfimages")
        .arg("-list")
        .arg(&markup)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&images.stdout).lines().count() >= 5,
        "three images in the mark-up"
    );
    let text = pdf_text(&markup, None);
    assert!(
        text.contains("96") && text.contains("72"),
        "the footnote's change is shown"
    );
}

#[test]
fn bad_images_are_located_errors_and_remote_ones_are_never_fetched() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("img")).unwrap();
    std::fs::write(d.join("img/broken.png"), b"not a picture").unwrap();
    let cases = [
        (
            "# T\n\nSee ![a](img/missing.png).\n",
            "does not exist",
            "3:5",
        ),
        (
            "# T\n\n![a](../secret.png)\n",
            "leaves the document's folder",
            "3:1",
        ),
        ("# T\n\n![a](/etc/passwd)\n", "absolute path", "3:1"),
        ("# T\n\nText.\n\n![a](img/broken.png)\n", "not a PNG", "5:1"),
    ];
    for (text, msg, at) in cases {
        write(&d.join("doc.md"), text);
        let o = regdoc_in(d, &["render", "doc.md", "-o", "out.pdf"]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(msg) && err.contains(&format!("doc.md:{at}")),
            "{text}: {err}"
        );
        assert!(!d.join("out.pdf").exists());
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", d.join("img/link.png")).unwrap();
        write(&d.join("doc.md"), "![a](img/link.png)\n");
        let o = regdoc_in(d, &["render", "doc.md", "-o", "out.pdf"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("outside"), "{}", stderr(&o));
    }
    write(
        &d.join("doc.md"),
        "# T\n\n![Remote logo](https://example.invalid/logo.png)\n",
    );
    let o = regdoc_in(d, &["render", "doc.md", "-o", "out.pdf"]);
    assert_ok(&o);
    let text = pdf_text(&d.join("out.pdf"), None);
    assert!(
        text.contains("Remote logo") && text.contains("https://example.invalid/logo.png"),
        "{text}"
    );
}

#[test]
fn deeply_nested_lists_render() {
    // 300 levels: typst refused content nested this deep when each level
    // was a grid of its own ("maximum show rule depth exceeded").
    let tmp = tempfile::tempdir().unwrap();
    let mut md: String = (0..300)
        .map(|i| format!("{}- level {i}\n", "  ".repeat(i)))
        .collect();
    md.push_str(&format!("{}deepest words\n", "  ".repeat(300)));
    write(&tmp.path().join("deep.md"), &md);
    let o = regdoc_in(tmp.path(), &["render", "deep.md", "-o", "deep.pdf"]);
    assert_ok(&o);
    let text = pdf_text(&tmp.path().join("deep.pdf"), None);
    assert!(text.contains("level 299"), "{text}");
}
