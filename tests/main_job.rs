//! The main job end to end: the EMRR as source → approved PDF, DRAFT PDF
//! and the v2.0→v3.0 mark-up attachment, through the real binary.

mod common;

use std::path::Path;

use common::*;

fn build_into(out: &Path) -> Vec<String> {
    let o = regdoc(&["build", "--out", out.to_str().unwrap()]);
    assert_ok(&o);
    // The built-in templates give typst no reason to warn.
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    stdout(&o).lines().map(|l| l.to_string()).collect()
}

#[test]
fn build_writes_the_three_pdfs_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = build_into(tmp.path());
    for name in [
        "emrr-v2.0.pdf",
        "emrr-v3.0-draft.pdf",
        "emrr-v2.0-to-v3.0-markup.pdf",
    ] {
        let p = tmp.path().join("emrr").join(name);
        assert!(p.is_file(), "{name} missing");
        assert!(
            lines.iter().any(|l| l.contains(name)),
            "build did not print {name}: {lines:?}"
        );
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{name} is not a PDF");
    }
}

#[test]
fn metadata_holds_id_version_status_and_effective_date() {
    let tmp = tempfile::tempdir().unwrap();
    build_into(tmp.path());
    let dir = tmp.path().join("emrr");
    let cases = [
        ("emrr-v2.0.pdf", "2.0", "approved", "2023-07-05"),
        ("emrr-v3.0-draft.pdf", "3.0", "draft", "2024-07-19"),
        ("emrr-v2.0-to-v3.0-markup.pdf", "3.0", "draft", "2024-07-19"),
    ];
    for (name, version, status, date) in cases {
        let p = dir.join(name);
        assert_eq!(info(&p, "DocumentId").as_deref(), Some("emrr"), "{name}");
        assert_eq!(
            info(&p, "DocumentVersion").as_deref(),
            Some(version),
            "{name}"
        );
        assert_eq!(
            info(&p, "DocumentStatus").as_deref(),
            Some(status),
            "{name}"
        );
        assert_eq!(info(&p, "EffectiveDate").as_deref(), Some(date), "{name}");
        assert_eq!(info(&p, "Author").as_deref(), Some("DCC"), "{name}");
        let title = info(&p, "Title").unwrap();
        // The mark-up is titled as the consultation names it.
        let title = title.strip_prefix("Attachment 1: ").unwrap_or(&title);
        assert!(
            title.starts_with("ECoS Migration Reporting Regime v"),
            "{name}: {title}"
        );
        let keywords = info(&p, "Keywords").unwrap();
        assert!(keywords.contains("DCC Public"), "{name}: {keywords}");
        assert!(info(&p, "Subject").is_some(), "{name}: no Subject");
    }
    assert_eq!(
        info(
            &dir.join("emrr-v2.0-to-v3.0-markup.pdf"),
            "ComparedWithVersion"
        )
        .as_deref(),
        Some("2.0")
    );
    assert_eq!(
        info(&dir.join("emrr-v3.0-draft.pdf"), "Subject").as_deref(),
        Some(
            "Draft for consultation — proposed effective date 19 July 2024 (subject to DESNZ approval)"
        )
    );
    // The XMP stream carries the title too (typst writes it).
    let raw = std::fs::read(dir.join("emrr-v2.0.pdf")).unwrap();
    let has_xmp = raw.windows(9).any(|w| w == b"x:xmpmeta")
        || lopdf::Document::load(dir.join("emrr-v2.0.pdf"))
            .unwrap()
            .catalog()
            .unwrap()
            .get(b"Metadata")
            .is_ok();
    assert!(has_xmp, "no XMP metadata");
}

#[test]
fn draft_has_a_watermark_on_every_page_and_approved_has_none() {
    let tmp = tempfile::tempdir().unwrap();
    build_into(tmp.path());
    let dir = tmp.path().join("emrr");
    let draft = dir.join("emrr-v3.0-draft.pdf");
    let pages = page_count(&draft);
    assert!(pages >= 2);
    for p in 1..=pages {
        // The diagonal watermark is not extracted as text by poppler, so
        // look at the page as a reader does: rendered, in colour.
        let share = watermark_share(&draft, p);
        assert!(
            share > 0.02,
            "page {p} of the draft has no DRAFT watermark ({share})"
        );
        let t = pdf_text(&draft, Some(p));
        assert!(
            t.contains("Draft"),
            "page {p} of the draft does not say Draft in its footer"
        );
    }
    let first = squash(&pdf_text(&draft, Some(1)));
    assert!(
        first.contains("Draft for consultation — proposed effective date 19 July 2024 (subject to DESNZ approval)"),
        "{first}"
    );
    let approved = dir.join("emrr-v2.0.pdf");
    let text = pdf_text(&approved, None);
    assert!(!text.contains("DRAFT"), "the approved PDF says DRAFT");
    assert!(
        !text.contains("Draft for consultation"),
        "the approved PDF has the draft banner"
    );
    for p in 1..=page_count(&approved) {
        assert_eq!(
            watermark_share(&approved, p),
            0.0,
            "page {p} of the approved PDF is tinted"
        );
    }
    assert!(squash(&text).contains("Effective from 5 July 2023"));
}

