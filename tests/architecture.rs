//! The boundaries ARCHITECTURE.md draws, checked on the source itself: a
//! rule that only a document states is broken by the next hurried change.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its code before any `#[cfg(test)]`
/// (tests may read files and call anything).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code)
        })
        .collect()
}

/// Lines of `code` that are code, not comments.
fn code_lines(code: &str) -> impl Iterator<Item = (usize, &str)> {
    code.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

#[track_caller]
fn forbid(files: &[(String, String)], allowed: impl Fn(&str) -> bool, needles: &[&str], why: &str) {
    let mut found = Vec::new();
    for (path, code) in files {
        if allowed(path) {
            continue;
        }
        for (n, line) in code_lines(code) {
            for needle in needles {
                if line.contains(needle) {
                    found.push(format!("{path}:{n}: {}", line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{why}:\n{}", found.join("\n"));
}

#[test]
fn only_source_and_fsutil_touch_the_file_system_or_run_git() {
    forbid(
        &sources(),
        |p| p.starts_with("src/source/") || p == "src/fsutil.rs",
        &[
            "std::fs::",
            "fs::read",
            "File::open",
            "File::create",
            "Command::new",
            "canonicalize(",
        ],
        "`source` is the only door to bytes (and `fsutil` to outputs)",
    );
}

#[test]
fn only_source_parses_yaml_and_markdown() {
    let files = sources();
    forbid(
        &files,
        |p| p == "src/source/yaml.rs",
        &["serde_yaml"],
        "YAML lives in source::yaml",
    );
    forbid(
        &files,
        |p| p == "src/source/markdown.rs",
        &["pulldown_cmark"],
        "the Markdown parser runs only in source::markdown",
    );
    forbid(
        &files,
        |p| p == "src/source/response.rs",
        &["zip::"],
        "returned Word files are unpacked and read only in source::response",
    );
    forbid(
        &files,
        |p| p == "src/source/response.rs" || p == "src/source/assets.rs",
        &["roxmltree"],
        "XML is read only in source (returned Word files, SVG pictures)",
    );
}

#[test]
fn renderers_do_not_reach_into_check_build_lifecycle_or_each_other() {
    let files = sources();
    forbid(
        &files,
        |p| !p.starts_with("src/render/"),
        &[
            "crate::check",
            "crate::build",
            "crate::lifecycle",
            "crate::responses",
            "crate::cli",
        ],
        "data flows one way: render depends on nothing downstream",
    );
    let renderers = [
        "terminal",
        "html",
        "markdown",
        "json",
        "docx",
        "pdf",
        "response_template",
    ];
    for r in renderers {
        let own = format!("src/render/{r}.rs");
        let others: Vec<String> = renderers
            .iter()
            .filter(|o| **o != r)
            .flat_map(|o| [format!("render::{o}::"), format!("super::{o}::")])
            .collect();
        let needles: Vec<&str> = others.iter().map(String::as_str).collect();
        forbid(
            &files,
            |p| p != own,
            &needles,
            &format!("{r} imports another renderer"),
        );
    }
}

#[test]
fn the_library_holds_no_command_line() {
    forbid(
        &sources(),
        |p| p == "src/main.rs" || p == "src/cli.rs",
        &["clap::", "std::process::exit"],
        "the binary owns the CLI",
    );
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    assert!(
        !lib.contains("mod cli"),
        "cli is a module of the binary, not the library"
    );
}
