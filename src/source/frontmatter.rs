//! Splitting a Markdown file into front matter and body.
//!
//! A governed version is held to regdoc's schema ([`split`]): it must open
//! with `---` and close it. Any other file may carry whatever front matter
//! its own tools wrote ([`detect`]): YAML of a site generator, TOML between
//! `+++` fences, a kramdown-rfc header closed by `--- abstract`, or text
//! that does not parse at all. A leading `---` that opens no such block is
//! Markdown's thematic break.

use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{FrontMatter, FrontMatterFormat};

/// The parts of a source file.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The YAML between the fences, if the file has front matter.
    pub yaml: Option<&'a str>,
    /// 1-based line of the first YAML line.
    pub yaml_line: usize,
    /// Byte offset where the YAML starts.
    pub yaml_offset: usize,
    pub body: &'a str,
    /// Byte offset of the body in the file.
    pub body_offset: usize,
}

/// The lines of `text` from byte `from` on: (start, end after the line
/// break, the line without trailing white space).
fn lines_from(text: &str, from: usize) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut offset = from;
    std::iter::from_fn(move || {
        if offset >= text.len() {
            return None;
        }
        let start = offset;
        let end = text[start..]
            .find('\n')
            .map_or(text.len(), |i| start + i + 1);
        offset = end;
        Some((start, end, text[start..end].trim_end()))
    })
}

/// Finds regdoc's front matter: a first line `---`, closed by `---` or `...`.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>> {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            yaml_line: 0,
            yaml_offset: 0,
            body: text,
            body_offset: 0,
        });
    }
    for (offset, end, line) in lines_from(text, first_end) {
        if line == "---" || line == "..." {
            return Ok(Split {
                yaml: Some(&text[first_end..offset]),
                yaml_line: 2,
                yaml_offset: first_end,
                body: &text[end..],
                body_offset: end,
            });
        }
    }
    Err(Error::in_file(path, "the front matter is not closed")
        .at(1, 1)
        .help("end the YAML block with a line `---`"))
}

/// Front matter of any tool, found leniently.
#[derive(Debug, Clone)]
pub struct Detected<'a> {
    pub format: FrontMatterFormat,
    /// The text between the fences.
    pub raw: &'a str,
    /// 1-based line of the first line of `raw`.
    pub raw_line: usize,
    /// The closing line (without its line break).
    pub close: &'a str,
    pub body: &'a str,
    pub body_offset: usize,
}

/// A kramdown-rfc section marker (`--- abstract`, `--- middle`,
/// `--- back`): it closes the YAML header of an Internet-Draft.
fn is_kramdown_marker(line: &str) -> bool {
    line.strip_prefix("--- ").is_some_and(|rest| {
        let w = rest.trim();
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// Whether a block of text reads as keyed front matter: its first line
/// that says anything is `key: value` (YAML) or `key = value` (TOML).
/// Without this, `---\nFoo\n---` (a rule and a setext heading) would be
/// taken for front matter.
fn looks_keyed(raw: &str, sep: char) -> bool {
    let Some(line) = raw
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        // Only comments (or nothing): keyed if there is a comment at all.
        return raw.lines().any(|l| l.trim_start().starts_with('#')) && sep == ':';
    };
    let key_end = line
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'')))
        .unwrap_or(line.len());
    if key_end == 0 {
        // A TOML table header `[params]` also opens TOML front matter.
        return sep == '=' && line.starts_with('[') && line.ends_with(']');
    }
    let rest = line[key_end..].trim_start();
    match sep {
        ':' => rest
            .strip_prefix(':')
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t'])),
        _ => rest.starts_with('='),
    }
}

/// Finds front matter of any tool at the start of `text`, or `None` when
/// the file starts with Markdown.
pub fn detect(text: &str) -> Option<Detected<'_>> {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let first = text[..first_end].trim_end();
    let format = match first {
        "---" => FrontMatterFormat::Yaml,
        "+++" => FrontMatterFormat::Toml,
        _ => return None,
    };
    for (offset, end, line) in lines_from(text, first_end) {
        let closes = match format {
            FrontMatterFormat::Yaml => line == "---" || line == "..." || is_kramdown_marker(line),
            FrontMatterFormat::Toml => line == "+++",
        };
        if closes {
            let raw = &text[first_end..offset];
            let keyed = match format {
                FrontMatterFormat::Yaml => looks_keyed(raw, ':'),
                FrontMatterFormat::Toml => looks_keyed(raw, '='),
            };
            if !keyed {
                return None;
            }
            return Some(Detected {
                format,
                raw,
                raw_line: 2,
                close: line,
                body: &text[end..],
                body_offset: end,
            });
        }
    }
    None
}