#[test]
fn every_pdf_has_running_header_footer_and_document_control() {
    let tmp = tempfile::tempdir().unwrap();
    build_into(tmp.path());
    let dir = tmp.path().join("emrr");
    for name in [
        "emrr-v2.0.pdf",
        "emrr-v3.0-draft.pdf",
        "emrr-v2.0-to-v3.0-markup.pdf",
    ] {
        let p = dir.join(name);
        let n = page_count(&p);
        for page in 1..=n {
            let t = squash(&pdf_text(&p, Some(page)));
            assert!(
                t.contains("DCC Public"),
                "{name} p{page}: no classification"
            );
            assert!(
                t.contains(&format!("Page {page} of {n}")),
                "{name} p{page}: no page X of Y"
            );
            assert!(
                t.contains("ECoS Migration Reporting Regime v"),
                "{name} p{page}: no title/version header"
            );
        }
        let all = squash(&pdf_text(&p, None));
        assert!(all.contains("Document control"), "{name}");
        assert!(
            all.contains("DESNZ, 2023-07-05"),
            "{name}: history lacks v2.0's approval"
        );
    }
}

/// Every word of a version's text, from its Markdown source.
fn words_of(version_file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("documents/emrr").join(version_file)).unwrap();
    let body = text.split("\n---\n").nth(1).unwrap();
    let blocks: Vec<_> = regdoc::source::markdown::parse(body)
        .into_iter()
        .filter(|b| !b.is_comment())
        .collect();
    regdoc::model::blocks_text(&blocks)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_string())
        .collect()
}

