//! Long documents: each top-level section on a new page (so that typst
//! lays sections out in parallel), page numbers stamped after layout,
//! chunks exported on their own and joined into a PDF that reads as one
//! compile's, and the same bytes whatever the number of cores.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A plain Markdown file of `sections` top-level sections, each of
/// `paragraphs` paragraphs of about 600 characters.
fn code(sections: usize, paragraphs: usize, edit: bool) -> String {
    let words = [
        "Supplier",
        "shall",
        "notify",
        "the",
        "DCC",
        "of",
        "each",
        "Migration",
        "within",
        "five",
        "Working",
        "Days",
        "and",
        "publish",
        "a",
        "report",
        "monthly",
    ];
    let mut s = String::from("# A long code\n\n");
    for i in 1..=sections {
        s.push_str(&format!("## {i}. Section {i}\n\n"));
        for p in 1..=paragraphs {
            let mut para = format!("{i}.{p} ");
            for w in 0..90 {
                para.push_str(words[(i * 7 + p * 3 + w) % words.len()]);
                para.push(' ');
            }
            if edit && p == 2 {
                para.push_str("amended ");
            }
            // Footnotes numbered across the document, and links to
            // headings before and after this section.
            if p == 3 {
                para.push_str(&format!("see[^n{i}] "));
            }
            if p == 4 && i > 1 {
                para.push_str(&format!("as [section 1](#1-section-1) and [the last](#{sections}-section-{sections}) say "));
            }
            // A web link whose address follows in a footnote, one that
            // is its own address (none), and one in every third section
            // only: the footnote counts differ from chunk to chunk.
            if p == 5 && i % 3 == 0 {
                para.push_str(
                    "per [the code](https://example.org/code) at <https://example.org/> ",
                );
            }
            s.push_str(para.trim_end());
            s.push_str(".\n\n");
        }
        s.push_str(&format!("[^n{i}]: Note of section {i}.\n\n"));
    }
    s
}

/// What a reader gets of a PDF: each page's text, the outline (depth,
/// title, page), each internal link (its page, its alternative text, the
/// page it goes to), the Info dictionary and the attached files' names.
#[derive(Debug, PartialEq)]
struct Reading {
    pages: Vec<String>,
    outline: Vec<(usize, String, usize)>,
    links: Vec<(usize, String, usize)>,
    info: Vec<(String, String)>,
    attached: Vec<String>,
}

fn reading(pdf: &Path) -> Reading {
    let json = Command::new("qpdf")
        .args(["--json", "--json-key=outlines"])
        .arg(pdf)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    fn walk(items: &serde_json::Value, depth: usize, out: &mut Vec<(usize, String, usize)>) {
        for item in items.as_array().unwrap() {
            out.push((
                depth,
                item["title"].as_str().unwrap().to_string(),
                item["destpageposfrom1"].as_u64().unwrap() as usize,
            ));
            walk(&item["kids"], depth + 1, out);
        }
    }
    let mut outline = Vec::new();
    walk(&json["outlines"], 0, &mut outline);

    let doc = lopdf::Document::load(pdf).unwrap();
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().values().copied().collect();
    let page_of = |o: &lopdf::Object| -> usize {
        let id = o.as_reference().unwrap();
        pages.iter().position(|p| *p == id).unwrap() + 1
    };
    let catalog = doc.catalog().unwrap();
    let names = |tree: &[u8]| -> Vec<(Vec<u8>, lopdf::Object)> {
        let Ok(n) = catalog.get(b"Names").and_then(|n| doc.dereference(n)) else {
            return Vec::new();
        };
        let Ok(t) = n.1.as_dict().and_then(|d| d.get(tree)) else {
            return Vec::new();
        };
        let t = doc.dereference(t).unwrap().1.as_dict().unwrap();
        t.get(b"Names")
            .unwrap()
            .as_array()
            .unwrap()
            .chunks(2)
            .map(|p| (p[0].as_str().unwrap().to_vec(), p[1].clone()))
            .collect()
    };
    let dests = names(b"Dests");
    let target = |d: &lopdf::Object| -> usize {
        let d = match d {
            lopdf::Object::String(name, _) => &dests.iter().find(|(n, _)| n == name).unwrap().1,
            other => other,
        };
        let arr = doc.dereference(d).unwrap().1.as_array().unwrap().clone();
        page_of(&arr[0])
    };
    let mut links = Vec::new();
    for (i, &p) in pages.iter().enumerate() {
        let page = doc.get_dictionary(p).unwrap();
        let Ok(annots) = page.get(b"Annots") else {
            continue;
        };
        for a in doc.dereference(annots).unwrap().1.as_array().unwrap() {
            let a = doc.dereference(a).unwrap().1.as_dict().unwrap();
            if let Ok(dest) = a.get(b"Dest") {
                let alt = a.get(b"Contents").unwrap().as_str().unwrap();
                links.push((
                    i + 1,
                    String::from_utf8_lossy(alt).into_owned(),
                    target(dest),
                ));
            }
        }
    }
    let id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let mut info: Vec<(String, String)> = doc
        .get_dictionary(id)
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                lopdf::Object::String(s, _) => String::from_utf8_lossy(s).into_owned(),
                other => format!("{other:?}"),
            };
            (String::from_utf8_lossy(k).into_owned(), v)
        })
        .collect();
    info.sort();
    let attached = names(b"EmbeddedFiles")
        .into_iter()
        .map(|(n, _)| String::from_utf8_lossy(&n).into_owned())
        .collect();
    Reading {
        pages: pages_text(pdf),
        outline,
        links,
        info,
        attached,
    }
}

