//! The governed record cannot be bent: every way issue 10 found to change
//! approved text unnoticed, to leave the record half-changed, or to take
//! the machine down, each with the located error, `check` finding or
//! correct output it now gives, within 2 s and 512 MiB.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// Runs regdoc with at most 512 MiB of address space; returns the output
/// and how long it took.
fn bounded(cwd: &Path, args: &[&str]) -> (Output, Duration) {
    let bin = env!("CARGO_BIN_EXE_regdoc");
    let start = Instant::now();
    let o = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 524288; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (o, start.elapsed())
}

/// Exit status 2, within 2 s, with every one of `needles` in the error.
#[track_caller]
fn refused(run: &(Output, Duration), needles: &[&str]) {
    let (o, took) = run;
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for n in needles {
        assert!(e.contains(n), "expected `{n}` in {e}");
    }
    assert!(*took < Duration::from_secs(2), "took {took:?}");
}

/// Exit status 2 and a located error naming `file`, quickly.
#[track_caller]
fn located(o: &(Output, Duration), file: &str, line: usize, what: &str) {
    let (o, took) = o;
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!("{file}:{line}:")),
        "expected {file}:{line}: in {e}"
    );
    assert!(e.contains(what), "expected `{what}` in {e}");
    assert!(*took < Duration::from_secs(2), "took {took:?}");
}

fn approved(v: &str) -> String {
    format!(
        "---\nversion: \"{v}\"\nstatus: approved\neffective: 2024-01-10\napproved: {{by: DESNZ, on: 2024-01-05}}\nsummary: Version {v}.\n---\n# 1. Text\n\nBody of {v}.\n\n| Report | Due |\n|---|---|\n| A | Monday |\n| B | Friday |\n"
    )
}

fn draft(v: &str, supersedes: &str) -> String {
    format!(
        "---\nversion: \"{v}\"\nstatus: draft\neffective: 2024-05-01\nsupersedes: \"{supersedes}\"\nsummary: Draft {v}.\n---\n# 1. Text\n\nBody of {v}, changed.\n"
    )
}

fn committed(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = workspace(files);
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "."]);
    git(tmp.path(), &["commit", "-qm", "base"]);
    tmp
}

fn edit(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

/// `check --base HEAD --format github`: (exit status, annotations).
fn gate(dir: &Path) -> (i32, String) {
    let o = regdoc_in(dir, &["check", "--base", "HEAD", "--format", "github"]);
    (o.status.code().unwrap(), stdout(&o) + &stderr(&o))
}

// ---------------------------------------------------------------------
// The gate lets no approved text change.

#[test]
fn an_approved_version_with_a_non_ascii_name_is_guarded() {
    let tmp = committed(&[
        ("v2.0-é.md", &approved("2.0")),
        ("v2.1.md", &draft("2.1", "2.0")),
    ]);
    let p = tmp.path().join("documents/x/v2.0-é.md");
    edit(&p, "Body of 2.0.", "Body of 2.0, quietly changed.");
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("file=documents/x/v2.0-é.md,line=10") && out.contains("its text changed"),
        "{out}"
    );
    std::fs::remove_file(&p).unwrap();
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("base/deleted-version"), "{out}");
}

#[test]
fn every_front_matter_field_of_an_approved_version_is_guarded() {
    let tmp = committed(&[
        ("v2.0.md", &approved("2.0")),
        ("v2.1.md", &draft("2.1", "2.0")),
    ]);
    // An assumption slipped into the approved version with a draft edit.
    edit(
        &tmp.path().join("documents/x/v2.0.md"),
        "summary: Version 2.0.\n",
        "summary: Version 2.0.\nassumptions:\n  - Reports are weekly.\n",
    );
    edit(
        &tmp.path().join("documents/x/v2.1.md"),
        "changed",
        "changed again",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("file=documents/x/v2.0.md,line=7")
            && out.contains("its `assumptions` changed"),
        "{out}"
    );
}

#[test]
fn a_changed_nested_field_is_reported_at_its_own_line() {
    let text = approved("1.0").replace(
        "approved: {by: DESNZ, on: 2024-01-05}",
        "approved:\n  by: DESNZ\n  on: 2024-01-05",
    );
    let tmp = committed(&[("v1.0.md", &text)]);
    edit(
        &tmp.path().join("documents/x/v1.0.md"),
        "on: 2024-01-05",
        "on: 2024-01-06",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("line=7") && out.contains("its `approved.on` changed"),
        "{out}"
    );
}

