//! `regdoc check` and the lifecycle commands: every rule with a passing
//! and a failing case, through the real binary.

mod common;

use std::path::Path;

use common::*;

/// Front matter of an approved version.
fn approved(v: &str, effective: &str, on: &str) -> String {
    format!(
        "---\nversion: \"{v}\"\nstatus: approved\neffective: {effective}\napproved: {{by: DESNZ, on: {on}}}\nsummary: Version {v}.\n---\n# 1. Text\n\nBody of {v}.\n"
    )
}

fn draft(v: &str, supersedes: &str, effective: &str) -> String {
    format!(
        "---\nversion: \"{v}\"\nstatus: draft\neffective: {effective}\nsupersedes: \"{supersedes}\"\nsummary: Draft {v}.\n---\n# 1. Text\n\nBody of {v}, changed.\n"
    )
}

/// Runs check --format json; returns (exit status, rules reported).
fn check_in(dir: &Path, extra: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let o = regdoc_in(dir, &args);
    let code = o.status.code().unwrap();
    if code == 2 {
        return (2, vec![("input".into(), stderr(&o))]);
    }
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    let rules = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, rules)
}

fn check(files: &[(&str, &str)]) -> (i32, Vec<(String, String)>) {
    let tmp = workspace(files);
    check_in(tmp.path(), &[])
}

#[track_caller]
fn fails_with(files: &[(&str, &str)], rule: &str) {
    let (code, rules) = check(files);
    assert!(
        rules.iter().any(|(r, s)| r == rule && s == "error"),
        "expected {rule}, got {rules:?}"
    );
    assert_eq!(code, 1, "{rules:?}");
}

#[track_caller]
fn passes(files: &[(&str, &str)]) {
    let (code, rules) = check(files);
    assert_eq!(code, 0, "{rules:?}");
    assert!(rules.iter().all(|(_, s)| s != "error"), "{rules:?}");
}

#[test]
fn the_bundled_documents_pass() {
    let o = regdoc(&["check"]);
    assert_ok(&o);
    assert!(stderr(&o).contains("no problems found"));
}

#[test]
fn a_good_history_passes() {
    passes(&[
        (
            "v1.0.md",
            &approved("1.0", "2024-01-10", "2024-01-05")
                .replace("status: approved", "status: superseded"),
        ),
        (
            "v2.0.md",
            &approved("2.0", "2024-03-01", "2024-02-20")
                .replace("summary:", "supersedes: \"1.0\"\nsummary:"),
        ),
        ("v2.1.md", &draft("2.1", "2.0", "2024-09-01")),
    ]);
}

#[test]
fn schema_errors_are_located_diagnostics() {
    let cases: &[(&str, &str)] = &[
        (
            "---\nversion: \"1.0\"\nstatus: aproved\neffective: 2024-01-01\nsummary: s\n---\n",
            "unknown variant",
        ),
        (
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-30\nsummary: s\n---\n",
            "not a real calendar date",
        ),
        (
            "---\nversion: \"1.0\"\nstatus: draft\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n",
            "duplicate field",
        ),
        (
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: [a\n---\n",
            "front matter",
        ),
        ("---\nversion: \"1.0\"\nstatus: draft\n", "not closed"),
        ("", "needs YAML front matter"),
        (
            "---\nversion: \"1.x\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n",
            "not a version number",
        ),
        (
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\nowner: me\n---\n",
            "unknown field `owner`",
        ),
    ];
    for (text, needle) in cases {
        let tmp = workspace(&[("v1.0.md", text)]);
        let o = regdoc_in(tmp.path(), &["check", "--color", "never"]);
        assert_eq!(o.status.code(), Some(1), "{needle}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(needle), "{needle}: {e}");
        assert!(e.contains("documents/x/v1.0.md:"), "not located: {e}");
        assert!(!e.contains("panicked"));
    }
}

#[test]
fn bad_bytes_and_huge_files_and_links_out_are_diagnostics() {
    let tmp = workspace(&[]);
    let dir = tmp.path().join("documents/x");
    std::fs::write(dir.join("v1.0.md"), b"---\nversion: \"1.0\"\xff\n---\n").unwrap();
    let f = std::fs::File::create(dir.join("v2.0.md")).unwrap();
    f.set_len(50 * 1024 * 1024).unwrap();
    write(
        &tmp.path().join("outside.md"),
        &approved("3.0", "2024-01-01", "2024-01-01"),
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("outside.md"), dir.join("v3.0.md")).unwrap();
    let (code, rules) = check_in(tmp.path(), &[]);
    assert_eq!(code, 1);
    let names: Vec<&str> = rules.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        names.iter().filter(|r| **r == "schema/encoding").count(),
        2,
        "{rules:?}"
    );
    #[cfg(unix)]
    assert!(names.contains(&"schema/outside"), "{rules:?}");
    // Nothing was rewritten.
    assert_eq!(
        std::fs::read(dir.join("v1.0.md")).unwrap(),
        b"---\nversion: \"1.0\"\xff\n---\n"
    );
}

#[test]
fn yaml_alias_bomb_is_a_diagnostic() {
    let mut bomb = String::from(
        "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: &a \"lol\"\nassumptions: [",
    );
    bomb.push_str(&vec!["*a"; 20000].join(","));
    bomb.push_str("]\ntitle: [*a, *a]\n---\n");
    let (code, rules) = check(&[("v1.0.md", &bomb)]);
    assert_eq!(code, 1);
    assert!(
        rules.iter().any(|(r, _)| r == "schema/front-matter"),
        "{rules:?}"
    );
}

#[test]
fn unreadable_input_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _) = check_in(tmp.path(), &[]);
    assert_eq!(code, 2);
}

