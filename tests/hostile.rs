//! Issue 31, the high findings of an adversarial run: what a repository or
//! a pull request holds must not act outside it, forge what a build keeps,
//! or change how an approved PDF prints past the gate. Each test is the
//! attack as it was made, through the real binary, and fails without its
//! fix.

mod common;

use std::path::Path;

use common::*;

fn approved(v: &str) -> String {
    format!(
        "---\nversion: \"{v}\"\nstatus: approved\neffective: 2024-01-10\napproved: {{by: DESNZ, on: 2024-01-05}}\nsummary: Version {v}.\n---\n# 1. Text\n\nBody of {v}.\n"
    )
}

fn committed(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = workspace(files);
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "."]);
    git(tmp.path(), &["commit", "-qm", "base"]);
    tmp
}

/// `check --base HEAD` (plus `extra`): (exit status, everything printed).
fn gate(dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["check", "--base", "HEAD", "--format", "github"];
    args.extend_from_slice(extra);
    let o = regdoc_in(dir, &args);
    (o.status.code().unwrap(), stdout(&o) + &stderr(&o))
}

/// Finding 1: a journal committed beside a document folder that links to
/// the repository root renamed a payload into `.git/hooks` and deleted
/// files, on `list` or plain `check` in a clone.
#[cfg(unix)]
#[test]
fn a_committed_journal_acts_nowhere() {
    let origin = committed(&[("v1.0.md", &approved("1.0"))]);
    let o = origin.path();
    std::os::unix::fs::symlink("..", o.join("documents/evil")).unwrap();
    write(&o.join("document.yaml"), "id: evil\n");
    write(&o.join("victim.txt"), "precious\n");
    write(&o.join("README.md"), "# readme\n");
    write(&o.join("payload"), "#!/bin/sh\necho PWNED\n");
    write(
        &o.join(".regdoc-journal.json"),
        r#"{"renames":[["payload",".git/hooks/pre-commit"]],"removals":["victim.txt","README.md"]}"#,
    );
    // A journal inside a real document folder too, as a clone gets it.
    write(
        &o.join("documents/x/.regdoc-journal.json"),
        r#"{"folder":"1:2","renames":[],"removals":["v1.0.md"]}"#,
    );
    git(o, &["add", "-A"]);
    git(o, &["commit", "-qm", "x"]);
    let clone = tempfile::tempdir().unwrap();
    let c = clone.path().join("c");
    git(
        clone.path(),
        &["clone", "-q", o.to_str().unwrap(), c.to_str().unwrap()],
    );
    for args in [
        &["list"][..],
        &["check"][..],
        &["build", "--out", "out", "-q"][..],
    ] {
        let out = regdoc_in(&c, args);
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        for kept in ["victim.txt", "README.md", "payload", "documents/x/v1.0.md"] {
            assert!(
                c.join(kept).exists(),
                "{args:?} deleted {kept}: {}",
                stderr(&out)
            );
        }
        assert!(
            !c.join(".git/hooks/pre-commit").exists(),
            "{args:?} installed a hook"
        );
    }
    let out = regdoc_in(&c, &["check"]);
    let e = stdout(&out) + &stderr(&out);
    assert!(e.contains("symbolic link"), "{e}");
    assert!(e.contains("names another folder"), "{e}");
}