#[test]
fn an_approved_table_row_change_is_reported_at_the_row() {
    let tmp = committed(&[("v2.0.md", &approved("2.0"))]);
    edit(
        &tmp.path().join("documents/x/v2.0.md"),
        "| B | Friday |",
        "| B | Sunday |",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    // Line 15 is the row `| B | Friday |`.
    assert!(out.contains("file=documents/x/v2.0.md,line=15"), "{out}");
}

#[test]
fn document_yaml_is_as_immutable_as_what_approved_pdfs_print() {
    let tmp = committed(&[
        ("v2.0.md", &approved("2.0")),
        ("v2.1.md", &draft("2.1", "2.0")),
    ]);
    let info = tmp.path().join("documents/x/document.yaml");
    edit(&info, "title: Test Document", "title: Another Document");
    edit(
        &info,
        "classification: DCC Public",
        "classification: DCC Controlled",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("file=documents/x/document.yaml,line=2")
            && out.contains("`title` of `x` changed")
            && out.contains("file=documents/x/document.yaml,line=4")
            && out.contains("`classification` of `x` changed"),
        "{out}"
    );
    // Before anything is approved, document.yaml is free to change.
    let tmp = committed(&[(
        "v1.0.md",
        &draft("1.0", "0.9").replace("supersedes: \"0.9\"\n", ""),
    )]);
    edit(
        &tmp.path().join("documents/x/document.yaml"),
        "title: Test Document",
        "title: Better Title",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 0, "{out}");
}

#[test]
fn version_numbers_have_one_canonical_form() {
    // `3` and `3.0` are one version: two files cannot both hold it.
    let tmp = workspace(&[
        ("v3.0.md", &version_file("3.0", "approved", "# A\n")),
        ("v3.md", &version_file("3", "draft", "# B\n")),
    ]);
    let o = regdoc_in(tmp.path(), &["list"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("v3.md:2:1") && stderr(&o).contains("is also in"),
        "{}",
        stderr(&o)
    );
    let o = regdoc_in(tmp.path(), &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let tmp = workspace(&[
        ("v1.0.md", &version_file("1.0", "approved", "# A\n")),
        ("v01.0.md", &version_file("01.0", "draft", "# B\n")),
    ]);
    assert_eq!(regdoc_in(tmp.path(), &["list"]).status.code(), Some(2));
    // And `x@3` finds `3.0`.
    let tmp = workspace(&[(
        "v3.0.md",
        &version_file("3.0", "approved", "# A\n\nText.\n"),
    )]);
    let o = regdoc_in(tmp.path(), &["diff", "x@3", "x@3.0"]);
    assert_ok(&o);
}

#[test]
fn an_approved_pdf_does_not_change_when_a_draft_starts() {
    let tmp = workspace(&[("v1.0.md", &approved("1.0"))]);
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    let pdf = tmp.path().join("out/x/x-v1.0.pdf");
    let before = std::fs::read(&pdf).unwrap();
    assert_ok(&regdoc_in(tmp.path(), &["new", "x"]));
    let o = regdoc_in(tmp.path(), &["build", "--out", "out"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("up to date out/x/x-v1.0.pdf"),
        "{}",
        stdout(&o)
    );
    assert_ok(&regdoc_in(
        tmp.path(),
        &["build", "--out", "out", "-q", "--force"],
    ));
    assert_eq!(
        std::fs::read(&pdf).unwrap(),
        before,
        "the approved PDF changed"
    );
    // The draft's own PDF lists both.
    let text = pdf_text(&tmp.path().join("out/x/x-v1.1-draft.pdf"), None);
    assert!(text.contains("1.0") && text.contains("1.1"));
}

// ---------------------------------------------------------------------
// Multi-file changes are all-or-nothing and survive a kill.

fn state(docs: &Path) -> (String, String) {
    let status = |f: &str| {
        let t = std::fs::read_to_string(docs.join(f)).unwrap();
        t.lines()
            .find_map(|l| l.strip_prefix("status: "))
            .unwrap()
            .to_string()
    };
    (status("emrr/v2.0.md"), status("emrr/v3.0.md"))
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(leftovers(&p));
        } else if e.file_name().to_string_lossy().starts_with(".regdoc-")
            && !e.file_name().to_string_lossy().ends_with("build.json")
        {
            found.push(p);
        }
    }
    found
}

#[test]
fn approve_killed_at_any_moment_leaves_the_state_before_or_after() {
    let bin = env!("CARGO_BIN_EXE_regdoc");
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let pristine: Vec<(PathBuf, Vec<u8>)> = ["emrr/v2.0.md", "emrr/v3.0.md"]
        .iter()
        .map(|f| (docs.join(f), std::fs::read(docs.join(f)).unwrap()))
        .collect();
    // How long an approve takes here, to spread the kills across it.
    let start = Instant::now();
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-12"],
    ));
    let span = start.elapsed().as_micros() as u64 + 200;
    let (mut before, mut after) = (0, 0);
    for i in 0..200u64 {
        for (p, b) in &pristine {
            std::fs::write(p, b).unwrap();
        }
        let mut child = Command::new(bin)
            .args(["approve", "emrr@3.0", "--on", "2024-07-12"])
            .current_dir(tmp.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // A deterministic spread over the whole run (and a little beyond).
        std::thread::sleep(Duration::from_micros((i * 7919) % span));
        let _ = child.kill();
        let _ = child.wait();
        let o = regdoc_in(tmp.path(), &["check"]);
        assert_ok(&o);
        match state(&docs) {
            (a, b) if a == "approved" && b == "draft" => before += 1,
            (a, b) if a == "superseded" && b == "approved" => after += 1,
            other => panic!("run {i}: a state between: {other:?}"),
        }
        assert_eq!(leftovers(&docs), Vec::<PathBuf>::new(), "run {i}");
    }
    assert!(before > 0 && after > 0, "before {before}, after {after}");
}

#[test]
fn a_journal_left_by_a_kill_is_finished_by_the_next_command() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let dir = docs.join("emrr");
    // What approve leaves when killed after its journal, before any rename.
    let v2 = std::fs::read_to_string(dir.join("v2.0.md")).unwrap();
    let v3 = std::fs::read_to_string(dir.join("v3.0.md")).unwrap();
    std::fs::write(
        dir.join(".regdoc-a.tmp"),
        v2.replacen("status: approved", "status: superseded", 1),
    )
    .unwrap();
    std::fs::write(
        dir.join(".regdoc-b.tmp"),
        v3.replacen(
            "status: draft\n",
            "status: approved\napproved:\n  by: DESNZ\n  on: 2024-07-12\n",
            1,
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join(".regdoc-journal.json"),
        journal_left_by_a_kill(
            &dir,
            &[(".regdoc-b.tmp", "v3.0.md"), (".regdoc-a.tmp", "v2.0.md")],
            &[],
        ),
    )
    .unwrap();
    std::fs::write(dir.join(".regdoc-stray.tmp"), "killed while staging").unwrap();
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
    assert_eq!(state(&docs), ("superseded".into(), "approved".into()));
    assert_eq!(leftovers(&docs), Vec::<PathBuf>::new());
}

#[test]
fn build_removes_outputs_no_version_produces_and_says_which() {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    let out = tmp.path().join("out/emrr");
    assert!(out.join("emrr-v3.0-draft.pdf").exists());
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-12"],
    ));
    // --keep-stale keeps them, and says so.
    let o = regdoc_in(tmp.path(), &["build", "--out", "out", "-q", "--keep-stale"]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("stale out/emrr/emrr-v3.0-draft.pdf")
            && stderr(&o).contains("stale out/emrr/emrr-v2.0.pdf"),
        "{}",
        stderr(&o)
    );
    assert!(out.join("emrr-v3.0-draft.pdf").exists());
    // A file that is not regdoc's is never touched.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("removed out/emrr/emrr-v3.0-draft.pdf")
            && stdout(&o).contains("removed out/emrr/emrr-v2.0.pdf"),
        "{}",
        stdout(&o)
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "emrr-v2.0-superseded.pdf",
            "emrr-v2.0-to-v3.0-markup.pdf",
            "emrr-v3.0-consultation.pdf",
            "emrr-v3.0-response-template.docx",
            "emrr-v3.0.pdf",
            "notes.txt"
        ]
    );
}

#[test]
fn a_build_that_fails_while_writing_leaves_the_old_set_and_no_temp_files() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    let out = tmp.path().join("out");
    let snapshot = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("emrr"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.push((
            ".regdoc-build.json".into(),
            std::fs::read(dir.join(".regdoc-build.json")).unwrap(),
        ));
        v.sort();
        v
    };
    let before = snapshot(&out);
    // Change both versions, and make one output impossible to write (a
    // folder where the mark-up goes): the writes that would succeed must
    // not happen either.
    edit(
        &docs.join("emrr/v3.0.md"),
        "1.1 ECoS Migrations cease",
        "1.1 ECoS Migrations stop",
    );
    edit(
        &docs.join("emrr/v2.0.md"),
        "summary: ",
        "summary: (edited) ",
    );
    std::fs::remove_file(out.join("emrr/emrr-v2.0-to-v3.0-markup.pdf")).unwrap();
    std::fs::create_dir(out.join("emrr/emrr-v2.0-to-v3.0-markup.pdf")).unwrap();
    let o = regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is not a regular file"),
        "{}",
        stderr(&o)
    );
    let after: Vec<_> = snapshot(&out)
        .into_iter()
        .filter(|(n, _)| !n.ends_with("markup.pdf"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(n, _)| !n.ends_with("markup.pdf"))
        .collect();
    assert!(after == before, "a failed build changed out/");
    assert_eq!(leftovers(&out), Vec::<PathBuf>::new());
}