#[test]
fn document_yaml_rules() {
    let tmp = workspace(&[("v1.0.md", &approved("1.0", "2024-01-10", "2024-01-05"))]);
    write(
        &tmp.path().join("documents/x/document.yaml"),
        &DOC_YAML.replace("id: x", "id: y"),
    );
    let (code, rules) = check_in(tmp.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        rules.iter().any(|(r, _)| r == "schema/document-id"),
        "{rules:?}"
    );
    std::fs::create_dir_all(tmp.path().join("documents/empty")).unwrap();
    let (_, rules) = check_in(tmp.path(), &[]);
    assert!(
        rules.iter().any(|(r, _)| r == "schema/document"),
        "{rules:?}"
    );
}

#[test]
fn file_name_should_match_the_version() {
    let (code, rules) = check(&[("v9.md", &approved("1.0", "2024-01-10", "2024-01-05"))]);
    assert_eq!(code, 0);
    assert!(
        rules
            .iter()
            .any(|(r, s)| r == "schema/file-name" && s == "warning"),
        "{rules:?}"
    );
    let tmp = workspace(&[("v9.md", &approved("1.0", "2024-01-10", "2024-01-05"))]);
    let (code, _) = check_in(tmp.path(), &["--deny-warnings"]);
    assert_eq!(code, 1);
}

#[test]
fn summary_is_required() {
    fails_with(
        &[(
            "v1.0.md",
            &approved("1.0", "2024-01-10", "2024-01-05")
                .replace("summary: Version 1.0.", "summary: \"\""),
        )],
        "lifecycle/summary",
    );
}

#[test]
fn approved_versions_need_an_approval_and_drafts_have_none() {
    fails_with(
        &[(
            "v1.0.md",
            &approved("1.0", "2024-01-10", "2024-01-05")
                .replace("approved: {by: DESNZ, on: 2024-01-05}\n", ""),
        )],
        "lifecycle/approval",
    );
    fails_with(
        &[(
            "v1.0.md",
            &draft("1.0", "0.9", "2024-01-10").replace(
                "supersedes: \"0.9\"\n",
                "approved: {by: A, on: 2024-01-01}\n",
            ),
        )],
        "lifecycle/approval",
    );
}

#[test]
fn approved_versions_take_effect_after_approval() {
    fails_with(
        &[("v1.0.md", &approved("1.0", "2024-01-01", "2024-01-05"))],
        "lifecycle/effective-before-approval",
    );
    passes(&[("v1.0.md", &approved("1.0", "2024-01-05", "2024-01-05"))]);
}

#[test]
fn a_draft_takes_effect_after_its_consultation() {
    let v1 = approved("1.0", "2024-01-10", "2024-01-05");
    let d = draft("1.1", "1.0", "2024-06-20").replace(
        "summary:",
        "consultation: {published: 2024-06-10, closes: 2024-06-28}\nsummary:",
    );
    fails_with(
        &[("v1.0.md", &v1), ("v1.1.md", &d)],
        "lifecycle/effective-after-consultation",
    );
    passes(&[
        ("v1.0.md", &v1),
        (
            "v1.1.md",
            &d.replace("effective: 2024-06-20", "effective: 2024-07-19"),
        ),
    ]);
    let bad = d
        .replace("closes: 2024-06-28", "closes: 2024-06-01")
        .replace("effective: 2024-06-20", "effective: 2024-07-19");
    fails_with(
        &[("v1.0.md", &v1), ("v1.1.md", &bad)],
        "lifecycle/consultation",
    );
}

