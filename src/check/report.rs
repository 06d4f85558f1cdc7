//! Printing a check report: for people, for GitHub Actions, for machines.

use codespan_reporting::diagnostic::{Diagnostic as Cs, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use serde_json::json;

use super::{Report, Severity};
use crate::error::{printable, printable_in_place};

/// Longest source line shown as a snippet.
const MAX_SNIPPET: usize = 400;

/// Byte range of a 1-based line and column in `text`.
fn range(text: &str, line: usize, col: usize) -> std::ops::Range<usize> {
    if line == 0 {
        return 0..0;
    }
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let from = start
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(0, |(b, _)| b);
            let end = start + l.trim_end_matches(['\n', '\r']).len();
            return from..end.max(from);
        }
        start += l.len();
    }
    text.len()..text.len()
}

/// Human diagnostics with the source line underlined.
pub fn human(report: &Report, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = Vec::new();
    // Snippets show source lines: escaped, one character for one, so the
    // columns still match.
    for (p, t) in &report.sources {
        let shown = printable_in_place(t);
        ids.push((
            p.clone(),
            files.add(printable(&p.display().to_string()), shown.clone()),
            shown,
        ));
    }
    let mut buf = Vec::new();
    let mut writer: Box<dyn term::termcolor::WriteColor + '_> = if color {
        Box::new(term::termcolor::Ansi::new(&mut buf))
    } else {
        Box::new(term::termcolor::NoColor::new(&mut buf))
    };
    let config = Config::default();
    for d in &report.diagnostics {
        let mut cs = match d.severity {
            Severity::Error => Cs::error(),
            Severity::Warning => Cs::warning(),
        }
        .with_message(printable(&d.message))
        .with_code(d.rule);
        let found = ids.iter().find(|(p, _, _)| p == &d.path);
        let file = found.map(|(_, id, _)| *id);
        // Ranges on the text as shown: an escaped character may take more
        // bytes than the original, and the caret must still stand under it.
        let text = found.map_or("", |(_, _, t)| t.as_str());
        // A snippet of a line a megabyte long helps nobody: the location
        // alone is shown.
        let short = text
            .lines()
            .nth(d.line.saturating_sub(1))
            .is_none_or(|l| l.len() <= MAX_SNIPPET);
        match file {
            Some(id) if d.line > 0 && short => {
                cs = cs.with_labels(vec![Label::primary(id, range(text, d.line, d.column))]);
            }
            _ => {
                let loc = if d.line > 0 {
                    format!(":{}:{}", d.line, d.column)
                } else {
                    String::new()
                };
                cs = cs.with_notes(vec![format!(
                    "in {}{loc}",
                    printable(&d.path.display().to_string())
                )]);
            }
        }
        if let Some(h) = &d.help {
            cs = cs.with_notes(vec![format!("help: {}", printable(h))]);
        }
        let _ = term::emit(&mut *writer, &config, &files, &cs);
    }
    drop(writer);
    let mut s = String::from_utf8_lossy(&buf).into_owned();
    s.push_str(&summary(report));
    s
}

fn summary(report: &Report) -> String {
    match (report.errors(), report.warnings()) {
        (0, 0) => "regdoc check: no problems found\n".into(),
        (e, w) => format!("regdoc check: {e} error(s), {w} warning(s)\n"),
    }
}

fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: annotations on the pull request.
pub fn github(report: &Report) -> String {
    let mut s = String::new();
    for d in &report.diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!(
            "file={}",
            gh_prop(&printable(&d.path.display().to_string()))
        );
        if d.line > 0 {
            props.push_str(&format!(",line={},col={}", d.line, d.column.max(1)));
        }
        props.push_str(&format!(",title={}", gh_prop(d.rule)));
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str(&format!("\n{h}"));
        }
        s.push_str(&format!(
            "::{level} {props}::{}\n",
            gh_escape(&printable(&msg))
        ));
    }
    s.push_str(&summary(report));
    s
}

/// Machine-readable report.
pub fn json(report: &Report) -> String {
    let v = json!({
        "schema_version": 1,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "diagnostics": report.diagnostics,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON");
    s.push('\n');
    s
}