#[test]
fn a_killed_build_leaves_no_temp_files_after_the_next_run() {
    let bin = env!("CARGO_BIN_EXE_regdoc");
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    let out = tmp.path().join("out");
    for i in 0..6u64 {
        let mut child = Command::new(bin)
            .args(["build", "--out", "out", "-q", "--force"])
            .current_dir(tmp.path())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + i * 97));
        let _ = child.kill();
        let _ = child.wait();
        let o = regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]);
        assert_ok(&o);
        assert_eq!(leftovers(&out), Vec::<PathBuf>::new(), "run {i}");
        for f in [
            "emrr-v2.0.pdf",
            "emrr-v3.0-draft.pdf",
            "emrr-v2.0-to-v3.0-markup.pdf",
        ] {
            assert!(out.join("emrr").join(f).is_file(), "run {i}: {f}");
        }
    }
}

// ---------------------------------------------------------------------
// Lifecycle checks users expect.

#[test]
fn approve_checks_the_approver() {
    let tmp = tempfile::tempdir().unwrap();
    copy_documents(tmp.path());
    let o = regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "Ofgme", "--on", "2024-07-12"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`Ofgme` is not the approver of `emrr`: document.yaml names DESNZ")
    );
    let o = regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "", "--on", "2024-07-12"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--by is empty"));
    // Without --by, the document's approver is recorded.
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-12"],
    ));
    let t = std::fs::read_to_string(tmp.path().join("documents/emrr/v3.0.md")).unwrap();
    assert!(
        t.contains("approved:\n  by: DESNZ\n  on: 2024-07-12\n"),
        "{t}"
    );
}

#[test]
fn approve_keeps_line_endings_and_the_byte_order_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    for f in ["emrr/v2.0.md", "emrr/v3.0.md"] {
        let t = std::fs::read_to_string(docs.join(f))
            .unwrap()
            .replace('\n', "\r\n");
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(t.as_bytes());
        std::fs::write(docs.join(f), bytes).unwrap();
    }
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-12"],
    ));
    for f in ["emrr/v2.0.md", "emrr/v3.0.md"] {
        let bytes = std::fs::read(docs.join(f)).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "{f} lost its BOM");
        let t = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lone = t
            .match_indices('\n')
            .filter(|(i, _)| !t[..*i].ends_with('\r'))
            .count();
        assert_eq!(lone, 0, "{f} has LF lines in a CRLF file: {t:?}");
    }
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
}

// ---------------------------------------------------------------------
// Every resource is bounded, with a located error; `check` reports the
// same limits.

fn governed_with_body(body: &str) -> tempfile::TempDir {
    workspace(&[("v1.0.md", &version_file("1.0", "draft", body))])
}

#[test]
fn combining_marks_are_limited_in_every_command() {
    let accents = |n: usize| format!("# T\n\nOne a{} here.\n", "\u{301}".repeat(n));
    // A plain file with 10,000 accents: a located error, not 6 GB.
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("bomb.md"), &accents(10_000));
    located(
        &bounded(tmp.path(), &["render", "bomb.md", "-o", "bomb.pdf"]),
        "bomb.md",
        3,
        "combining marks",
    );
    located(
        &bounded(tmp.path(), &["diff", "bomb.md", "bomb.md"]),
        "bomb.md",
        3,
        "combining marks",
    );
    // Just over the limit (31 marks) and just under it.
    write(&tmp.path().join("over.md"), &accents(32));
    located(
        &bounded(tmp.path(), &["diff", "over.md", "over.md"]),
        "over.md",
        3,
        "32 combining marks",
    );
    write(&tmp.path().join("under.md"), &accents(31));
    assert_ok(&bounded(tmp.path(), &["render", "under.md", "-o", "under.pdf"]).0);
    // `check` finds it in a governed version, so CI stops it first.
    let tmp = governed_with_body(&accents(10_000));
    let (o, took) = bounded(tmp.path(), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("file=documents/x/v1.0.md,line=9")
            && stdout(&o).contains("limits/grapheme-cluster"),
        "{}",
        stdout(&o)
    );
    assert!(took < Duration::from_secs(2));
}

#[test]
fn table_width_is_limited() {
    let table = |cols: usize| format!("# T\n\n|{}\n|{}\n", "a|".repeat(cols), "-|".repeat(cols));
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("wide.md"), &table(1_000_000));
    located(
        &bounded(tmp.path(), &["render", "wide.md", "-o", "w.pdf"]),
        "wide.md",
        3,
        "1000000 columns",
    );
    write(&tmp.path().join("over.md"), &table(101));
    located(
        &bounded(tmp.path(), &["diff", "over.md", "over.md"]),
        "over.md",
        3,
        "101 columns",
    );
    write(&tmp.path().join("under.md"), &table(100));
    assert_ok(&bounded(tmp.path(), &["diff", "under.md", "under.md", "-f", "json"]).0);
    let tmp = governed_with_body(&table(101));
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("limits/table-width"), "{}", stdout(&o));
}