#[test]
fn at_most_one_draft() {
    let v1 = approved("1.0", "2024-01-10", "2024-01-05");
    fails_with(
        &[
            ("v1.0.md", &v1),
            ("v1.1.md", &draft("1.1", "1.0", "2024-05-01")),
            ("v1.2.md", &draft("1.2", "1.0", "2024-06-01")),
        ],
        "lifecycle/one-draft",
    );
}

#[test]
fn versions_increase_and_supersede_existing_versions() {
    let v1 = approved("1.0", "2024-01-10", "2024-01-05");
    fails_with(
        &[
            ("v1.0.md", &v1),
            ("v1.1.md", &draft("1.1", "9.0", "2024-05-01")),
        ],
        "lifecycle/supersedes",
    );
    fails_with(
        &[
            ("v1.0.md", &v1),
            ("v0.9.md", &draft("0.9", "1.0", "2024-05-01")),
        ],
        "lifecycle/version-order",
    );
    fails_with(
        &[("v1.0.md", &v1), ("copy.md", &v1)],
        "lifecycle/version-order",
    );
}

#[test]
fn approved_effective_dates_increase() {
    let v1 = approved("1.0", "2024-03-10", "2024-01-05")
        .replace("status: approved", "status: superseded");
    let v2 = approved("2.0", "2024-02-01", "2024-01-20");
    fails_with(
        &[("v1.0.md", &v1), ("v2.0.md", &v2)],
        "lifecycle/effective-order",
    );
}

#[test]
fn superseded_needs_an_approved_successor() {
    let v1 = approved("1.0", "2024-01-10", "2024-01-05")
        .replace("status: approved", "status: superseded");
    fails_with(&[("v1.0.md", &v1)], "lifecycle/superseded");
    // Two approved versions: the older must be superseded (an error: it
    // is the half-done state of an interrupted approval).
    let (code, rules) = check(&[
        ("v1.0.md", &approved("1.0", "2024-01-10", "2024-01-05")),
        ("v2.0.md", &approved("2.0", "2024-03-01", "2024-02-20")),
    ]);
    assert_eq!(code, 1);
    assert!(
        rules
            .iter()
            .any(|(r, s)| r == "lifecycle/superseded" && s == "error"),
        "{rules:?}"
    );
}

