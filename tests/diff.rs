//! `regdoc diff` in every format, through the real binary.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use regdoc::diff::BlockDiff;
use regdoc::model::Block;
use regdoc::source::markdown;

const EDIT: &str = "tests/fixtures/emrr-v2.1-edit.md";

fn body_blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let split = regdoc::source::frontmatter::split(path, &text).unwrap();
    markdown::parse(split.body)
}

fn v2_blocks() -> Vec<Block> {
    body_blocks(&repo().join("documents/emrr/v2.0.md"))
}

fn edit_blocks() -> Vec<Block> {
    body_blocks(&repo().join(EDIT))
}

fn diff_out(args: &[&str]) -> String {
    let mut all = vec!["diff", "emrr@2.0", EDIT];
    all.extend_from_slice(args);
    let o = regdoc(&all);
    assert_ok(&o);
    stdout(&o)
}

#[test]
fn term_shows_words_sections_tables_and_moves_without_colour() {
    let t = diff_out(&["--color", "never"]);
    assert!(!t.contains('\x1b'), "colour codes with --color never");
    assert!(
        t.contains("--- EMRR v2.0 (approved)") && t.contains("+++ v2.1 (draft)"),
        "{t}"
    );
    assert!(
        t.contains("front matter status: [-approved-] → {+draft+}"),
        "{t}"
    );
    assert!(t.contains("@@ 1. Purpose @@"), "{t}");
    assert!(t.contains("[-provides-]{+gives+}"), "{t}");
    assert!(t.contains("> moved from 2. Background"), "{t}");
    assert!(t.contains("< moved to 1. Purpose"), "{t}");
    assert!(t.contains("[-Weekly-]{+Monthly+}"), "{t}");
    assert!(t.contains("- | [-ECOSMIG-003-]"), "{t}");
    assert!(t.contains("+ | {+ECOSMIG-008+}"), "{t}");
    assert!(t.contains("2 added, 0 removed, 2 changed, 1 moved"), "{t}");
}

#[test]
fn term_colour_follows_the_flag_and_no_color() {
    let t = diff_out(&["--color", "always"]);
    assert!(
        t.contains("\x1b[31;9mprovides\x1b[0m") && t.contains("\x1b[32;4mgives\x1b[0m"),
        "{t:?}"
    );
    // Auto: not a terminal (and NO_COLOR set by the helper) → no colour.
    let t = diff_out(&[]);
    assert!(!t.contains('\x1b'));
}

#[test]
fn md_is_criticmarkup_that_accepts_to_new_and_rejects_to_old() {
    let md = diff_out(&["--format", "md"]);
    assert!(md.contains("{~~provides~>gives~~}"), "{md}");
    assert!(md.contains("| ECOSMIG-004 | Summary Report: Device Count by Non-Migratable Device Model | Responsible Supplier | {~~Weekly~>Monthly~~} |"), "{md}");
    assert!(
        md.contains("{>>moved from: 2. Background, edited<<}"),
        "{md}"
    );
    assert!(md.contains("{>>Front matter changed:"), "{md}");
    // The new side is a plain file: its front matter stands verbatim, so
    // accepting gives the whole file back.
    let accepted_text = regdoc::render::markdown::apply_critic(&md, regdoc::diff::Side::New);
    assert!(
        accepted_text.starts_with("---\nversion: \"2.1\""),
        "{accepted_text}"
    );
    let accepted = regdoc::source::parse_plain_markdown("", &accepted_text)
        .unwrap()
        .blocks;
    let rejected = markdown::parse(&regdoc::render::markdown::apply_critic(
        &md,
        regdoc::diff::Side::Old,
    ));
    assert_eq!(accepted, edit_blocks());
    assert_eq!(rejected, v2_blocks());
    // Where nothing changed it is plain GFM: tables stay tables.
    let plain = regdoc::render::markdown::apply_critic(&md, regdoc::diff::Side::New);
    assert!(plain.contains("| Ref | Name | Distribution | Frequency |\n| --- | --- | --- | --- |"));
}