#[test]
fn yaml_aliases_are_limited() {
    let big = "x".repeat(1_000_000);
    let aliases = vec!["*a"; 4000].join(", ");
    let front = format!(
        "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-01-01\nsummary: s\nassumptions: [&a \"{big}\", {aliases}]\n---\n# T\n"
    );
    let tmp = workspace(&[("v1.0.md", &front)]);
    for cmd in [&["list"][..], &["check"]] {
        let (o, took) = bounded(tmp.path(), cmd);
        assert!(
            o.status.code() == Some(2) || o.status.code() == Some(1),
            "{}",
            stderr(&o)
        );
        assert!(
            (stdout(&o) + &stderr(&o)).contains("aliases expand it"),
            "{}",
            stderr(&o)
        );
        assert!(
            (stdout(&o) + &stderr(&o)).contains("v1.0.md:6:"),
            "{}",
            stdout(&o)
        );
        assert!(took < Duration::from_secs(2));
    }
    // Just over the budget: 1 MiB and a little more, from one small anchor.
    let anchor = "y".repeat(1024);
    let aliases = vec!["*a"; 1030].join(", ");
    let front = format!(
        "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-01-01\nsummary: s\nassumptions: [&a \"{anchor}\", {aliases}]\n---\n# T\n"
    );
    let tmp = workspace(&[("v1.0.md", &front)]);
    let o = regdoc_in(tmp.path(), &["list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("aliases expand it"), "{}", stderr(&o));
    // A few aliases, as real front matter uses them, are fine.
    let front = "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-01-01\nsummary: &s Short.\nassumptions: [*s, *s]\n---\n# T\n";
    let tmp = workspace(&[("v1.0.md", front)]);
    assert_ok(&regdoc_in(tmp.path(), &["list"]));
}

#[test]
fn yaml_nesting_is_limited() {
    let nested = |n: usize| format!("[{}{}", "[".repeat(n - 1), "]".repeat(n));
    let front = |n: usize| {
        format!(
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-01-01\nsummary: s\nextra: {}\n---\n# T\n",
            nested(n)
        )
    };
    let tmp = workspace(&[("v1.0.md", &front(100_000))]);
    refused(
        &bounded(tmp.path(), &["list"]),
        &["v1.0.md:6:", "nest more than 64"],
    );
    let tmp = workspace(&[("v1.0.md", &front(65))]);
    let o = regdoc_in(tmp.path(), &["list"]);
    assert!(stderr(&o).contains("nest more than 64"), "{}", stderr(&o));
    // A plain file's front matter that deep is kept verbatim, not parsed.
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("a.md"),
        &format!("---\ntitle: {}\n---\n# T\n", nested(100_000)),
    );
    let (o, took) = bounded(tmp.path(), &["diff", "a.md", "a.md", "-f", "json"]);
    assert_ok(&o);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[cfg(unix)]
#[test]
fn endless_inputs_are_counted_while_read() {
    let tmp = tempfile::tempdir().unwrap();
    for input in ["/dev/zero", "/dev/urandom"] {
        refused(
            &bounded(tmp.path(), &["diff", input, input]),
            &["larger than 16 MiB"],
        );
    }
    // A FIFO fed forever.
    let fifo = tmp.path().join("pipe.md");
    mkfifo(&fifo);
    let mut feeder = Command::new("sh")
        .arg("-c")
        .arg(format!("yes '# heading' > '{}'", fifo.display()))
        .spawn()
        .unwrap();
    let (o, took) = bounded(tmp.path(), &["diff", "pipe.md", "pipe.md"]);
    // The writer ends with SIGPIPE once regdoc stops reading.
    let _ = feeder.kill();
    let _ = feeder.wait();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("larger than 16 MiB"), "{}", stderr(&o));
    assert!(took < Duration::from_secs(2));
}

#[test]
fn a_source_or_an_image_just_over_16_mib_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let limit = 16 * 1024 * 1024;
    let f = std::fs::File::create(tmp.path().join("big.md")).unwrap();
    f.set_len(limit + 1).unwrap();
    let (o, took) = bounded(tmp.path(), &["diff", "big.md", "big.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("big.md: error: the file is"),
        "{}",
        stderr(&o)
    );
    assert!(took < Duration::from_secs(2));
    write(&tmp.path().join("a.md"), "# T\n\nText.\n");
    write(
        &tmp.path().join("b.md"),
        "# T\n\nText.\n\n![Diagram](big.png)\n",
    );
    let f = std::fs::File::create(tmp.path().join("big.png")).unwrap();
    f.set_len(limit + 1).unwrap();
    located(
        &bounded(
            tmp.path(),
            &["diff", "a.md", "b.md", "-f", "html", "-o", "c.html"],
        ),
        "b.md",
        5,
        "big.png",
    );
}

#[test]
fn new_keeps_the_line_endings_of_the_version_it_starts_from() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-12"],
    ));
    let v3 = docs.join("emrr/v3.0.md");
    let crlf = std::fs::read_to_string(&v3).unwrap().replace('\n', "\r\n");
    std::fs::write(&v3, crlf).unwrap();
    assert_ok(&regdoc_in(tmp.path(), &["new", "emrr"]));
    let t = std::fs::read_to_string(docs.join("emrr/v3.1.md")).unwrap();
    let lone = t
        .match_indices('\n')
        .filter(|(i, _)| !t[..*i].ends_with('\r'))
        .count();
    assert_eq!(lone, 0, "{t:?}");
}

#[test]
fn a_huge_git_blob_is_refused_while_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut big = String::from("# T\n\n");
    while big.len() < 17 * 1024 * 1024 {
        big.push_str("A line of text that repeats to make a large blob.\n");
    }
    write(&tmp.path().join("big.md"), &big);
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "."]);
    git(tmp.path(), &["commit", "-qm", "big"]);
    refused(
        &bounded(tmp.path(), &["diff", "HEAD:big.md", "HEAD:big.md"]),
        &["HEAD:big.md", "larger than 16 MiB"],
    );
}

// ---------------------------------------------------------------------
// Output hygiene.

#[cfg(unix)]
#[test]
fn templates_are_sandboxed_like_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", tpl.join("version.typ")).unwrap();
    write(&tmp.path().join("a.md"), "# T\n\nText.\n");
    let o = regdoc_in(
        tmp.path(),
        &["render", "a.md", "--templates", "tpl", "-o", "a.pdf"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("links outside tpl")
            && stderr(&o).contains("templates must live inside it"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.path().join("a.pdf").exists());
}

#[test]
fn escape_bytes_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("a.md"), "# T\n\nThe old text.\n");
    write(
        &tmp.path().join("b.md"),
        "# T\n\nThe \u{1b}[8mhidden\u{1b}[0m text.\n",
    );
    let o = regdoc_in(tmp.path(), &["diff", "a.md", "b.md"]);
    assert!(!stdout(&o).contains('\u{1b}'), "{:?}", stdout(&o));
    assert!(stdout(&o).contains("hidden"));
}

#[test]
fn escape_bytes_in_errors_and_check_snippets_are_shown_escaped() {
    let text =
        version_file("1.0", "draft", "# T\n").replace("summary:", "hidden\u{1b}[8m: 1\nsummary:");
    let tmp = workspace(&[("v1.0.md", &text)]);
    let o = regdoc_in(tmp.path(), &["list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !stderr(&o).contains('\u{1b}') && stderr(&o).contains("v1.0.md:5:7"),
        "{:?}",
        stderr(&o)
    );
    for format in ["human", "github", "json"] {
        let o = regdoc_in(
            tmp.path(),
            &["check", "--color", "never", "--format", format],
        );
        assert_eq!(o.status.code(), Some(1));
        let all = stdout(&o) + &stderr(&o);
        assert!(!all.contains('\u{1b}'), "{format}: {all:?}");
    }
    // The snippet keeps its columns: one visible symbol for the ESC.
    let o = regdoc_in(tmp.path(), &["check", "--color", "never"]);
    assert!(
        stderr(&o).contains("hidden\u{241b}[8m: 1"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn output_onto_a_device_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("a.md"), "# T\n");
    let o = regdoc_in(
        tmp.path(),
        &["diff", "a.md", "a.md", "-f", "md", "-o", "/dev/full"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a regular file"),
        "{}",
        stderr(&o)
    );
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device_like()
    );
}

trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            self.is_char_device()
        }
        #[cfg(not(unix))]
        {
            true
        }
    }
}