/// `qpdf --check` finds nothing wrong with `pdf`.
fn qpdf_passes(pdf: &Path) {
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(pdf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}: {}",
        pdf.display(),
        String::from_utf8_lossy(&check.stdout)
    );
}

/// Two PDFs a reader cannot tell apart (`Reading`), the second of which
/// passes `qpdf --check`.
fn read_the_same(whole: &Path, chunked: &Path) {
    qpdf_passes(chunked);
    let (a, b) = (reading(whole), reading(chunked));
    assert_eq!(a.pages.len(), b.pages.len(), "page count");
    for (i, (x, y)) in a.pages.iter().zip(&b.pages).enumerate() {
        assert_eq!(x, y, "page {}", i + 1);
    }
    assert_eq!(a, b, "{} and {}", whole.display(), chunked.display());
}

fn pages_text(pdf: &Path) -> Vec<String> {
    (1..=page_count(pdf))
        .map(|p| pdf_text(pdf, Some(p)))
        .collect()
}

/// The body's first line on a page: after the running header (the
/// title, then the text).
fn first_body_line(page: &str) -> &str {
    page.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .nth(1)
        .unwrap_or("")
}

/// A long code's old and new versions (one paragraph edited per
/// section), written to `dir`.
fn pair(dir: &Path) -> (PathBuf, PathBuf) {
    let (old, new) = (dir.join("old.md"), dir.join("new.md"));
    write(&old, &code(16, 14, false));
    write(&new, &code(16, 14, true));
    (old, new)
}

/// Runs regdoc with `env` set; it must succeed. Its standard error.
fn run(env: &[(&str, &str)], args: &[&Path]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert_ok(&o);
    stderr(&o)
}

/// `regdoc render MD -o PDF` under `env`; its standard error.
fn render(env: &[(&str, &str)], md: &Path, pdf: &Path) -> String {
    run(env, &[Path::new("render"), md, Path::new("-o"), pdf])
}

/// `regdoc markup OLD NEW -o PDF` under `env`; its standard error.
fn markup(env: &[(&str, &str)], old: &Path, new: &Path, pdf: &Path) -> String {
    run(env, &[Path::new("markup"), old, new, Path::new("-o"), pdf])
}

/// The pages of `markdown` rendered, as text.
fn rendered_pages(dir: &Path, markdown: &str) -> Vec<String> {
    let (md, pdf) = (dir.join("code.md"), dir.join("code.pdf"));
    write(&md, markdown);
    render(&[], &md, &pdf);
    pages_text(&pdf)
}

/// How many of sections 2–16 open a page.
fn sections_opening_a_page(pages: &[String]) -> usize {
    (2..=16)
        .filter(|i| {
            let heading = format!("{i}. Section {i}");
            pages.iter().any(|p| first_body_line(p) == heading)
        })
        .count()
}

