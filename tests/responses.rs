//! Attachment 2, the response template, and the collation of returned
//! responses into the consultation report, through the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const QUESTIONS: [&str; 3] = [
    "Do you agree with DCC ceasing EMRR reporting on 19 July 2024? Please provide your rationale.",
    "Do you agree the amendments to EMRR and that it delivers DCC's intent? Please provide your rationale.",
    "Do you agree with the proposed publication date (19 July 2024) for the updates to the EMRR using the draft version at Attachment 1? Please provide your rationale.",
];

/// The template `regdoc build` writes.
fn template(out: &Path) -> PathBuf {
    let o = regdoc(&["build", "--out", out.to_str().unwrap()]);
    assert_ok(&o);
    let p = out.join("emrr/emrr-v3.0-response-template.docx");
    assert!(p.is_file(), "{}", stdout(&o));
    p
}

/// `regdoc responses emrr@3.0 DIR -o OUT`.
fn collate(dir: &Path, out: &Path) -> std::process::Output {
    regdoc(&[
        "responses",
        "emrr@3.0",
        dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn pandoc_and_libreoffice_read_the_template_with_every_question_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let t = template(tmp.path());
    let o = Command::new("pandoc")
        .args(["-t", "plain", "--wrap=none"])
        .arg(&t)
        .output()
        .expect("pandoc is needed by the tests");
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for q in QUESTIONS {
        assert!(text.contains(q), "pandoc: {q} missing: {text}");
    }
    for field in [
        "Organisation",
        "Party category",
        "Large Suppliers, Small Suppliers, Other SEC Parties, or name another",
        "Confidentiality",
        "none, all or parts",
        "Q1: your view",
        "agree, disagree or neutral",
        "Q3: rationale",
        "5pm on 28 June 2024 to consultations@smartdcc.co.uk",
    ] {
        assert!(text.contains(field), "pandoc: `{field}` missing: {text}");
    }
    // LibreOffice opens it (and converts it to text).
    let lo = tmp.path().join("lo");
    let o = Command::new("soffice")
        .args(["--headless", "--convert-to", "txt:Text", "--outdir"])
        .arg(&lo)
        .arg(&t)
        .env("HOME", tmp.path())
        .output()
        .expect("LibreOffice is needed by the tests");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = squash(&read(&lo.join("emrr-v3.0-response-template.txt")));
    for q in QUESTIONS {
        assert!(text.contains(q), "LibreOffice: {q} missing: {text}");
    }
}

/// Three responses as Word users return them, and the report's numbers.
fn filled(dir: &Path, template: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let write = |name: &str, answers: &[(&str, &str)]| {
        std::fs::write(dir.join(name), fill_template(template, answers)).unwrap();
    };
    write(
        "a.docx",
        &[
            ("Organisation", "Alpha Energy"),
            ("Party category", "Large Supplier"),
            ("Confidentiality", "None"),
            ("Q1: your view", "Agree"),
            ("Q1: rationale", "Nothing left to report."),
            ("Q2: your view", "agree"),
            ("Q3: your view", "Neutral"),
        ],
    );
    write(
        "b.docx",
        &[
            ("Organisation", "Beta Power"),
            ("Party category", "Small Suppliers"),
            ("Q1: your view", "Disagree."),
            (
                "Q1: rationale",
                "Keep monthly reports until PKT go-live.\nA second paragraph of reasons.",
            ),
            ("Q3: your view", "Disagree"),
            ("Q3: rationale", "Publish after PKT."),
        ],
    );
    write(
        "c.docx",
        &[
            ("Organisation", "Gamma Metering"),
            (
                "Contact (name and e-mail)",
                "G. Person, g.person@example.invalid",
            ),
            ("Party category", "Meter Operator"),
            ("Confidentiality", "Parts"),
            ("Confidential parts and why", "Our own figures in Q1."),
            ("Q1: your view", "Disagree"),
            ("Q1: rationale", "SECRET-FIGURES 12,345 Devices in retry."),
            ("Q1: confidential?", "Yes"),
            ("Q2: your view", "Yes please"),
        ],
    );
    write(
        "d.docx",
        &[
            ("Organisation", "Delta Holdings"),
            ("Party category", "Other SEC Parties"),
            ("Confidentiality", "All"),
            ("Q2: your view", "Disagree"),
            ("Q2: rationale", "DELTA-SECRET the mark-up is unclear."),
        ],
    );
}

#[test]
fn filled_responses_are_collated_with_counts_disagreements_and_confidentiality() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    filled(&dir, &t);
    let out = tmp.path().join("report");
    let o = collate(&dir, &out);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("4 response(s) collated"),
        "{}",
        stdout(&o)
    );

    let full: serde_json::Value =
        serde_json::from_str(&read(&out.join("emrr-v3.0-consultation-report-full.json"))).unwrap();
    let counts = |j: &serde_json::Value, q: usize| {
        let q = &j["questions"][q];
        (
            q["agree"].as_u64().unwrap(),
            q["disagree"].as_u64().unwrap(),
            q["neutral"].as_u64().unwrap(),
            q["no_answer"].as_u64().unwrap(),
        )
    };
    assert_eq!(counts(&full, 0), (1, 2, 0, 1), "Q1");
    // "Yes please" is no view: counted as no answer, and noted.
    assert_eq!(counts(&full, 1), (1, 1, 0, 2), "Q2");
    assert_eq!(counts(&full, 2), (0, 1, 1, 2), "Q3");
    // Noted in the full report, without quoting what was typed.
    let notes = full["notes"].to_string();
    assert!(
        notes.contains("c.docx: Q2: the view is not agree, disagree or neutral")
            && !notes.contains("Yes please"),
        "{notes}"
    );
    // Categories: the consultation's, then those respondents named.
    let cats = full["categories"].to_string();
    assert!(
        cats.contains("\"name\":\"Large Suppliers\",\"respondents\":[\"Alpha Energy\"]")
            && cats.contains("\"name\":\"Other: Meter Operator\""),
        "{cats}"
    );
    // Areas of disagreement: every question someone disagreed with.
    let areas: Vec<&str> = full["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(areas, ["Q1", "Q2", "Q3"]);
    let q1 = full["disagreements"][0]["quotes"].to_string();
    assert!(
        q1.contains("Keep monthly reports until PKT go-live.\\nA second paragraph"),
        "{q1}"
    );

    // Confidential text: in every full output, in no published one.
    let nospace = |s: String| s.split_whitespace().collect::<String>();
    let full_pdf = nospace(pdf_text(
        &out.join("emrr-v3.0-consultation-report-full.pdf"),
        None,
    ));
    let pdf = nospace(pdf_text(
        &out.join("emrr-v3.0-consultation-report.pdf"),
        None,
    ));
    let outputs = |edition: &str| {
        ["json", "csv"]
            .map(|ext| read(&out.join(format!("emrr-v3.0-consultation-report{edition}.{ext}"))))
    };
    let (full, published) = (outputs("-full"), outputs(""));
    for secret in ["SECRET-FIGURES", "DELTA-SECRET", "Delta Holdings"] {
        for (f, p) in full.iter().zip(&published) {
            assert!(f.contains(secret), "{secret} missing from a full output");
            assert!(!p.contains(secret), "{secret} published");
        }
        assert!(
            full_pdf.contains(&nospace(secret.into())),
            "{secret} missing from the full PDF"
        );
        assert!(
            !pdf.contains(&nospace(secret.into())),
            "{secret} published in the PDF"
        );
    }
    // Contact details are personal information, and a respondent's account
    // of what is confidential may itself be: the full report only.
    for private in ["g.person@example.invalid", "Our own figures in Q1."] {
        assert!(
            full[0].contains(private),
            "{private} missing from the full JSON"
        );
        assert!(
            full_pdf.contains(&nospace(private.into())),
            "{private} missing from the full PDF"
        );
        for p in &published {
            assert!(!p.contains(private), "{private} published");
        }
        assert!(
            !pdf.contains(&nospace(private.into())),
            "{private} published in the PDF"
        );
    }
    // The published report counts a confidential answer only as kept back:
    // with the other names, its view could otherwise be worked out. Q1:
    // Gamma's answer is confidential, and Delta asked for all of theirs.
    let published: serde_json::Value =
        serde_json::from_str(&read(&out.join("emrr-v3.0-consultation-report.json"))).unwrap();
    assert_eq!(counts(&published, 0), (1, 1, 0, 0));
    assert_eq!(published["questions"][0]["withheld"], 2);
    assert_eq!(published["disagreements"][0]["respondents"], 1);
    assert!(published.to_string().contains("Confidential respondent 1"));
    // Reading notes name files and what was typed: full report only.
    assert_eq!(published["notes"], serde_json::json!([]));
    // The CSV rows add up to the counts of their edition.
    for edition in ["", "-full"] {
        let csv = read(&out.join(format!("emrr-v3.0-consultation-report{edition}.csv")));
        let j: serde_json::Value = serde_json::from_str(&read(
            &out.join(format!("emrr-v3.0-consultation-report{edition}.json")),
        ))
        .unwrap();
        let q1 = &j["questions"][0];
        let counted = ["agree", "disagree", "neutral", "no_answer"]
            .iter()
            .map(|k| q1[*k].as_u64().unwrap())
            .sum::<u64>();
        let rows = csv.split("\r\n").filter(|l| l.starts_with("Q1,")).count();
        assert_eq!(rows as u64, counted, "{edition}: {csv}");
    }
    // The full report says so on every page.
    let full_pdf = out.join("emrr-v3.0-consultation-report-full.pdf");
    for p in 1..=page_count(&full_pdf) {
        assert!(
            pdf_text(&full_pdf, Some(p)).contains("Full report: not for publication"),
            "page {p} of the full report does not say what it is"
        );
    }
    assert_eq!(info(&full_pdf, "ReportEdition").as_deref(), Some("full"));
}

#[test]
fn a_response_resaved_by_libreoffice_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    filled(&dir, &t);
    let resaved = tmp.path().join("resaved");
    let o = Command::new("soffice")
        .args([
            "--headless",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
        ])
        .arg(&resaved)
        .arg(dir.join("b.docx"))
        .env("HOME", tmp.path())
        .output()
        .expect("LibreOffice is needed by the tests");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("report");
    let o = collate(&resaved, &out);
    assert_ok(&o);
    let j: serde_json::Value =
        serde_json::from_str(&read(&out.join("emrr-v3.0-consultation-report-full.json"))).unwrap();
    assert_eq!(j["respondents"], 1);
    assert_eq!(j["categories"][1]["respondents"][0], "Beta Power");
    assert_eq!(j["questions"][0]["disagree"], 1);
    assert_eq!(j["questions"][2]["disagree"], 1);
    assert!(
        j["questions"][0]["answers"][0]["rationale"]
            .as_str()
            .unwrap()
            .contains("Keep monthly reports until PKT go-live.")
    );
}

