//! `regdoc diff --format term`: a word-level diff for the terminal.
//!
//! With colour, deletions are red and struck, insertions green and
//! underlined; without it, git's word-diff markers `[-old-]` and `{+new+}`
//! keep it readable (and greppable).

use std::fmt::Write;

use crate::diff::{Change, Detail, Edit, Op, Redline, Span};
use crate::model::{Frame, Leaf, SourceDoc};

struct Paint {
    color: bool,
}

impl Paint {
    fn del(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[31;9m{s}\x1b[0m")
        } else {
            format!("[-{s}-]")
        }
    }
    fn ins(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[32;4m{s}\x1b[0m")
        } else {
            format!("{{+{s}+}}")
        }
    }
    fn head(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[36m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn spans(&self, spans: &[Span]) -> String {
        spans
            .iter()
            .map(|s| match s.op {
                Op::Equal => clean(&s.text),
                Op::Delete => self.del(&clean(&s.text)),
                Op::Insert => self.ins(&clean(&s.text)),
            })
            .collect()
    }
}

/// A leaf as Markdown, indented under the containers it stands in.
fn block_line(leaf: &Leaf) -> String {
    let md = crate::render::text::block_md(&leaf.block);
    let mut first = String::new();
    let mut cont = String::new();
    for (k, f) in leaf.path.iter().enumerate() {
        let last = k + 1 == leaf.path.len();
        match f {
            Frame::Quote { .. } => {
                first.push_str("> ");
                cont.push_str("> ");
            }
            Frame::Footnote { label, .. } => {
                first.push_str(&format!("[^{label}]: "));
                cont.push_str("    ");
            }
            Frame::Item { number, .. } => {
                let marker = match number {
                    Some(n) if last => format!("{n}. "),
                    None if last => "- ".to_string(),
                    _ => "  ".to_string(),
                };
                cont.push_str(&" ".repeat(marker.chars().count()));
                first.push_str(&marker);
            }
        }
    }
    let mut out = String::new();
    for (i, line) in md.trim_end().split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&cont);
        } else {
            out.push_str(&first);
        }
        out.push_str(line);
    }
    clean(&out)
}

/// Text that is safe on a terminal: control characters (an ESC could
/// recolour or hide what follows) are shown as `\u{..}` escapes.
pub fn clean(s: &str) -> String {
    crate::error::printable(s)
}

/// The redline as terminal text; only changed blocks are shown, each under
/// its heading path.
pub fn redline_term(old: &SourceDoc, new: &SourceDoc, r: &Redline, color: bool) -> String {
    let p = Paint { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.bold(&clean(&format!("--- {}", old.label()))));
    let _ = writeln!(out, "{}", p.bold(&clean(&format!("+++ {}", new.label()))));
    for m in &r.meta {
        let _ = writeln!(
            out,
            "front matter {}: {} → {}",
            clean(&m.field),
            p.del(&clean(m.old.as_deref().unwrap_or("(none)"))),
            p.ins(&clean(m.new.as_deref().unwrap_or("(none)")))
        );
    }
    let mut last_section: Option<&Vec<String>> = None;
    for d in r.blocks.iter().filter(|d| d.is_change()) {
        if last_section != Some(&d.section) {
            let path = if d.section.is_empty() {
                "(top)".to_string()
            } else {
                d.section.join(" › ")
            };
            let _ = writeln!(out, "\n{}", p.head(&clean(&format!("@@ {path} @@"))));
            last_section = Some(&d.section);
        }
        let shown = d.shown_leaf();
        let section = |i: usize| clean(&r.blocks[i].section.join(" › "));
        match &d.edit {
            Edit::Added { .. } => {
                for line in block_line(shown).lines() {
                    let _ = writeln!(out, "+ {}", p.ins(line));
                }
            }
            Edit::Removed { .. } => {
                for line in block_line(shown).lines() {
                    let _ = writeln!(out, "- {}", p.del(line));
                }
            }
            Edit::MovedAway { to, .. } => {
                let _ = writeln!(
                    out,
                    "< moved to {}: {}",
                    section(*to),
                    p.del(&block_line(shown))
                );
            }
            Edit::MovedHere { words, from, .. } => {
                let body = if words.is_empty() {
                    block_line(shown)
                } else {
                    p.spans(words)
                };
                let _ = writeln!(out, "> moved from {}: {body}", section(*from));
            }
            Edit::Changed {
                detail: Detail::Table(t),
                ..
            } => {
                let header: Vec<String> = t.columns.iter().map(|c| p.spans(&c.header)).collect();
                let _ = writeln!(out, "~ | {} |", header.join(" | "));
                for row in &t.rows {
                    let mark = match row.change() {
                        Change::Unchanged => continue,
                        Change::Added => "+",
                        Change::Removed => "-",
                        Change::Changed => "~",
                        Change::MovedAway => "<",
                        Change::MovedHere => ">",
                    };
                    let cells: Vec<String> = row.cells.iter().map(|c| p.spans(c)).collect();
                    let _ = writeln!(out, "{mark} | {} |", cells.join(" | "));
                }
            }
            Edit::Changed {
                detail: Detail::Words(words),
                ..
            } => {
                let _ = writeln!(out, "~ {}", p.spans(words).replace('\n', "\n  "));
            }
            Edit::Unchanged { .. } => {}
        }
    }
    let s = r.stats();
    let _ = writeln!(
        out,
        "\n{} added, {} removed, {} changed, {} moved, {} unchanged",
        s.added, s.removed, s.changed, s.moved, s.unchanged
    );
    for note in &r.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// `regdoc diff --format term`.
pub struct Terminal;

impl super::Renderer for Terminal {
    fn name(&self) -> &'static str {
        "term"
    }
    fn render(&self, ctx: &super::RenderContext<'_>) -> crate::error::Result<Vec<u8>> {
        Ok(redline_term(ctx.old, ctx.new, ctx.redline, ctx.options.color).into_bytes())
    }
}
