//! Self-verifying PDFs: what they embed, `regdoc verify`, and the PDF/A
//! and PDF/UA checks from outside regdoc (`.ci/validate-pdf`).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the bundled documents (copied) into `tmp/out`; returns the
/// documents folder and the output folder.
fn build(tmp: &Path) -> (PathBuf, PathBuf) {
    let docs = copy_documents(tmp);
    let out = tmp.join("out");
    assert_ok(&regdoc_in(tmp, &["build", "--out", "out"]));
    (docs, out.join("emrr"))
}

fn markup(out: &Path) -> PathBuf {
    out.join("emrr-v2.0-to-v3.0-markup.pdf")
}

/// Rewrites the PDF at `pdf` with lopdf: `edit` changes the document.
fn rewrite(pdf: &Path, to: &Path, edit: impl FnOnce(&mut lopdf::Document)) {
    let mut doc = lopdf::Document::load(pdf).unwrap();
    edit(&mut doc);
    doc.save(to).unwrap();
}

/// The stream of the embedded file called `name`.
fn embedded_stream(doc: &lopdf::Document, name: &str) -> lopdf::ObjectId {
    let names = doc
        .catalog()
        .unwrap()
        .get_deref(b"Names", doc)
        .unwrap()
        .as_dict()
        .unwrap()
        .get_deref(b"EmbeddedFiles", doc)
        .unwrap()
        .as_dict()
        .unwrap()
        .get_deref(b"Names", doc)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    for pair in names.chunks(2) {
        if pair[0].as_str().unwrap() == name.as_bytes() {
            let spec = doc.dereference(&pair[1]).unwrap().1.as_dict().unwrap();
            let ef = spec.get_deref(b"EF", doc).unwrap().as_dict().unwrap();
            return ef.get(b"F").unwrap().as_reference().unwrap();
        }
    }
    panic!("no embedded file {name}");
}

fn embedded(doc: &lopdf::Document, name: &str) -> Vec<u8> {
    let s = doc
        .get_object(embedded_stream(doc, name))
        .unwrap()
        .as_stream()
        .unwrap();
    if s.dict.get(b"Filter").is_ok() {
        s.decompressed_content().unwrap()
    } else {
        s.content.clone()
    }
}

/// Replaces the embedded file `name` with `bytes`, stored uncompressed.
fn replace_embedded(doc: &mut lopdf::Document, name: &str, bytes: Vec<u8>) {
    let id = embedded_stream(doc, name);
    let s = doc.get_object_mut(id).unwrap().as_stream_mut().unwrap();
    s.dict.remove(b"Filter");
    s.dict.remove(b"DecodeParms");
    s.set_content(bytes);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn every_built_pdf_embeds_its_sources_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    // pdfdetach, as a reader would, lists the embedded sources.
    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(markup(&out))
        .output()
        .expect("pdfdetach (poppler-utils)");
    let list = String::from_utf8_lossy(&list.stdout);
    for name in [
        "emrr-v2.0.md",
        "emrr-v3.0.md",
        "document.yaml",
        "redline.json",
        "regdoc-manifest.json",
    ] {
        assert!(list.contains(name), "{name} not in:\n{list}");
    }
    // Byte for byte: the embedded sources are the files.
    let doc = lopdf::Document::load(markup(&out)).unwrap();
    assert_eq!(
        embedded(&doc, "emrr-v2.0.md"),
        std::fs::read(repo().join("documents/emrr/v2.0.md")).unwrap()
    );
    // The redline is the JSON `regdoc diff` writes.
    let json = regdoc_in(
        tmp.path(),
        &[
            "diff",
            "documents/emrr/v2.0.md",
            "documents/emrr/v3.0.md",
            "--format",
            "json",
            "--no-blocks",
        ],
    );
    assert_eq!(embedded(&doc, "redline.json"), json.stdout);
    let version = lopdf::Document::load(out.join("emrr-v2.0.pdf")).unwrap();
    assert_eq!(
        embedded(&version, "emrr-v2.0.md"),
        std::fs::read(repo().join("documents/emrr/v2.0.md")).unwrap()
    );
    for pdf in std::fs::read_dir(&out).unwrap() {
        let pdf = pdf.unwrap().path();
        if pdf.extension().is_some_and(|e| e == "pdf") {
            let o = regdoc_in(
                tmp.path(),
                &["verify", pdf.to_str().unwrap(), "--against", "documents"],
            );
            assert_ok(&o);
            let s = stdout(&o);
            assert!(s.contains("ok      hashes"), "{s}");
            assert!(s.contains("ok      governed"), "{s}");
            assert!(!s.contains("FAILED"), "{s}");
        }
    }
    let o = regdoc_in(tmp.path(), &["verify", markup(&out).to_str().unwrap()]);
    assert_ok(&o);
    let s = stdout(&o);
    assert!(s.contains("ok      redline"), "{s}");
    assert!(s.contains("ok      visible text"), "{s}");
}