#[test]
fn markdown_rules() {
    let v = |body: &str| {
        format!(
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n{body}"
        )
    };
    fails_with(
        &[("v1.0.md", &v("# A\n\n### C\n"))],
        "markdown/heading-levels",
    );
    passes(&[("v1.0.md", &v("# A\n\n## B\n\n### C\n\n# D\n"))]);
    fails_with(
        &[("v1.0.md", &v("# A\n\n| a | b |\n|---|---|\n| 1 |\n"))],
        "markdown/table-columns",
    );
    fails_with(
        &[(
            "v1.0.md",
            &v("# A\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n"),
        )],
        "markdown/table-columns",
    );
    passes(&[(
        "v1.0.md",
        &v("# A\n\n| a | b |\n|---|---|\n| 1 | `x|y` \\| z |\n"),
    )]);
    let (code, rules) = check(&[("v1.0.md", &v(""))]);
    assert_eq!(code, 0);
    assert!(
        rules
            .iter()
            .any(|(r, s)| r == "markdown/empty" && s == "warning"),
        "{rules:?}"
    );
    // Footnotes: one referred to but not defined is an error (it would
    // print as `[^x]`); one defined but never referred to, a warning.
    passes(&[(
        "v1.0.md",
        &v("# A

Text[^n].

[^n]: A note.
"),
    )]);
    fails_with(
        &[(
            "v1.0.md",
            &v("# A

Text[^missing].
"),
        )],
        "markdown/footnote-undefined",
    );
    let (code, rules) = check(&[(
        "v1.0.md",
        &v("# A

Text.

[^n]: A note.
"),
    )]);
    assert_eq!(code, 0);
    assert!(
        rules
            .iter()
            .any(|(r, s)| r == "markdown/footnote-unused" && s == "warning"),
        "{rules:?}"
    );
    // Anchors reach headings inside lists too.
    passes(&[(
        "v1.0.md",
        &v("# A

- ## Inner

See [it](#inner).
"),
    )]);
}

#[test]
fn images_must_be_readable_files_of_the_document_folder() {
    let v = |body: &str| {
        format!(
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n{body}"
        )
    };
    let png = [
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde,
    ];
    let tmp = workspace(&[("v1.0.md", &v("# A\n\n![Plan](img/plan.png)\n"))]);
    std::fs::create_dir_all(tmp.path().join("documents/x/img")).unwrap();
    std::fs::write(tmp.path().join("documents/x/img/plan.png"), png).unwrap();
    let (code, rules) = check_in(tmp.path(), &[]);
    assert_eq!(code, 0, "{rules:?}");
    for (body, line) in [
        ("# A\n\n![Plan](img/missing.png)\n", 9),
        ("# A\n\nText ![up](../x/v1.0.md)\n", 9),
    ] {
        let tmp = workspace(&[("v1.0.md", &v(body))]);
        let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        let out = stdout(&o);
        assert!(
            out.contains(&format!("line={line}")) && out.contains("markdown/image"),
            "{out}"
        );
    }
}

#[test]
fn references_resolve() {
    let v = |body: &str| {
        format!(
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n# 1. Reports\n\n| Ref | Name |\n|---|---|\n| ECOSMIG-001 | One |\n\n{body}"
        )
    };
    fails_with(
        &[("v1.0.md", &v("See ECOSMIG-009.\n"))],
        "references/unknown",
    );
    passes(&[("v1.0.md", &v("See ECOSMIG-001.\n"))]);
    fails_with(
        &[("v1.0.md", &v("See [below](#nowhere).\n"))],
        "references/link",
    );
    passes(&[("v1.0.md", &v("See [the reports](#1-reports).\n"))]);
}

#[test]
fn github_and_human_formats() {
    let tmp = workspace(&[("v1.0.md", &approved("1.0", "2024-01-01", "2024-01-05"))]);
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("::error file=documents/x/v1.0.md,line=4,col=1,title=lifecycle/effective-before-approval::takes effect on 2024-01-01 but was approved only on 2024-01-05"),
        "{}",
        stdout(&o)
    );
    let o = regdoc_in(tmp.path(), &["check", "--color", "never"]);
    let e = stderr(&o);
    assert!(
        e.contains("error[lifecycle/effective-before-approval]"),
        "{e}"
    );
    assert!(
        e.contains("┌─ documents/x/v1.0.md:4:1")
            && e.contains("4 │ effective: 2024-01-01")
            && e.contains("^^^^"),
        "{e}"
    );
}

/// A repository whose first commit holds v1.0 approved and v1.1 draft.
fn repo_with_history() -> tempfile::TempDir {
    let tmp = workspace(&[
        ("v1.0.md", &approved("1.0", "2024-01-10", "2024-01-05")),
        ("v1.1.md", &draft("1.1", "1.0", "2024-05-01")),
    ]);
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "."]);
    git(tmp.path(), &["commit", "-qm", "base"]);
    tmp
}

fn base_rules(tmp: &Path) -> (i32, Vec<(String, String)>) {
    check_in(tmp, &["--base", "HEAD"])
}

#[test]
fn base_unchanged_and_draft_edits_pass() {
    let tmp = repo_with_history();
    assert_eq!(base_rules(tmp.path()).0, 0);
    let p = tmp.path().join("documents/x/v1.1.md");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p)
            .unwrap()
            .replace("changed", "changed again"),
    )
    .unwrap();
    let (code, rules) = base_rules(tmp.path());
    assert_eq!(code, 0, "{rules:?}");
}

#[test]
fn base_approved_versions_are_immutable() {
    let tmp = repo_with_history();
    let p = tmp.path().join("documents/x/v1.0.md");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p)
            .unwrap()
            .replace("Body of 1.0.", "Body of 1.0, edited."),
    )
    .unwrap();
    let (code, rules) = base_rules(tmp.path());
    assert_eq!(code, 1);
    assert!(
        rules.iter().any(|(r, _)| r == "base/approved-immutable"),
        "{rules:?}"
    );
}