#[test]
fn a_file_that_is_not_this_consultations_template_is_an_error_for_it_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("good.docx"),
        fill_template(&t, &[("Organisation", "Alpha"), ("Q1: your view", "Agree")]),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a Word file").unwrap();
    std::fs::write(dir.join("renamed.docx"), "PK but not really a zip").unwrap();
    // A Word file that is some other document: regdoc's own diff.
    let o = regdoc(&[
        "diff",
        "emrr@2.0",
        "emrr@3.0",
        "--format",
        "docx",
        "-o",
        dir.join("other.docx").to_str().unwrap(),
    ]);
    assert_ok(&o);
    // Another consultation's template.
    let bytes = fill_template(&t, &[]);
    let other = rewrite_docx(&bytes, |_, b| {
        String::from_utf8_lossy(&b)
            .replace("emrr@3.0", "emrr@4.0")
            .into_bytes()
    });
    std::fs::write(dir.join("wrong-consultation.docx"), other).unwrap();
    let out = tmp.path().join("report");
    let o = collate(&dir, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    for (file, why) in [
        ("notes.txt", "is not a Word file"),
        ("renamed.docx", "is not a Word file"),
        ("other.docx", "has no \"Consultation reference\" row"),
        (
            "wrong-consultation.docx",
            "is the response template of emrr@4.0, not of emrr@3.0",
        ),
    ] {
        assert!(
            e.lines().any(|l| l.contains(file) && l.contains(why)),
            "{file}: {e}"
        );
    }
    // The good one is still collated.
    assert!(stdout(&o).contains("1 response(s) collated, 4 file(s) not read"));
    let j = read(&out.join("emrr-v3.0-consultation-report-full.json"));
    assert!(j.contains("Alpha"));
}

