//! Every YAML call of regdoc lives here.
//!
//! `serde_yaml` is archived upstream; keeping it behind this one module lets
//! an API-compatible fork replace it with a one-line change in Cargo.toml.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Parses `yaml`, which starts at 1-based `first_line` of `path`, into `T`.
/// Errors carry the file's own line and column.
pub fn parse<T: DeserializeOwned>(path: &Path, yaml: &str, first_line: usize) -> Result<T> {
    if yaml.trim().is_empty() {
        // serde_yaml reads an empty document as null; say what is missing.
        return Err(Error::in_file(path, "the front matter is empty")
            .at(first_line, 1)
            .help("give at least version, status, effective and summary"));
    }
    if let Err(limit) = guard(yaml) {
        let (line, col) = limit.at;
        return Err(
            Error::in_file(path, format!("front matter: {}", limit.message))
                .at(line + first_line - 1, col)
                .help("see docs/limits.md for regdoc's limits"),
        );
    }
    serde_yaml::from_str::<T>(yaml).map_err(|e| {
        let raw = e.to_string();
        let msg = match raw.rfind(" at line ") {
            Some(i) => raw[..i].to_string(),
            None => raw,
        };
        let msg = msg.replace(
            "repetition limit exceeded",
            "too many alias expansions (a YAML alias bomb?)",
        );
        let err = Error::in_file(path, format!("front matter: {msg}"));
        if let Some((line, col)) = duplicate_key_position(yaml, &msg) {
            return err.at(line + first_line - 1, col);
        }
        // The reader's errors say "at position N" (a character index) and
        // carry the start of the document as their location.
        if let Some(n) = scanner_position(&msg) {
            let offset = yaml.char_indices().nth(n).map_or(yaml.len(), |(i, _)| i);
            let (line, col) = crate::error::line_col(yaml, offset);
            return err.at(line + first_line - 1, col);
        }
        match e.location() {
            Some(loc) => err.at(loc.line() + first_line - 1, loc.column()),
            None => err.at(first_line, 1),
        }
    })
}

/// `N` of a scanner error's "at position N".
fn scanner_position(msg: &str) -> Option<usize> {
    let rest = msg.rsplit("at position ").next()?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// serde reports a duplicate key without a position: find its second
/// top-level occurrence.
fn duplicate_key_position(yaml: &str, msg: &str) -> Option<(usize, usize)> {
    let rest = msg
        .split("duplicate field `")
        .nth(1)
        .or_else(|| msg.split("duplicate entry with key \"").nth(1))?;
    let key = rest.split(['`', '"']).next()?;
    let mut seen = 0;
    for (i, line) in yaml.lines().enumerate() {
        if line
            .strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with(':'))
        {
            seen += 1;
            if seen == 2 {
                return Some((i + 1, 1));
            }
        }
    }
    None
}

/// Rewrites one top-level `key: value` line in YAML text, keeping
/// everything else (comments, order, quoting elsewhere) byte for byte.
/// `value` is written as a YAML scalar. Returns `None` when the key is not
/// a top-level line.
pub fn set_top_level_scalar(yaml: &str, key: &str, value: &str) -> Option<String> {
    let mut out = String::with_capacity(yaml.len() + 32);
    let mut done = false;
    for line in yaml.split_inclusive('\n') {
        let ending = if line.ends_with("\r\n") {
            "\r\n"
        } else if line.ends_with('\n') {
            "\n"
        } else {
            ""
        };
        let body = &line[..line.len() - ending.len()];
        if !done
            && let Some(rest) = body.strip_prefix(key)
            && rest.starts_with(':')
        {
            // Keep a trailing comment on the line.
            let comment = rest.find(" #").map(|i| &rest[i..]).unwrap_or("");
            out.push_str(&format!("{key}: {}{comment}{ending}", scalar(value)));
            done = true;
            continue;
        }
        out.push_str(line);
    }
    done.then_some(out)
}