#[test]
fn base_status_only_moves_forward() {
    let tmp = repo_with_history();
    let p = tmp.path().join("documents/x/v1.0.md");
    let t = std::fs::read_to_string(&p)
        .unwrap()
        .replace("status: approved", "status: draft")
        .replace("approved: {by: DESNZ, on: 2024-01-05}\n", "");
    std::fs::write(&p, t).unwrap();
    let (code, rules) = base_rules(tmp.path());
    assert_eq!(code, 1);
    assert!(rules.iter().any(|(r, _)| r == "base/status"), "{rules:?}");
}

#[test]
fn base_deleted_version_is_an_error() {
    let tmp = repo_with_history();
    std::fs::remove_file(tmp.path().join("documents/x/v1.1.md")).unwrap();
    let (code, rules) = base_rules(tmp.path());
    assert_eq!(code, 1);
    assert!(
        rules.iter().any(|(r, _)| r == "base/deleted-version"),
        "{rules:?}"
    );
}

#[test]
fn base_a_change_needs_a_new_or_draft_version() {
    let tmp = repo_with_history();
    // Withdrawing the draft is allowed, but then only an approved file…
    let p = tmp.path().join("documents/x/v1.1.md");
    git(tmp.path(), &["rm", "-q", "documents/x/v1.1.md"]);
    git(tmp.path(), &["commit", "-qm", "no draft"]);
    // …a change to a non-draft without a new version is refused.
    let v = tmp.path().join("documents/x/v1.0.md");
    std::fs::write(
        &v,
        std::fs::read_to_string(&v)
            .unwrap()
            .replace("status: approved", "status: withdrawn"),
    )
    .unwrap();
    let (code, rules) = base_rules(tmp.path());
    assert_eq!(code, 1, "{rules:?}");
    assert!(
        rules.iter().any(|(r, _)| r == "base/new-version"),
        "{rules:?}"
    );
    // Adding a new version makes it a proper change.
    write(&p, &draft("1.2", "1.0", "2024-06-01"));
    std::fs::rename(&p, tmp.path().join("documents/x/v1.2.md")).unwrap();
    let (_, rules) = base_rules(tmp.path());
    assert!(
        !rules.iter().any(|(r, _)| r == "base/new-version"),
        "{rules:?}"
    );
}

#[test]
fn base_unknown_revision_is_exit_2() {
    let tmp = repo_with_history();
    let (code, _) = check_in(tmp.path(), &["--base", "no-such-branch"]);
    assert_eq!(code, 2);
}

#[test]
fn approve_records_approval_and_supersedes_keeping_every_other_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let v2_before = std::fs::read_to_string(docs.join("emrr/v2.0.md")).unwrap();
    let v3_before = std::fs::read_to_string(docs.join("emrr/v3.0.md")).unwrap();
    let o = regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "DESNZ", "--on", "2024-07-12"],
    );
    assert_ok(&o);
    let v2 = std::fs::read_to_string(docs.join("emrr/v2.0.md")).unwrap();
    let v3 = std::fs::read_to_string(docs.join("emrr/v3.0.md")).unwrap();
    assert_eq!(
        v2,
        v2_before.replacen("status: approved", "status: superseded", 1)
    );
    assert_eq!(
        v3,
        v3_before.replacen(
            "status: draft\n",
            "status: approved\napproved:\n  by: DESNZ\n  on: 2024-07-12\n",
            1
        )
    );
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
    let o = regdoc_in(tmp.path(), &["at", "emrr", "2024-08-01"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("emrr v3.0 (approved) on 2024-08-01: effective from 2024-07-19"),
        "{}",
        stdout(&o)
    );
    let o = regdoc_in(tmp.path(), &["at", "emrr", "2024-07-18"]);
    assert!(
        stdout(&o).contains("v2.0 (superseded) on 2024-07-18: effective 2023-07-05 to 2024-07-18"),
        "{}",
        stdout(&o)
    );
    let o = regdoc_in(tmp.path(), &["list"]);
    assert!(
        stdout(&o).contains("in force 2023-07-05 to 2024-07-18")
            && stdout(&o).contains("in force from 2024-07-19"),
        "{}",
        stdout(&o)
    );
    // Approving again is refused.
    let o = regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "DESNZ", "--on", "2024-07-12"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a draft"));
}