#[test]
fn a_long_document_starts_each_top_level_section_on_a_new_page() {
    let tmp = tempfile::tempdir().unwrap();
    // 16 sections of 14 paragraphs: some 140,000 characters, over the
    // threshold (render::data::LONG_DOCUMENT_CHARS).
    let pages = rendered_pages(tmp.path(), &code(16, 14, false));
    assert_eq!(sections_opening_a_page(&pages), 15);
    // The level-1 title is not a section: the first section follows it.
    assert!(pages[0].contains("1. Section 1"));
}

#[test]
fn a_short_document_keeps_sections_together() {
    let tmp = tempfile::tempdir().unwrap();
    let pages = rendered_pages(tmp.path(), &code(16, 2, false));
    assert!(
        pages.len() <= 6,
        "{} pages for 16 short sections",
        pages.len()
    );
    let opening = sections_opening_a_page(&pages);
    assert!(opening < 6, "{opening} short sections open a page");
}

/// Every page says "Page N of TOTAL", stamped after layout, and the
/// placeholder the templates lay out is nowhere.
#[test]
fn every_page_is_numbered_out_of_the_total() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = pair(tmp.path());
    let version = tmp.path().join("v.pdf");
    let markup_pdf = tmp.path().join("m.pdf");
    render(&[], &new, &version);
    markup(&[], &old, &new, &markup_pdf);
    // The EMRR's own PDFs, short, are stamped the same way.
    let emrr = tmp.path().join("emrr.pdf");
    assert_ok(&regdoc(&[
        "markup",
        "emrr@2.0",
        "emrr@3.0",
        "-o",
        emrr.to_str().unwrap(),
    ]));
    for pdf in [&version, &markup_pdf, &emrr] {
        let pages = pages_text(pdf);
        let total = pages.len();
        assert!(total > 1);
        for (i, text) in pages.iter().enumerate() {
            let want = format!("Page {} of {total}", i + 1);
            assert!(
                text.contains(&want),
                "{}: page {}: {text}",
                pdf.display(),
                i + 1
            );
            assert!(
                !text.contains("0123456789"),
                "{}: a placeholder is left",
                pdf.display()
            );
        }
    }
}

/// A paragraph that reads exactly like the placeholder is text, and stays
/// as it is: the placeholder is also told apart by its colour.
#[test]
fn text_that_reads_like_the_placeholder_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("p.md");
    write(&md, "# Placeholder\n\nPage 0123456789 of 0123456789\n");
    let pdf = tmp.path().join("p.pdf");
    render(&[], &md, &pdf);
    let text = pdf_text(&pdf, None);
    assert!(text.contains("Page 0123456789 of 0123456789"), "{text}");
    assert!(text.contains("Page 1 of 1"), "{text}");
}

/// typst lays the sections out on as many cores as there are; the PDF is
/// the same bytes on one core as on two, for a version and a mark-up.
#[test]
fn one_core_and_two_make_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = pair(tmp.path());
    let make = |threads: &str| -> (Vec<u8>, Vec<u8>) {
        let env = [("RAYON_NUM_THREADS", threads)];
        let v = tmp.path().join(format!("{threads}-v.pdf"));
        let m = tmp.path().join(format!("{threads}-m.pdf"));
        render(&env, &new, &v);
        markup(&env, &old, &new, &m);
        (std::fs::read(v).unwrap(), std::fs::read(m).unwrap())
    };
    let (one, two) = (make("1"), make("2"));
    assert!(
        one.0 == two.0,
        "the version PDF differs between one core and two"
    );
    assert!(
        one.1 == two.1,
        "the mark-up PDF differs between one core and two"
    );
}

