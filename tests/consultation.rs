//! The consultation on EMRR v3.0 as governed source: its PDF, its rules
//! and its place in the lifecycle, through the real binary.

mod common;

use std::path::Path;

use common::*;

/// The questions, word for word as the DCC consultation of 10 June 2024
/// asks them.
const QUESTIONS: [(&str, &str); 3] = [
    (
        "Q1",
        "Do you agree with DCC ceasing EMRR reporting on 19 July 2024? Please provide your rationale.",
    ),
    (
        "Q2",
        "Do you agree the amendments to EMRR and that it delivers DCC's intent? Please provide your rationale.",
    ),
    (
        "Q3",
        "Do you agree with the proposed publication date (19 July 2024) for the updates to the EMRR using the draft version at Attachment 1? Please provide your rationale.",
    ),
];

const CONSULTATION: &str = "documents/emrr/consultations/v3.0.md";

fn build(out: &Path) -> std::path::PathBuf {
    let o = regdoc(&["build", "--out", out.to_str().unwrap()]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("emrr-v3.0-consultation.pdf"),
        "{}",
        stdout(&o)
    );
    out.join("emrr/emrr-v3.0-consultation.pdf")
}

/// pdftotext's apostrophes and line breaks, made comparable.
fn plain(s: &str) -> String {
    squash(&s.replace('’', "'"))
}

