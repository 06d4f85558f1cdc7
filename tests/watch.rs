//! `regdoc watch`: rebuilds on save, survives a half-saved file, stops on
//! Ctrl-C, and `--once` for scripts.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Lines of a running process's stdout and stderr, as they come.
fn lines(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send(l);
        }
    });
    rx
}

/// Waits (at most 60 s) for a line containing `what`; returns every line
/// seen up to it.
fn wait_for(rx: &mpsc::Receiver<String>, what: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            let hit = l.contains(what);
            seen.push(l);
            if hit {
                return seen;
            }
        }
    }
    panic!("no line with {what:?} in 60 s; saw:\n{}", seen.join("\n"));
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
fn watch_rebuilds_what_an_edit_affects_and_survives_a_half_saved_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_documents(d);
    let mut child = Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .arg("watch")
        .current_dir(d)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    let first = wait_for(&rx, "regdoc watch: watching");
    assert!(
        first.iter().any(|l| l.contains("built: 5 written")),
        "{first:?}"
    );

    // An edit of the draft: its PDFs again, the approved version's not.
    let v3 = d.join("documents/emrr/v3.0.md");
    edit(
        &v3,
        "targeted for 30 July 2024",
        "targeted for 31 July 2024",
    );
    let round = wait_for(&rx, "changed:");
    let said = round.join("\n");
    assert!(said.contains("documents/emrr/v3.0.md changed"), "{said}");
    assert!(
        said.contains("wrote out/emrr/emrr-v3.0-draft.pdf"),
        "{said}"
    );
    assert!(
        said.contains("wrote out/emrr/emrr-v2.0-to-v3.0-markup.pdf"),
        "{said}"
    );
    assert!(!said.contains("wrote out/emrr/emrr-v2.0.pdf"), "{said}");
    assert!(
        pdf_text(&d.join("out/emrr/emrr-v3.0-draft.pdf"), None).contains("31 July 2024"),
        "the draft was not rebuilt"
    );

    // A half-saved file: a located error, and it keeps watching.
    let good = std::fs::read_to_string(&v3).unwrap();
    std::fs::write(&v3, &good[..40]).unwrap();
    let round = wait_for(&rx, "waiting for the next save");
    let said = round.join("\n");
    assert!(said.contains("documents/emrr/v3.0.md:1:1: error"), "{said}");
    // The earlier PDF is still whole.
    assert!(pdf_text(&d.join("out/emrr/emrr-v3.0-draft.pdf"), None).contains("31 July 2024"));
    std::fs::write(&v3, &good).unwrap();
    let round = wait_for(&rx, "changed:");
    assert!(round.join("\n").contains("written"), "{round:?}");

    // Ctrl-C: it says so and exits 0.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_for(&rx, "regdoc watch: stopped");
    assert_eq!(child.wait().unwrap().code(), Some(0));

    // The same pages as a clean build: the same bytes.
    let clean = regdoc_in(d, &["build", "--out", "clean"]);
    assert_ok(&clean);
    for name in ["emrr-v3.0-draft.pdf", "emrr-v2.0-to-v3.0-markup.pdf"] {
        assert_eq!(
            std::fs::read(d.join("out/emrr").join(name)).unwrap(),
            std::fs::read(d.join("clean/emrr").join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn watch_once_builds_and_exits_with_the_build_s_status() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_documents(d);
    let o = regdoc_in(d, &["watch", "--once"]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("regdoc watch: built: 5 written, 0 up to date in"),
        "{}",
        stdout(&o)
    );
    let o = regdoc_in(d, &["watch", "--once"]);
    assert!(
        stdout(&o).contains("0 written, 5 up to date"),
        "{}",
        stdout(&o)
    );
    std::fs::write(d.join("documents/emrr/v3.0.md"), "---\nversion: \"3.0\n").unwrap();
    let o = regdoc_in(d, &["watch", "--once"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("documents/emrr/v3.0.md:"),
        "{}",
        stderr(&o)
    );
}

fn start_watch(d: &Path) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .arg("watch")
        .current_dir(d)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    wait_for(&rx, "regdoc watch: watching");
    (child, rx)
}

fn stop(mut child: std::process::Child, rx: &mpsc::Receiver<String>) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_for(rx, "regdoc watch: stopped");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Issue 31, finding 14: in a git repository, `watch` credited edited
/// bytes to the commit it saw first, so its PDFs named a commit that does
/// not hold them and differed from `build`'s. After edits and a commit,
/// it writes what a fresh build writes.
#[test]
fn watch_names_the_commit_that_holds_the_bytes_it_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_documents(d);
    git(d, &["init", "-q"]);
    git(d, &["add", "documents"]);
    git(d, &["commit", "-qm", "base"]);
    let (child, rx) = start_watch(d);
    let v3 = d.join("documents/emrr/v3.0.md");
    edit(
        &v3,
        "targeted for 30 July 2024",
        "targeted for 31 July 2024",
    );
    wait_for(&rx, "changed:");
    let fresh = |name: &str| {
        let out = format!("fresh-{name}");
        assert_ok(&regdoc_in(d, &["build", "--out", &out, "--force", "-q"]));
        out
    };
    let f = fresh("edited");
    for name in ["emrr-v3.0-draft.pdf", "emrr-v2.0-to-v3.0-markup.pdf"] {
        assert!(
            std::fs::read(d.join("out/emrr").join(name)).unwrap()
                == std::fs::read(d.join(&f).join("emrr").join(name)).unwrap(),
            "{name} after an edit differs from a fresh build's"
        );
    }
    // Committed: a build names the new commit; so does the next round.
    git(d, &["commit", "-qam", "edit"]);
    edit(
        &v3,
        "targeted for 31 July 2024",
        "targeted for 30 July 2024",
    );
    wait_for(&rx, "changed:");
    git(d, &["commit", "-qam", "back"]);
    edit(
        &v3,
        "targeted for 30 July 2024",
        "targeted for 31 July 2024",
    );
    wait_for(&rx, "changed:");
    let f = fresh("again");
    for name in [
        "emrr-v3.0-draft.pdf",
        "emrr-v2.0-to-v3.0-markup.pdf",
        "emrr-v2.0.pdf",
    ] {
        assert!(
            std::fs::read(d.join("out/emrr").join(name)).unwrap()
                == std::fs::read(d.join(&f).join("emrr").join(name)).unwrap(),
            "{name} after commits differs from a fresh build's"
        );
    }
    stop(child, &rx);
    // And `build` after a commit is `build --force`, byte for byte.
    git(d, &["commit", "-qam", "last"]);
    assert_ok(&regdoc_in(d, &["build", "-q"]));
    let f = fresh("last");
    for name in ["emrr-v3.0-draft.pdf", "emrr-v2.0-to-v3.0-markup.pdf"] {
        assert!(
            std::fs::read(d.join("out/emrr").join(name)).unwrap()
                == std::fs::read(d.join(&f).join("emrr").join(name)).unwrap(),
            "{name}: build after a commit is not build --force"
        );
    }
}

/// Issue 31, finding 15: `watch` went silently stale once its folder was
/// replaced (`mv documents x; cp -r x documents`): it watched the old one.
#[test]
fn watch_follows_its_folder_when_it_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_documents(d);
    let (child, rx) = start_watch(d);
    std::fs::rename(d.join("documents"), d.join("x")).unwrap();
    copy_dir(&d.join("x"), &d.join("documents"));
    // The replacement is heard (a round, which may fail while half-copied).
    std::thread::sleep(Duration::from_millis(500));
    edit(
        &d.join("documents/emrr/v3.0.md"),
        "targeted for 30 July 2024",
        "targeted for 31 July 2024",
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = wait_for(&rx, "regdoc watch:");
        if seen
            .iter()
            .any(|l| l.contains("wrote out/emrr/emrr-v3.0-draft.pdf"))
            && pdf_text(&d.join("out/emrr/emrr-v3.0-draft.pdf"), None).contains("31 July 2024")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the edit in the new folder was never built"
        );
    }
    stop(child, &rx);
}