/// The made-up examples shipped in tests/fixtures/responses (see
/// tests/fixtures/responses.md) collate.
#[test]
fn the_shipped_example_responses_collate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let o = collate(&repo().join("tests/fixtures/responses"), &out);
    assert_ok(&o);
    let j: serde_json::Value =
        serde_json::from_str(&read(&out.join("emrr-v3.0-consultation-report-full.json"))).unwrap();
    assert_eq!(j["respondents"], 3);
    assert!(j.to_string().contains("made-up example"));
    assert_eq!(j["questions"][0]["disagree"], 2);
    let published = read(&out.join("emrr-v3.0-consultation-report.json"));
    assert!(!published.contains("CONFIDENTIAL-MARKER"));
}

/// Two runs, same bytes; the outputs are written together or not at all.
#[test]
fn reports_are_reproducible() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let dir = repo().join("tests/fixtures/responses");
    assert_ok(&collate(&dir, a.path()));
    assert_ok(&collate(&dir, b.path()));
    for name in [
        "emrr-v3.0-consultation-report.pdf",
        "emrr-v3.0-consultation-report-full.csv",
        "emrr-v3.0-consultation-report-full.json",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(name)).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
            "{name}"
        );
    }
}

/// A response whose document unpacks to far more than any response is an
/// error for that file, found while unpacking, quickly.
#[test]
fn a_zip_bomb_is_an_error_for_that_file_alone() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&chunk).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 1 << 20, "the bomb is small: {}", bytes.len());
    std::fs::write(dir.join("bomb.docx"), bytes).unwrap();
    let started = std::time::Instant::now();
    let o = collate(&dir, &tmp.path().join("report"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bomb.docx") && stderr(&o).contains("unpacks to more than 32 MiB"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed().as_secs() < 10);
}

/// Responses kept beside the consultation are counted by `list` and read
/// by `responses` without a folder argument.
#[test]
fn responses_kept_beside_the_consultation_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    copy_dir(
        &repo().join("tests/fixtures/responses"),
        &docs.join("emrr/consultations/v3.0-responses"),
    );
    let o = regdoc_in(tmp.path(), &["list", "--on", "2024-07-01"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("closed on 2024-06-28, 3 response(s) received, as of 2024-07-01"),
        "{}",
        stdout(&o)
    );
    let o = regdoc_in(tmp.path(), &["responses", "emrr@3.0"]);
    assert_ok(&o);
    assert!(
        tmp.path()
            .join("out/emrr/emrr-v3.0-consultation-report-full.pdf")
            .is_file()
    );
    // The responses folder is not a version, and check stays clean.
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
}

/// Collates `dir` into `out` and asserts that each of `leaks` is in the
/// full report and in none of the published outputs (PDF, CSV, JSON).
/// Returns the full report's JSON text.
fn assert_kept_back(dir: &Path, out: &Path, leaks: &[&str]) -> String {
    let o = collate(dir, out);
    assert_ok(&o);
    let published: Vec<String> = ["json", "csv"]
        .iter()
        .map(|ext| read(&out.join(format!("emrr-v3.0-consultation-report.{ext}"))))
        .chain([pdf_text(
            &out.join("emrr-v3.0-consultation-report.pdf"),
            None,
        )])
        .collect();
    let full = read(&out.join("emrr-v3.0-consultation-report-full.json"));
    for leak in leaks {
        for p in &published {
            assert!(!p.contains(leak), "{leak} was published");
        }
        assert!(
            full.contains(leak),
            "{leak} is missing from the full report"
        );
    }
    full
}

/// Every way a respondent may mark an answer confidential keeps it out of
/// the published report, whatever the other fields say.
#[test]
fn an_answer_marked_confidential_is_never_published() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    let cases: &[(&str, &[(&str, &str)])] = &[
        // The top choice left empty, the answer marked.
        (
            "blank-top",
            &[
                ("Q1: rationale", "LEAK-BLANK-TOP"),
                ("Q1: confidential?", "Yes"),
            ],
        ),
        // The top choice "no", the answer marked anyway.
        (
            "no-top",
            &[
                ("Confidentiality", "No, except Q1"),
                ("Q1: rationale", "LEAK-NO-TOP"),
                ("Q1: confidential?", "yes"),
            ],
        ),
        // Other ways of saying yes.
        (
            "yes-comma",
            &[
                ("Confidentiality", "parts"),
                ("Q1: rationale", "LEAK-YES-COMMA"),
                ("Q1: confidential?", "Yes, confidential"),
            ],
        ),
        (
            "tick",
            &[
                ("Confidentiality", "parts"),
                ("Q1: rationale", "LEAK-TICK"),
                ("Q1: confidential?", "✔"),
            ],
        ),
        // "Parts", but no answer marked: every answer is kept back.
        (
            "parts-unmarked",
            &[
                ("Organisation", "LEAK-ORG-PARTS"),
                ("Confidentiality", "Parts"),
                ("Confidential parts and why", "Q1 is sensitive"),
                ("Q1: rationale", "LEAK-PARTS-UNMARKED"),
            ],
        ),
        // A choice regdoc cannot read: all of it.
        (
            "unreadable-choice",
            &[
                ("Organisation", "LEAK-ORG-UNREADABLE"),
                ("Confidentiality", "Entirely confidential: LEAK-CHOICE-TEXT"),
                ("Q1: your view", "Strongly disagree: LEAK-VIEW-TEXT"),
            ],
        ),
        // All of it: not named, and not described in its own words.
        (
            "all",
            &[
                ("Organisation", "LEAK-ORG-ALL"),
                ("Party category", "LEAK-OWN-CATEGORY metering arm"),
                ("Confidentiality", "All"),
                ("Q2: rationale", "LEAK-ALL"),
            ],
        ),
    ];
    for (name, answers) in cases {
        let mut answers = answers.to_vec();
        if !answers.iter().any(|(l, _)| *l == "Organisation") {
            answers.push(("Organisation", name));
        }
        answers.push(("Q1: your view", "Disagree"));
        std::fs::write(
            dir.join(format!("{name}.docx")),
            fill_template(&t, &answers),
        )
        .unwrap();
    }
    // A "parts" response whose "confidential?" row was deleted.
    let deleted = rewrite_docx(
        &fill_template(
            &t,
            &[
                ("Organisation", "row-deleted"),
                ("Confidentiality", "parts"),
                ("Q2: rationale", "LEAK-ROW-DELETED"),
                ("Q3: confidential?", "yes"),
            ],
        ),
        |name, b| {
            if name != "word/document.xml" {
                return b;
            }
            let xml = String::from_utf8(b).unwrap();
            let label = xml.find(">Q2: confidential?</w:t>").unwrap();
            let start = xml[..label].rfind("<w:tr>").unwrap();
            let end = label + xml[label..].find("</w:tr>").unwrap() + "</w:tr>".len();
            format!("{}{}", &xml[..start], &xml[end..]).into_bytes()
        },
    );
    std::fs::write(dir.join("row-deleted.docx"), deleted).unwrap();
    let full = assert_kept_back(
        &dir,
        &tmp.path().join("report"),
        &[
            "LEAK-BLANK-TOP",
            "LEAK-NO-TOP",
            "LEAK-YES-COMMA",
            "LEAK-TICK",
            "LEAK-PARTS-UNMARKED",
            "LEAK-ORG-PARTS",
            "LEAK-ORG-UNREADABLE",
            "LEAK-ORG-ALL",
            "LEAK-OWN-CATEGORY",
            "LEAK-ALL",
            "LEAK-ROW-DELETED",
        ],
    );
    // Text a respondent typed is never quoted in notes, full report included.
    for quoted in ["LEAK-CHOICE-TEXT", "LEAK-VIEW-TEXT"] {
        assert!(!full.contains(quoted), "{quoted} was quoted in a note");
    }
}