/// The text of every page without its running header and footer, which
/// pdftotext may set in the middle of a paragraph's first line.
fn body_text(pdf: &Path) -> String {
    let mut out = String::new();
    for p in 1..=page_count(pdf) {
        for line in pdf_text(pdf, Some(p)).lines() {
            let t = line.trim();
            let running = t == "DCC Public"
                || t == "Consultation"
                || (t == "ECoS Migrations Consultation on the ECoS Migration Reporting Regime"
                    && p > 1)
                || (t.starts_with("Page ") && t.contains(" of "));
            if !running {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    plain(&out)
}

#[test]
fn the_consultation_pdf_holds_the_questions_paragraphs_and_attachments() {
    let tmp = tempfile::tempdir().unwrap();
    let pdf = build(tmp.path());
    let text = body_text(&pdf);
    for (id, q) in QUESTIONS {
        assert!(text.contains(&format!("{id} {q}")), "{id} missing: {text}");
    }
    // Paragraphs 1 to 19, in order, each starting as the seed starts it.
    let starts = [
        "1. The Data Communications Company (DCC)",
        "2. The Enduring Change of Supplier",
        "3. When a gas or electricity consumer",
        "4. In order to facilitate ECoS",
        "5. In accordance with SEC Appendix AS",
        "6. With over 30m Devices now migrated",
        "7. The final reports will be generated",
        "8. The ECoS Transition and Migration Approach Document",
        "9. DCC advises industry",
        "10. This consultation is expected to impact",
        "11. The following documents will be impacted",
        "12. The closing date for this consultation is 28 June 2024.",
        "13. DCC informs industry",
        "14. To facilitate DCC's proposal",
        "15. Following the closure of this consultation",
        "16. Following DESNZ approval, the updated EMRR will become effective from 19 July 2024.",
        "17. Please provide responses by 5pm on 28 June 2024 to DCC at consultations@smartdcc.co.uk.",
        "18. Consultation responses may be published",
        "19. If you have any questions",
    ];
    let mut at = 0;
    for s in starts {
        let found = text[at..]
            .find(s)
            .unwrap_or_else(|| panic!("`{s}` missing or out of order after byte {at}: {text}"));
        at += found + s.len();
    }
    for a in [
        "Attachment 1: ECoS Migration Reporting Regime v3.0 (mark-up)",
        "Attachment 2: Response template",
    ] {
        assert!(
            text[at..].contains(a),
            "{a} missing from the attachments list"
        );
    }
    // The cover: the draft's dates, the consultation's own facts.
    let cover = plain(&pdf_text(&pdf, Some(1)));
    for fact in [
        "ECoS Migrations Consultation on the ECoS Migration Reporting Regime",
        "Your chance to shape the changes to the EMRR",
        "Date 10 June 2024",
        "Respond by 28 June 2024",
        "Author consultations@smartdcc.co.uk",
        "Classification DCC Public",
    ] {
        assert!(cover.contains(fact), "cover lacks `{fact}`: {cover}");
    }
    // The table "at present" is emrr@2.0's.
    for r in 1..=7 {
        assert!(text.contains(&format!("ECOSMIG-00{r}")), "row {r} missing");
    }
}

#[test]
fn the_table_of_contents_gives_the_right_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let pdf = build(tmp.path());
    let pages = page_count(&pdf);
    let page_texts: Vec<String> = (1..=pages).map(|p| pdf_text(&pdf, Some(p))).collect();
    // "1.1. Background . . . . 2": each entry's page holds its heading.
    let toc = &page_texts[0];
    let entries = toc
        .split("Table of Contents")
        .nth(1)
        .expect("a table of contents on the cover page");
    let mut checked = 0;
    for line in entries.lines() {
        // typst joins the page number to its leader with a word joiner.
        let line = line.replace('\u{2060}', "");
        let line = line.trim();
        let Some((title, page)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(page) = page.parse::<usize>() else {
            continue;
        };
        let title = title.trim_end_matches(['.', ' ']).trim();
        if !title.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        assert!(page >= 2 && page <= pages, "{line}");
        let body = &page_texts[page - 1];
        assert!(
            body.lines().any(|l| l.trim() == title),
            "`{title}` is not on page {page}:\n{body}"
        );
        checked += 1;
    }
    assert_eq!(
        checked, 9,
        "the TOC lists sections 1 to 5 and their subsections: {toc}"
    );
}

#[test]
fn the_consultation_pdf_carries_the_drafts_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let pdf = build(tmp.path());
    assert_eq!(info(&pdf, "DocumentId").as_deref(), Some("emrr"));
    assert_eq!(info(&pdf, "DocumentVersion").as_deref(), Some("3.0"));
    assert_eq!(info(&pdf, "DocumentStatus").as_deref(), Some("draft"));
    assert_eq!(info(&pdf, "DocumentKind").as_deref(), Some("consultation"));
    assert_eq!(
        info(&pdf, "ConsultationCloses").as_deref(),
        Some("2024-06-28")
    );
    assert_eq!(
        info(&pdf, "Title").as_deref(),
        Some("ECoS Migrations Consultation on the ECoS Migration Reporting Regime")
    );
    // Same input, same bytes.
    let again = tempfile::tempdir().unwrap();
    let second = build(again.path());
    assert_eq!(
        std::fs::read(&pdf).unwrap(),
        std::fs::read(&second).unwrap()
    );
}

/// Runs `check` on a copy of the documents edited by `edit`, and returns
/// its output; the exit status must be 1.
fn check_after(edit: impl Fn(&Path)) -> String {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    edit(tmp.path());
    let o = regdoc_in(tmp.path(), &["check", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    format!("{}{}", stdout(&o), stderr(&o))
}

/// The line of the bundled consultation that starts with `start`.
fn line_of(start: &str) -> usize {
    std::fs::read_to_string(repo().join(CONSULTATION))
        .unwrap()
        .lines()
        .position(|l| l.starts_with(start))
        .expect("a line")
        + 1
}

fn replace_in(root: &Path, file: &str, from: &str, to: &str) {
    let p = root.join(file);
    let t = std::fs::read_to_string(&p).unwrap();
    assert!(t.contains(from), "{file} lacks `{from}`");
    std::fs::write(&p, t.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_bundled_consultation_passes_check() {
    let o = regdoc(&["check", "--color", "never", CONSULTATION]);
    assert_ok(&o);
}

#[test]
fn a_draft_date_changed_without_the_consultation_is_a_located_error() {
    // The draft alone.
    let out = check_after(|root| {
        replace_in(
            root,
            "documents/emrr/v3.0.md",
            "effective: 2024-07-19",
            "effective: 2024-07-26",
        )
    });
    assert!(
        out.contains("consultation/cites")
            && out.contains("paragraph 16 should state 26 July 2024")
            && out.contains(&format!(
                "consultations/v3.0.md:{}:",
                line_of("16. Following")
            )),
        "{out}"
    );
    // The consultation alone.
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "will become effective from 19 July 2024",
            "will become effective from 26 July 2024",
        )
    });
    assert!(
        out.contains("paragraph 16 should state 19 July 2024")
            && out.contains(&format!("v3.0.md:{}:", line_of("16. Following"))),
        "{out}"
    );
    // The closing date, in the draft.
    let out = check_after(|root| {
        replace_in(
            root,
            "documents/emrr/v3.0.md",
            "closes: 2024-06-28",
            "closes: 2024-06-30",
        )
    });
    assert!(
        out.contains("paragraph 12 should state 30 June 2024")
            && out.contains("paragraph 17 should state 30 June 2024"),
        "{out}"
    );
}

#[test]
fn questions_are_unique_and_placed_once() {
    let out = check_after(|root| replace_in(root, CONSULTATION, "  - id: Q2", "  - id: Q1"));
    assert!(
        out.contains("consultation/question-id") && out.contains("question id Q1 is used twice"),
        "{out}"
    );
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "<!-- regdoc:question Q3 -->",
            "<!-- regdoc:question Q1 -->",
        )
    });
    assert!(
        out.contains("question Q1 is placed twice") && out.contains("question Q3 is not placed"),
        "{out}"
    );
}

