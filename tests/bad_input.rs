//! Bad input gets one clear, located error, exit status 2, and nothing
//! half-written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A documents folder with one document `x` whose v1.0 file is `text`.
fn workspace(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("documents");
    write(&docs.join("x/document.yaml"), DOC_YAML);
    std::fs::write(docs.join("x/v1.0.md"), text).unwrap();
    (tmp, docs)
}

/// Renders x@1.0 over an existing output file; returns stderr and checks
/// exit status 2 and that the old output is untouched.
fn fails(text: &[u8]) -> String {
    let (tmp, _docs) = workspace(text);
    let out = tmp.path().join("out.pdf");
    std::fs::write(&out, b"previous output").unwrap();
    let o = regdoc_in(tmp.path(), &["render", "x@1.0", "-o", "out.pdf"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {} stderr: {}",
        stdout(&o),
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"previous output",
        "output was touched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".regdoc-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    err
}

const GOOD_HEAD: &str = "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n";

#[test]
fn invalid_calendar_date_is_located() {
    let e = fails(
        format!("{GOOD_HEAD}---\n")
            .replace("2024-02-01", "2024-02-30")
            .as_bytes(),
    );
    assert!(e.contains("documents/x/v1.0.md:4:12:"), "{e}");
    assert!(e.contains("not a real calendar date"), "{e}");
}

#[test]
fn badly_shaped_date_is_located() {
    let e = fails(
        format!("{GOOD_HEAD}---\n")
            .replace("2024-02-01", "19/07/2024")
            .as_bytes(),
    );
    assert!(
        e.contains("v1.0.md:4:12:") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
}

#[test]
fn unknown_status_is_located() {
    let e = fails(
        format!("{GOOD_HEAD}---\n")
            .replace("status: draft", "status: aproved")
            .as_bytes(),
    );
    assert!(
        e.contains("v1.0.md:3:9:") && e.contains("unknown variant `aproved`"),
        "{e}"
    );
}

#[test]
fn unknown_key_is_located() {
    let e = fails(format!("{GOOD_HEAD}colour: red\n---\n").as_bytes());
    assert!(
        e.contains("v1.0.md:6:1:") && e.contains("unknown field `colour`"),
        "{e}"
    );
}

#[test]
fn duplicate_key_is_located() {
    let e = fails(format!("{GOOD_HEAD}status: approved\n---\n").as_bytes());
    assert!(
        e.contains("v1.0.md:6:1:") && e.contains("duplicate field `status`"),
        "{e}"
    );
}

#[test]
fn unquoted_version_is_refused_with_a_hint() {
    let e = fails(
        format!("{GOOD_HEAD}---\n")
            .replace("\"1.0\"", "1.10")
            .as_bytes(),
    );
    assert!(
        e.contains("v1.0.md:2:10:") && e.contains("must be quoted"),
        "{e}"
    );
}

#[test]
fn missing_required_key_is_reported() {
    let e = fails(b"---\nversion: \"1.0\"\nstatus: draft\n---\nbody\n");
    assert!(e.contains("missing field `effective`"), "{e}");
}

#[test]
fn malformed_yaml_is_located() {
    let e = fails(format!("{GOOD_HEAD}title: [unclosed\n---\n").as_bytes());
    assert!(e.contains("v1.0.md:") && e.contains("front matter:"), "{e}");
}

#[test]
fn unclosed_front_matter() {
    let e = fails(GOOD_HEAD.as_bytes());
    assert!(
        e.contains("v1.0.md:1:1:") && e.contains("not closed"),
        "{e}"
    );
}

#[test]
fn missing_front_matter() {
    let e = fails(b"# Just Markdown\n");
    assert!(
        e.contains("v1.0.md:1:1:") && e.contains("needs YAML front matter"),
        "{e}"
    );
}

#[test]
fn empty_file_and_empty_front_matter() {
    let e = fails(b"");
    assert!(e.contains("needs YAML front matter"), "{e}");
    let e = fails(b"---\n---\nbody\n");
    assert!(e.contains("front matter is empty"), "{e}");
}

#[test]
fn non_utf8_file_is_located() {
    let mut text = format!("{GOOD_HEAD}---\n").into_bytes();
    text.extend_from_slice(b"caf\xe9\n");
    let e = fails(&text);
    assert!(
        e.contains("v1.0.md:7:4:") && e.contains("not valid UTF-8"),
        "{e}"
    );
}

#[test]
fn binary_file_is_refused() {
    let e = fails(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00");
    assert!(
        e.contains("binary file") || e.contains("front matter"),
        "{e}"
    );
}

#[test]
fn yaml_alias_bomb_is_refused_quickly() {
    let mut bomb = String::from(GOOD_HEAD);
    bomb.push_str("title: &a \"lol\"\n");
    bomb.push_str("assumptions: [");
    bomb.push_str(&vec!["*a"; 5000].join(", "));
    bomb.push_str("]\n");
    bomb.push_str("x1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n");
    for i in 2..12 {
        bomb.push_str(&format!(
            "x{i}: &b{i} [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        ));
    }
    bomb.push_str("---\n");
    let start = std::time::Instant::now();
    let e = fails(bomb.as_bytes());
    assert!(start.elapsed().as_secs() < 10);
    assert!(e.contains("front matter"), "{e}");
}

#[test]
fn huge_file_is_refused_without_reading_it() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.md");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(50 * 1024 * 1024).unwrap();
    let o = regdoc_in(tmp.path(), &["render", "big.md", "-o", "x.pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "big.md: error: the file is 50.0 MiB; regdoc reads files of this kind up to 16 MiB"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.path().join("x.pdf").exists());
}

#[test]
fn unknown_document_and_version() {
    let o = regdoc(&["render", "nope@1.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown document `nope`") && stderr(&o).contains("emrr"),
        "{}",
        stderr(&o)
    );

    let o = regdoc(&["render", "emrr@9.9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("document `emrr` has no version 9.9")
            && stderr(&o).contains("2.0, 3.0"),
        "{}",
        stderr(&o)
    );

    let o = regdoc(&["markup", "emrr@2.0", "no/such/file.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.md"), "{}", stderr(&o));
}

#[test]
fn unreadable_file() {
    let tmp = tempfile::tempdir().unwrap();
    let o = regdoc_in(tmp.path(), &["render", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a folder"), "{}", stderr(&o));
}

#[test]
fn missing_documents_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let o = regdoc_in(tmp.path(), &["build"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("documents: error: cannot read: no such file"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn version_file_symlinked_out_of_documents_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("documents");
    write(&docs.join("x/document.yaml"), DOC_YAML);
    let outside = tmp.path().join("outside.md");
    write(&outside, &version_file("1.0", "draft", "Secret.\n"));
    std::os::unix::fs::symlink(&outside, docs.join("x/v1.0.md")).unwrap();
    let o = regdoc_in(tmp.path(), &["build", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("links outside documents"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn a_bad_version_stops_the_whole_build_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    let out = tmp.path().join("out");
    // A first good build, then break v3.0 and build again.
    assert_ok(&regdoc_in(tmp.path(), &["build", "--out", "out"]));
    let before = std::fs::read(out.join("emrr/emrr-v2.0.pdf")).unwrap();
    let v3 = docs.join("emrr/v3.0.md");
    let text = std::fs::read_to_string(&v3)
        .unwrap()
        .replace("effective: 2024-07-19", "effective: 2024-07-32");
    std::fs::write(&v3, text).unwrap();
    std::fs::remove_file(out.join("emrr/emrr-v2.0.pdf")).unwrap();
    let o = regdoc_in(tmp.path(), &["build", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("v3.0.md:") && stderr(&o).contains("2024-07-32"),
        "{}",
        stderr(&o)
    );
    assert!(
        !out.join("emrr/emrr-v2.0.pdf").exists(),
        "a PDF was written by a failed build"
    );
    drop(before);
}

/// `regdoc render emrr@2.0` with the templates of `tpl`, into `out`.
fn render_with_templates(tpl: &Path, out: &Path) -> std::process::Output {
    regdoc(&[
        "render",
        "emrr@2.0",
        "--templates",
        tpl.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

#[test]
fn template_errors_name_the_template() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    write(
        &tpl.join("version.typ"),
        "#let main(data) = {\n  undefined-function()\n}\n",
    );
    let out = tmp.path().join("o.pdf");
    let o = render_with_templates(&tpl, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("tpl/version.typ:2:3:") && e.contains("unknown variable"),
        "{e}"
    );
    assert!(!out.exists());
}

/// Every diagnostic typst gives reaches the user with its place: each
/// error (not only the first), and warnings, which do not stop the render.
#[test]
fn every_template_diagnostic_is_reported_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    // Two syntax errors on two lines.
    write(
        &tpl.join("version.typ"),
        "#let main(data) = {\n  let = 1\n  let = 2\n  [x]\n}\n",
    );
    let out = tmp.path().join("o.pdf");
    let o = render_with_templates(&tpl, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("tpl/version.typ:2:6:") && e.contains("tpl/version.typ:3:6:"),
        "{e}"
    );
    // A warning: an unknown font is set, the PDF still written.
    write(
        &tpl.join("version.typ"),
        "#let main(data) = {\n  set text(font: \"No Such Font\")\n  set document(title: \"T\")\n  [Text]\n}\n",
    );
    let o = render_with_templates(&tpl, &out);
    assert_ok(&o);
    let e = stderr(&o);
    assert!(
        e.contains("warning: ") && e.contains("tpl/version.typ:2:") && e.contains("font"),
        "{e}"
    );
    assert!(out.is_file());
}

/// Every PDF is PDF/A-3a and PDF/UA-1, enforced at export: a template of
/// `--templates` that breaks either standard (here, no document title and
/// a skipped heading level) is refused with typst's reason and help, and
/// no PDF that claims a standard it breaks is written.
#[test]
fn a_template_that_breaks_pdf_ua_is_refused_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    write(
        &tpl.join("version.typ"),
        "#let main(data) = {\n  heading(level: 3, [Deep])\n}\n",
    );
    let out = tmp.path().join("o.pdf");
    let o = render_with_templates(&tpl, &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("PDF/UA-1 error"), "{e}");
    assert!(
        e.contains("missing document title") || e.contains("first heading must be of level 1"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn output_onto_a_pipe_or_a_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("a.md"), "# A\n\nOne.\n");
    write(&d.join("b.md"), "# A\n\nTwo.\n");
    let fifo = d.join("pipe");
    mkfifo(&fifo);
    std::fs::create_dir(d.join("folder")).unwrap();
    for target in ["pipe", "folder"] {
        let o = regdoc_in(
            d,
            &["diff", "a.md", "b.md", "--format", "json", "-o", target],
        );
        assert_eq!(o.status.code(), Some(2), "{target}: {}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(d.join("folder").is_dir());
}

#[test]
fn word_files_of_plain_files_do_not_depend_on_modification_times() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("a.md"), "# A\n\nOne.\n");
    write(&d.join("b.md"), "# A\n\nTwo.\n");
    let run = |out: &str| {
        assert_ok(&regdoc_in(
            d,
            &["diff", "a.md", "b.md", "--format", "docx", "-o", out],
        ));
        std::fs::read(d.join(out)).unwrap()
    };
    let first = run("1.docx");
    assert!(
        Command::new("touch")
            .args(["-d", "2001-02-03"])
            .arg(d.join("b.md"))
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(first, run("2.docx"));
}

#[test]
fn a_duplicate_version_is_reported_at_its_version_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("documents/x/document.yaml"), DOC_YAML);
    let v = "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n# A\n";
    write(&d.join("documents/x/v1.0.md"), v);
    write(
        &d.join("documents/x/v1.md"),
        "---\n# The same version again.\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: s\n---\n# A\n",
    );
    let o = regdoc_in(d, &["list"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("v1.md:3:1"), "{}", stderr(&o));
}