#[test]
fn json_has_a_versioned_schema_and_is_lossless() {
    let j: serde_json::Value = serde_json::from_str(&diff_out(&["--format", "json"])).unwrap();
    assert_eq!(j["schema_version"], 2);
    assert_eq!(j["old"]["version"], "2.0");
    assert_eq!(j["new"]["version"], "2.1");
    assert_eq!(j["counts"]["added"], 2);
    assert_eq!(j["counts"]["moved"], 1);
    let changes = j["changes"].as_array().unwrap();
    let first = &changes[0];
    assert_eq!(first["kind"], "changed");
    assert_eq!(first["block_type"], "paragraph");
    assert_eq!(first["path"]["headings"][0], "1. Purpose");
    assert!(
        first["old_text"]
            .as_str()
            .unwrap()
            .contains("provides an overview")
    );
    assert!(
        first["new_text"]
            .as_str()
            .unwrap()
            .contains("gives an overview")
    );
    let moved = changes.iter().find(|c| c["kind"] == "moved_here").unwrap();
    assert_eq!(moved["moved_from"]["headings"][0], "2. Background");
    let table = changes.iter().find(|c| c["block_type"] == "table").unwrap();
    let rows = table["table"]["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["change"] == "added"));
    assert!(rows.iter().any(|r| r["change"] == "removed"));
    assert!(
        j["metadata_changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["field"] == "status")
    );
    // Lossless: the blocks rebuild both versions.
    let blocks: Vec<BlockDiff> = serde_json::from_value(j["blocks"].clone()).unwrap();
    let new: Vec<Block> = regdoc::model::unflatten(
        &blocks
            .iter()
            .filter_map(|b| b.side(regdoc::diff::Side::New))
            .collect::<Vec<_>>(),
    );
    let old: Vec<Block> = regdoc::model::unflatten(
        &blocks
            .iter()
            .filter_map(|b| b.side(regdoc::diff::Side::Old))
            .collect::<Vec<_>>(),
    );
    assert_eq!(new, edit_blocks());
    assert_eq!(old, v2_blocks());
}

/// The `blocks` of the JSON read back into `BlockDiff`s and write out to
/// the same JSON; a block whose fields contradict its change is refused.
#[test]
fn json_blocks_read_back_and_contradictions_are_refused() {
    let j: serde_json::Value = serde_json::from_str(&diff_out(&["--format", "json"])).unwrap();
    let blocks: Vec<BlockDiff> = serde_json::from_value(j["blocks"].clone()).unwrap();
    assert_eq!(serde_json::to_value(&blocks).unwrap(), j["blocks"]);
    let find = |change: &str| {
        j["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["change"] == change)
            .unwrap_or_else(|| panic!("no {change} block"))
            .clone()
    };
    let refused = |v: serde_json::Value, why: &str| {
        assert!(
            serde_json::from_value::<BlockDiff>(v).is_err(),
            "accepted {why}"
        );
    };
    let changed = find("changed");
    serde_json::from_value::<BlockDiff>(changed.clone()).unwrap();
    // An addition with an old leaf.
    let mut added = find("added");
    added["old"] = changed["old"].clone();
    refused(added, "an added block with an old leaf");
    // A change with neither side.
    let mut c = changed.clone();
    c["new"] = serde_json::Value::Null;
    refused(c, "a changed block without a new leaf");
    // A move without its other end.
    let mut here = find("moved_here");
    here.as_object_mut().unwrap().remove("partner");
    refused(here, "a move without a partner");
    // An unchanged block with word spans.
    let mut same = find("unchanged");
    same["words"] = serde_json::json!([{ "op": "insert", "text": "x" }]);
    refused(same, "an unchanged block with spans");
    // A table row added that claims an old row.
    let mut table = j["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b.get("table").is_some())
        .unwrap()
        .clone();
    let rows = table["table"]["rows"].as_array_mut().unwrap();
    let row = rows.iter_mut().find(|r| r["change"] == "added").unwrap();
    row["old"] = serde_json::json!(0);
    refused(table, "an added row with an old index");
}

fn chromium() -> Command {
    let mut c = Command::new("chromium");
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    c
}

#[test]
fn html_is_self_contained_and_works_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("d.html");
    let o = regdoc(&[
        "diff",
        "emrr@2.0",
        EDIT,
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script src") && !html.contains("<link") && !html.contains("@import"),
        "external assets"
    );
    assert!(
        html.contains("<del>provides</del><ins>gives</ins>"),
        "no inline word change"
    );
    assert!(html.contains("@media print") && html.contains("@media (max-width"));

    let profile = tmp.path().join("profile");
    let url = format!("file://{}#selftest", page.display());
    let out = chromium()
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium is needed by the tests: apt-get install chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let line = dom
        .lines()
        .find(|l| l.contains("SELFTEST {"))
        .unwrap_or_else(|| panic!("no self-test result:\n{dom}"));
    let json = &line[line.find('{').unwrap()..=line.rfind('}').unwrap()];
    let r: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(r["changes"], 6, "{r}");
    assert_eq!(r["afterTwoNext"], 2, "{r}");
    assert_eq!(r["afterPrev"], 1, "{r}");
    assert_eq!(r["currentIsChange"], true, "{r}");
    assert_eq!(r["sideVisible"], true, "{r}");
    assert_eq!(r["sideCurrent"], true, "{r}");
    assert_eq!(r["inlineVisible"], true, "{r}");
    assert_eq!(r["pos"], "1 / 6", "{r}");

    let shot = tmp.path().join("shot.png");
    let out = chromium()
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .args([
            "--window-size=1280,900",
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot looks empty"
    );
}

/// Words of a text, for comparing documents across formats.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_string())
        .collect()
}

fn pandoc_plain(docx: &Path, mode: &str) -> String {
    let out = Command::new("pandoc")
        .arg(format!("--track-changes={mode}"))
        .arg(docx)
        .args(["-t", "markdown", "--wrap=none", "--columns=100000"])
        .output()
        .expect("pandoc is needed by the tests: apt-get install pandoc");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The body starts at the first heading; before it, the title and the
    // front-matter changes.
    let at = text.find("\n# ").expect("a heading in the Word document");
    text[at..].to_string()
}

#[test]
fn docx_has_real_tracked_changes_that_pandoc_accepts_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let docx = tmp.path().join("d.docx");
    let o = regdoc(&[
        "diff",
        "emrr@2.0",
        EDIT,
        "--format",
        "docx",
        "--author",
        "Reviewer",
        "-o",
        docx.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let accepted = pandoc_plain(&docx, "accept");
    let rejected = pandoc_plain(&docx, "reject");
    // The Word body is compared from the first heading, where pandoc_plain cuts it.
    let from_heading = |b: Vec<Block>| -> Vec<Block> {
        let at = b
            .iter()
            .position(|x| matches!(x, Block::Heading { .. }))
            .unwrap_or(0);
        b[at..].to_vec()
    };
    let text = |b: Vec<Block>| regdoc::model::blocks_text(&from_heading(b));
    assert_eq!(words(&accepted), words(&text(edit_blocks())));
    assert_eq!(words(&rejected), words(&text(v2_blocks())));
    // Headings are Word headings, tables are Word tables.
    assert!(accepted.contains("# 1. Purpose"), "{accepted}");
    assert!(accepted.contains("ECOSMIG-008"));
    let all = Command::new("pandoc")
        .args(["--track-changes=all", "-t", "native"])
        .arg(&docx)
        .output()
        .unwrap();
    let native = String::from_utf8_lossy(&all.stdout);
    assert!(native.contains("Table"), "no Word table");
    assert!(
        native.contains("\"insertion\"") && native.contains("\"deletion\""),
        "no tracked changes"
    );
    assert!(native.contains("\"Reviewer\""), "author missing");
    // Same input, same bytes.
    let again = tmp.path().join("e.docx");
    assert_ok(&regdoc(&[
        "diff",
        "emrr@2.0",
        EDIT,
        "--format",
        "docx",
        "--author",
        "Reviewer",
        "-o",
        again.to_str().unwrap(),
    ]));
    assert_eq!(
        std::fs::read(&docx).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn docx_converts_with_headless_libreoffice() {
    let tmp = tempfile::tempdir().unwrap();
    let docx = tmp.path().join("d.docx");
    assert_ok(&regdoc(&[
        "diff",
        "emrr@2.0",
        "emrr@3.0",
        "--format",
        "docx",
        "-o",
        docx.to_str().unwrap(),
    ]));
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/lo",
            tmp.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(tmp.path())
        .arg(&docx)
        .output()
        .expect("LibreOffice is needed by the tests: apt-get install libreoffice-writer-nogui");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = tmp.path().join("d.pdf");
    let text = squash(&pdf_text(&pdf, None));
    assert!(
        text.contains("ECoS Migrations cease on 19 July 2024"),
        "{text}"
    );
    assert!(text.contains("ECOSMIG-001"), "{text}");
}

#[test]
fn exit_code_says_whether_the_two_differ() {
    let o = regdoc(&["diff", "emrr@2.0", "emrr@3.0", "--exit-code"]);
    assert_eq!(o.status.code(), Some(1));
    let o = regdoc(&["diff", "emrr@2.0", "emrr@2.0", "--exit-code"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("0 added, 0 removed, 0 changed, 0 moved"));
    let o = regdoc(&["diff", "emrr@2.0", "emrr@3.0"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn diffs_a_file_at_a_git_revision_without_touching_the_work_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q"]);
    write(&d.join("doc.md"), "# Rules\n\nReports are sent daily.\n");
    git(d, &["add", "doc.md"]);
    git(d, &["commit", "-qm", "one"]);
    write(&d.join("doc.md"), "# Rules\n\nReports are sent weekly.\n");
    let o = regdoc_in(d, &["diff", "HEAD:doc.md", "doc.md", "--color", "never"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("[-daily.-]{+weekly.+}") || stdout(&o).contains("[-daily-]{+weekly+}"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("doc.md")).unwrap(),
        "# Rules\n\nReports are sent weekly.\n"
    );

    let o = regdoc_in(d, &["diff", "nosuchrev:doc.md", "doc.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("git cannot read nosuchrev:doc.md"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_input_is_an_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("bin.md"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    write(&d.join("ok.md"), "# Fine\n");
    for (args, needle) in [
        (
            vec![
                "diff", "bin.md", "ok.md", "--format", "html", "-o", "out.html",
            ],
            "bin.md",
        ),
        (
            vec![
                "diff",
                "missing.md",
                "ok.md",
                "--format",
                "html",
                "-o",
                "out.html",
            ],
            "missing.md",
        ),
        (
            vec!["diff", "ok.md", "ok.md", "--format", "docx"],
            "needs an output file",
        ),
    ] {
        let o = regdoc_in(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!d.join("out.html").exists());
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn ragged_tables_and_any_markdown_diff_sensibly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        &d.join("a.md"),
        "# T\n\n| A | B | C |\n|---|---|---|\n| 1 | x |\n| 2 | y | z | extra |\n\n> quoted *text*\n\n1. one\n   - nested\n2. two\n\n<div>raw</div>\n\n```rust\nfn main() {}\n```\n",
    );
    write(
        &d.join("b.md"),
        "# T\n\n| A | B | C |\n|---|---|---|\n| 1 | x | w |\n| 2 | y | z |\n\n> quoted **text**\n\n1. one\n   - nested, edited\n2. two\n\n<div>raw!</div>\n\n```rust\nfn main() { run() }\n```\n",
    );
    let o = regdoc_in(d, &["diff", "a.md", "b.md", "--format", "md"]);
    assert_ok(&o);
    let md = stdout(&o);
    let a = markdown::parse(&std::fs::read_to_string(d.join("a.md")).unwrap());
    let b = markdown::parse(&std::fs::read_to_string(d.join("b.md")).unwrap());
    assert_eq!(
        markdown::parse(&regdoc::render::markdown::apply_critic(
            &md,
            regdoc::diff::Side::New
        )),
        b,
        "{md}"
    );
    assert_eq!(
        markdown::parse(&regdoc::render::markdown::apply_critic(
            &md,
            regdoc::diff::Side::Old
        )),
        a,
        "{md}"
    );
    assert!(md.contains("{++w++}"), "{md}");
}

#[test]
fn whitespace_only_changes_are_not_changes_but_punctuation_is() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        &d.join("a.md"),
        "# T\n\nThe DCC shall report daily, and weekly.\n",
    );
    write(
        &d.join("b.md"),
        "# T\n\nThe  DCC shall\nreport   daily, and weekly.\n",
    );
    write(
        &d.join("c.md"),
        "# T\n\nThe DCC shall report daily; and weekly.\n",
    );
    let o = regdoc_in(d, &["diff", "a.md", "b.md", "--exit-code"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = regdoc_in(
        d,
        &["diff", "a.md", "c.md", "--exit-code", "--color", "never"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("daily[-,-]{+;+} and"), "{}", stdout(&o));
}

#[test]
fn table_rows_are_matched_by_the_configured_key() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // The references were swapped between the two rows.
    write(
        &d.join("a.md"),
        "| Ref | Name |\n|---|---|\n| A-1 | Daily report |\n| A-2 | Weekly report |\n",
    );
    write(
        &d.join("b.md"),
        "| Ref | Name |\n|---|---|\n| A-2 | Daily report |\n| A-1 | Weekly report |\n",
    );
    // By Ref (the first column): a row moved and changed.
    let o = regdoc_in(d, &["diff", "a.md", "b.md", "--color", "never"]);
    assert!(
        stdout(&o).contains("> |") && stdout(&o).contains("< |"),
        "{}",
        stdout(&o)
    );
    // By Name: the same rows, their references changed.
    let o = regdoc_in(
        d,
        &[
            "diff",
            "a.md",
            "b.md",
            "--color",
            "never",
            "--table-key",
            "name",
        ],
    );
    assert!(
        stdout(&o).contains("~ | [-A-1-]{+A-2+} | Daily report |"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("~ | [-A-2-]{+A-1+} | Weekly report |"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn source_comments_are_diffed_but_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        &d.join("a.md"),
        "# T\n\n<!-- note: placeholder date -->\n\nText.\n",
    );
    write(
        &d.join("b.md"),
        "# T\n\n<!-- note: date confirmed -->\n\nText.\n",
    );
    let o = regdoc_in(
        d,
        &["diff", "a.md", "b.md", "--format", "md", "--exit-code"],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "a comment change is a change of the source"
    );
    assert!(
        stdout(&o).contains("placeholder") && stdout(&o).contains("confirmed"),
        "{}",
        stdout(&o)
    );
    assert_ok(&regdoc_in(d, &["markup", "a.md", "b.md", "-o", "m.pdf"]));
    let text = pdf_text(&d.join("m.pdf"), None);
    assert!(
        !text.contains("placeholder") && !text.contains("confirmed"),
        "a source note was printed"
    );
}

#[test]
fn a_cap_reached_is_said_in_the_output() {
    // Two paragraphs differing in every other one of 3,000 words: past the
    // word diff's cap, shown as one replacement, and the redline says so.
    let old: Vec<String> = (0..3000).map(|i| format!("a{i}")).collect();
    let new: Vec<String> = (0..3000)
        .map(|i| {
            if i % 2 == 0 {
                format!("a{i}")
            } else {
                format!("b{i}")
            }
        })
        .collect();
    // The word diff itself: stopped at its cap, exact but coarse (no
    // word-by-word interleaving), and fast.
    use regdoc::diff::{Side, words};
    let (x, y) = (
        vec![regdoc::model::Inline::plain(old.join(" "))],
        vec![regdoc::model::Inline::plain(new.join(" "))],
    );
    let start = std::time::Instant::now();
    let (spans, capped) = words::diff_inlines_capped(&x, &y);
    assert!(capped, "the cap is reported");
    assert!(start.elapsed().as_secs() < 2);
    assert_eq!(words::side(&spans, Side::New), y);
    assert_eq!(words::side(&spans, Side::Old), x);
    assert!(spans.len() <= 4, "{} spans", spans.len());
    let a = regdoc::source::markdown::parse(&format!("# T\n\n{}\n", old.join(" ")));
    let b = regdoc::source::markdown::parse(&format!("# T\n\n{}\n", new.join(" ")));
    let r = regdoc::diff::diff_blocks(&a, &b);
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(r.notes[0].contains("more than 1200 words"), "{:?}", r.notes);
    assert_eq!(r.accept(), b);
    assert_eq!(r.reject(), a);
    // An ordinary edit has no note.
    let c = regdoc::source::markdown::parse("# T\n\nOne two three.\n");
    let d = regdoc::source::markdown::parse("# T\n\nOne two four.\n");
    assert!(regdoc::diff::diff_blocks(&c, &d).notes.is_empty());
}

/// A moved paragraph is a Word move: `w:moveFrom` and `w:moveTo` in move
/// ranges of one name, each with a comment saying where the text went or
/// came from. pandoc accepts and rejects it exactly, and LibreOffice
/// converts it.
#[test]
fn docx_moves_are_word_moves_with_comments() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let moving = "The moving paragraph talks about reports and migrations at length.";
    write(
        &d.join("a.md"),
        &format!("# A\n\nFirst paragraph stays here.\n\n{moving}\n\n# B\n\nSecond section text.\n"),
    );
    write(
        &d.join("b.md"),
        &format!("# A\n\nFirst paragraph stays here.\n\n# B\n\nSecond section text.\n\n{moving}\n"),
    );
    let docx = d.join("m.docx");
    assert_ok(&regdoc_in(
        d,
        &["diff", "a.md", "b.md", "--format", "docx", "-o", "m.docx"],
    ));
    let xml = docx_part(&docx, "word/document.xml");
    for tag in [
        "<w:moveFromRangeStart",
        "<w:moveFrom ",
        "<w:moveFromRangeEnd",
        "<w:moveToRangeStart",
        "<w:moveTo ",
        "<w:moveToRangeEnd",
        "<w:commentRangeStart",
    ] {
        assert!(xml.contains(tag), "{tag} missing");
    }
    // Both ranges carry one name, and nothing is a plain delete/insert.
    let names: Vec<&str> = xml
        .match_indices("w:name=\"regdoc-move-")
        .map(|(i, _)| &xml[i..i + 24])
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], names[1]);
    // (The paragraph marks stay tracked as deleted and inserted, which
    // are self-closing: no text is a plain deletion or insertion.)
    assert!(
        !xml.contains("</w:del>") && !xml.contains("</w:ins>"),
        "{xml}"
    );
    let comments = docx_part(&docx, "word/comments.xml");
    assert!(comments.contains("Moved to: B"), "{comments}");
    assert!(comments.contains("Moved from: A"), "{comments}");
    // Accept all gives the new text, reject all the old, in order.
    let accepted = pandoc_plain(&docx, "accept");
    let rejected = pandoc_plain(&docx, "reject");
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = |text: &str, what: &str| squeeze(text).find(what).unwrap();
    assert!(
        at(&accepted, moving) > at(&accepted, "Second section text."),
        "{accepted}"
    );
    assert!(
        at(&rejected, moving) < at(&rejected, "Second section text."),
        "{rejected}"
    );
    assert_eq!(squeeze(&accepted).matches(moving).count(), 1);
    assert_eq!(squeeze(&rejected).matches(moving).count(), 1);
    // LibreOffice reads it.
    let out = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}/lo", d.display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(d)
        .arg(&docx)
        .output()
        .expect("soffice");
    assert!(out.status.success());
    let text = squash(&pdf_text(&d.join("m.pdf"), None));
    assert!(text.contains(&squash(moving)), "{text}");
}
