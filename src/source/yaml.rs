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
        match e.location() {
            Some(loc) => err.at(loc.line() + first_line - 1, loc.column()),
            None => err.at(first_line, 1),
        }
    })
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
    serde_yaml::from_str::<T>(yaml).ok()
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