/// A respondent may type over the reference row: the template's own
/// property still says which consultation it is; and case does not matter.
#[test]
fn a_response_whose_reference_was_typed_over_is_still_read() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, reference) in [
        ("ours.docx", "Our ref: ACME/2024/17"),
        ("upper.docx", "EMRR@3.0"),
    ] {
        let filled = fill_template(&t, &[("Organisation", name), ("Q1: your view", "agree")]);
        let edited = rewrite_docx(&filled, |part, b| {
            if part != "word/document.xml" {
                return b;
            }
            String::from_utf8(b)
                .unwrap()
                .replacen(">emrr@3.0</w:t>", &format!(">{reference}</w:t>"), 1)
                .into_bytes()
        });
        std::fs::write(dir.join(name), edited).unwrap();
    }
    let out = tmp.path().join("report");
    let o = collate(&dir, &out);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("2 response(s) collated"),
        "{}",
        stdout(&o)
    );
}

/// A copy of a response is not a second response, and nothing in the
/// folder is skipped without a word.
#[test]
fn copies_links_and_folders_among_responses_are_said() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(dir.join("a folder")).unwrap();
    let one = fill_template(&t, &[("Organisation", "Alpha"), ("Q1: your view", "agree")]);
    std::fs::write(dir.join("alpha.docx"), &one).unwrap();
    std::fs::write(dir.join("alpha (copy).docx"), &one).unwrap();
    // A second, different response from the same organisation ("Ltd." or
    // not): counted, and said.
    std::fs::write(
        dir.join("alpha-v2.docx"),
        fill_template(
            &t,
            &[("Organisation", "Alpha."), ("Q1: your view", "disagree")],
        ),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.join("alpha.docx"), dir.join("link.docx")).unwrap();
    // A lock file of an open document is not a response.
    std::fs::write(dir.join("~$alpha.docx"), "lock").unwrap();
    let out = tmp.path().join("report");
    let o = collate(&dir, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("alpha.docx") && e.contains("is the same file as"),
        "{e}"
    );
    assert!(
        e.contains("link.docx") && e.contains("is not a regular file"),
        "{e}"
    );
    assert!(
        e.contains("a folder") && e.contains("is not a regular file"),
        "{e}"
    );
    assert!(!e.contains("~$alpha"), "{e}");
    assert!(
        e.contains("are responses from the same organisation: both are counted"),
        "{e}"
    );
    assert!(stdout(&o).contains("2 response(s) collated, 3 file(s) not read"));
}