/// Inserts `block` (whole lines) after the top-level line of `after`.
pub fn insert_after_key(yaml: &str, after: &str, block: &str) -> Option<String> {
    let mut out = String::with_capacity(yaml.len() + block.len());
    let mut done = false;
    let mut lines = yaml.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        if !done
            && line
                .strip_prefix(after)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        {
            // Skip the key's own nested lines.
            while let Some(next) = lines.peek() {
                if next.starts_with(' ') || next.starts_with('\t') {
                    out.push_str(next);
                    lines.next();
                } else {
                    break;
                }
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(block);
            done = true;
        }
    }
    done.then_some(out)
}

/// The front matter `regdoc new` writes for a draft, with `eol` line
/// endings, comments telling the author what to fill in.
pub fn draft_front_matter(
    version: &crate::model::VersionNumber,
    effective: crate::model::EffectiveDate,
    from: &crate::model::VersionNumber,
    summary: &str,
    eol: &str,
) -> String {
    [
        "---".to_string(),
        format!("# Started with `regdoc new` from v{from}: set the proposed effective date"),
        "# and the summary, then edit the text.".to_string(),
        format!("version: {}", quote(&version.to_string())),
        "status: draft".to_string(),
        format!("effective: {effective}"),
        format!("supersedes: {}", quote(&from.to_string())),
        format!("summary: {}", quote(summary)),
        "---".to_string(),
    ]
    .iter()
    .map(|l| format!("{l}{eol}"))
    .collect()
}

/// The `document.yaml` of a new document, every value quoted as needed.
pub fn document_yaml(info: &crate::model::DocumentInfo, eol: &str) -> String {
    [
        "# Started with `regdoc new`. Once a version is approved, this file".to_string(),
        "# may not change: approved PDFs print it.".to_string(),
        format!("id: {}", scalar(&info.id)),
        format!("title: {}", scalar(&info.title)),
        format!("owner: {}", scalar(&info.owner)),
        format!("classification: {}", scalar(&info.classification)),
        format!("approver: {}", scalar(&info.approver)),
    ]
    .iter()
    .map(|l| format!("{l}{eol}"))
    .collect()
}

/// The front matter of a new document's first draft, v1.0.
pub fn first_draft_front_matter(
    effective: crate::model::EffectiveDate,
    summary: &str,
    eol: &str,
) -> String {
    [
        "---".to_string(),
        "# Started with `regdoc new`: set the proposed effective date and the".to_string(),
        "# summary, then write the text.".to_string(),
        "version: \"1.0\"".to_string(),
        "status: draft".to_string(),
        format!("effective: {effective}"),
        format!("summary: {}", quote(summary)),
        "---".to_string(),
    ]
    .iter()
    .map(|l| format!("{l}{eol}"))
    .collect()
}

/// The `approved:` block `regdoc approve` inserts, with `eol` line endings.
pub fn approval_block(by: &str, on: crate::model::EffectiveDate, eol: &str) -> String {
    format!("approved:{eol}  by: {}{eol}  on: {on}{eol}", scalar(by))
}

/// A plain scalar when that reads back as the same string, else quoted.
pub fn scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
        && !value.starts_with([' ', '-', '.'])
        && !value.ends_with(' ')
        && !matches!(
            value,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        )
        && value.parse::<f64>().is_err();
    if plain {
        value.to_string()
    } else {
        quote(value)
    }
}

/// A YAML scalar that always reads back as the same string.
pub fn quote(value: &str) -> String {
    let mut s = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            c if c.is_control() => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// The top-level keys of a YAML mapping with their values as one-line
/// display text (strings as they are, anything else as JSON), in source
/// order; `None` when the text is not a YAML mapping.
pub fn top_level_fields(yaml: &str) -> Option<Vec<(String, String)>> {
    guard(yaml).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).ok()?;
    let serde_yaml::Value::Mapping(map) = value else {
        return None;
    };
    let shown = |v: &serde_yaml::Value| match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    };
    Some(map.iter().map(|(k, v)| (shown(k), shown(v))).collect())
}