#[test]
fn a_consultation_names_an_existing_draft() {
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "consults_on: emrr@3.0",
            "consults_on: emrr@4.0",
        )
    });
    assert!(
        out.contains("consultation/consults-on") && out.contains("emrr has no version 4.0"),
        "{out}"
    );
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "consults_on: emrr@3.0",
            "consults_on: emrr@2.0",
        )
    });
    assert!(out.contains("version 2.0 is approved"), "{out}");
    // A quote of a table that does not exist.
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "regdoc:quote emrr@2.0 table 1",
            "regdoc:quote emrr@2.0 table 2",
        )
    });
    assert!(out.contains("emrr@2.0 has 1 table(s), not 2"), "{out}");
}

#[test]
fn paragraphs_are_numbered_continuously() {
    // A list restarting at 1 in section 2.
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "13. DCC informs industry",
            "1. DCC informs industry",
        )
    });
    assert!(
        out.contains("consultation/numbering") && out.contains("paragraph 1 follows paragraph 12"),
        "{out}"
    );
    // An item written with another number than Markdown gives it.
    let out = check_after(|root| {
        replace_in(
            root,
            CONSULTATION,
            "12. The closing date",
            "13. The closing date",
        )
    });
    assert!(
        out.contains("paragraph 12 (as its list numbers it)"),
        "{out}"
    );
}

#[test]
fn approve_refuses_before_the_consultation_has_closed() {
    for (on, ok) in [
        ("2024-06-20", false),
        ("2024-06-28", false),
        ("2024-07-01", true),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        copy_documents(tmp.path());
        let o = regdoc_in(tmp.path(), &["approve", "emrr@3.0", "--on", on]);
        if ok {
            assert_ok(&o);
        } else {
            assert_eq!(o.status.code(), Some(1), "{on}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("before its consultation closed")
                    || stdout(&o).contains("before its consultation closed"),
                "{on}: {}{}",
                stdout(&o),
                stderr(&o)
            );
            let v3 = std::fs::read_to_string(tmp.path().join("documents/emrr/v3.0.md")).unwrap();
            assert!(v3.contains("status: draft"), "{on}: the draft was changed");
        }
    }
}

#[test]
fn list_shows_the_consultation_state_on_a_date() {
    for (on, state) in [
        ("2024-06-01", "not yet open (opens 2024-06-10)"),
        ("2024-06-28", "open (closes 2024-06-28)"),
        ("2024-06-29", "closed on 2024-06-28"),
    ] {
        let o = regdoc(&["list", "--on", on]);
        assert_ok(&o);
        assert!(
            stdout(&o).contains(&format!("consultation on v3.0: {state}, as of {on}")),
            "{on}: {}",
            stdout(&o)
        );
    }
}

/// Consultation text is data: typst code in a question is printed, not run.
#[test]
fn consultation_text_never_runs_as_typst() {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    let evil = "Do you agree? #read(\"/etc/passwd\") $x^2$ <label> @ref";
    replace_in(
        tmp.path(),
        CONSULTATION,
        "text: Do you agree the amendments to EMRR and that it delivers DCC's intent? Please provide your rationale.",
        &format!("text: '{evil}'"),
    );
    let o = regdoc_in(tmp.path(), &["build", "--out", "out"]);
    assert_ok(&o);
    let text = plain(&pdf_text(
        &tmp.path().join("out/emrr/emrr-v3.0-consultation.pdf"),
        None,
    ));
    assert!(text.contains(&squash(evil)), "{text}");
    assert!(!text.contains("root:x:0"));
}