/// A long document compiled in chunks (each a typst compile of some
/// sections, exported on its own, the PDFs joined) reads as one compile
/// of the whole: pages and their text, outline, footnote numbers, links to
/// headings in other chunks and their alternative text, metadata; and its
/// pages look the same, pixel for pixel.
#[test]
fn chunks_and_one_compile_read_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = pair(tmp.path());
    let make = |chunk_bytes: &str, name: &str| -> (PathBuf, PathBuf) {
        let env = [("REGDOC_CHUNK_BYTES", chunk_bytes), ("REGDOC_TRACE", "1")];
        let v = tmp.path().join(format!("{name}-v.pdf"));
        let m = tmp.path().join(format!("{name}-m.pdf"));
        let said = render(&env, &new, &v);
        let chunks = said.matches("compile of chunk").count();
        if chunk_bytes == "0" {
            assert_eq!(chunks, 0, "{said}");
        } else {
            assert!(chunks >= 4, "chunks: {said}");
        }
        let said = said + &markup(&env, &old, &new, &m);
        // The footnote counts read off the data were right: no chunk was
        // compiled twice.
        assert!(!said.contains("recounted"), "{said}");
        (v, m)
    };
    let whole = make("0", "whole");
    let chunked = make("30000", "chunked");
    // The fallback for a chunk whose footnote count was mispredicted:
    // forced for every chunk, it gives the same bytes.
    let recounted = {
        let env = [
            ("REGDOC_CHUNK_BYTES", "30000"),
            ("REGDOC_CHUNK_RECOUNT", "1"),
            ("REGDOC_TRACE", "1"),
        ];
        let m = tmp.path().join("recounted-m.pdf");
        let said = markup(&env, &old, &new, &m);
        assert!(said.matches("recounted").count() >= 3, "{said}");
        m
    };
    read_the_same(&whole.0, &chunked.0);
    read_the_same(&whole.1, &chunked.1);
    // And look the same: every page of the mark-up, pixel for pixel.
    for page in 1..=page_count(&whole.1) {
        assert!(
            page_rgb(&whole.1, page) == page_rgb(&chunked.1, page),
            "page {page} of the mark-up looks different chunked"
        );
    }
    assert!(
        std::fs::read(&chunked.1).unwrap() == std::fs::read(&recounted).unwrap(),
        "a chunk compiled again changed the PDF"
    );
    // What the join must keep, checked on the chunked files themselves.
    for pdf in [&chunked.0, &chunked.1] {
        qpdf_passes(pdf);
        let doc = lopdf::Document::load(pdf).unwrap();
        let catalog = doc.catalog().unwrap();
        assert!(catalog.get(b"StructTreeRoot").is_ok(), "tagged");
        assert!(catalog.get(b"Outlines").is_ok(), "an outline");
        let text = pdf_text(pdf, None);
        // Footnotes numbered on across chunks: section 16's note is the
        // 21st, after 15 notes and 5 web links' addresses (sections 3, 6,
        // 9, 12, 15).
        let text: String = text.split_whitespace().collect();
        assert!(text.contains("21Noteofsection16"), "{text}");
    }
    assert_eq!(
        info(&chunked.1, "DocumentVersion"),
        None,
        "a plain file has no version"
    );
    let links = lopdf::Document::load(&chunked.1)
        .unwrap()
        .objects
        .values()
        .filter(|o| {
            o.as_dict().is_ok_and(|d| {
                d.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Link".as_slice())
                    && d.get(b"Dest").is_ok()
            })
        })
        .count();
    // Every section after the first links to the first and the last.
    assert!(links >= 30, "{links} internal links");
}

