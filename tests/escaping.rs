//! Text is data: no source text runs as typst code, and typst reads only
//! the templates and the document's own folder.

mod common;

use std::path::Path;

use common::*;

const NASTY: &[&str] = &[
    "#read(\"/etc/passwd\")",
    "$x^2$",
    "#import \"/etc/hostname\"",
    "@ref",
    "<label>",
    "[bracket]",
    "\\u{41}",
    "// not a comment",
    "/* nor this */",
    "#{panic(\"boom\")}",
    "= not a heading",
    "- not a list",
    "~tilde~",
    "'quote' \"double\"",
];

fn nasty_workspace(dir: &Path) {
    let docs = dir.join("documents");
    write(
        &docs.join("x/document.yaml"),
        "id: x\ntitle: \"Title #read(\\\"/etc/passwd\\\") $y$\"\nowner: \"O*w_n@er\"\nclassification: \"C <lbl> [c]\"\napprover: \"#panic()\"\n",
    );
    let mut body = String::from("# Heading #emph[x] $z$\n\n");
    for n in NASTY {
        // Backslash-escape Markdown punctuation so the text reaches the
        // model exactly as written.
        let md: String = n
            .chars()
            .flat_map(|c| {
                if c.is_ascii_punctuation() {
                    vec!['\\', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        body.push_str(&format!("Para {md} end.\n\n"));
    }
    body.push_str("Inline `#read(\"/etc/passwd\")` code and a *star* and _under_.\n\n");
    body.push_str("| A | B |\n|---|---|\n| #read(\"/etc/hostname\") | `$y$` |\n\n");
    body.push_str("```\n#import \"/etc/passwd\": *\n```\n");
    let front = "---\nversion: \"1.0\"\nstatus: draft\neffective: 2024-02-01\nsummary: \"#read(\\\"/etc/passwd\\\") \\\\ [x]\"\n---\n";
    write(&docs.join("x/v1.0.md"), &format!("{front}{body}"));
}

#[test]
fn every_injection_string_renders_literally() {
    let tmp = tempfile::tempdir().unwrap();
    nasty_workspace(tmp.path());
    let o = regdoc_in(tmp.path(), &["render", "x@1.0", "-o", "x.pdf"]);
    assert_ok(&o);
    let text = squash(&pdf_text(&tmp.path().join("x.pdf"), None));
    for n in NASTY {
        assert!(
            text.contains(&format!("Para {n} end.")),
            "missing literal {n:?} in:\n{text}"
        );
    }
    for lit in [
        "Heading #emph[x] $z$",
        "Inline #read(\"/etc/passwd\") code",
        "#read(\"/etc/hostname\")",
        "$y$",
        "#import \"/etc/passwd\": *",
        "Title #read(\"/etc/passwd\") $y$",
        "O*w_n@er",
        "C <lbl> [c]",
        "(subject to #panic() approval)",
        "#read(\"/etc/passwd\") \\ [x]",
    ] {
        assert!(text.contains(lit), "missing literal {lit:?} in:\n{text}");
    }
    assert!(!text.contains("root:"), "a file was read into the PDF");
    // The metadata carries the text literally too.
    assert_eq!(
        info(&tmp.path().join("x.pdf"), "Author").as_deref(),
        Some("O*w_n@er")
    );
}

#[test]
fn the_markup_escapes_both_sides() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.md");
    let b = tmp.path().join("b.md");
    write(&a, "Old \\#read(\"/etc/passwd\") text.\n");
    write(&b, "New \\$x\\$ \\@ref text.\n");
    let o = regdoc_in(tmp.path(), &["markup", "a.md", "b.md", "-o", "m.pdf"]);
    assert_ok(&o);
    let text = squash(&pdf_text(&tmp.path().join("m.pdf"), None));
    assert!(
        text.contains("#read(\"/etc/passwd\")") && text.contains("$x$ @ref"),
        "{text}"
    );
}

/// Renders emrr@2.0 with a `version.typ` override whose body is `body`.
fn render_with_template(body: &str) -> (std::process::Output, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let tpl = tmp.path().join("tpl");
    write(
        &tpl.join("version.typ"),
        &format!("#let main(data) = {{\n{body}\n}}\n"),
    );
    let docs = copy_documents(tmp.path());
    let _ = docs;
    let o = regdoc_in(
        tmp.path(),
        &["render", "emrr@2.0", "--templates", "tpl", "-o", "o.pdf"],
    );
    (o, tmp)
}

#[test]
fn templates_cannot_read_outside_files() {
    for path in [
        "/etc/passwd",
        "/doc/../../../../etc/passwd",
        "../etc/passwd",
        "/main.typ/../../etc/passwd",
    ] {
        let (o, tmp) = render_with_template(&format!("  read(\"{path}\")"));
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stderr(&o));
        assert!(!tmp.path().join("o.pdf").exists());
    }
}

#[test]
fn templates_cannot_load_packages() {
    let (o, _tmp) = render_with_template("  import \"@preview/cetz:0.3.0\"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("package"), "{}", stderr(&o));
}

#[test]
fn templates_can_read_the_documents_own_folder() {
    let (o, tmp) = render_with_template("  let t = read(\"/doc/document.yaml\")\n  text(t)");
    assert_ok(&o);
    let text = pdf_text(&tmp.path().join("o.pdf"), None);
    assert!(text.contains("id: emrr"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_the_document_folder_cannot_reach_out() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = copy_documents(tmp.path());
    write(&tmp.path().join("secret.txt"), "secret");
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), docs.join("emrr/logo.txt")).unwrap();
    write(
        &tmp.path().join("tpl/version.typ"),
        "#let main(data) = text(read(\"/doc/logo.txt\"))\n",
    );
    let o = regdoc_in(
        tmp.path(),
        &["render", "emrr@2.0", "--templates", "tpl", "-o", "o.pdf"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!tmp.path().join("o.pdf").exists());
}