#[test]
fn approve_is_refused_when_a_rule_would_break_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let before: Vec<Vec<u8>> = ["v2.0.md", "v3.0.md"]
        .iter()
        .map(|f| std::fs::read(docs.join("emrr").join(f)).unwrap())
        .collect();
    // Approved after it would take effect.
    let o = regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "DESNZ", "--on", "2024-08-01"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("lifecycle/effective-before-approval")
            && stderr(&o).contains("nothing was written"),
        "{}",
        stderr(&o)
    );
    let after: Vec<Vec<u8>> = ["v2.0.md", "v3.0.md"]
        .iter()
        .map(|f| std::fs::read(docs.join("emrr").join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    // A bad date is unusable input.
    let o = regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "DESNZ", "--on", "2024-02-30"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn new_starts_the_next_draft_and_refuses_a_second() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    // The bundled v3.0 is a draft already.
    let o = regdoc_in(tmp.path(), &["new", "emrr"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("already has a draft, v3.0"),
        "{}",
        stderr(&o)
    );
    assert_ok(&regdoc_in(
        tmp.path(),
        &["approve", "emrr@3.0", "--by", "DESNZ", "--on", "2024-07-12"],
    ));
    let o = regdoc_in(tmp.path(), &["new", "emrr", "--effective", "2025-01-01"]);
    assert_ok(&o);
    let v31 = std::fs::read_to_string(docs.join("emrr/v3.1.md")).unwrap();
    assert!(
        v31.contains("version: \"3.1\"\nstatus: draft\neffective: 2025-01-01\nsupersedes: \"3.0\""),
        "{v31}"
    );
    let v3 = std::fs::read_to_string(docs.join("emrr/v3.0.md")).unwrap();
    assert!(
        v31.ends_with(v3.split("\n---\n").nth(1).unwrap()),
        "the body is not copied"
    );
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
    let o = regdoc_in(tmp.path(), &["new", "emrr", "--version", "4.0"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn check_takes_folders_or_files() {
    let tmp = workspace(&[("v1.0.md", &approved("1.0", "2024-01-01", "2024-01-05"))]);
    let (code, rules) = check_in(tmp.path(), &["documents/x/v1.0.md"]);
    assert_eq!(code, 1);
    assert!(
        rules
            .iter()
            .any(|(r, _)| r == "lifecycle/effective-before-approval"),
        "{rules:?}"
    );
    let (code, _) = check_in(tmp.path(), &["documents/x"]);
    assert_eq!(code, 1);
}

/// `new` writes a placeholder summary and proposes no date already past;
/// `check` warns of the placeholder until it is replaced, and of a draft
/// (not consulted on) whose proposed date has passed.
#[test]
fn a_new_drafts_placeholder_and_a_passed_date_are_warnings() {
    let tmp = workspace(&[(
        "v1.0.md",
        &version_file("1.0", "approved", "# 1. Text\n\nOne.\n"),
    )]);
    let o = regdoc_in(tmp.path(), &["new", "x"]);
    assert_ok(&o);
    let draft = tmp.path().join("documents/x/v1.1.md");
    let text = std::fs::read_to_string(&draft).unwrap();
    // Proposed for tomorrow at the earliest (v1.0 took effect in 2024).
    let effective = text
        .lines()
        .find_map(|l| l.strip_prefix("effective: "))
        .unwrap()
        .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = regdoc::model::EffectiveDate::from_unix(now).unwrap();
    assert!(effective > today.to_string(), "{effective} is not to come");
    let (code, rules) = check_in(tmp.path(), &["--deny-warnings"]);
    assert_eq!(code, 1, "{rules:?}");
    assert!(
        rules
            .iter()
            .any(|(r, s)| r == "lifecycle/placeholder-summary" && s == "warning"),
        "{rules:?}"
    );
    // Replaced: clean, even with --deny-warnings.
    let replaced = text.replace(
        "summary: \"Draft v1.1: changes to v1.0 (describe them here).\"",
        "summary: Clause 1 reworded.",
    );
    assert_ne!(replaced, text, "{text}");
    std::fs::write(&draft, &replaced).unwrap();
    assert_eq!(check_in(tmp.path(), &["--deny-warnings"]).0, 0);
    // A date already past.
    std::fs::write(
        &draft,
        replaced.replace(&format!("effective: {effective}"), "effective: 2024-03-01"),
    )
    .unwrap();
    let (code, rules) = check_in(tmp.path(), &["--deny-warnings"]);
    assert_eq!(code, 1);
    assert!(
        rules
            .iter()
            .any(|(r, s)| r == "lifecycle/draft-date-passed" && s == "warning"),
        "{rules:?}"
    );
}