/// The same for a governed document built whole: cover, document control,
/// custom Info keys and embedded sources, a version and a mark-up, through
/// `regdoc build` (long jobs one after another).
#[test]
fn a_chunked_build_reads_as_one_compile() {
    let body = |edit| code(16, 14, edit).replacen("# A long code\n\n", "", 1);
    let tmp = workspace(&[
        ("v1.0.md", &version_file("1.0", "approved", &body(false))),
        (
            "v1.1.md",
            &version_file("1.1", "draft", &body(true)).replace(
                "summary: Test version 1.1.",
                "supersedes: \"1.0\"\nsummary: Test version 1.1.",
            ),
        ),
    ]);
    let build = |chunk_bytes: &str, out: &str| -> Vec<PathBuf> {
        let mut args = vec!["build", "--force", "--quiet", "--out", out];
        if out == "house" {
            args.extend(["--templates", "tpl"]);
        }
        let o = Command::new(env!("CARGO_BIN_EXE_regdoc"))
            .args(&args)
            .current_dir(tmp.path())
            .env("REGDOC_CHUNK_BYTES", chunk_bytes)
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .unwrap();
        assert_ok(&o);
        let mut pdfs: Vec<PathBuf> = std::fs::read_dir(tmp.path().join(out).join("x"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
            .collect();
        pdfs.sort();
        pdfs
    };
    let whole = build("0", "whole");
    let chunked = build("30000", "chunked");
    assert_eq!(whole.len(), 3, "two versions and a mark-up");
    for (a, b) in whole.iter().zip(&chunked) {
        read_the_same(a, b);
    }
    let markup = tmp.path().join("chunked/x/x-v1.0-to-v1.1-markup.pdf");
    assert_eq!(info(&markup, "DocumentVersion").as_deref(), Some("1.1"));
    // A house `markup.typ` that says it lays out chunks: the same PDFs,
    // and its chunks kept out of the cache, which cannot see what files
    // it reads.
    let builtin =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/markup.typ"))
            .unwrap();
    write(
        &tmp.path().join("tpl/markup.typ"),
        &format!("// regdoc: lays out chunks\n{builtin}"),
    );
    let house = build("30000", "house");
    for (a, b) in whole.iter().zip(&house) {
        read_the_same(a, b);
    }
    let kept = |out: &str| {
        std::fs::read_dir(tmp.path().join(out).join(".regdoc-cache"))
            .unwrap()
            .count()
    };
    assert!(
        0 < kept("house") && kept("house") < kept("chunked"),
        "{} chunks kept with the house template, {} without",
        kept("house"),
        kept("chunked")
    );
}

/// Real input nobody here wrote: the CommonMark spec (front matter of its
/// own, code blocks, HTML, nested lists, links between sections) is long,
/// and chunked it reads as one piece. Its front matter's title is the
/// PDF's title, not its first heading ("Introduction").
#[test]
fn the_commonmark_spec_chunked_reads_as_one_piece() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("spec.md");
    std::fs::copy(repo().join("tests/corpus/commonmark-spec.txt"), &md).unwrap();
    let whole = tmp.path().join("whole.pdf");
    let chunked = tmp.path().join("chunked.pdf");
    render(&[("REGDOC_CHUNK_BYTES", "0")], &md, &whole);
    let said = render(
        &[("REGDOC_CHUNK_BYTES", "60000"), ("REGDOC_TRACE", "1")],
        &md,
        &chunked,
    );
    assert!(said.contains("compile of chunk 3"), "{said}");
    read_the_same(&whole, &chunked);
    assert_eq!(info(&chunked, "Title").as_deref(), Some("CommonMark Spec"));
}

/// A `#` title and a `# Schedule` around `##` sections: the sections are
/// still the top level (the shallowest level used four times), so they
/// open pages; a level used twice or three times is not taken for it.
#[test]
fn a_schedule_heading_does_not_make_its_level_the_top() {
    let tmp = tempfile::tempdir().unwrap();
    let mut md = code(16, 14, false);
    md.push_str("# Schedule 1\n\nThe schedule.\n\n# Schedule 2\n\nAnother.\n");
    let pages = rendered_pages(tmp.path(), &md);
    assert_eq!(sections_opening_a_page(&pages), 15);
}

/// `regdoc render MD --templates TPL -o PDF`, success or not.
fn render_with(md: &Path, tpl: &Path, pdf: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .arg("render")
        .arg(md)
        .arg("--templates")
        .arg(tpl)
        .arg("-o")
        .arg(pdf)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

/// A templates folder that replaces `version.typ` lays a long document
/// out in one compile, unless the template says on a line of its own that
/// it lays out chunks as the built-in one does; then it is chunked, and
/// reads as the one compile did.
#[test]
fn a_replaced_template_that_says_it_lays_out_chunks_is_chunked() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("code.md");
    write(&md, &code(16, 14, false));
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/version.typ"),
    )
    .unwrap();
    let made = |name: &str, text: &str| -> (PathBuf, usize, String) {
        let tpl = tmp.path().join(name);
        write(&tpl.join("version.typ"), text);
        let pdf = tmp.path().join(format!("{name}.pdf"));
        let env = [("REGDOC_CHUNK_BYTES", "30000"), ("REGDOC_TRACE", "1")];
        let said = run(
            &env,
            &[
                Path::new("render"),
                &md,
                Path::new("--templates"),
                &tpl,
                Path::new("-o"),
                &pdf,
            ],
        );
        (pdf, said.matches("compile of chunk").count(), said)
    };
    let (whole, chunks, said) = made("silent", &builtin);
    assert_eq!(chunks, 0, "a replacement that says nothing is one compile");
    // And the user is told which template keeps it so.
    assert!(
        said.contains("not in chunks") && said.contains("silent/version.typ"),
        "{said}"
    );
    let declared = format!("// regdoc: lays out chunks\n{builtin}");
    let (chunked, chunks, said) = made("declared", &declared);
    assert!(chunks >= 4, "{chunks} chunks");
    assert!(!said.contains("not in chunks"), "{said}");
    read_the_same(&whole, &chunked);
    // Said in passing, inside a comment, it is not the declaration.
    let (_, chunks, _) = made(
        "mentioned",
        &format!("// see regdoc: lays out chunks\n{builtin}"),
    );
    assert_eq!(chunks, 0);
}