#[test]
fn word_output_has_no_character_xml_forbids() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("a.md"), "# T\n\nOld.\n");
    write(
        &tmp.path().join("b.md"),
        "# T\n\nNew \u{1}\u{8}\u{1b} text.\n",
    );
    let o = regdoc_in(
        tmp.path(),
        &[
            "diff", "a.md", "b.md", "-f", "docx", "-o", "c.docx", "--author", "A\u{7}B",
        ],
    );
    assert_ok(&o);
    let xml = docx_part(&tmp.path().join("c.docx"), "word/document.xml");
    assert!(
        !xml.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')),
        "{xml}"
    );
    assert!(xml.contains("text."));
}

// ---------------------------------------------------------------------
// Found by an adversarial review of the first version of these fixes.

fn approved_v1_and_draft() -> tempfile::TempDir {
    committed(&[
        ("v1.0.md", &approved("1.0")),
        ("v1.1.md", &draft("1.1", "1.0")),
    ])
}

#[test]
fn the_version_text_of_an_approved_version_is_guarded() {
    let tmp = approved_v1_and_draft();
    edit(
        &tmp.path().join("documents/x/v1.0.md"),
        "version: \"1.0\"",
        "version: \"1\"",
    );
    edit(
        &tmp.path().join("documents/x/v1.1.md"),
        "changed",
        "changed again",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("its `version` changed"), "{out}");
}

#[test]
fn the_pictures_of_an_approved_version_are_guarded() {
    let svg = |t: &str| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"90\" height=\"20\"><text x=\"2\" y=\"15\">{t}</text></svg>"
        )
    };
    let body = approved("1.0") + "\n![Figure](pic.svg)\n";
    let tmp = committed(&[("v1.0.md", &body), ("pic.svg", &svg("ORIGINAL"))]);
    write(&tmp.path().join("documents/x/pic.svg"), &svg("TAMPERED"));
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the image `pic.svg` of v1.0") && out.contains("line=17"),
        "{out}"
    );
    std::fs::remove_file(tmp.path().join("documents/x/pic.svg")).unwrap();
    assert_eq!(gate(tmp.path()).0, 1);
}

#[test]
fn a_committed_journal_is_a_gate_error_and_is_not_applied() {
    let tmp = approved_v1_and_draft();
    let dir = tmp.path().join("documents/x");
    std::fs::copy(dir.join("v1.0.md"), dir.join(".regdoc-orig.tmp")).unwrap();
    edit(
        &dir.join("v1.0.md"),
        "Body of 1.0.",
        "Body of 1.0, TAMPERED.",
    );
    std::fs::write(
        dir.join(".regdoc-journal.json"),
        r#"{"renames":[[".regdoc-orig.tmp","v1.0.md"]],"removals":[]}"#,
    )
    .unwrap();
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-qm", "attack"]);
    let o = regdoc_in(
        tmp.path(),
        &["check", "--base", "HEAD~1", "--format", "github"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("base/pending-change"), "{}", stdout(&o));
    assert!(stdout(&o).contains("its text changed"), "{}", stdout(&o));
    let text = std::fs::read_to_string(dir.join("v1.0.md")).unwrap();
    assert!(text.contains("TAMPERED"), "check rewrote the work tree");
}

#[cfg(unix)]
#[test]
fn a_journal_cannot_reach_outside_through_a_symlinked_folder() {
    let tmp = approved_v1_and_draft();
    let dir = tmp.path().join("documents/x");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("victim"), "keep").unwrap();
    std::fs::write(outside.path().join("other"), "keep").unwrap();
    std::fs::write(dir.join(".regdoc-e.tmp"), "evil").unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("link")).unwrap();
    std::fs::write(
        dir.join(".regdoc-journal.json"),
        journal_left_by_a_kill(&dir, &[(".regdoc-e.tmp", "link/victim")], &["link/other"]),
    )
    .unwrap();
    let o = regdoc_in(tmp.path(), &["list"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("outside its folder"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(outside.path().join("victim")).unwrap(),
        "keep"
    );
    assert!(outside.path().join("other").exists());
}

#[cfg(unix)]
#[test]
fn writing_an_output_never_runs_recovery_in_someone_elses_folder() {
    let tmp = approved_v1_and_draft();
    let shared = tempfile::tempdir().unwrap();
    let victim = tempfile::tempdir().unwrap();
    std::fs::write(victim.path().join("important.txt"), "data").unwrap();
    std::os::unix::fs::symlink(victim.path(), shared.path().join("l")).unwrap();
    std::fs::write(
        shared.path().join(".regdoc-journal.json"),
        r#"{"renames":[],"removals":["l/important.txt"]}"#,
    )
    .unwrap();
    std::fs::write(shared.path().join(".regdoc-mywork.tmp"), "someone's").unwrap();
    let report = shared.path().join("report.html");
    let o = regdoc_in(
        tmp.path(),
        &[
            "diff",
            "x@1.0",
            "x@1.1",
            "--format",
            "html",
            "-o",
            report.to_str().unwrap(),
        ],
    );
    assert_ok(&o);
    assert!(victim.path().join("important.txt").exists());
    assert!(shared.path().join(".regdoc-mywork.tmp").exists());
    assert!(shared.path().join(".regdoc-journal.json").exists());
}

#[cfg(unix)]
#[test]
fn the_build_manifest_cannot_direct_deletions() {
    let tmp = approved_v1_and_draft();
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    let out = tmp.path().join("out");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x-v9.pdf"), "precious").unwrap();
    std::os::unix::fs::symlink(outside.path(), out.join("link")).unwrap();
    std::fs::write(out.join("README.txt"), "mine").unwrap();
    let m = out.join(".regdoc-build.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
    manifest["outputs"]["link/x-v9.pdf"] = serde_json::json!(["x", "y"]);
    manifest["outputs"]["README.txt"] = serde_json::json!(["x", "y"]);
    std::fs::write(&m, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let o = regdoc_in(tmp.path(), &["build", "--out", "out"]);
    assert_ok(&o);
    assert!(outside.path().join("x-v9.pdf").exists(), "{}", stdout(&o));
    assert!(out.join("README.txt").exists(), "{}", stdout(&o));
}

#[test]
fn the_output_folder_may_be_named_any_way() {
    let tmp = approved_v1_and_draft();
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    let o = regdoc_in(tmp.path(), &["build", "--out", "./out"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("up to date"), "{}", stdout(&o));
    let abs = tmp.path().join("out");
    assert_ok(&regdoc_in(
        tmp.path(),
        &["build", "--out", abs.to_str().unwrap(), "-q"],
    ));
}

#[test]
fn an_approved_pdf_ignores_drafts_and_withdrawn_versions_below_it() {
    let tmp = approved_v1_and_draft();
    assert_ok(&regdoc_in(tmp.path(), &["render", "x@1.0", "-o", "a.pdf"]));
    let before = std::fs::read(tmp.path().join("a.pdf")).unwrap();
    write(
        &tmp.path().join("documents/x/v0.9.md"),
        "---\nversion: \"0.9\"\nstatus: draft\neffective: 2024-01-01\nsummary: SNEAKY LOWER DRAFT.\n---\n# T\n",
    );
    assert_ok(&regdoc_in(tmp.path(), &["render", "x@1.0", "-o", "b.pdf"]));
    assert_eq!(std::fs::read(tmp.path().join("b.pdf")).unwrap(), before);
    // And the gate refuses such a draft: it is numbered below an approval.
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("lifecycle/version-order") && stdout(&o).contains("v0.9 is numbered"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn approve_supersedes_every_approved_version_and_two_approved_is_an_error() {
    let tmp = approved_v1_and_draft();
    let dir = tmp.path().join("documents/x");
    // A draft whose `supersedes` names an older version than the one in force.
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "x@1.1", "--on", "2024-04-01"],
    ));
    write(
        &dir.join("v1.2.md"),
        &draft("1.2", "1.0").replace("2024-05-01", "2024-09-10"),
    );
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "x@1.2", "--on", "2024-08-01"],
    ));
    let approved: Vec<String> = ["v1.0.md", "v1.1.md", "v1.2.md"]
        .iter()
        .filter(|f| {
            std::fs::read_to_string(dir.join(f))
                .unwrap()
                .contains("status: approved")
        })
        .map(|f| f.to_string())
        .collect();
    assert_eq!(approved, ["v1.2.md"]);
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
    edit(
        &dir.join("v1.1.md"),
        "status: superseded",
        "status: approved",
    );
    assert_eq!(regdoc_in(tmp.path(), &["check"]).status.code(), Some(1));
}