#[test]
fn markup_strikes_all_of_v2_and_inserts_all_of_v3() {
    let tmp = tempfile::tempdir().unwrap();
    build_into(tmp.path());
    let p = tmp.path().join("emrr/emrr-v2.0-to-v3.0-markup.pdf");
    let text = pdf_text(&p, None);
    let found: std::collections::HashSet<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for file in ["v2.0.md", "v3.0.md"] {
        let words = words_of(file);
        assert!(words.len() > 20);
        // pdftotext joins a word hyphenated at a line end ("7-" + "day"),
        // so a word may stand inside another.
        let missing: Vec<&String> = words
            .iter()
            .filter(|w| !found.contains(w.as_str()) && !text.contains(w.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{file}: words missing from the mark-up: {missing:?}"
        );
    }
    let flat = squash(&text);
    // Titled as the consultation names it, on the page and in the PDF.
    let title = "Attachment 1: ECoS Migration Reporting Regime v3.0 (mark-up)";
    assert!(flat.contains(title), "{flat}");
    let info = std::process::Command::new("pdfinfo")
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains(&format!("Title:           {title}")),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    assert!(flat.contains("Comparing v3.0 (draft) with v2.0 (approved)"));
    // Summary: every v2.0 block removed, every v3.0 block added.
    let redline = {
        let ws = regdoc::source::Workspace::new(repo().join("documents"));
        let a = ws.resolve("emrr@2.0").unwrap();
        let b = ws.resolve("emrr@3.0").unwrap();
        regdoc::diff::diff_docs(&a, &b)
    };
    let s = redline.stats_where(regdoc::diff::BlockDiff::is_published);
    assert_eq!((s.changed, s.unchanged, s.moved), (0, 0, 0));
    assert!(
        flat.contains(&format!("{} blocks added, {} removed", s.added, s.removed)),
        "{flat}"
    );
}

/// The EMRR's v2.0 → v3.0 mark-up, as `regdoc markup` writes it.
fn emrr_markup() -> lopdf::Document {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.pdf");
    let o = regdoc(&[
        "markup",
        "emrr@2.0",
        "emrr@3.0",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_ok(&o);
    lopdf::Document::load(&out).unwrap()
}

#[test]
fn markup_colours_deletions_red_and_insertions_blue() {
    // The fill colours of the two operations appear in the page content.
    let redline_pdf = emrr_markup();
    let mut content = Vec::new();
    for (_, id) in redline_pdf.get_pages() {
        content.extend(redline_pdf.get_page_content(id));
    }
    let content = String::from_utf8_lossy(&content);
    // #b91c1c and #1d4ed8 as PDF fill colours (0..1 components).
    assert!(
        content.contains("0.7254902 0.10980392 0.10980392"),
        "no red deletions"
    );
    assert!(
        content.contains("0.11372549 0.30588236 0.84705883"),
        "no blue insertions"
    );
}

#[test]
fn markup_tags_deletions_and_insertions_for_screen_readers() {
    // Colour says nothing to a screen reader: the tagged structure must
    // say which words are struck through and which underlined (typst-pdf
    // writes it for text inside `strike` and `underline`). A mark-up that
    // coloured its words after layout, as a faster way to draw them, would
    // lose this (BENCHMARKS.md, issue 11's fifth pass).
    let pdf = emrr_markup();
    fn decorations(o: &lopdf::Object, found: &mut std::collections::BTreeSet<String>) {
        match o {
            lopdf::Object::Dictionary(d) => {
                for (k, v) in d.iter() {
                    if k == b"TextDecorationType"
                        && let Ok(name) = v.as_name()
                    {
                        found.insert(String::from_utf8_lossy(name).into_owned());
                    }
                    decorations(v, found);
                }
            }
            lopdf::Object::Array(a) => a.iter().for_each(|v| decorations(v, found)),
            lopdf::Object::Stream(s) => {
                decorations(&lopdf::Object::Dictionary(s.dict.clone()), found)
            }
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for o in pdf.objects.values() {
        decorations(o, &mut found);
    }
    assert!(
        found.contains("LineThrough"),
        "deletions untagged: {found:?}"
    );
    assert!(
        found.contains("Underline"),
        "insertions untagged: {found:?}"
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    build_into(a.path());
    build_into(b.path());
    for name in [
        "emrr-v2.0.pdf",
        "emrr-v3.0-draft.pdf",
        "emrr-v2.0-to-v3.0-markup.pdf",
        "emrr-v3.0-consultation.pdf",
        "emrr-v3.0-response-template.docx",
    ] {
        let x = std::fs::read(a.path().join("emrr").join(name)).unwrap();
        let y = std::fs::read(b.path().join("emrr").join(name)).unwrap();
        assert!(x == y, "{name} differs between two builds");
    }
}

#[test]
fn pdfs_pass_qpdf_check() {
    let tmp = tempfile::tempdir().unwrap();
    build_into(tmp.path());
    for name in [
        "emrr-v2.0.pdf",
        "emrr-v3.0-draft.pdf",
        "emrr-v2.0-to-v3.0-markup.pdf",
    ] {
        let p = tmp.path().join("emrr").join(name);
        let o = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(&p)
            .output()
            .expect("qpdf is needed by the tests: apt-get install qpdf");
        assert!(
            o.status.success(),
            "qpdf --check {name}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn render_and_markup_write_where_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("nested/v3.pdf");
    let o = regdoc(&["render", "emrr@3.0", "-o", out.to_str().unwrap()]);
    assert_ok(&o);
    assert!(stdout(&o).contains("v3.pdf"));
    assert_eq!(info(&out, "DocumentStatus").as_deref(), Some("draft"));

    // Either side of a mark-up may be a plain Markdown file.
    let a = tmp.path().join("a.md");
    let b = tmp.path().join("b.md");
    write(&a, "# Rules\n\nReports are sent daily.\n");
    write(&b, "# Rules\n\nReports are sent weekly.\n\nA new clause.\n");
    let m = tmp.path().join("ab.pdf");
    let o = regdoc(&[
        "markup",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        m.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let t = squash(&pdf_text(&m, None));
    assert!(
        t.contains("daily") && t.contains("weekly") && t.contains("A new clause."),
        "{t}"
    );
    assert!(
        t.contains("0 blocks added") || t.contains("1 blocks added"),
        "{t}"
    );
}

#[test]
fn list_shows_every_version() {
    let o = regdoc(&["list"]);
    assert_ok(&o);
    let s = stdout(&o);
    assert!(s.contains("emrr"));
    assert!(
        s.contains("v2.0") && s.contains("approved") && s.contains("2023-07-05"),
        "{s}"
    );
    assert!(
        s.contains("v3.0") && s.contains("draft") && s.contains("2024-07-19"),
        "{s}"
    );
}

#[test]
fn source_date_epoch_dates_the_pdf_and_stays_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = tmp.path().join(name);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_regdoc"))
            .args(["render", "emrr@2.0", "-o", out.to_str().unwrap()])
            .current_dir(repo())
            .env("SOURCE_DATE_EPOCH", "1720000000")
            .output()
            .unwrap();
        assert_ok(&o);
        std::fs::read(out).unwrap()
    };
    let a = run("a.pdf");
    let b = run("b.pdf");
    assert_eq!(a, b);
    assert!(
        String::from_utf8_lossy(&a).contains("D:20240703"),
        "no CreationDate from SOURCE_DATE_EPOCH"
    );
}

#[test]
fn build_skips_what_is_up_to_date_and_rebuilds_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let run = |extra: &[&str]| {
        let mut args = vec!["build", "--out", "out"];
        args.extend_from_slice(extra);
        let o = regdoc_in(tmp.path(), &args);
        assert_ok(&o);
        stdout(&o)
    };
    // Three PDFs of versions and mark-ups, the consultation's PDF and its
    // response template.
    let first = run(&[]);
    assert_eq!(first.matches("wrote ").count(), 5, "{first}");
    let v2 = tmp.path().join("out/emrr/emrr-v2.0.pdf");
    let before = std::fs::read(&v2).unwrap();

    let second = run(&[]);
    assert_eq!(second.matches("up to date ").count(), 5, "{second}");
    assert_eq!(second.matches("wrote ").count(), 0, "{second}");

    // An edit of v3.0's text rebuilds v3.0 and the mark-up, not v2.0.
    let v3 = docs.join("emrr/v3.0.md");
    let text = std::fs::read_to_string(&v3).unwrap().replace(
        "ahead of Private Key Transfer",
        "before Private Key Transfer",
    );
    std::fs::write(&v3, text).unwrap();
    let third = run(&[]);
    assert!(
        third.contains("wrote out/emrr/emrr-v3.0-draft.pdf")
            && third.contains("wrote out/emrr/emrr-v2.0-to-v3.0-markup.pdf"),
        "{third}"
    );
    assert!(
        third.contains("up to date out/emrr/emrr-v2.0.pdf"),
        "{third}"
    );
    assert_eq!(std::fs::read(&v2).unwrap(), before);

    // A deleted or altered output is rebuilt; --force rebuilds all.
    std::fs::write(&v2, b"tampered").unwrap();
    assert!(run(&[]).contains("wrote out/emrr/emrr-v2.0.pdf"));
    assert_eq!(std::fs::read(&v2).unwrap(), before);
    assert_eq!(run(&["--force"]).matches("wrote ").count(), 5);
    // Quiet prints nothing.
    assert_eq!(run(&["--quiet", "--force"]), "");
}

#[test]
fn any_markdown_file_renders_without_governed_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("plain.md"),
        "# Plain title\n\nSome text.\n",
    );
    let o = regdoc_in(tmp.path(), &["render", "plain.md", "-o", "p.pdf"]);
    assert_ok(&o);
    let p = tmp.path().join("p.pdf");
    let text = squash(&pdf_text(&p, None));
    assert!(
        text.contains("Plain title") && text.contains("Some text."),
        "{text}"
    );
    assert!(
        !text.contains("Document control") && !text.contains("·"),
        "empty metadata shown: {text}"
    );
    assert!(text.contains("Page 1 of"), "{text}");
    assert_eq!(info(&p, "DocumentStatus"), None);
}

#[test]
fn render_and_markup_default_to_the_build_names_under_out() {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    assert_ok(&regdoc_in(tmp.path(), &["render", "emrr@3.0"]));
    assert_ok(&regdoc_in(tmp.path(), &["markup", "emrr@2.0", "emrr@3.0"]));
    assert!(tmp.path().join("out/emrr/emrr-v3.0-draft.pdf").is_file());
    assert!(
        tmp.path()
            .join("out/emrr/emrr-v2.0-to-v3.0-markup.pdf")
            .is_file()
    );
}

/// The cover says the classification once, keeps the document-control
/// table whole on the cover page, and a plain file gets a compact title
/// block rather than a cover page of its own.
#[test]
fn covers_are_compact_and_whole() {
    let tmp = tempfile::tempdir().unwrap();
    build_into(tmp.path());
    let markup = tmp.path().join("emrr/emrr-v2.0-to-v3.0-markup.pdf");
    let cover = pdf_text(&markup, Some(1));
    assert!(!cover.contains("DCC · DCC PUBLIC"), "{cover}");
    assert!(cover.contains("Document control"), "{cover}");
    // The text starts on page 2: no page holds a stray table row.
    let second = squash(&pdf_text(&markup, Some(2)));
    assert!(second.contains("1. Purpose"), "{second}");
    assert!(!second.contains("Version Status Effective"), "{second}");
    // Three lines of Markdown make one page.
    let md = tmp.path().join("note.md");
    std::fs::write(&md, "# A note\n\nOne line.\n\nAnother line.\n").unwrap();
    let pdf = tmp.path().join("note.pdf");
    assert_ok(&regdoc(&[
        "render",
        md.to_str().unwrap(),
        "-o",
        pdf.to_str().unwrap(),
    ]));
    assert_eq!(page_count(&pdf), 1);
}