/// The part of a filled template's document.xml, edited by `edit`.
fn edit_xml(docx: &[u8], edit: impl Fn(String) -> String) -> Vec<u8> {
    rewrite_docx(docx, |name, b| {
        if name == "word/document.xml" {
            edit(String::from_utf8(b).unwrap()).into_bytes()
        } else {
            b
        }
    })
}

/// Wherever a respondent's wish about confidentiality is not plain, the
/// reading keeps more back, never less; and what Word does not show is
/// never quoted.
#[test]
fn an_unclear_wish_for_confidentiality_keeps_more_back() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    let base = |org: &str, extra: &[(&str, &str)]| {
        let mut a = vec![("Organisation", org), ("Q1: your view", "Disagree")];
        a.extend_from_slice(extra);
        fill_template(&t, &a)
    };
    // Words that are not a plain no.
    for (name, mark) in [
        ("not-for-pub", "Not for publication"),
        ("no-but", "No, please do not publish this"),
        (
            "no-then-yes",
            "No.\nOn reflection, yes: keep this confidential",
        ),
        ("tick-text", "✔"),
    ] {
        write(
            &format!("{name}.docx"),
            base(
                name,
                &[
                    ("Q1: rationale", &format!("LEAK-{name}")),
                    ("Q1: confidential?", mark),
                ],
            ),
        );
    }
    // A tick inserted as a symbol (Insert › Symbol), not as text.
    let sym = edit_xml(&base("sym", &[("Q1: rationale", "LEAK-sym")]), |xml| {
        let at = xml.find(">Q1: confidential?</w:t>").unwrap();
        let slot = at
            + xml[at..]
                .find("<w:t xml:space=\"preserve\"></w:t>")
                .unwrap();
        format!(
            "{}<w:sym w:font=\"Wingdings\" w:char=\"F0FC\"/>{}",
            &xml[..slot],
            &xml[slot..]
        )
    });
    write("sym.docx", sym);
    // A cover table of the respondent's own, before the template's,
    // answering confidentiality differently.
    let cover = edit_xml(
        &base(
            "LEAK-ORG-COVER",
            &[("Confidentiality", "all"), ("Q1: rationale", "LEAK-cover")],
        ),
        |xml| {
            let first = xml.find("<w:tbl>").unwrap();
            let own = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Confidentiality</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>None</w:t></w:r></w:p></w:tc></w:tr></w:tbl>";
            format!("{}{own}{}", &xml[..first], &xml[first..])
        },
    );
    write("cover.docx", cover);
    // The choice made by editing the hint: typed over, or struck out.
    let typed = edit_xml(
        &base("LEAK-ORG-HINT", &[("Q1: rationale", "LEAK-hint")]),
        |xml| xml.replacen(">none, all or parts</w:t>", ">all</w:t>", 1),
    );
    write("hint-typed.docx", typed);
    let struck = edit_xml(
        &base("LEAK-ORG-STRIKE", &[("Q1: rationale", "LEAK-strike")]),
        |xml| {
            xml.replacen(
                "<w:r><w:rPr /><w:t xml:space=\"preserve\">none, all or parts</w:t></w:r>",
                "<w:r><w:rPr><w:strike/></w:rPr><w:t xml:space=\"preserve\">none, </w:t></w:r><w:r><w:t xml:space=\"preserve\">all</w:t></w:r><w:r><w:rPr><w:strike/></w:rPr><w:t xml:space=\"preserve\"> or parts</w:t></w:r>",
                1,
            )
        },
    );
    write("hint-struck.docx", struck);
    // Confidentiality asked for in words, without a mark.
    write(
        "none-except.docx",
        base(
            "LEAK-ORG-EXCEPT",
            &[
                ("Confidentiality", "None, except our answer to Q1"),
                ("Q1: rationale", "LEAK-except"),
            ],
        ),
    );
    write(
        "reason-only.docx",
        base(
            "LEAK-ORG-REASON",
            &[
                (
                    "Confidential parts and why",
                    "Our Q1 answer is confidential",
                ),
                ("Q1: rationale", "LEAK-reason"),
            ],
        ),
    );
    // Text Word does not show: hidden, or the old place of moved text.
    let hidden = edit_xml(
        &base("visible", &[("Q1: rationale", "Shown text.")]),
        |xml| {
            xml.replacen(
                ">Shown text.</w:t></w:r>",
                ">Shown text.</w:t></w:r><w:r><w:rPr><w:vanish/></w:rPr><w:t>LEAK-HIDDEN</w:t></w:r><w:moveFrom><w:r><w:t>LEAK-MOVED-AWAY</w:t></w:r></w:moveFrom>",
                1,
            )
        },
    );
    write("hidden.docx", hidden);
    // No organisation: not named by its file outside the full report.
    write(
        "Jane Doe LEAK-FILE-NAME.docx",
        fill_template(&t, &[("Q1: your view", "agree")]),
    );
    let full = assert_kept_back(
        &dir,
        &tmp.path().join("report"),
        &[
            "LEAK-not-for-pub",
            "LEAK-no-but",
            "LEAK-no-then-yes",
            "LEAK-tick-text",
            "LEAK-sym",
            "LEAK-ORG-COVER",
            "LEAK-cover",
            "LEAK-ORG-HINT",
            "LEAK-hint",
            "LEAK-ORG-STRIKE",
            "LEAK-strike",
            "LEAK-ORG-EXCEPT",
            "LEAK-except",
            "LEAK-ORG-REASON",
            "LEAK-reason",
            "LEAK-FILE-NAME",
        ],
    );
    for unseen in ["LEAK-HIDDEN", "LEAK-MOVED-AWAY"] {
        assert!(!full.contains(unseen), "{unseen} was read");
    }
    assert!(full.contains("Shown text."));
}