/// Finding 2: a PDF replaced in `out/`, its hash put in the build
/// manifest, was kept by `build` as "up to date".
#[test]
fn a_forged_build_output_is_rebuilt() {
    let tmp = committed(&[("v1.0.md", &approved("1.0"))]);
    let d = tmp.path();
    assert_ok(&regdoc_in(d, &["build", "--out", "out", "-q"]));
    let pdf = d.join("out/x/x-v1.0.pdf");
    let honest = std::fs::read(&pdf).unwrap();
    // Any other PDF will do: the same document rendered with a forged text.
    write(&d.join("forged/documents/x/document.yaml"), DOC_YAML);
    write(
        &d.join("forged/documents/x/v1.0.md"),
        &approved("1.0").replace("Body of 1.0.", "Body of 1.0, FORGED."),
    );
    assert_ok(&regdoc_in(
        &d.join("forged"),
        &["build", "--out", "out", "-q"],
    ));
    let forged = std::fs::read(d.join("forged/out/x/x-v1.0.pdf")).unwrap();
    assert_ne!(forged, honest);
    std::fs::write(&pdf, &forged).unwrap();
    let m = d.join("out/.regdoc-build.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
    use sha2::Digest;
    let sum: String = sha2::Sha256::digest(&forged)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    manifest["outputs"]["x/x-v1.0.pdf"][1] = serde_json::json!(sum);
    std::fs::write(&m, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let o = regdoc_in(d, &["build", "--out", "out"]);
    assert_ok(&o);
    assert!(!stdout(&o).contains("up to date"), "{}", stdout(&o));
    assert_eq!(std::fs::read(&pdf).unwrap(), honest, "the forgery was kept");
    // The honest manifest is trusted again.
    let o = regdoc_in(d, &["build", "--out", "out"]);
    assert!(stdout(&o).contains("up to date"), "{}", stdout(&o));
}

/// Finding 3: an SVG whose `href` is spaced (`href = "…"`, a line break
/// before `=`) passed the self-contained-picture rule.
#[test]
fn an_svg_referring_to_another_file_is_refused_however_it_is_spelt() {
    let mut png = Vec::new();
    image::RgbImage::new(2, 2)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for (i, image) in [
        r#"<image href = "inner.png" width="10" height="10"/>"#,
        "<image xlink:href\n=\"inner.png\" width=\"10\" height=\"10\"/>",
        r#"<image href="&#105;nner.png" width="10" height="10"/>"#,
        r#"<image x:href='inner.png' width="10" height="10"/>"#,
        r#"<rect style="fill: url( 'inner.png' )" width="10" height="10"/>"#,
        r#"<style>@import "inner.css";</style>"#,
    ]
    .iter()
    .enumerate()
    {
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:x=\"http://www.w3.org/1999/xlink\" width=\"20\" height=\"20\">{image}</svg>"
        );
        let tmp = workspace(&[
            ("v1.0.md", &(approved("1.0") + "\n![Figure](pic.svg)\n")),
            ("pic.svg", &svg),
        ]);
        std::fs::write(tmp.path().join("documents/x/inner.png"), &png).unwrap();
        let o = regdoc_in(tmp.path(), &["check"]);
        let e = stdout(&o) + &stderr(&o);
        assert_eq!(o.status.code(), Some(1), "case {i}: {e}");
        assert!(e.contains("refers to another file"), "case {i}: {e}");
    }
    // What costs too much to draw, however it hides it: `<use>` copies
    // fanned out, a filter set by a stylesheet, an SVG inside an SVG.
    let mut fan = String::from("<rect id=\"l0\" width=\"1\" height=\"1\"/>");
    for level in 1..=8 {
        fan.push_str(&format!("<g id=\"l{level}\">"));
        for _ in 0..10 {
            fan.push_str(&format!("<use href=\"#l{}\"/>", level - 1));
        }
        fan.push_str("</g>");
    }
    let blurred: String = (0..100)
        .map(|_| "<rect width=\"5\" height=\"5\"/>")
        .collect();
    for (i, (inner, says)) in [
        (fan, "its `<use>` copies counted"),
        (
            format!("<defs><filter id=\"b\"><feGaussianBlur stdDeviation=\"3\"/></filter></defs><style>rect {{ filter: url(#b) }}</style>{blurred}"),
            "drawn through a filter",
        ),
        (
            "<image href=\"data:image/svg+xml;base64,PHN2Zy8+\" width=\"1\" height=\"1\"/>".to_string(),
            "another SVG",
        ),
    ]
    .iter()
    .enumerate()
    {
        let svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\">{inner}</svg>");
        let tmp = workspace(&[
            ("v1.0.md", &(approved("1.0") + "\n![Figure](pic.svg)\n")),
            ("pic.svg", &svg),
        ]);
        let o = regdoc_in(tmp.path(), &["check"]);
        let e = stdout(&o) + &stderr(&o);
        assert_eq!(o.status.code(), Some(1), "costly case {i}: {e}");
        assert!(e.contains(says), "costly case {i}: {e}");
    }
    // Fragments and data: URIs are self-contained.
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"><defs><rect id=\"r\" width=\"5\" height=\"5\"/></defs><use href=\"#r\"/><rect style=\"fill: url(#g)\" width=\"1\" height=\"1\"/></svg>";
    let tmp = workspace(&[
        ("v1.0.md", &(approved("1.0") + "\n![Figure](pic.svg)\n")),
        ("pic.svg", svg),
    ]);
    assert_ok(&regdoc_in(tmp.path(), &["check"]));
}

/// Finding 4: a document kept in a git submodule under `documents/`
/// changed with "no problems found": `ls-tree` shows only its pointer.
#[test]
fn a_submodule_under_documents_is_a_finding() {
    let tmp = committed(&[("v1.0.md", &approved("1.0"))]);
    let d = tmp.path();
    // Another repository holding a document, recorded as a gitlink.
    let sub = d.join("documents/y");
    write(
        &sub.join("document.yaml"),
        &DOC_YAML.replace("id: x", "id: y"),
    );
    write(&sub.join("v1.0.md"), &approved("1.0"));
    git(&sub, &["init", "-q"]);
    git(&sub, &["add", "."]);
    git(&sub, &["commit", "-qm", "sub"]);
    git(d, &["add", "documents/y"]);
    git(d, &["commit", "-qm", "submodule"]);
    let o = regdoc_in(d, &["check"]);
    let e = stdout(&o) + &stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("submodule"), "{e}");
    // Against the base, with the submodule's files not checked out.
    std::fs::remove_dir_all(&sub).unwrap();
    std::fs::create_dir(&sub).unwrap();
    let (code, out) = gate(d, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("schema/submodule"), "{out}");
}