/// Front matter larger than this is kept verbatim, not parsed into
/// fields: a YAML alias bomb in a file nobody governs must not cost more
/// than its size.
const MAX_PARSED_BYTES: usize = 64 * 1024;

/// The front matter as the model keeps it: verbatim, with its fields where
/// the text parses.
pub fn front_matter(d: &Detected<'_>) -> FrontMatter {
    FrontMatter {
        format: d.format,
        raw: d.raw.to_string(),
        close: d.close.to_string(),
        fields: if d.raw.len() > MAX_PARSED_BYTES {
            None
        } else {
            match d.format {
                FrontMatterFormat::Yaml => super::yaml::top_level_fields(d.raw),
                FrontMatterFormat::Toml => toml_fields(d.raw),
            }
        },
    }
}

fn toml_fields(raw: &str) -> Option<Vec<(String, String)>> {
    let table: toml::Table = toml::from_str(raw).ok()?;
    // `toml::Table` is ordered by key; show the keys in source order.
    let mut fields: Vec<(usize, String, String)> = table
        .into_iter()
        .map(|(k, v)| {
            let shown = match &v {
                toml::Value::String(s) => s.clone(),
                other => serde_json::to_string(other).unwrap_or_else(|_| other.to_string()),
            };
            let at = raw.find(&k).unwrap_or(usize::MAX);
            (at, k, shown)
        })
        .collect();
    fields.sort();
    Some(fields.into_iter().map(|(_, k, v)| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_generator_yaml_is_front_matter() {
        let d = detect("---\nlayout: page\nredirect_from:\n  - /old\n---\n# Hi\n").unwrap();
        assert_eq!(d.raw, "layout: page\nredirect_from:\n  - /old\n");
        assert_eq!(d.body, "# Hi\n");
        let fm = front_matter(&d);
        assert_eq!(
            fm.fields.unwrap(),
            vec![
                ("layout".to_string(), "page".to_string()),
                ("redirect_from".to_string(), "[\"/old\"]".to_string())
            ]
        );
    }

    #[test]
    fn a_leading_rule_is_markdown() {
        assert!(detect("---\nFoo\n---\n").is_none());
        assert!(detect("---\n\n- a\n").is_none());
        assert!(detect("***\n").is_none());
    }

    #[test]
    fn kramdown_rfc_header_ends_at_its_section_marker() {
        let text = "---\ntitle: A Protocol\nauthor:\n - ins: A. B.\n\n--- abstract\n\nText.\n\n--- middle\n";
        let d = detect(text).unwrap();
        assert_eq!(d.close, "--- abstract");
        assert!(d.body.starts_with("\nText."));
        assert!(front_matter(&d).fields.is_some());
    }

    #[test]
    fn front_matter_over_the_parsed_limit_is_kept_verbatim() {
        let fields = |n: usize| {
            let raw = format!("title: T\nnote: \"{}\"\n", "x".repeat(n));
            let text = format!("---\n{raw}---\n# Body\n");
            let d = detect(&text).expect("front matter");
            (front_matter(&d), raw.len())
        };
        // Just under the limit: parsed into fields.
        let (fm, len) = fields(MAX_PARSED_BYTES - 18);
        assert!(len <= MAX_PARSED_BYTES && fm.fields.is_some());
        // Just over it: kept as text, not parsed.
        let (fm, len) = fields(MAX_PARSED_BYTES - 17);
        assert!(len > MAX_PARSED_BYTES && fm.fields.is_none());
        assert!(fm.raw.starts_with("title: T"));
    }

    #[test]
    fn toml_and_unparseable_front_matter() {
        let d = detect("+++\ntitle = \"T\"\ntags = [\"a\"]\n+++\nBody\n").unwrap();
        assert_eq!(
            front_matter(&d).fields.unwrap(),
            vec![
                ("title".to_string(), "T".to_string()),
                ("tags".to_string(), "[\"a\"]".to_string())
            ]
        );
        let d = detect("---\ntitle: a: b: [\n---\nBody\n").unwrap();
        let fm = front_matter(&d);
        assert!(fm.fields.is_none());
        assert_eq!(fm.fenced(), "---\ntitle: a: b: [\n---\n");
    }
}