#[test]
fn combining_marks_are_limited_in_front_matter_and_document_yaml_too() {
    let marks = "\u{301}".repeat(40_000);
    let tmp = approved_v1_and_draft();
    edit(
        &tmp.path().join("documents/x/v1.1.md"),
        "summary: Draft 1.1.",
        &format!("summary: \"Draft a{marks}\""),
    );
    refused(
        &bounded(tmp.path(), &["render", "x@1.1", "-o", "c.pdf"]),
        &["v1.1.md:6:", "combining marks"],
    );
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("limits/grapheme-cluster"),
        "{}",
        stdout(&o)
    );
    let tmp = approved_v1_and_draft();
    edit(
        &tmp.path().join("documents/x/document.yaml"),
        "title: Test Document",
        &format!("title: \"Test a{marks}\""),
    );
    let (o, _) = bounded(tmp.path(), &["build", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("document.yaml:2:") && stderr(&o).contains("combining marks"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn table_cells_are_limited() {
    let table = |cols: usize, rows: usize| {
        let mut t = format!("# T\n\n|{}\n|{}\n", "a|".repeat(cols), "-|".repeat(cols));
        for _ in 0..rows {
            t.push('|');
            t.push_str(&"w|".repeat(cols));
            t.push('\n');
        }
        t
    };
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("big.md"), &table(100, 12_000));
    refused(
        &bounded(tmp.path(), &["diff", "big.md", "big.md"]),
        &["big.md:", "more than 20000 cells"],
    );
    // A header of 100 and 19,900 body cells: just inside, and even its PDF
    // stays within 512 MiB.
    write(&tmp.path().join("ok.md"), &table(100, 199));
    assert_ok(&bounded(tmp.path(), &["render", "ok.md", "-o", "ok.pdf"]).0);
    assert_ok(
        &bounded(
            tmp.path(),
            &["diff", "ok.md", "ok.md", "-f", "md", "-o", "ok.out"],
        )
        .0,
    );
    write(&tmp.path().join("over.md"), &table(100, 200));
    assert_eq!(
        bounded(tmp.path(), &["diff", "over.md", "over.md"])
            .0
            .status
            .code(),
        Some(2)
    );
}

#[cfg(unix)]
#[test]
fn a_journal_that_is_not_a_small_file_is_refused_not_read() {
    let tmp = approved_v1_and_draft();
    let j = tmp.path().join("documents/x/.regdoc-journal.json");
    std::os::unix::fs::symlink("/dev/zero", &j).unwrap();
    refused(
        &bounded(tmp.path(), &["list"]),
        &["is not a journal regdoc wrote"],
    );
    std::fs::remove_file(&j).unwrap();
    mkfifo(&j);
    // `check` reports it as the folder's finding and goes on.
    let (o, took) = bounded(tmp.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is not a journal regdoc wrote"),
        "{}",
        stderr(&o)
    );
    assert!(took < Duration::from_secs(2));
}

#[test]
fn list_and_check_snippets_show_control_characters_escaped() {
    let tmp = approved_v1_and_draft();
    edit(
        &tmp.path().join("documents/x/v1.1.md"),
        "summary: Draft 1.1.",
        "summary: \"Sec\\rond\\u001b[8mHIDDEN\\u001b[0m \\u202eevil\"",
    );
    let o = regdoc_in(tmp.path(), &["list"]);
    assert_ok(&o);
    assert!(
        !stdout(&o).contains('\u{1b}')
            && !stdout(&o).contains('\r')
            && !stdout(&o).contains('\u{202e}'),
        "{:?}",
        stdout(&o)
    );
    write(
        &tmp.path().join("documents/x/v1.1.md"),
        "---\rversion: \"1.1\"\rstatus: draft\r---\r",
    );
    let o = regdoc_in(tmp.path(), &["check", "--color", "never"]);
    assert!(!stderr(&o).contains('\r'), "{:?}", stderr(&o));
}

#[test]
fn pdf_metadata_stays_well_formed_xml() {
    let tmp = approved_v1_and_draft();
    edit(
        &tmp.path().join("documents/x/document.yaml"),
        "owner: DCC",
        "owner: \"D\\x01C\\x0cC\"",
    );
    edit(
        &tmp.path().join("documents/x/document.yaml"),
        "title: Test Document",
        "title: \"Test\\x02 Document\\uFFFF\"",
    );
    assert_ok(&regdoc_in(tmp.path(), &["render", "x@1.1", "-o", "r.pdf"]));
    let pdf = std::fs::read(tmp.path().join("r.pdf")).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    let start = text.find("<x:xmpmeta").expect("XMP");
    let end = text[start..].find("</x:xmpmeta>").expect("XMP end") + start;
    let xmp = &text[start..end];
    assert!(
        !xmp.chars()
            .any(|c| ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{ffff}'),
        "{xmp}"
    );
    assert!(xmp.contains("Test Document"), "{xmp}");
}

// ---------------------------------------------------------------------
// Found by a second adversarial review.

#[test]
fn a_version_approved_once_stays_immutable_when_withdrawn() {
    let tmp = approved_v1_and_draft();
    let v1 = tmp.path().join("documents/x/v1.0.md");
    edit(&v1, "status: approved", "status: withdrawn");
    git(tmp.path(), &["commit", "-qam", "withdrawn"]);
    edit(&v1, "Body of 1.0.", "Body of 1.0, rewritten.");
    edit(
        &tmp.path().join("documents/x/v1.1.md"),
        "changed",
        "changed again",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("base/approved-immutable"), "{out}");
}

#[test]
fn an_approved_version_that_does_not_parse_at_the_base_is_still_guarded() {
    let broken = approved("1.0").replace("version: \"1.0\"", "version: 1.0");
    let tmp = committed(&[("v1.0.md", &broken)]);
    write(
        &tmp.path().join("documents/x/v1.0.md"),
        &approved("1.0").replace("Body of 1.0.", "Changed."),
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not parse there"), "{out}");
}

#[test]
fn a_new_version_enters_as_a_draft() {
    let tmp = approved_v1_and_draft();
    write(
        &tmp.path().join("documents/x/v0.5.md"),
        "---\nversion: \"0.5\"\nstatus: superseded\neffective: 2023-01-01\napproved: {by: DESNZ, on: 2022-12-01}\nsummary: A fake row.\n---\n# T\n",
    );
    let (code, out) = gate(tmp.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("base/enters-as-draft"), "{out}");
}

#[test]
fn check_holds_approvals_to_the_documents_approver() {
    let tmp = workspace(&[(
        "v1.0.md",
        &approved("1.0").replace("by: DESNZ", "by: Somebody"),
    )]);
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("names DESNZ as the approver"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn an_svg_that_refers_to_other_files_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("d.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><image href=\"fig.png\" width=\"10\" height=\"10\"/></svg>",
    );
    write(&tmp.path().join("a.md"), "# T\n\n![d](d.svg)\n");
    let o = regdoc_in(tmp.path(), &["render", "a.md", "-o", "a.pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a.md:3:") && stderr(&o).contains("self-contained SVGs"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn build_never_deletes_a_file_it_did_not_write() {
    let tmp = approved_v1_and_draft();
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    let signed = tmp.path().join("out/x/x-v1.0-signed-by-DESNZ.pdf");
    std::fs::copy(tmp.path().join("out/x/x-v1.0.pdf"), &signed).unwrap();
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    assert!(signed.exists());
}

#[test]
fn runs_of_invisible_characters_and_marks_are_limited() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("zw.md"),
        &format!("# T\n\n{}\n", "\u{200b}\u{301}".repeat(4000)),
    );
    refused(
        &bounded(tmp.path(), &["render", "zw.md", "-o", "zw.pdf"]),
        &["zw.md:3:1"],
    );
}

#[test]
fn embedded_pictures_are_limited_in_html_and_word() {
    let tmp = tempfile::tempdir().unwrap();
    // A valid 1x1 PNG padded to 8 MB (bytes after IEND are ignored).
    let mut png = vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0A, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0,
        0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    png.resize(8 * 1024 * 1024, 0);
    std::fs::write(tmp.path().join("big.png"), &png).unwrap();
    write(&tmp.path().join("a.md"), "# T\n\nText.\n");
    write(
        &tmp.path().join("b.md"),
        &format!("# T\n\nText.\n{}", "\n![b](big.png)\n".repeat(10)),
    );
    for (format, out) in [("html", "c.html"), ("docx", "c.docx")] {
        let (o, took) = bounded(
            tmp.path(),
            &["diff", "a.md", "b.md", "-f", format, "-o", out],
        );
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("b.md:") && stderr(&o).contains("more than 64 MiB"),
            "{}",
            stderr(&o)
        );
        assert!(took < Duration::from_secs(2));
    }
}

#[cfg(unix)]
#[test]
fn a_pipe_among_a_documents_files_is_refused_without_opening_it() {
    let tmp = approved_v1_and_draft();
    mkfifo(&tmp.path().join("documents/x/v9.0.md"));
    for cmd in [&["list"][..], &["check"]] {
        let (o, took) = bounded(tmp.path(), cmd);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{}", stderr(&o));
        assert!(
            (stdout(&o) + &stderr(&o)).contains("is not a regular file"),
            "{}",
            stderr(&o)
        );
        assert!(took < Duration::from_secs(2));
    }
}

#[test]
fn an_output_never_overwrites_a_governed_source() {
    let tmp = approved_v1_and_draft();
    let v1 = tmp.path().join("documents/x/v1.0.md");
    let before = std::fs::read(&v1).unwrap();
    let o = regdoc_in(
        tmp.path(),
        &[
            "diff",
            "x@1.0",
            "x@1.1",
            "-f",
            "md",
            "-o",
            "documents/x/v1.0.md",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outputs never overwrite governed sources"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&v1).unwrap(), before);
}

#[test]
fn new_keeps_the_byte_order_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--on", "2024-07-12"],
    ));
    let v3 = docs.join("emrr/v3.0.md");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(std::fs::read(&v3).unwrap());
    std::fs::write(&v3, bytes).unwrap();
    assert_ok(&regdoc_in(tmp.path(), &["new", "emrr"]));
    assert!(
        std::fs::read(docs.join("emrr/v3.1.md"))
            .unwrap()
            .starts_with(&[0xEF, 0xBB, 0xBF])
    );
}

/// Issue 31, finding 12: inputs under 16 MiB that `check` passed made
/// `render` or Word output take gigabytes (a 10 MiB word, 500,000
/// reference links, 200,000 list items). Each is now a limit `check`
/// reports under its rule and every command refuses up front, located;
/// just inside it, the outputs are made.
#[test]
fn words_links_and_blocks_are_limited_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let refs = |n: usize| {
        let mut t = String::from("# A\n\n");
        for i in 0..n {
            t.push_str(&format!("[a][r{i}] "));
        }
        t.push_str("\n\n");
        for i in 0..n {
            t.push_str(&format!("[r{i}]: u\n"));
        }
        t
    };
    // A word split by emphasis is one word to line breaking.
    let word = format!("# A\n\n{}*{}*\n", "a".repeat(6_000), "b".repeat(4_001));
    let cases = [
        ("word.md", word, "limits/word-length", "3:1"),
        ("links.md", refs(20_001), "limits/links", "3:"),
        (
            "items.md",
            format!("# A\n\n{}", "- a\n".repeat(50_001)),
            "limits/blocks",
            "50002:1",
        ),
    ];
    for (name, text, rule, at) in &cases {
        write(&d.join(name), text);
        for args in [
            vec!["render", name, "-o", "x.pdf"],
            vec!["diff", name, name, "--format", "docx", "-o", "x.docx"],
            vec!["diff", name, name, "--format", "md"],
        ] {
            let (o, took) = bounded(d, &args);
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
            assert!(e.contains(&format!("{name}:{at}")), "{args:?}: {e}");
            assert!(took < Duration::from_secs(2), "{args:?} took {took:?}");
        }
        // In a governed version, `check` finds it under its rule.
        let v = d.join(format!("gov-{name}"));
        write(&v.join("documents/x/document.yaml"), DOC_YAML);
        write(
            &v.join("documents/x/v1.0.md"),
            &format!(
                "---\nversion: \"1.0\"\nstatus: draft\neffective: 2030-01-01\nsummary: S.\n---\n{}",
                text.trim_start_matches("# A\n\n")
            ),
        );
        let o = regdoc_in(&v, &["check", "--format", "github"]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o) + &stderr(&o));
        assert!(stdout(&o).contains(rule), "{}", stdout(&o));
    }
    // Just inside: made, within bounds.
    write(
        &d.join("in.md"),
        &format!(
            "# A\n\n{} {}\n\n{}",
            "a".repeat(10_000),
            refs(100),
            "- a\n".repeat(1_000)
        ),
    );
    assert_ok(&bounded(d, &["render", "in.md", "-o", "in.pdf"]).0);
    assert_ok(
        &bounded(
            d,
            &[
                "diff", "in.md", "in.md", "--format", "docx", "-o", "in.docx",
            ],
        )
        .0,
    );
}

/// Issue 31, finding 16: errors without a place or with wrong numbers — a
/// 40 MB house font was "33.6 MB … up to 16 MiB" (the font limit is
/// 32 MiB); a BEL in a body failed the PDF in the built-in template and
/// passed `check`; a title or heading too long for a PDF string failed it
/// with no place at all.
#[test]
fn errors_say_where_and_the_true_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("a.md"), "# A\n\nText.\n");
    let font = d.join("house/fonts/Big.ttf");
    write(&font, "");
    std::fs::File::create(&font)
        .unwrap()
        .set_len(40 * 1024 * 1024)
        .unwrap();
    let (o, _) = bounded(
        d,
        &["render", "a.md", "-o", "a.pdf", "--templates", "house"],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("Big.ttf") && e.contains("40.0 MiB") && e.contains("up to 32 MiB"),
        "{e}"
    );
    // A control character is shown by its code point, and `check` says where.
    write(&d.join("bel.md"), "# A\n\nA bell \u{7} here.\n");
    assert_ok(&bounded(d, &["render", "bel.md", "-o", "bel.pdf"]).0);
    assert!(pdf_text(&d.join("bel.pdf"), None).contains("[U+0007]"));
    let tmp2 = workspace(&[(
        "v1.0.md",
        &version_file("1.0", "draft", "# T\n\nA bell \u{7} here.\n"),
    )]);
    let o = regdoc_in(
        tmp2.path(),
        &["check", "--format", "github", "--deny-warnings"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("markdown/control-character"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("v1.0.md,line="), "{}", stdout(&o));
    // Too long for a PDF string: said where.
    write(
        &d.join("h.md"),
        &format!("# {}\n\nText.\n", "[ ".repeat(20_000)),
    );
    refused(
        &bounded(d, &["render", "h.md", "-o", "h.pdf"]),
        &["h.md:1:1", "heading"],
    );
    write(
        &d.join("t.md"),
        &format!("---\ntitle: \"{}\"\n---\n# A\n", "x ".repeat(20_000)),
    );
    refused(
        &bounded(d, &["render", "t.md", "-o", "t.pdf"]),
        &["t.md", "`title`", "1000"],
    );
    write(
        &d.join("u.md"),
        &format!("# A\n\n[a](https://e.org/{})\n", "x".repeat(9_000)),
    );
    refused(
        &bounded(d, &["render", "u.md", "-o", "u.pdf"]),
        &["u.md:3:1", "address"],
    );
}

/// Issue 31, finding 13: an SVG of 20,000 blurred rectangles (1 MB) took
/// 65 s to render as a logo. A picture's cost is bounded up front: its
/// elements, and those drawn through a filter.
#[test]
fn an_svg_too_costly_to_draw_is_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rects: String = (0..5_000)
        .map(|i| {
            format!(
                "<rect x=\"{}\" y=\"1\" width=\"5\" height=\"5\" filter=\"url(#b)\"/>",
                i % 90
            )
        })
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"10\"><defs><filter id=\"b\"><feGaussianBlur stdDeviation=\"3\"/></filter></defs>{rects}</svg>"
    );
    write(&d.join("house/logo.svg"), &svg);
    let tmp2 = workspace(&[("v1.0.md", &version_file("1.0", "draft", "# T\n\nText.\n"))]);
    let yaml = tmp2.path().join("documents/x/document.yaml");
    write(&yaml, &format!("{DOC_YAML}style:\n  logo: logo.svg\n"));
    copy_dir(&d.join("house"), &tmp2.path().join("house"));
    let (o, took) = bounded(
        tmp2.path(),
        &["render", "x@1.0", "-o", "x.pdf", "--templates", "house"],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("logo.svg") && e.contains("drawn through a filter"),
        "{e}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    // As a picture of the document: a `check` finding.
    write(&tmp2.path().join("documents/x/fig.svg"), &svg);
    write(
        &tmp2.path().join("documents/x/v1.0.md"),
        &version_file("1.0", "draft", "# T\n\n![Figure](fig.svg)\n"),
    );
    let o = regdoc_in(tmp2.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("drawn through a filter"),
        "{}",
        stderr(&o)
    );
}

/// `check` finds a `document.yaml` field too long for a PDF string at its
/// line, before any build fails on it.
#[test]
fn a_field_too_long_for_a_pdf_is_a_located_check_error() {
    let tmp = workspace(&[("v1.0.md", &version_file("1.0", "draft", "# T\n\nText.\n"))]);
    let yaml = tmp.path().join("documents/x/document.yaml");
    write(
        &yaml,
        &DOC_YAML.replace("owner: DCC", &format!("owner: \"{}\"", "O".repeat(1_001))),
    );
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("file=documents/x/document.yaml,line=3,col=1,title=limits/field-length"),
        "{out}"
    );
    assert!(out.contains("`owner` is 1001 characters long"), "{out}");
}