/// A file whose tables are gone is an error, not a blank response; a
/// hidden file that is not a lock file is said, not skipped.
#[test]
fn a_response_without_its_tables_or_hidden_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    let filled = fill_template(
        &t,
        &[("Organisation", "Tableless"), ("Q1: your view", "agree")],
    );
    let tableless = edit_xml(&filled, |xml| {
        xml.replace("<w:tbl>", "")
            .replace("</w:tbl>", "")
            .replace("<w:tr>", "")
            .replace("</w:tr>", "")
    });
    std::fs::write(dir.join("tableless.docx"), tableless).unwrap();
    std::fs::write(dir.join(".hidden-response.docx"), &filled).unwrap();
    std::fs::write(dir.join(".~lock.open.docx#"), "lock").unwrap();
    let o = collate(&dir, &tmp.path().join("report"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("tableless.docx") && e.contains("none of the response template's rows"),
        "{e}"
    );
    assert!(
        stdout(&o).contains("1 response(s) collated, 1 file(s) not read"),
        "{}",
        stdout(&o)
    );
    assert!(!e.contains(".~lock"), "{e}");
}

/// The template as built, nothing typed in, is not a response.
#[test]
fn a_blank_template_is_not_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let t = template(&tmp.path().join("built"));
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&t, dir.join("blank.docx")).unwrap();
    let bytes = std::fs::read(&t).unwrap();
    std::fs::write(
        dir.join("a.docx"),
        fill_template(
            &bytes,
            &[("Organisation", "Alpha"), ("Q1: your view", "agree")],
        ),
    )
    .unwrap();
    let o = collate(&dir, &tmp.path().join("report"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("blank.docx") && stderr(&o).contains("nothing filled in"));
    assert!(stdout(&o).contains("1 response(s) collated"));
}