#[test]
fn an_altered_embedded_source_fails_verification() {
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let bad = tmp.path().join("altered.pdf");
    // Only the source: its hash no longer matches.
    rewrite(&markup(&out), &bad, |doc| {
        let mut src = embedded(doc, "emrr-v3.0.md");
        let text = String::from_utf8(src.clone()).unwrap();
        src = text.replace("19 July 2024", "19 July 2025").into_bytes();
        replace_embedded(doc, "emrr-v3.0.md", src);
    });
    let o = regdoc_in(tmp.path(), &["verify", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("FAILED  hashes: emrr-v3.0.md does not have the SHA-256"),
        "{}",
        stdout(&o)
    );
    // The source and the manifest's hash, as a careful forger would: the
    // redline recomputed from it is no longer the embedded one, and the
    // pages do not show the altered date.
    let forged = tmp.path().join("forged.pdf");
    rewrite(&markup(&out), &forged, |doc| {
        let text = String::from_utf8(embedded(doc, "emrr-v3.0.md")).unwrap();
        let old_hash = sha256_hex(text.as_bytes());
        let new_src = text.replace("19 July 2024", "19 July 2025").into_bytes();
        let new_hash = sha256_hex(&new_src);
        let manifest = String::from_utf8(embedded(doc, "regdoc-manifest.json"))
            .unwrap()
            .replace(&old_hash, &new_hash);
        replace_embedded(doc, "emrr-v3.0.md", new_src);
        replace_embedded(doc, "regdoc-manifest.json", manifest.into_bytes());
    });
    let o = regdoc_in(tmp.path(), &["verify", forged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("ok      hashes"), "{s}");
    assert!(s.contains("FAILED  redline"), "{s}");
    // And the redline forged to match: the pages still say 2024.
    let forged2 = tmp.path().join("forged2.pdf");
    rewrite(&markup(&out), &forged2, |doc| {
        let mut manifest = String::from_utf8(embedded(doc, "regdoc-manifest.json")).unwrap();
        for name in ["emrr-v3.0.md", "redline.json"] {
            let before = embedded(doc, name);
            let after = String::from_utf8(before.clone())
                .unwrap()
                .replace("19 July 2024", "19 July 2025")
                .into_bytes();
            manifest = manifest.replace(&sha256_hex(&before), &sha256_hex(&after));
            let len = format!("\"bytes\": {}", before.len());
            assert!(manifest.contains(&len) || before.len() == after.len());
            replace_embedded(doc, name, after);
        }
        replace_embedded(doc, "regdoc-manifest.json", manifest.into_bytes());
    });
    let o = regdoc_in(tmp.path(), &["verify", forged2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("ok      redline"), "{s}");
    assert!(
        s.contains("FAILED  visible text: the PDF does not show the inserted text"),
        "{s}"
    );
}

#[test]
fn a_changed_governed_source_fails_verification_against_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, out) = build(tmp.path());
    let v3 = docs.join("emrr/v3.0.md");
    let text = std::fs::read_to_string(&v3).unwrap();
    std::fs::write(&v3, text.replace("targeted for", "planned for")).unwrap();
    let o = regdoc_in(
        tmp.path(),
        &[
            "verify",
            markup(&out).to_str().unwrap(),
            "--against",
            "documents",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("ok      redline"), "{s}");
    assert!(
        s.contains("FAILED  governed: emrr-v3.0.md is not the governed file"),
        "{s}"
    );

    // At a git revision: committed, then changed and committed again.
    std::fs::write(&v3, &text).unwrap();
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "documents"]);
    git(tmp.path(), &["commit", "-q", "-m", "v3.0 draft"]);
    assert_ok(&regdoc_in(
        tmp.path(),
        &["build", "--out", "out", "--force"],
    ));
    let manifest = String::from_utf8(embedded(
        &lopdf::Document::load(markup(&out)).unwrap(),
        "regdoc-manifest.json",
    ))
    .unwrap();
    assert!(manifest.contains("\"commit\""), "{manifest}");
    assert!(
        manifest.contains("\"path\": \"documents/emrr/v3.0.md\""),
        "{manifest}"
    );
    let o = regdoc_in(
        tmp.path(),
        &[
            "verify",
            markup(&out).to_str().unwrap(),
            "--against",
            "HEAD",
        ],
    );
    assert_ok(&o);
    std::fs::write(&v3, text.replace("targeted for", "planned for")).unwrap();
    git(tmp.path(), &["commit", "-q", "-am", "edit"]);
    let o = regdoc_in(
        tmp.path(),
        &[
            "verify",
            markup(&out).to_str().unwrap(),
            "--against",
            "HEAD",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("HEAD:documents/emrr/v3.0.md"),
        "{}",
        stdout(&o)
    );
    let o = regdoc_in(
        tmp.path(),
        &[
            "verify",
            markup(&out).to_str().unwrap(),
            "--against",
            "HEAD~1",
        ],
    );
    assert_ok(&o);
}

#[test]
fn a_file_that_is_no_regdoc_pdf_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let text = tmp.path().join("notes.pdf");
    std::fs::write(&text, "not a PDF\n").unwrap();
    let o = regdoc_in(tmp.path(), &["verify", text.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a readable PDF"),
        "{}",
        stderr(&o)
    );
    // A PDF without regdoc's manifest.
    let bare = tmp.path().join("bare.pdf");
    rewrite(&markup(&out), &bare, |doc| {
        let names = doc
            .catalog()
            .unwrap()
            .get(b"Names")
            .unwrap()
            .as_reference()
            .ok();
        match names {
            Some(id) => {
                doc.get_object_mut(id)
                    .unwrap()
                    .as_dict_mut()
                    .unwrap()
                    .remove(b"EmbeddedFiles");
            }
            None => {
                doc.catalog_mut()
                    .unwrap()
                    .get_mut(b"Names")
                    .unwrap()
                    .as_dict_mut()
                    .unwrap()
                    .remove(b"EmbeddedFiles");
            }
        }
    });
    let o = regdoc_in(tmp.path(), &["verify", bare.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("embeds no regdoc-manifest.json"),
        "{}",
        stderr(&o)
    );
}

/// Every PDF a build writes conforms to PDF/A-3a and PDF/UA-1 as checked
/// from outside regdoc by `.ci/validate-pdf` (PDFBox Preflight and
/// outloud, installed by `.ci/install-validators`): the bundled documents,
/// a plain Markdown file with an image and footnotes, and a consultation
/// report. And the validators have teeth: a PDF whose Info title was
/// changed after export, so that it disagrees with its XMP metadata,
/// fails.
#[test]
fn every_pdf_passes_the_outside_validators() {
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    // A plain file with what real Markdown has.
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    image::RgbImage::from_pixel(16, 16, image::Rgb([200, 30, 30]))
        .save(plain.join("pixel.png"))
        .unwrap();
    write(
        &plain.join("a.md"),
        "---\ntitle: Notes\nlayout: post\n---\n# Notes\n\n### Deep heading\n\nText with a note.[^1]\n\n![](pixel.png)\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n[^1]: The note.\n",
    );
    write(
        &plain.join("b.md"),
        "# Notes\n\n### Deep heading\n\nOther text.\n",
    );
    let o = regdoc_in(&plain, &["render", "a.md", "-o", "a.pdf"]);
    assert_ok(&o);
    pdfs.push(plain.join("a.pdf"));
    let o = regdoc_in(&plain, &["markup", "b.md", "a.md", "-o", "m.pdf"]);
    assert_ok(&o);
    pdfs.push(plain.join("m.pdf"));
    // A long document compiled in chunks and joined (render::typst::chunk),
    // with footnotes and links between sections of different chunks.
    let mut long = String::from("# Long\n\n");
    for i in 1..=8 {
        long.push_str(&format!("## {i}. Part {i}\n\n"));
        for p in 1..=6 {
            long.push_str(&format!(
                "{i}.{p} {} see [part 1](#1-part-1) and [part 8](#8-part-8).[^n{i}{p}]\n\n",
                "Text of the part. ".repeat(150)
            ));
            long.push_str(&format!("[^n{i}{p}]: Note {i}.{p}.\n\n"));
        }
    }
    write(&plain.join("long.md"), &long);
    let o = Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .args(["render", "long.md", "-o", "long.pdf"])
        .current_dir(&plain)
        .env("REGDOC_CHUNK_BYTES", "20000")
        .env("REGDOC_TRACE", "1")
        .output()
        .unwrap();
    assert_ok(&o);
    assert!(stderr(&o).contains("compile of chunk 3"), "{}", stderr(&o));
    pdfs.push(plain.join("long.pdf"));
    // The controls: the Info title made to disagree with the XMP title.
    let control = tmp.path().join("control.pdf");
    rewrite(&pdfs[0], &control, |doc| {
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        doc.get_object_mut(info)
            .unwrap()
            .as_dict_mut()
            .unwrap()
            .set("Title", lopdf::Object::string_literal("Something else"));
    });
    let run = |files: &[PathBuf]| {
        Command::new(repo().join(".ci/validate-pdf"))
            .args(files)
            .output()
            .expect("run .ci/validate-pdf")
    };
    let o = run(&pdfs);
    assert!(
        o.status.success(),
        "validators (install them with .ci/install-validators):\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = run(std::slice::from_ref(&control));
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("7.2 : Error on MetaData, Title"),
        "{}",
        stdout(&o)
    );
}

/// PDF/A forbids a missing glyph: a letter no font has is shown by its
/// code point, with a warning that says how to add a font, and a blank
/// first heading does not become the PDF's (empty) title.
#[test]
fn text_no_font_has_is_shown_by_code_point() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("a.md"),
        "## \n\n# Release notes 🎉\n\nMalayalam ആ here.\n",
    );
    let o = regdoc_in(tmp.path(), &["render", "a.md", "-o", "a.pdf"]);
    assert_ok(&o);
    let e = stderr(&o);
    assert!(
        e.contains("warning: a.md: 2 different character(s) no font has are shown by code point")
            && e.contains("[U+1F389]")
            && e.contains("fonts/"),
        "{e}"
    );
    let text = squash(&pdf_text(&tmp.path().join("a.pdf"), None));
    assert!(text.contains("Malayalam [U+0D06] here."), "{text}");
    assert!(text.contains("Release notes [U+1F389]"), "{text}");
    // The title, drawn on the page, is the first heading with text; its
    // metadata copy says the code point too (one text feeds both).
    assert_eq!(
        info(&tmp.path().join("a.pdf"), "Title").as_deref(),
        Some("Release notes [U+1F389]")
    );
    assert_ok(&regdoc_in(tmp.path(), &["verify", "a.pdf"]));
}