/// `yaml` read as `T`, or `None`: for files that may or may not follow
/// regdoc's schema, where not following it is no error.
pub fn try_parse<T: DeserializeOwned>(yaml: &str) -> Option<T> {
    guard(yaml).ok()?;
    serde_yaml::from_str::<T>(yaml).ok()
}

/// 1-based line of the `nth` (0-based) list item whose `field:` is `value`
/// (`- id: Q1`, quoted or not), in the front matter of `text`; with
/// `then`, the line of that item's own `then:` key instead (`text:` of
/// question Q3), if it follows within the item.
pub fn item_line(
    text: &str,
    field: &str,
    value: &str,
    nth: usize,
    then: Option<&str>,
) -> Option<usize> {
    let front = front_matter_lines(text);
    let key = |line: &str, k: &str| -> Option<String> {
        let t = line.trim_start().trim_start_matches("- ").trim();
        t.strip_prefix(k)?
            .strip_prefix(':')
            .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
    };
    let (at, line) = front
        .iter()
        .enumerate()
        .filter(|(_, l)| key(l, field).as_deref() == Some(value))
        .nth(nth)?;
    let Some(then) = then else {
        return Some(at + 1);
    };
    let indent = line.len() - line.trim_start_matches([' ', '-']).len();
    for (i, l) in front.iter().enumerate().skip(at + 1) {
        // The item ends where a line is indented less, or a new item starts.
        let own = l.len() - l.trim_start_matches(' ').len();
        if l.trim().is_empty() || own < indent || l.trim_start().starts_with("- ") {
            break;
        }
        if key(l, then).is_some() {
            return Some(i + 1);
        }
    }
    Some(at + 1)
}

/// The lines of `text` up to the end of its front matter (all of them
/// when it has none closed).
fn front_matter_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if i > 0 && (l == "---" || l == "...") {
            break;
        }
        out.push(l);
    }
    out
}

/// 1-based line of `child:` nested (indented) under the top-level
/// `parent:` in the front matter of `text`.
pub fn nested_key_line(text: &str, parent: &str, child: &str) -> Option<usize> {
    let start = key_line(text, parent)?;
    for (i, line) in text.lines().enumerate().skip(start) {
        let indented = line.starts_with([' ', '\t']);
        if !indented {
            return None;
        }
        if let Some(rest) = line.trim_start().strip_prefix(child)
            && rest.trim_start().starts_with(':')
        {
            return Some(i + 1);
        }
    }
    None
}

/// 1-based line of a top-level `key:` in the front matter of `text`.
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    let mut in_front = false;
    for (i, line) in text.lines().enumerate() {
        if i == 0 && line.trim_end() == "---" {
            in_front = true;
            continue;
        }
        if in_front && (line.trim_end() == "---" || line.trim_end() == "...") {
            return None;
        }
        if let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with(':')
        {
            return Some(i + 1);
        }
    }
    None
}

/// Deepest nesting of flow collections (`[`, `{`) regdoc parses. libyaml
/// takes time quadratic in this depth (100,000 levels: 31 s) before serde
/// sees a single value; real front matter nests two or three levels.
pub const MAX_FLOW_DEPTH: usize = 64;

/// Most text that aliases may add to front matter, beyond its own size.
/// Each alias repeats its anchor's whole value: a 1 MB anchor aliased
/// 4,000 times made 3.9 GB. Without aliases a value is never larger than
/// its source, so this refuses nothing else.
pub const MAX_ALIAS_EXPANSION: usize = 1024 * 1024;

/// Why front matter is not parsed, and where (1-based, in `yaml`).
#[derive(Debug)]
pub struct Limit {
    pub message: String,
    pub at: (usize, usize),
}

