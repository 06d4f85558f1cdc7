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

/// Rewrites one top-level scalar `key: value` line in YAML text, keeping
/// everything else (comments, order, quoting elsewhere) byte for byte.
/// Returns `None` when the key is not a plain top-level line.
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
            out.push_str(&format!("{key}: {}{ending}", quote(value)));
            done = true;
            continue;
        }
        out.push_str(line);
    }
    done.then_some(out)
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
