//! Issue 27 (first part): no record of the future. An approval dated
//! after today is refused with nothing written, `check` finds one in the
//! files, and responses are not collated into a report before the
//! consultation closes unless asked for as such. "Today" is injectable
//! (`REGDOC_TODAY`), so each holds on any day it is run.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

fn on_day(dir: &Path, today: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .args(args)
        .current_dir(dir)
        .env("REGDOC_TODAY", today)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn an_approval_dated_after_today_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let before = std::fs::read(docs.join("emrr/v3.0.md")).unwrap();
    let o = on_day(
        tmp.path(),
        "2024-07-12",
        &["approve", "emrr@3.0", "--on", "2024-07-13"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("after today (2024-07-12)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(docs.join("emrr/v3.0.md")).unwrap(), before);
    // On the day itself it is recorded.
    let o = on_day(
        tmp.path(),
        "2024-07-13",
        &["approve", "emrr@3.0", "--on", "2024-07-13"],
    );
    assert_ok(&o);
    // Read back on an earlier day (a clock set back, a file edited by
    // hand), the record is of the future: `check` says so, located.
    let o = on_day(tmp.path(), "2024-07-01", &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("lifecycle/approval-in-the-future"), "{out}");
    assert!(out.contains("file=documents/emrr/v3.0.md,line="), "{out}");
    let o = on_day(tmp.path(), "2024-07-13", &["check", "--format", "github"]);
    assert!(
        !stdout(&o).contains("approval-in-the-future"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn responses_are_not_collated_before_the_consultation_closes_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_documents(d);
    let responses = repo().join("tests/fixtures/responses");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "responses",
            "emrr@3.0",
            responses.to_str().unwrap(),
            "-o",
            "report",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let run = |today: &str, extra: &[&'static str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        on_day(d, today, &a)
    };
    // The consultation of 10 June 2024: the day it opens, it is refused.
    let o = run("2024-06-10", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("closes on"), "{}", stderr(&o));
    assert!(!d.join("report").exists());
    // Asked for as such: collated, and said so.
    let o = run("2024-06-10", &["--before-close"]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("responses received so far"),
        "{}",
        stderr(&o)
    );
    // After it closes, as ever.
    let o = run("2026-12-07", &[]);
    assert_ok(&o);
    assert!(!stderr(&o).contains("so far"), "{}", stderr(&o));
}