/// Finding 5: the templates and the house logo are part of how approved
/// PDFs print; editing them passed `check --base`.
#[test]
fn the_templates_and_the_house_logo_are_gated_while_a_version_is_approved() {
    let tmp = committed(&[("v1.0.md", &approved("1.0"))]);
    let d = tmp.path();
    write(
        &d.join("templates/version.typ"),
        &std::fs::read_to_string(repo().join("templates/version.typ")).unwrap(),
    );
    write(
        &d.join("house/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"9\" height=\"9\"><rect width=\"9\" height=\"9\"/></svg>",
    );
    write(&d.join("house/README.md"), "notes\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "templates"]);
    assert_eq!(gate(d, &[]).0, 0);
    assert_eq!(gate(d, &["--templates", "house"]).0, 0);
    // The built-in layout, edited where the binary CI builds reads it.
    let v = d.join("templates/version.typ");
    let text = std::fs::read_to_string(&v).unwrap();
    std::fs::write(&v, text + "\n// restyled\n").unwrap();
    let (code, out) = gate(d, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("base/approved-appearance") && out.contains("version.typ"),
        "{out}"
    );
    assert!(out.contains("x v1.0"), "{out}");
    // Said on purpose: a warning naming what it restyles.
    let (code, out) = gate(d, &["--allow-restyle"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("approved-appearance"), "{out}");
    git(d, &["checkout", "--", "templates"]);
    // The logo redrawn; a README beside it is no part of any PDF.
    write(
        &d.join("house/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"9\" height=\"9\"><circle r=\"4\"/></svg>",
    );
    write(&d.join("house/README.md"), "other notes\n");
    let (code, out) = gate(d, &["--templates", "house"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("logo.svg") && !out.contains("README"), "{out}");
}

/// Issue 31, finding 17: `build --out documents` wrote PDFs and its
/// manifest among the governed sources (every other command refuses).
#[test]
fn a_build_never_writes_into_the_documents_folder() {
    let tmp = committed(&[("v1.0.md", &approved("1.0"))]);
    let d = tmp.path();
    for out in [
        "documents",
        "documents/x",
        "documents/new/deeper",
        "./documents/",
    ] {
        let o = regdoc_in(d, &["build", "--out", out]);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("never writes among governed sources"),
            "{}",
            stderr(&o)
        );
    }
    let mut files = Vec::new();
    for e in std::fs::read_dir(d.join("documents/x")).unwrap() {
        files.push(e.unwrap().file_name().to_string_lossy().into_owned());
    }
    files.sort();
    assert_eq!(files, ["document.yaml", "v1.0.md"]);
    assert!(!d.join("documents/new").exists());
}

mod svg_references {
    //! Finding 3 as a property: however an SVG spells a reference to
    //! another file (attribute spacing, quotes, line breaks, entities,
    //! namespace prefixes, CSS), it is refused; a fragment is not.
    use proptest::prelude::*;

    fn spelt() -> impl Strategy<Value = (String, bool)> {
        let space = prop::sample::select(vec!["", " ", "\n", "\t", " \r\n "]);
        let quote = prop::sample::select(vec!["\"", "'"]);
        let name = prop::sample::select(vec!["href", "xlink:href", "x:href", "h:href"]);
        let target = prop::sample::select(vec![
            ("inner.png", true),
            ("&#105;nner.png", true),
            ("&#x69;nner.png", true),
            (" ./inner.png ", true),
            ("file:///etc/passwd", true),
            ("#frag", false),
            ("data:image/png;base64,AAAA", false),
        ]);
        let element = prop::sample::select(vec!["image", "use", "feImage", "a"]);
        (space.clone(), space, quote, name, target, element).prop_map(
            |(s1, s2, q, name, (t, outside), el)| {
                (
                    format!("<{el} {name}{s1}={s2}{q}{t}{q} width=\"1\" height=\"1\"/>"),
                    outside,
                )
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(31), ..ProptestConfig::default() })]
        #[test]
        fn any_spelling_of_a_reference_is_refused((element, outside) in spelt()) {
            let svg = format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:x=\"http://www.w3.org/1999/xlink\" xmlns:h=\"http://www.w3.org/1999/xlink\" width=\"9\" height=\"9\">{element}</svg>"
            );
            let read = regdoc::source::assets::decode("pic.svg", svg.clone().into_bytes());
            prop_assert_eq!(read.is_err(), outside, "{}", svg);
        }
    }
}

/// An output folder that is a link (to a scratch disk) is built into where
/// it leads — but never when it leads into `documents/`.
#[cfg(unix)]
#[test]
fn a_linked_output_folder_is_built_where_it_leads() {
    let tmp = committed(&[("v1.0.md", &approved("1.0"))]);
    let d = tmp.path();
    let scratch = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(scratch.path(), d.join("out")).unwrap();
    assert_ok(&regdoc_in(d, &["build", "-q"]));
    assert!(scratch.path().join("x/x-v1.0.pdf").is_file());
    let o = regdoc_in(d, &["build"]);
    assert!(stdout(&o).contains("up to date"), "{}", stdout(&o));
    std::os::unix::fs::symlink(d.join("documents/x"), d.join("sneaky")).unwrap();
    let o = regdoc_in(d, &["build", "--out", "sneaky"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