/// A template that shows the blocks inside a container, where typst allows
/// no page break, passes `breaks: false`; without it the long document's
/// section breaks are typst's located error, never a PDF.
#[test]
fn show_blocks_in_a_container_needs_breaks_off() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("code.md");
    write(&md, &code(16, 14, false));
    let template = |breaks: &str| {
        format!(
            "#import \"/templates/regdoc.typ\": *\n#let main(data) = {{\n  show: setup.with(data)\n  title-heading(18pt, lit(data.doc.title))\n  block(show-blocks(data.blocks{breaks}))\n}}\n"
        )
    };
    let tpl = tmp.path().join("tpl");
    write(&tpl.join("version.typ"), &template(", breaks: false"));
    let pdf = tmp.path().join("ok.pdf");
    let o = render_with(&md, &tpl, &pdf);
    assert_ok(&o);
    write(&tpl.join("version.typ"), &template(""));
    let bad = tmp.path().join("bad.pdf");
    let o = render_with(&md, &tpl, &bad);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("pagebreak"), "{}", stderr(&o));
    assert!(stderr(&o).contains("breaks: false"), "{}", stderr(&o));
    assert!(!bad.exists());
}

/// Text in the placeholder's colour that is not the whole placeholder (a
/// font that lacks one of its letters splits it into runs) is an error
/// that says why, not a footer of digits on every page.
#[test]
fn a_split_page_number_placeholder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("a.md");
    write(&md, "# A\n\nText.\n");
    let tpl = tmp.path().join("tpl");
    write(
        &tpl.join("version.typ"),
        "#import \"/templates/regdoc.typ\": *\n#let main(data) = {\n  show: setup.with(data)\n  title-heading(18pt, lit(data.doc.title))\n  text(fill: rgb(85, 85, 86), \"Page 0123\")\n}\n",
    );
    let pdf = tmp.path().join("a.pdf");
    let o = render_with(&md, &tpl, &pdf);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("page-number placeholder"),
        "{}",
        stderr(&o)
    );
    assert!(!pdf.exists());
}

/// Hostile or merely unusual: hundreds of tiny top-level sections in a
/// long document (a heading per term) do not get a page each; the
/// document stays one stretch.
#[test]
fn tiny_sections_do_not_take_a_page_each() {
    let tmp = tempfile::tempdir().unwrap();
    let mut md = String::from("# Glossary\n\n");
    for i in 0..600 {
        md.push_str(&format!(
            "## Term {i}\n\n{}\n\n",
            "A short definition of the term. ".repeat(7)
        ));
    }
    assert!(md.len() > 120_000);
    let pages = rendered_pages(tmp.path(), &md);
    assert!(
        pages.len() < 100,
        "{} pages for 600 short terms",
        pages.len()
    );
}

/// A governed long document of two versions, for the chunk cache: `build`
/// under `env` into `out`, with the trace; the PDFs' bytes by name.
fn cached_build(dir: &Path, out: &str, extra: &[&str]) -> (String, Vec<(String, Vec<u8>)>) {
    let o = Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .args(["build", "--quiet", "--out", out])
        .args(extra)
        .current_dir(dir)
        .env("REGDOC_CHUNK_BYTES", "30000")
        .env("REGDOC_TRACE", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert_ok(&o);
    let mut pdfs: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(out).join("x"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    pdfs.sort();
    (stderr(&o), pdfs)
}

fn two_versions() -> tempfile::TempDir {
    let body = |edit| code(16, 14, edit).replacen("# A long code\n\n", "", 1);
    workspace(&[
        ("v1.0.md", &version_file("1.0", "approved", &body(false))),
        (
            "v1.1.md",
            &version_file("1.1", "draft", &body(true)).replace(
                "summary: Test version 1.1.",
                "supersedes: \"1.0\"\nsummary: Test version 1.1.",
            ),
        ),
    ])
}

/// The chunks a trace says were found in the cache, for each long render.
fn cached_counts(trace: &str) -> Vec<(usize, usize)> {
    trace
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("regdoc: ")?;
            let (found, rest) = rest.split_once(" of ")?;
            let (all, _) = rest.split_once(" chunks in the cache")?;
            Some((found.parse().ok()?, all.parse().ok()?))
        })
        .collect()
}