/// Issue 31, findings 7 and 8: a confidentiality choice Word shows is read
/// as Word shows it — "All" in a content control, in custom XML or in a
/// cell the respondent added, or chosen by bold, a highlight or an
/// underline in the hint — and text a style hides is never quoted.
#[test]
fn a_choice_is_read_as_word_shows_it_and_style_hidden_text_is_never_quoted() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    let base = |org: &str, extra: &[(&str, &str)]| {
        let mut a = vec![("Organisation", org), ("Q1: your view", "Disagree")];
        a.extend_from_slice(extra);
        fill_template(&t, &a)
    };
    // The Confidentiality row's answer cell, wrapped in `open`/`close`.
    let wrap_value = |xml: String, open: &str, close: &str| {
        let at = xml.find(">Confidentiality</w:t>").unwrap();
        let label_end = at + xml[at..].find("</w:tc>").unwrap() + "</w:tc>".len();
        let value_end = label_end + xml[label_end..].find("</w:tc>").unwrap() + "</w:tc>".len();
        format!(
            "{}{open}{}{close}{}",
            &xml[..label_end],
            &xml[label_end..value_end],
            &xml[value_end..]
        )
    };
    for (name, open, close) in [
        (
            "sdt",
            "<w:sdt><w:sdtPr><w:alias w:val=\"Choice\"/></w:sdtPr><w:sdtContent>",
            "</w:sdtContent></w:sdt>",
        ),
        (
            "customxml",
            "<w:customXml w:element=\"choice\">",
            "</w:customXml>",
        ),
    ] {
        let org = format!("LEAK-ORG-{name}");
        let leak = format!("LEAK-{name}");
        let filled = base(
            &org,
            &[("Confidentiality", "All"), ("Q1: rationale", &leak)],
        );
        write(
            &format!("{name}.docx"),
            edit_xml(&filled, |xml| wrap_value(xml, open, close)),
        );
    }
    // "All" typed into a third cell the respondent added to the row.
    let third = edit_xml(
        &base("LEAK-ORG-THIRD", &[("Q1: rationale", "LEAK-third")]),
        |xml| {
            let added = "<w:tc><w:p><w:r><w:t>All</w:t></w:r></w:p></w:tc>";
            let at = xml.find(">Confidentiality</w:t>").unwrap();
            let label_end = at + xml[at..].find("</w:tc>").unwrap() + "</w:tc>".len();
            let value_end = label_end + xml[label_end..].find("</w:tc>").unwrap() + "</w:tc>".len();
            format!("{}{added}{}", &xml[..value_end], &xml[value_end..])
        },
    );
    write("third.docx", third);
    // "all" chosen in the hint by formatting, the answer cell left empty
    // (or "None" typed there: the choice made by formatting still makes
    // the reading not plain).
    for (name, rpr) in [
        ("bold", "<w:b/>"),
        ("highlight", "<w:highlight w:val=\"yellow\"/>"),
        ("underline", "<w:u w:val=\"single\"/>"),
        (
            "border",
            "<w:bdr w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/>",
        ),
        ("size", "<w:sz w:val=\"32\"/>"),
    ] {
        let org = format!("LEAK-ORG-{name}");
        let leak = format!("LEAK-{name}");
        let marked = edit_xml(&base(&org, &[("Q1: rationale", &leak)]), |xml| {
            xml.replacen(
                "<w:r><w:rPr /><w:t xml:space=\"preserve\">none, all or parts</w:t></w:r>",
                &format!(
                    "<w:r><w:rPr /><w:t xml:space=\"preserve\">none, </w:t></w:r><w:r><w:rPr>{rpr}</w:rPr><w:t xml:space=\"preserve\">all</w:t></w:r><w:r><w:rPr /><w:t xml:space=\"preserve\"> or parts</w:t></w:r>"
                ),
                1,
            )
        });
        write(&format!("{name}.docx"), marked);
    }
    // The hint split onto lines of its own, "all" in bold on its line, and
    // "None" typed as the answer.
    let split = edit_xml(
        &base(
            "LEAK-ORG-split",
            &[("Confidentiality", "None"), ("Q1: rationale", "LEAK-split")],
        ),
        |xml| {
            xml.replacen(
                "<w:r><w:rPr /><w:t xml:space=\"preserve\">none, all or parts</w:t></w:r>",
                "<w:r><w:rPr /><w:t xml:space=\"preserve\">none,</w:t></w:r></w:p><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>all</w:t></w:r></w:p><w:p><w:r><w:rPr /><w:t xml:space=\"preserve\">or parts</w:t></w:r>",
                1,
            )
        },
    );
    write("split.docx", split);
    // Text hidden by a character style and by a paragraph style of
    // styles.xml, not by the run itself.
    let styled = rewrite_docx(
        &base("styled", &[("Q1: rationale", "Shown text.")]),
        |name, b| {
            match name {
            "word/styles.xml" => {
                let xml = String::from_utf8(b).unwrap();
                xml.replacen(
                    "</w:styles>",
                    "<w:style w:type=\"character\" w:styleId=\"Secret\"><w:name w:val=\"Secret\"/><w:rPr><w:vanish/></w:rPr></w:style><w:style w:type=\"character\" w:styleId=\"AlsoSecret\"><w:name w:val=\"Also secret\"/><w:basedOn w:val=\"Secret\"/></w:style><w:style w:type=\"paragraph\" w:styleId=\"HiddenPara\"><w:name w:val=\"Hidden para\"/><w:rPr><w:vanish/></w:rPr></w:style></w:styles>",
                    1,
                )
                .into_bytes()
            }
            "word/document.xml" => String::from_utf8(b)
                .unwrap()
                .replacen(
                    ">Shown text.</w:t></w:r>",
                    ">Shown text.</w:t></w:r><w:r><w:rPr><w:rStyle w:val=\"AlsoSecret\"/></w:rPr><w:t>LEAK-STYLE-HIDDEN</w:t></w:r></w:p><w:p><w:pPr><w:pStyle w:val=\"HiddenPara\"/></w:pPr><w:r><w:t>LEAK-PARA-HIDDEN</w:t></w:r>",
                    1,
                )
                .into_bytes(),
            _ => b,
        }
        },
    );
    write("styled.docx", styled);
    // Hidden by the table's style (a conditional part of it), by
    // `specVanish`, and through a paragraph style the styles lack (Word
    // uses the default one, here hidden).
    let tabled = rewrite_docx(
        &base("tabled", &[("Q1: rationale", "Shown text.")]),
        |name, b| {
            match name {
            "word/styles.xml" => String::from_utf8(b)
                .unwrap()
                .replacen(
                    "</w:styles>",
                    "<w:style w:type=\"table\" w:styleId=\"Secretive\"><w:name w:val=\"Secretive\"/><w:tblStylePr w:type=\"lastCol\"><w:rPr><w:vanish/></w:rPr></w:tblStylePr></w:style></w:styles>",
                    1,
                )
                .into_bytes(),
            "word/document.xml" => String::from_utf8(b)
                .unwrap()
                .replacen(
                    ">Shown text.</w:t></w:r>",
                    ">Shown text.</w:t></w:r></w:p><w:p><w:r><w:rPr><w:specVanish/></w:rPr><w:t>LEAK-SPEC-HIDDEN</w:t></w:r></w:p><w:tbl><w:tblPr><w:tblStyle w:val=\"Secretive\"/></w:tblPr><w:tr><w:tc><w:p><w:r><w:t>LEAK-TABLE-HIDDEN</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t></w:t></w:r>",
                    1,
                )
                .into_bytes(),
            _ => b,
        }
        },
    );
    write("tabled.docx", tabled);
    let full = assert_kept_back(
        &dir,
        &tmp.path().join("report"),
        &[
            "LEAK-ORG-sdt",
            "LEAK-sdt",
            "LEAK-ORG-customxml",
            "LEAK-customxml",
            "LEAK-ORG-THIRD",
            "LEAK-third",
            "LEAK-ORG-bold",
            "LEAK-bold",
            "LEAK-ORG-highlight",
            "LEAK-highlight",
            "LEAK-ORG-underline",
            "LEAK-underline",
            "LEAK-ORG-border",
            "LEAK-border",
            "LEAK-ORG-size",
            "LEAK-size",
            "LEAK-ORG-split",
            "LEAK-split",
        ],
    );
    for unseen in [
        "LEAK-STYLE-HIDDEN",
        "LEAK-PARA-HIDDEN",
        "LEAK-SPEC-HIDDEN",
        "LEAK-TABLE-HIDDEN",
    ] {
        assert!(!full.contains(unseen), "{unseen} was read");
    }
    assert!(full.contains("Shown text."));
}