/// Refuses YAML that would cost far more to parse than its size: flow
/// nesting deeper than [`MAX_FLOW_DEPTH`], or aliases expanding it by more
/// than [`MAX_ALIAS_EXPANSION`]. Linear in the text.
pub fn guard(yaml: &str) -> std::result::Result<(), Limit> {
    flow_depth(yaml)?;
    if !yaml.contains('*') {
        return Ok(());
    }
    // Count what deserializing would build, aliases expanded, without
    // building it: the count stops at the budget.
    use serde::de::DeserializeSeed;
    let budget = std::cell::Cell::new(yaml.len() + MAX_ALIAS_EXPANSION);
    let mut over = false;
    for doc in serde_yaml::Deserializer::from_str(yaml) {
        match (Counter {
            left: &budget,
            over: &mut over,
        })
        .deserialize(doc)
        {
            Ok(()) => {}
            Err(_) if over => {
                return Err(Limit {
                    message: format!(
                        "aliases expand it by more than {} KiB (a YAML alias bomb?)",
                        MAX_ALIAS_EXPANSION / 1024
                    ),
                    at: first_alias(yaml),
                });
            }
            // Other errors are the parser's to report, with its position.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// The position of the first `*alias` (approximately: for messages only).
fn first_alias(yaml: &str) -> (usize, usize) {
    let i = yaml
        .char_indices()
        .find(|&(i, c)| {
            c == '*'
                && yaml[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(|n| n.is_alphanumeric() || n == '_' || n == '-')
                && (i == 0 || yaml[..i].ends_with([' ', '[', ',', '\n', '{', ':']))
        })
        .map(|(i, _)| i)
        .unwrap_or(0);
    crate::error::line_col(yaml, i)
}

/// Flow nesting depth, skipping quoted text and comments.
fn flow_depth(yaml: &str) -> std::result::Result<(), Limit> {
    let b = yaml.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'')
                if i == 0
                    || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':') =>
            {
                i += 1;
                while i < b.len() && b[i] != q {
                    if q == b'"' && b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(Limit {
                        message: format!("collections nest more than {MAX_FLOW_DEPTH} deep"),
                        at: crate::error::line_col(yaml, i),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Deserializes anything, building nothing, and charges its size to a
/// budget: each scalar its length, each node a little more.
struct Counter<'a> {
    left: &'a std::cell::Cell<usize>,
    over: &'a mut bool,
}

impl Counter<'_> {
    fn charge<E: serde::de::Error>(&mut self, n: usize) -> std::result::Result<(), E> {
        let n = n + 1;
        match self.left.get().checked_sub(n) {
            Some(l) => {
                self.left.set(l);
                Ok(())
            }
            None => {
                *self.over = true;
                Err(E::custom("budget"))
            }
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Counter<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Counter<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML")
    }
    fn visit_bool<E: serde::de::Error>(mut self, _: bool) -> std::result::Result<(), E> {
        self.charge(0)
    }
    fn visit_i64<E: serde::de::Error>(mut self, _: i64) -> std::result::Result<(), E> {
        self.charge(0)
    }
    fn visit_u64<E: serde::de::Error>(mut self, _: u64) -> std::result::Result<(), E> {
        self.charge(0)
    }
    fn visit_f64<E: serde::de::Error>(mut self, _: f64) -> std::result::Result<(), E> {
        self.charge(0)
    }
    fn visit_str<E: serde::de::Error>(mut self, v: &str) -> std::result::Result<(), E> {
        self.charge(v.len())
    }
    fn visit_unit<E: serde::de::Error>(mut self) -> std::result::Result<(), E> {
        self.charge(0)
    }
    fn visit_none<E: serde::de::Error>(mut self) -> std::result::Result<(), E> {
        self.charge(0)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        mut self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        self.charge(0)?;
        while seq
            .next_element_seed(Counter {
                left: self.left,
                over: self.over,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        self.charge(0)?;
        while map
            .next_key_seed(Counter {
                left: self.left,
                over: self.over,
            })?
            .is_some()
        {
            map.next_value_seed(Counter {
                left: self.left,
                over: self.over,
            })?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(
        self,
        data: A,
    ) -> std::result::Result<(), A::Error> {
        use serde::de::VariantAccess;
        let (_, v): ((), _) = data.variant_seed(Counter {
            left: self.left,
            over: self.over,
        })?;
        v.newtype_variant_seed(Counter {
            left: self.left,
            over: self.over,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str = "# A comment\nversion: \"3.0\"\nstatus: draft # proposed\neffective: 2024-07-19\nconsultation:\n  published: 2024-06-10\n  closes: 2024-06-28\nsummary: Text.\n";

    #[test]
    fn set_top_level_scalar_changes_one_line_only() {
        let out = set_top_level_scalar(FRONT, "status", "approved").unwrap();
        assert_eq!(
            out,
            FRONT.replace("status: draft # proposed", "status: approved # proposed")
        );
        // Nested keys are not top-level keys.
        assert_eq!(set_top_level_scalar(FRONT, "closes", "2024-07-01"), None);
        assert_eq!(set_top_level_scalar(FRONT, "missing", "x"), None);
        // CRLF lines stay CRLF.
        let crlf = FRONT.replace('\n', "\r\n");
        let out = set_top_level_scalar(&crlf, "effective", "2024-08-01").unwrap();
        assert_eq!(
            out,
            crlf.replace("effective: 2024-07-19", "effective: 2024-08-01")
        );
        // A value YAML would read as something else is quoted.
        let out = set_top_level_scalar(FRONT, "summary", "yes: no").unwrap();
        assert!(out.contains("summary: \"yes: no\"\n"), "{out}");
    }

    #[test]
    fn insert_after_key_skips_the_keys_nested_lines() {
        let out = insert_after_key(FRONT, "consultation", "approved:\n  by: DESNZ\n").unwrap();
        assert_eq!(
            out,
            FRONT.replace(
                "  closes: 2024-06-28\n",
                "  closes: 2024-06-28\napproved:\n  by: DESNZ\n"
            )
        );
        assert_eq!(insert_after_key(FRONT, "missing", "x: 1\n"), None);
    }

    #[test]
    fn scalars_read_back_as_the_same_string() {
        for v in [
            "DESNZ",
            "Ofgem & DCC",
            "yes",
            "3.0",
            "",
            " lead",
            "a: b",
            "#x",
            "line\nbreak",
            "quote \" and \\",
            "\u{1b}[31m",
            "- item",
            "~",
        ] {
            let yaml = format!("k: {}\n", scalar(v));
            let back: std::collections::BTreeMap<String, String> =
                serde_yaml::from_str(&yaml).unwrap();
            assert_eq!(back["k"], v, "{yaml}");
        }
        assert_eq!(scalar("DESNZ"), "DESNZ");
        assert_eq!(scalar("true"), "\"true\"");
    }

    #[test]
    fn guard_counts_flow_depth_outside_quotes_and_comments() {
        let deep = format!("a: {}{}\n", "[".repeat(65), "]".repeat(65));
        assert!(guard(&deep).is_err());
        let ok = format!("a: {}{}\n", "[".repeat(64), "]".repeat(64));
        assert!(guard(&ok).is_ok());
        // Brackets in quoted text or comments are not nesting.
        let quoted = format!(
            "a: \"{}\" # {}\nb: '{}'\n",
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100)
        );
        assert!(guard(&quoted).is_ok());
    }

    #[test]
    fn list_items_are_found_by_a_field_and_their_own_keys() {
        let text = "---\nquestions:\n  - id: Q1\n    text: One\n  - id: \"Q2\"\n    asks: [x]\n    text: Two\n  - id: Q1\n---\nid: Q1\n";
        assert_eq!(item_line(text, "id", "Q1", 0, None), Some(3));
        assert_eq!(item_line(text, "id", "Q1", 1, None), Some(8));
        assert_eq!(item_line(text, "id", "Q2", 0, Some("text")), Some(7));
        // An item without the key: the item's own line.
        assert_eq!(item_line(text, "id", "Q1", 1, Some("text")), Some(8));
        // The body is not front matter.
        assert_eq!(item_line(text, "id", "Q1", 2, None), None);
    }
}