/// Issue 31, finding 6: a glyph swapped in a content stream ("20" →
/// "02", "approved" → "appraoved", "Device Oodel") passed `verify`, which
/// found each run anywhere in the page text or pieced it together. Sixty
/// swaps of two neighbouring glyphs anywhere on any page (body, cover,
/// running headers, contents), chosen by a fixed seed across the mark-up
/// and the approved version: every one fails, because every page is laid
/// out again from the embedded sources and compared glyph for glyph.
#[test]
fn a_glyph_swapped_anywhere_fails_verification() {
    use lopdf::content::Content;
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut tried = 0;
    for pdf in [markup(&out), out.join("emrr-v2.0.pdf")] {
        let doc = lopdf::Document::load(&pdf).unwrap();
        // Every shown string: (page, operation, operand, glyph width,
        // its text).
        let mut candidates = Vec::new();
        for (_, page) in doc.get_pages() {
            let fonts = doc.get_page_fonts(page).unwrap();
            let content = Content::decode(&doc.get_page_content(page)).unwrap();
            let mut font = None;
            for (i, op) in content.operations.iter().enumerate() {
                match op.operator.as_str() {
                    "Tf" => {
                        font = op
                            .operands
                            .first()
                            .and_then(|o| o.as_name().ok())
                            .map(|n| n.to_vec())
                    }
                    "Tj" | "TJ" => {
                        let Some(f) = font.as_ref().and_then(|f| fonts.get(f)) else {
                            continue;
                        };
                        let enc = f.get_font_encoding(&doc).unwrap();
                        let strings: Vec<(usize, Vec<u8>)> = match op.operator.as_str() {
                            "Tj" => vec![(0, op.operands[0].as_str().unwrap().to_vec())],
                            _ => op.operands[0]
                                .as_array()
                                .unwrap()
                                .iter()
                                .enumerate()
                                .filter_map(|(j, o)| o.as_str().ok().map(|s| (j, s.to_vec())))
                                .collect(),
                        };
                        for (j, bytes) in strings {
                            let text =
                                lopdf::Document::decode_text(&enc, &bytes).unwrap_or_default();
                            let letters: Vec<char> =
                                text.chars().filter(|c| !c.is_whitespace()).collect();
                            let distinct = letters.windows(2).any(|w| w[0] != w[1]);
                            if distinct {
                                candidates.push((page, i, j, enc_width(&bytes, &text), text));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(
            candidates.len() > 30,
            "{} candidates in {}",
            candidates.len(),
            pdf.display()
        );
        while tried < 30 * (1 + usize::from(pdf != markup(&out))) {
            let (page, i, j, width, text) = candidates[next() % candidates.len()].clone();
            let mut doc = lopdf::Document::load(&pdf).unwrap();
            let mut content = Content::decode(&doc.get_page_content(page)).unwrap();
            let op = &mut content.operations[i];
            let target = match op.operator.as_str() {
                "Tj" => &mut op.operands[0],
                _ => &mut op.operands[0].as_array_mut().unwrap()[j],
            };
            let lopdf::Object::String(bytes, _) = target else {
                panic!("a string")
            };
            // Two neighbouring glyphs that show different letters.
            let chars: Vec<char> = text.chars().collect();
            let glyphs = bytes.len() / width;
            if glyphs != chars.len() {
                continue;
            }
            let start = next() % (glyphs - 1).max(1);
            let Some(at) = (0..glyphs - 1)
                .map(|k| (start + k) % (glyphs - 1))
                .find(|&k| {
                    chars[k] != chars[k + 1]
                        && !chars[k].is_whitespace()
                        && !chars[k + 1].is_whitespace()
                })
            else {
                continue;
            };
            for w in 0..width {
                bytes.swap(at * width + w, (at + 1) * width + w);
            }
            doc.change_page_content(page, content.encode().unwrap())
                .unwrap();
            let bad = tmp.path().join(format!("swapped-{tried}.pdf"));
            doc.save(&bad).unwrap();
            let o = regdoc_in(tmp.path(), &["verify", bad.to_str().unwrap()]);
            assert_eq!(
                o.status.code(),
                Some(1),
                "swap {tried} in {} (page object {page:?}, {text:?} at glyph {at}) passed:\n{}",
                pdf.display(),
                stdout(&o)
            );
            assert!(stdout(&o).contains("FAILED  pages"), "{}", stdout(&o));
            tried += 1;
        }
    }
    assert_eq!(tried, 60);
}

/// The bytes per glyph of a shown string: two for typst's CID fonts.
fn enc_width(bytes: &[u8], text: &str) -> usize {
    let chars = text.chars().count().max(1);
    if bytes.len() >= 2 * chars && bytes.len().is_multiple_of(2) {
        2
    } else {
        1
    }
}

/// Issue 31, finding 9: an embedded-files name tree whose nodes list one
/// another ten times a level made `verify` walk 10^32 nodes. Each node is
/// walked once: the answer comes at once.
#[test]
fn a_name_tree_that_lists_itself_is_walked_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let bad = tmp.path().join("looping.pdf");
    rewrite(&markup(&out), &bad, |doc| {
        use lopdf::{Dictionary, Object};
        // Two nodes, each listing itself and the other five times.
        let a = doc.new_object_id();
        let b = doc.new_object_id();
        for (me, other) in [(a, b), (b, a)] {
            let kids: Vec<Object> = (0..10)
                .map(|i| Object::Reference(if i % 2 == 0 { me } else { other }))
                .collect();
            let mut node = Dictionary::new();
            node.set("Kids", Object::Array(kids));
            doc.objects.insert(me, Object::Dictionary(node));
        }
        let names_id = doc
            .catalog()
            .unwrap()
            .get(b"Names")
            .unwrap()
            .as_reference()
            .ok();
        let names = match names_id {
            Some(id) => doc.get_object_mut(id).unwrap().as_dict_mut().unwrap(),
            None => doc
                .catalog_mut()
                .unwrap()
                .get_mut(b"Names")
                .unwrap()
                .as_dict_mut()
                .unwrap(),
        };
        names.set("EmbeddedFiles", Object::Reference(a));
    });
    let start = std::time::Instant::now();
    let o = regdoc_in(tmp.path(), &["verify", bad.to_str().unwrap()]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("embeds no regdoc-manifest.json"),
        "{}",
        stderr(&o)
    );
}

/// Issue 31, finding 10: `verify`'s memory was unbounded — a page stream
/// inflating to 200 MB aborted it at 2 GiB, and 16 embedded files of
/// 250 MB each took 4.4 GB. Within 1 GiB of address space, it answers.
#[test]
fn verify_is_bounded_on_streams_that_inflate_hugely() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let deflated = |n: usize| {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..n {
            e.write_all(&chunk).unwrap();
        }
        e.finish().unwrap()
    };
    let bomb = tmp.path().join("page-bomb.pdf");
    rewrite(&out.join("emrr-v2.0.pdf"), &bomb, |doc| {
        let page = *doc.get_pages().values().next().unwrap();
        let mut dict = lopdf::Dictionary::new();
        dict.set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
        let id = doc.add_object(lopdf::Stream::new(dict, deflated(200)));
        doc.get_object_mut(page)
            .unwrap()
            .as_dict_mut()
            .unwrap()
            .set("Contents", lopdf::Object::Reference(id));
    });
    let many = tmp.path().join("files-bomb.pdf");
    rewrite(&out.join("emrr-v2.0.pdf"), &many, |doc| {
        let mut names = Vec::new();
        for i in 0..16 {
            let mut dict = lopdf::Dictionary::new();
            dict.set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
            let stream = doc.add_object(lopdf::Stream::new(dict, deflated(250)));
            let mut ef = lopdf::Dictionary::new();
            ef.set("F", lopdf::Object::Reference(stream));
            let mut spec = lopdf::Dictionary::new();
            spec.set("EF", lopdf::Object::Dictionary(ef));
            let spec = doc.add_object(spec);
            names.push(lopdf::Object::string_literal(format!("big-{i}.md")));
            names.push(lopdf::Object::Reference(spec));
        }
        let mut tree = lopdf::Dictionary::new();
        tree.set("Names", lopdf::Object::Array(names));
        let tree = doc.add_object(tree);
        let mut kids = lopdf::Dictionary::new();
        // The real tree beside the big one, so the manifest is still found.
        let old = doc
            .catalog()
            .unwrap()
            .get_deref(b"Names", doc)
            .unwrap()
            .as_dict()
            .unwrap()
            .get(b"EmbeddedFiles")
            .unwrap()
            .clone();
        kids.set(
            "Kids",
            lopdf::Object::Array(vec![lopdf::Object::Reference(tree), old]),
        );
        let root = doc.add_object(kids);
        let names_id = doc
            .catalog()
            .unwrap()
            .get(b"Names")
            .unwrap()
            .as_reference()
            .ok();
        let names = match names_id {
            Some(id) => doc.get_object_mut(id).unwrap().as_dict_mut().unwrap(),
            None => doc
                .catalog_mut()
                .unwrap()
                .get_mut(b"Names")
                .unwrap()
                .as_dict_mut()
                .unwrap(),
        };
        names.set("EmbeddedFiles", lopdf::Object::Reference(root));
    });
    for pdf in [&bomb, &many] {
        let start = std::time::Instant::now();
        let o = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_regdoc"))
            .args(["verify", pdf.to_str().unwrap()])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let said = stdout(&o) + &stderr(&o);
        assert!(
            matches!(o.status.code(), Some(1 | 2)),
            "{}: {:?} {said}",
            pdf.display(),
            o.status
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
        if pdf == &many {
            assert_eq!(o.status.code(), Some(1), "{said}");
            assert!(said.contains("its manifest does not list it"), "{said}");
        }
    }
}

/// A manifest relabelled to skip checks (a version PDF said to be a
/// consultation, whose only check was its hashes) is still held to the
/// text it embeds: forged text with its hash fails.
#[test]
fn a_manifest_relabelled_to_skip_checks_still_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let (_docs, out) = build(tmp.path());
    let forged = tmp.path().join("relabelled.pdf");
    rewrite(&out.join("emrr-v2.0.pdf"), &forged, |doc| {
        let before = embedded(doc, "emrr-v2.0.md");
        let after = String::from_utf8(before.clone())
            .unwrap()
            .replace("Daily", "Hourly")
            .into_bytes();
        let manifest = String::from_utf8(embedded(doc, "regdoc-manifest.json"))
            .unwrap()
            .replace(
                "\"artefact\": \"version\"",
                "\"artefact\": \"consultation\"",
            )
            .replace(&sha256_hex(&before), &sha256_hex(&after))
            .replace(
                &format!("\"bytes\": {}", before.len()),
                &format!("\"bytes\": {}", after.len()),
            );
        assert!(manifest.contains("\"consultation\""));
        replace_embedded(doc, "emrr-v2.0.md", after);
        replace_embedded(doc, "regdoc-manifest.json", manifest.into_bytes());
    });
    let o = regdoc_in(tmp.path(), &["verify", forged.to_str().unwrap()]);
    let s = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{s}{}", stderr(&o));
    assert!(
        s.contains("ok      hashes") && s.contains("FAILED  visible text"),
        "{s}"
    );
}