/// Issue 31, finding 11: a cell nested 200,000 elements deep is refused
/// for that file alone, quickly, not walked for minutes.
#[test]
fn deeply_nested_xml_in_a_response_is_refused_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    let filled = fill_template(&t, &[("Organisation", "Fine"), ("Q1: your view", "agree")]);
    std::fs::write(dir.join("fine.docx"), &filled).unwrap();
    for (name, open, close) in [
        (
            "elements",
            "<w:customXml w:element=\"x\">",
            "</w:customXml>",
        ),
        ("paragraphs", "<w:p>", "</w:p>"),
    ] {
        let deep = edit_xml(&filled, |xml| {
            let at = xml.find(">Fine</w:t>").unwrap();
            let n = 200_000;
            format!(
                "{}>{}{}{}",
                &xml[..at],
                open.repeat(n),
                close.repeat(n),
                &xml[at + 1..]
            )
        });
        std::fs::write(dir.join(format!("{name}.docx")), deep).unwrap();
    }
    let start = std::time::Instant::now();
    let o = collate(&dir, &tmp.path().join("report"));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let e = stderr(&o);
    assert!(e.contains("nests deeper than"), "{e}");
    assert!(
        stdout(&o).contains("1 response(s) collated, 2 file(s) not read"),
        "{}",
        stdout(&o)
    );
}

/// Issue 31, finding 11: 10,000 returned files ran the collation out of
/// 2 GiB. More than 2,000 is an error before any file is read.
#[test]
fn too_many_returned_files_are_refused_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..2_001 {
        std::fs::write(dir.join(format!("r{i}.docx")), "not read").unwrap();
    }
    let start = std::time::Instant::now();
    let o = collate(&dir, &tmp.path().join("report"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds 2001 returned files"),
        "{}",
        stderr(&o)
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(!tmp.path().join("report").exists());
}

/// Issue 27, item 5: "agree in part" and "agree, subject to conditions"
/// were counted as plain agreement, and a partial disagreement vanished
/// from the areas of disagreement. They are their own category, and an
/// area of disagreement.
#[test]
fn a_qualified_answer_is_its_own_category_and_an_area_of_disagreement() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::read(template(&tmp.path().join("built"))).unwrap();
    let dir = tmp.path().join("returned");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, view, why) in [
        (
            "a",
            "Agree, subject to conditions",
            "Only if the date holds.",
        ),
        ("b", "Agree in part", "Not the date."),
        ("c", "Agree", "Fine."),
    ] {
        std::fs::write(
            dir.join(format!("{name}.docx")),
            fill_template(
                &t,
                &[
                    ("Organisation", &format!("Org {name}")),
                    ("Q1: your view", view),
                    ("Q1: rationale", why),
                ],
            ),
        )
        .unwrap();
    }
    let out = tmp.path().join("report");
    assert_ok(&collate(&dir, &out));
    let json: serde_json::Value =
        serde_json::from_str(&read(&out.join("emrr-v3.0-consultation-report.json"))).unwrap();
    let q1 = &json["questions"][0];
    assert_eq!(
        (q1["agree"].as_u64(), q1["in_part"].as_u64()),
        (Some(1), Some(2)),
        "{q1}"
    );
    let d = &json["disagreements"][0];
    assert_eq!(d["id"], "Q1");
    assert_eq!(d["in_part"].as_u64(), Some(2));
    let csv = read(&out.join("emrr-v3.0-consultation-report.csv"));
    assert_eq!(csv.matches(",agree in part,").count(), 2, "{csv}");
    let pdf = squash(&pdf_text(
        &out.join("emrr-v3.0-consultation-report.pdf"),
        None,
    ));
    assert!(pdf.contains("Q1: 2 agree in part"), "{pdf}");
    assert!(
        pdf.contains("Not the date.") && pdf.contains("Only if the date holds."),
        "{pdf}"
    );
    assert!(!pdf.contains("respondent(s)"), "{pdf}");
}