/// After a one-paragraph edit, `build` lays out again only the chunk that
/// holds it (and the mark-up's cover, which counts the changes), and
/// writes the bytes a build from scratch writes. An edit that adds a page moves the page
/// numbers of every chunk after it: those are exported again, numbered
/// right, and still not laid out from scratch only because they moved.
#[test]
fn a_build_after_an_edit_lays_out_only_the_chunk_it_touched() {
    let tmp = two_versions();
    let draft = tmp.path().join("documents/x/v1.1.md");
    let (first, _) = cached_build(tmp.path(), "out", &[]);
    assert_eq!(
        cached_counts(&first).iter().map(|c| c.0).sum::<usize>(),
        0,
        "{first}"
    );
    assert!(tmp.path().join("out/.regdoc-cache").is_dir());

    // One word of section 9.
    let text = std::fs::read_to_string(&draft).unwrap();
    write(&draft, &text.replacen("9.5 ", "9.5 Amended ", 1));
    let (second, pdfs) = cached_build(tmp.path(), "out", &[]);
    let counts = cached_counts(&second);
    assert_eq!(counts.len(), 2, "the draft and the mark-up: {second}");
    let mut missed: Vec<usize> = counts.iter().map(|(found, all)| all - found).collect();
    missed.sort();
    // The draft: the chunk of section 9. The mark-up: that one, and its
    // cover, whose summary of changes counts one changed paragraph more.
    assert_eq!(missed, [1, 2], "{second}");
    assert!(counts.iter().all(|(_, all)| *all >= 4), "{second}");
    let (_, clean) = cached_build(tmp.path(), "clean", &["--force"]);
    assert_eq!(pdfs.len(), 3);
    for ((name, a), (_, b)) in pdfs.iter().zip(&clean) {
        assert!(
            a == b,
            "{name}: the cached build differs from a build from scratch"
        );
    }

    // Two pages more in section 2: every later chunk's numbers move.
    let text = std::fs::read_to_string(&draft).unwrap();
    let long = format!("2.3 {} ", "Much more text in this section. ".repeat(300));
    write(&draft, &text.replacen("2.3 ", &long, 1));
    let (third, pdfs) = cached_build(tmp.path(), "out", &[]);
    let (_, clean) = cached_build(tmp.path(), "clean", &["--force"]);
    for ((name, a), (_, b)) in pdfs.iter().zip(&clean) {
        assert!(
            a == b,
            "{name}: differs from a build from scratch after pages moved"
        );
    }
    assert!(third.contains("compile of chunk"), "{third}");
    let markup = tmp.path().join("out/x/x-v1.0-to-v1.1-markup.pdf");
    let pages = pages_text(&markup);
    let total = pages.len();
    assert!(
        pages
            .last()
            .unwrap()
            .contains(&format!("Page {total} of {total}")),
        "{}",
        pages.last().unwrap()
    );
}

/// A cache entry cut short, changed or replaced by something else is not
/// used: the build lays the chunk out again and writes what a build from
/// scratch writes.
#[test]
fn a_damaged_chunk_cache_is_not_trusted() {
    let tmp = two_versions();
    cached_build(tmp.path(), "out", &[]);
    let cache = tmp.path().join("out/.regdoc-cache");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chunk"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 12, "{entries:?}");
    // Truncated, one byte flipped in the PDF, a stranger's file.
    let bytes = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).unwrap();
    let mut bytes = std::fs::read(&entries[1]).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x20;
    std::fs::write(&entries[1], &bytes).unwrap();
    std::fs::write(&entries[2], b"%PDF-1.7 not a regdoc chunk").unwrap();
    // The draft changed, so that its PDFs are built again.
    let draft = tmp.path().join("documents/x/v1.1.md");
    let text = std::fs::read_to_string(&draft).unwrap();
    write(&draft, &text.replacen("9.5 ", "9.5 Amended ", 1));
    let (said, pdfs) = cached_build(tmp.path(), "out", &[]);
    let counts = cached_counts(&said);
    let missed: usize = counts.iter().map(|(f, a)| a - f).sum();
    assert!(missed >= 2, "the edited chunk and the damaged ones: {said}");
    let (_, clean) = cached_build(tmp.path(), "clean", &["--force"]);
    for ((name, a), (_, b)) in pdfs.iter().zip(&clean) {
        assert!(a == b, "{name}: a damaged cache changed the PDF");
    }
}

