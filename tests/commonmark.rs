//! The CommonMark specification's examples, each diffed against the next
//! example of its section (`regdoc diff A B --format md`): accepting every
//! change must mean what B means and rejecting every change what A means.
//!
//! "Means" is read by pulldown-cmark, as HTML: its words, and the targets,
//! titles and alt texts of links and images. Front matter, HTML comments,
//! list markers and numbering are left aside, as the issue that set this
//! bar says; a stricter count that also compares every element (emphasis,
//! code, links, headings…) is printed beside it.

mod common;

use std::process::Command;

use pulldown_cmark::{Options, Parser, html};
use regdoc::render::markdown::apply_critic;

/// (section, Markdown) of every example, tabs restored.
fn examples() -> Vec<(String, String)> {
    let text = include_str!("corpus/commonmark-spec.txt");
    let fence = format!("{} example", "`".repeat(32));
    let close = "`".repeat(32);
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == fence {
            let mut md = String::new();
            for l in lines.by_ref() {
                if l == "." {
                    break;
                }
                md.push_str(l);
                md.push('\n');
            }
            for l in lines.by_ref() {
                if l == close {
                    break;
                }
            }
            out.push((section.clone(), md.replace('→', "\t")));
        } else if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            section = h.to_string();
        }
    }
    out
}

/// What a Markdown text means: its HTML as tokens. Inline tags join the
/// text around them (`*foo*bar` is the word `foobar`), block tags part it.
/// `strict` keeps every element's name; otherwise only words and
/// link/image attributes count.
fn meaning(md: &str, strict: bool) -> Vec<String> {
    let opts: Options = regdoc::source::markdown::options();
    let mut h = String::new();
    html::push_html(&mut h, Parser::new_ext(md, opts));
    const BLOCK: [&str; 22] = [
        "p",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
        "br",
        "div",
        "section",
    ];
    let mut text = String::new();
    let mut rest = h.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->").map_or("", |(_, r)| r);
            continue;
        }
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = &rest[..end];
            rest = &rest[end..];
            let name: String = tag
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let block = BLOCK.contains(&name.as_str());
            if block {
                text.push(' ');
            }
            if strict && !matches!(name.as_str(), "p" | "ol" | "ul" | "li") {
                let close = if tag.starts_with("</") { "/" } else { "" };
                text.push_str(&format!(" \u{1}{close}{name} "));
            }
            for attr in ["href", "src", "alt", "title"] {
                if let Some(v) = tag.split(&format!(" {attr}=\"")).nth(1) {
                    let v = v.split('"').next().unwrap_or("");
                    for w in unescape(v).split_whitespace() {
                        text.push_str(&format!(" \u{1}{attr}:{w} "));
                    }
                }
            }
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        text.push_str(&unescape(&rest[..end]));
        rest = &rest[end..];
    }
    text.split_whitespace().map(str::to_string).collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn commonmark_examples_round_trip_through_criticmarkup() {
    let all = examples();
    assert!(all.len() > 600, "read {} examples", all.len());
    let dir = tempfile::tempdir().unwrap();
    let (a_path, b_path) = (dir.path().join("a.md"), dir.path().join("b.md"));
    let (mut pairs, mut held, mut strict_held) = (0, 0, 0);
    let mut lost = Vec::new();
    let mut failed = Vec::new();
    for w in all.windows(2) {
        let ((sa, a), (sb, b)) = (&w[0], &w[1]);
        if sa != sb || a == b {
            continue;
        }
        pairs += 1;
        std::fs::write(&a_path, a).unwrap();
        std::fs::write(&b_path, b).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_regdoc"))
            .args(["diff", "--format", "md"])
            .arg(&a_path)
            .arg(&b_path)
            .output()
            .unwrap();
        if !out.status.success() {
            failed.push(format!(
                "{sa}: exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let md = String::from_utf8(out.stdout).unwrap();
        let (acc, rej) = (
            apply_critic(&md, regdoc::diff::Side::New),
            apply_critic(&md, regdoc::diff::Side::Old),
        );
        let ok =
            meaning(&acc, false) == meaning(b, false) && meaning(&rej, false) == meaning(a, false);
        if ok {
            held += 1;
        } else {
            lost.push(format!("{sa}:\n--- A\n{a}--- B\n{b}--- CriticMarkup\n{md}"));
        }
        if meaning(&acc, true) == meaning(b, true) && meaning(&rej, true) == meaning(a, true) {
            strict_held += 1;
        }
    }
    eprintln!(
        "CommonMark pairs: {held} of {pairs} round-trip ({strict_held} with every element compared); {} exited non-zero",
        failed.len()
    );
    for l in lost.iter().take(40) {
        eprintln!("{l}");
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(pairs >= 620, "only {pairs} pairs");
    // The issue that set this bar asks for 620; every pair holds today, so
    // any loss is a regression. The stricter count guards element by element.
    assert_eq!(held, pairs, "{held} of {pairs} pairs round-trip");
    assert!(
        strict_held >= 575,
        "{strict_held} pairs hold element by element"
    );
}

/// Every example is a PDF/A-3a and PDF/UA-1 PDF that `regdoc verify`
/// accepts: a blank heading, a letter no embedded font has (shown by code
/// point, with a warning) or a skipped heading level never makes the PDF
/// impossible. Only an image that is not there is refused, as it should.
#[test]
fn commonmark_examples_make_verifiable_archival_pdfs() {
    let all = examples();
    let dir = tempfile::tempdir().unwrap();
    let (md, pdf) = (dir.path().join("e.md"), dir.path().join("e.pdf"));
    let (mut made, mut code_points) = (0, 0);
    let mut failed = Vec::new();
    for (i, (_, text)) in all.iter().enumerate() {
        std::fs::write(&md, text).unwrap();
        let _ = std::fs::remove_file(&pdf);
        let o = common::regdoc_in(dir.path(), &["render", "e.md", "-o", "e.pdf"]);
        let err = common::stderr(&o);
        if o.status.code() == Some(2) && err.contains("the image") {
            continue;
        }
        if !o.status.success() {
            failed.push(format!("example {}: {err}", i + 1));
            continue;
        }
        made += 1;
        if err.contains("shown by code point") {
            code_points += 1;
        }
        let v = common::regdoc_in(dir.path(), &["verify", "e.pdf"]);
        if !v.status.success() {
            failed.push(format!("example {} verify: {}", i + 1, common::stdout(&v)));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(made > 600, "{made}");
    // Examples 26 (Malayalam, Kannada) and 355 (U+1E2FF).
    assert_eq!(code_points, 2);
}
