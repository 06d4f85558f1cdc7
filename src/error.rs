//! One error type for the whole crate, carrying where the problem is.
//!
//! Every user-facing failure says which file, and where known the line and
//! column, so a governance officer can go straight to the fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// How the process should end for this error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The input cannot be used (exit status 2).
    Input,
    /// The input was read but a rule failed (exit status 1).
    Check,
}

/// What kind of problem an error is, for code that must tell them apart
/// (`check` reports content problems and stops at unreadable files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// The file could not be read at all (missing, permissions).
    Io,
    /// The file leads outside the folder it must live in.
    Outside,
    /// The content is unusable: encoding, syntax, schema, a limit.
    #[default]
    Content,
}

/// A located, user-facing error.
#[derive(Debug, Clone)]
pub struct Error {
    pub message: String,
    pub path: Option<PathBuf>,
    /// 1-based line and column.
    pub line_col: Option<(usize, usize)>,
    pub help: Option<String>,
    pub kind: ExitKind,
    /// The `check` rule that reports this problem, when it is one.
    pub rule: Option<&'static str>,
    pub cause: Cause,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Unusable input, not tied to a file.
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            path: None,
            line_col: None,
            help: None,
            kind: ExitKind::Input,
            rule: None,
            cause: Cause::Content,
        }
    }

    /// Unusable input in `path`.
    pub fn in_file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::input(message).with_path(path)
    }

    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        self.path = Some(path.as_ref().to_path_buf());
        self
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line_col = Some((line.max(1), column.max(1)));
        self
    }

    /// Names the `check` rule that reports this problem.
    pub fn rule(mut self, rule: &'static str) -> Self {
        self.rule = Some(rule);
        self
    }

    /// This error with `rule` as its `check` rule unless it names one.
    pub fn rule_or(mut self, rule: &'static str) -> Self {
        self.rule.get_or_insert(rule);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The process exit status this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ExitKind::Input => 2,
            ExitKind::Check => 1,
        }
    }

    /// An I/O failure on `path`, worded for people.
    pub fn io(path: impl AsRef<Path>, err: &std::io::Error) -> Self {
        let path = path.as_ref();
        let what = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        };
        let mut e = Error::in_file(path, format!("cannot read: {what}"));
        e.cause = Cause::Io;
        e
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages quote input (a key, a file name): shown escaped, as it
        // goes to a terminal.
        if let Some(path) = &self.path {
            write!(f, "{}", printable(&path.display().to_string()))?;
            if let Some((line, col)) = self.line_col {
                write!(f, ":{line}:{col}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "error: {}", printable(&self.message))?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", printable(help))?;
        }
        Ok(())
    }
}

/// Characters that must not reach a terminal raw: controls (an ESC could
/// recolour or hide what follows) and bidirectional overrides (which
/// reorder what is shown).
pub fn is_unprintable(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` safe for a terminal: unprintable characters as `\u{..}` escapes.
pub fn printable(s: &str) -> String {
    if !s.chars().any(is_unprintable) {
        return s.to_string();
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unprintable(c) {
            o.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            o.push(c);
        }
    }
    o
}

/// `s` safe for a terminal, one character for one: each unprintable
/// character becomes a visible symbol (control pictures, or U+FFFD), so
/// line and column numbers still point at the same place.
pub fn printable_in_place(s: &str) -> String {
    let mut chars = s.chars().peekable();
    let mut out = String::with_capacity(s.len());
    while let Some(c) = chars.next() {
        // A CR ending a line (CRLF) is a line ending; any other CR would
        // move the cursor back over what was printed.
        if c == '\r' {
            out.push(if chars.peek() == Some(&'\n') {
                '\r'
            } else {
                '\u{240d}'
            });
            continue;
        }
        out.push(match c {
            c if is_unprintable(c) => match c as u32 {
                n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{fffd}'),
                0x7f => '\u{2421}',
                _ => '\u{fffd}',
            },
            c => c,
        });
    }
    out
}

impl std::error::Error for Error {}

/// Line and column (1-based, columns in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
