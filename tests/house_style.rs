//! House style without forking templates: fonts and a logo in a templates
//! folder, named by `document.yaml`.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// A house font: DejaVu Serif, which regdoc does not embed (Debian's
/// fonts-dejavu-core, which CI installs).
const HOUSE_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";

fn tool(cmd: &str, args: &[&str], pdf: &Path) -> String {
    let o = Command::new(cmd)
        .args(args)
        .arg(pdf)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} (poppler-utils): {e}"));
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A templates folder with `fonts/` and a logo, and the EMRR's
/// document.yaml naming both.
fn house(tmp: &Path) {
    let docs = copy_documents(tmp);
    let tpl = tmp.join("house");
    std::fs::create_dir_all(tpl.join("fonts")).unwrap();
    std::fs::copy(HOUSE_FONT, tpl.join("fonts/DejaVuSerif.ttf"))
        .expect("fonts-dejavu-core is installed");
    image::RgbImage::from_fn(120, 40, |x, _| image::Rgb([(x * 2) as u8, 60, 160]))
        .save(tpl.join("logo.png"))
        .unwrap();
    let yaml = docs.join("emrr/document.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        format!("{text}style:\n  logo: logo.png\n  font: DejaVu Serif\n"),
    )
    .unwrap();
}

#[test]
fn a_house_font_and_logo_from_a_templates_folder_reach_every_pdf() {
    let tmp = tempfile::tempdir().unwrap();
    house(tmp.path());
    let o = regdoc_in(
        tmp.path(),
        &["build", "--out", "out", "--templates", "house"],
    );
    assert_ok(&o);
    // No warning: the font was found, the logo read.
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    for name in [
        "emrr-v2.0.pdf",
        "emrr-v3.0-draft.pdf",
        "emrr-v2.0-to-v3.0-markup.pdf",
        "emrr-v3.0-consultation.pdf",
    ] {
        let pdf = tmp.path().join("out/emrr").join(name);
        let fonts = tool("pdffonts", &[], &pdf);
        assert!(fonts.contains("DejaVuSerif"), "{name}:\n{fonts}");
        // Embedded, as PDF/A requires ("emb" column "yes").
        for line in fonts.lines().filter(|l| l.contains("DejaVuSerif")) {
            assert!(line.contains(" yes "), "{name}: {line}");
        }
        let images = tool("pdfimages", &["-list", "-f", "1", "-l", "1"], &pdf);
        assert!(
            images
                .lines()
                .any(|l| l.contains(" 120 ") && l.contains("  40 ")),
            "{name}: no 120×40 logo on page 1:\n{images}"
        );
        let o = regdoc_in(
            tmp.path(),
            &["verify", pdf.to_str().unwrap(), "--against", "documents"],
        );
        assert_ok(&o);
    }
    // An SVG logo works the same way (vector: no raster image to list).
    std::fs::write(
        tmp.path().join("house/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"40\"><rect width=\"120\" height=\"40\" fill=\"#1d4ed8\"/></svg>",
    )
    .unwrap();
    let yaml = tmp.path().join("documents/emrr/document.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, text.replace("logo: logo.png", "logo: logo.svg")).unwrap();
    let o = regdoc_in(
        tmp.path(),
        &[
            "render",
            "emrr@2.0",
            "-o",
            "svg.pdf",
            "--templates",
            "house",
        ],
    );
    assert_ok(&o);
}

#[test]
fn a_missing_logo_or_a_logo_outside_the_folder_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    house(tmp.path());
    let yaml = tmp.path().join("documents/emrr/document.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    for (logo, says) in [
        ("nologo.png", "nologo.png"),
        ("../documents/emrr/x.png", "outside"),
    ] {
        std::fs::write(
            &yaml,
            text.replace("logo: logo.png", &format!("logo: {logo}")),
        )
        .unwrap();
        if logo.contains("x.png") {
            std::fs::copy(
                tmp.path().join("house/logo.png"),
                tmp.path().join("documents/emrr/x.png"),
            )
            .unwrap();
        }
        let o = regdoc_in(
            tmp.path(),
            &["render", "emrr@2.0", "-o", "x.pdf", "--templates", "house"],
        );
        assert_eq!(o.status.code(), Some(2), "{logo}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("document.yaml") && e.contains(says),
            "{logo}: {e}"
        );
        assert!(!tmp.path().join("x.pdf").exists());
    }
    // A file in fonts/ that is no font.
    std::fs::write(&yaml, &text).unwrap();
    std::fs::write(tmp.path().join("house/fonts/broken.otf"), "not a font").unwrap();
    let o = regdoc_in(
        tmp.path(),
        &["render", "emrr@2.0", "-o", "x.pdf", "--templates", "house"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("broken.otf") && stderr(&o).contains("not a font"),
        "{}",
        stderr(&o)
    );
}