/// A heading whose slug is the label of the stand-in title a continuation
/// starts with would be mistaken for it if the label were a slug: it is
/// not, and such a heading is the document's like any other.
#[test]
fn a_heading_named_like_the_stand_in_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("code.md");
    let text = code(16, 14, false)
        .replace("## 5. Section 5\n", "## Regdoc continuation\n")
        .replace("## 9. Section 9\n", "## regdoc:continuation\n");
    write(&md, &text);
    let whole = tmp.path().join("whole.pdf");
    let chunked = tmp.path().join("chunked.pdf");
    render(&[("REGDOC_CHUNK_BYTES", "0")], &md, &whole);
    render(&[("REGDOC_CHUNK_BYTES", "30000")], &md, &chunked);
    read_the_same(&whole, &chunked);
    let outline = reading(&chunked).outline;
    assert!(
        outline.iter().any(|(_, t, _)| t == "Regdoc continuation"),
        "{outline:?}"
    );
}

/// A cache entry that is whole (its seal holds) but says something
/// wrong of its chunk (one page more than the chunk has) is caught when the
/// chunk is laid out again: the render is done again without trusting the
/// cache, writes what a build from scratch writes, and rewrites the
/// entries, so that the next build does not disagree again.
#[test]
fn a_cache_entry_that_lies_is_caught_and_rewritten() {
    let tmp = two_versions();
    cached_build(tmp.path(), "out", &[]);
    let cache = tmp.path().join("out/.regdoc-cache");
    let mut lied = 0;
    for e in std::fs::read_dir(&cache).unwrap() {
        let path = e.unwrap().path();
        if !path.to_string_lossy().ends_with("-1.chunk") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let magic = b"regdoc-chunk 1\n".len();
        let body = &bytes[magic + 65..];
        let line = body.iter().position(|&b| b == b'\n').unwrap();
        let mut facts: serde_json::Value = serde_json::from_slice(&body[..line]).unwrap();
        facts["pages"] = (facts["pages"].as_u64().unwrap() + 1).into();
        let mut new_body = serde_json::to_vec(&facts).unwrap();
        new_body.extend_from_slice(&body[line..]);
        // Sealed as this machine's regdoc seals it: whole, but lying.
        let sum = seal(&new_body);
        let mut out = bytes[..magic].to_vec();
        out.extend_from_slice(sum.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&new_body);
        std::fs::write(&path, out).unwrap();
        lied += 1;
    }
    assert_eq!(lied, 3, "chunk 2 of each of the three PDFs");
    // An edit of section 1 (the first chunk): the draft and the mark-up
    // are rendered, their totals come out wrong, every cached chunk is
    // laid out again to be renumbered, and chunk 2 disagrees.
    let draft = tmp.path().join("documents/x/v1.1.md");
    let text = std::fs::read_to_string(&draft).unwrap();
    write(&draft, &text.replacen("1.5 ", "1.5 Amended ", 1));
    let (said, pdfs) = cached_build(tmp.path(), "out", &[]);
    assert_eq!(
        said.matches("the chunk cache disagreed").count(),
        2,
        "{said}"
    );
    let (_, clean) = cached_build(tmp.path(), "clean", &["--force"]);
    for ((name, a), (_, b)) in pdfs.iter().zip(&clean) {
        assert!(a == b, "{name}: a lying cache entry changed the PDF");
    }
    // Rewritten: the next edit finds the cache right.
    let text = std::fs::read_to_string(&draft).unwrap();
    write(&draft, &text.replacen("1.5 Amended ", "1.5 ", 1));
    let (said, _) = cached_build(tmp.path(), "out", &[]);
    assert!(!said.contains("disagreed"), "{said}");
    assert!(cached_counts(&said).iter().all(|(f, _)| *f > 0), "{said}");
}
