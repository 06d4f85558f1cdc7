//! The everyday command line: help for every option, defaults that mean
//! what a user expects.

mod common;

use common::*;

/// Every option of every subcommand says what it does in `-h`.
#[test]
fn every_option_has_help_text() {
    let top = stdout(&regdoc(&["-h"]));
    let commands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .expect("a command list")
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    for c in &commands {
        let help = stdout(&regdoc(&[c, "-h"]));
        let options = help.split("Options:").nth(1).unwrap_or("");
        let lines: Vec<&str> = options.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.trim_start().starts_with('-') {
                continue;
            }
            // Help on the same line, or (clap's layout for long options)
            // on the next, indented further.
            let same = line
                .trim()
                .split("  ")
                .filter(|p| !p.trim().is_empty())
                .count()
                >= 2;
            let indent = |l: &str| l.len() - l.trim_start().len();
            let next = lines.get(i + 1).is_some_and(|n| {
                !n.trim().is_empty() && !n.trim_start().starts_with('-') && indent(n) > indent(line)
            });
            assert!(same || next, "`regdoc {c}`: no help for `{}`", line.trim());
        }
    }
}

#[test]
fn at_without_a_date_means_today() {
    let o = regdoc(&["at", "emrr"]);
    assert_ok(&o);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = regdoc::model::EffectiveDate::from_unix(now).unwrap();
    assert!(
        stdout(&o).contains(&format!("on {today}")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn json_without_blocks_carries_only_what_changed() {
    let o = regdoc(&[
        "diff",
        "emrr@2.0",
        "emrr@3.0",
        "--format",
        "json",
        "--no-blocks",
    ]);
    assert_ok(&o);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(j.get("blocks").is_none());
    assert!(!j["changes"].as_array().unwrap().is_empty());
    // It is an option of the JSON format only.
    let o = regdoc(&["diff", "emrr@2.0", "emrr@3.0", "--no-blocks"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-blocks is an option of --format json"));
}

/// Shell completions and the man page come from the same definitions as
/// `--help`: every subcommand is in them.
#[test]
fn completions_and_man_page_are_generated() {
    let commands = [
        "list",
        "render",
        "markup",
        "diff",
        "check",
        "new",
        "approve",
        "at",
        "build",
        "responses",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let o = regdoc(&["completions", shell]);
        assert_ok(&o);
        let script = stdout(&o);
        for c in commands {
            assert!(script.contains(c), "{shell} completions lack {c}");
        }
    }
    // The bash script is valid bash.
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("regdoc.bash");
    std::fs::write(&script, regdoc(&["completions", "bash"]).stdout).unwrap();
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(ok.success());
    let o = regdoc(&["man"]);
    assert_ok(&o);
    let page = stdout(&o);
    assert!(page.contains(".TH regdoc 1"), "{page}");
    for c in commands {
        assert!(page.contains(c), "the man page lacks {c}");
    }
    // A page per command, with its options.
    let dir = tmp.path().join("man1");
    assert_ok(&regdoc(&["man", "--dir", dir.to_str().unwrap()]));
    for c in commands {
        let page = std::fs::read_to_string(dir.join(format!("regdoc-{c}.1"))).unwrap();
        assert!(page.contains(&format!(".TH regdoc-{c} 1")), "{page}");
    }
    let diff = std::fs::read_to_string(dir.join("regdoc-diff.1")).unwrap();
    assert!(diff.contains("no\\-blocks"), "{diff}");
}

/// `--templates` is offered only where typst makes a PDF, and on `check`,
/// which holds the templates folder against `--base`.
#[test]
fn templates_is_offered_only_where_it_acts() {
    for c in ["list", "new", "approve", "at"] {
        let help = stdout(&regdoc(&[c, "-h"]));
        assert!(
            !help.contains("--templates"),
            "`regdoc {c}` offers --templates"
        );
    }
    for c in ["render", "markup", "build", "responses", "diff", "check"] {
        let help = stdout(&regdoc(&[c, "-h"]));
        assert!(
            help.contains("--templates"),
            "`regdoc {c}` lacks --templates"
        );
    }
    let o = regdoc(&["diff", "emrr@2.0", "emrr@3.0", "--templates", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--templates is an option of --format pdf"));
}

/// `regdoc new ID --title …` starts a document: document.yaml and a first
/// draft that passes check (but for its placeholder summary) and builds.
#[test]
fn new_with_a_title_starts_a_document() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("documents")).unwrap();
    let args = [
        "new",
        "sec-x",
        "--title",
        "Example: a new code",
        "--owner",
        "DCC",
        "--classification",
        "DCC Public",
        "--approver",
        "DESNZ",
    ];
    assert_ok(&regdoc_in(tmp.path(), &args));
    let info = std::fs::read_to_string(tmp.path().join("documents/sec-x/document.yaml")).unwrap();
    assert!(info.contains("title: \"Example: a new code\""), "{info}");
    let o = regdoc_in(tmp.path(), &["check", "--format", "json"]);
    assert_ok(&o);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rules: Vec<&str> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["lifecycle/placeholder-summary"]);
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out", "-q"]));
    assert!(tmp.path().join("out/sec-x/sec-x-v1.0-draft.pdf").is_file());
    // Not twice, and not without what document.yaml needs.
    let again = regdoc_in(tmp.path(), &args);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));
    let o = regdoc_in(tmp.path(), &["new", "sec-y", "--title", "T"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a new document needs --owner too"));
    assert!(!tmp.path().join("documents/sec-y").exists());
}