/// Once its draft is approved, a consultation is the record of how that
/// version came to be: `check --base` refuses a change to it; before, it
/// may still be edited.
#[test]
fn a_consultation_on_an_approved_version_is_immutable() {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-qm", "consultation"]);
    // A draft's consultation may change.
    replace_in(
        tmp.path(),
        CONSULTATION,
        "respond_by_time: 5pm",
        "respond_by_time: 5 pm",
    );
    replace_in(tmp.path(), CONSULTATION, "by 5pm on", "by 5 pm on");
    let o = regdoc_in(tmp.path(), &["check", "--base", "HEAD", "--color", "never"]);
    assert_ok(&o);
    git(tmp.path(), &["checkout", "-q", "--", "."]);
    // Approved: it may not.
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-01"],
    ));
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-qm", "approved"]);
    replace_in(
        tmp.path(),
        CONSULTATION,
        "19. If you have any questions",
        "19. If you have any further questions",
    );
    let o = regdoc_in(tmp.path(), &["check", "--base", "HEAD", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        out.contains("base/consultation-immutable")
            && out.contains(&format!("consultations/v3.0.md:{}:", line_of("19. If you"))),
        "{out}"
    );
}

/// `build` does not publish a pack whose consultation contradicts its
/// draft: it says why and writes nothing.
#[test]
fn build_refuses_a_consultation_that_contradicts_its_draft() {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    replace_in(
        tmp.path(),
        "documents/emrr/v3.0.md",
        "effective: 2024-07-19",
        "effective: 2024-07-26",
    );
    let o = regdoc_in(tmp.path(), &["build", "--out", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("consultation/cites"), "{}", stderr(&o));
    assert!(!tmp.path().join("out/emrr").exists());
}

/// Each consultation rule, broken once: located, with its rule id.
#[test]
fn every_consultation_rule_refuses_its_bad_input() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (from, to, rule, what the message says)
        (
            "    asks: [agreement, rationale]\n  - id: Q2",
            "    asks: []\n  - id: Q2",
            "consultation/question",
            "question Q1 needs its text and what it asks for",
        ),
        (
            "in_force: emrr@2.0",
            "in_force: emrr@3.0",
            "consultation/in-force",
            "emrr@3.0 is draft: the version in force is an approved one",
        ),
        (
            "in_force: emrr@2.0",
            "in_force: emrr@9.0",
            "consultation/in-force",
            "`emrr@9.0` is not a version of emrr",
        ),
        (
            "<!-- regdoc:attachments -->",
            "",
            "consultation/attachments",
            "the attachments are not listed in the text",
        ),
        (
            "<!-- regdoc:attachments -->",
            "<!-- regdoc:attachments -->\n\n<!-- regdoc:attachments -->",
            "consultation/attachments",
            "the attachments are listed 2 times",
        ),
        (
            "  - label: Attachment 1",
            "  - label: Annex A",
            "consultation/attachments",
            "the mark-up is Annex A here but \"Attachment 1\"",
        ),
        (
            "    content: response-template",
            "    content: markup",
            "consultation/attachments",
            "two attachments are the Markup",
        ),
        (
            "respond_by_time: [\"17\"]",
            "respond_by_time: [\"17\", \"25\"]",
            "consultation/cites",
            "cites.respond_by_time names paragraph 25",
        ),
        (
            "<!-- regdoc:question Q2 -->",
            "<!-- regdoc:questoin Q2 -->",
            "consultation/directive",
            "is not a directive",
        ),
    ];
    for (from, to, rule, says) in cases {
        let out = check_after(|root| replace_in(root, CONSULTATION, from, to));
        assert!(
            out.contains(&format!("error[{rule}]")) && out.contains(says),
            "{from} → {to}: expected {rule} saying {says}:\n{out}"
        );
        assert!(out.contains("consultations/v3.0.md:"), "{out}");
    }
}

/// What `check` only warns of: a consultation that cites nothing, and one
/// in a file not named for its draft.
#[test]
fn consultation_warnings() {
    for (edit, rule) in [
        ("cites", "consultation/cites"),
        ("rename", "consultation/file-name"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        copy_documents(tmp.path());
        let path = tmp.path().join(CONSULTATION);
        if edit == "cites" {
            let t = std::fs::read_to_string(&path).unwrap();
            let start = t.find("cites:\n").unwrap();
            let end = start + t[start..].find("\n---\n").unwrap();
            std::fs::write(&path, format!("{}{}", &t[..start], &t[end + 1..])).unwrap();
        } else {
            std::fs::rename(&path, path.with_file_name("2024-06.md")).unwrap();
        }
        let o = regdoc_in(tmp.path(), &["check", "--color", "never"]);
        assert_ok(&o);
        let out = format!("{}{}", stdout(&o), stderr(&o));
        assert!(out.contains(&format!("warning[{rule}]")), "{edit}: {out}");
        let o = regdoc_in(tmp.path(), &["check", "--deny-warnings"]);
        assert_eq!(o.status.code(), Some(1), "{edit}");
    }
}
