//! `regdoc diff --format term`: a word-level diff for the terminal.
//!
//! With colour, deletions are red and struck, insertions green and
//! underlined; without it, git's word-diff markers `[-old-]` and `{+new+}`
//! keep it readable (and greppable).

use std::fmt::Write;

use crate::diff::{Change, Op, Redline, RowChange, Span};
use crate::model::{Block, SourceDoc};

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
                Op::Equal => s.text.clone(),
                Op::Delete => self.del(&s.text),
                Op::Insert => self.ins(&s.text),
            })
            .collect()
    }
}

fn block_line(b: &Block) -> String {
    let md = crate::render::markdown::block_md(b);
    md.trim_end().to_string()
}

/// The redline as terminal text; only changed blocks are shown, each under
/// its heading path.
pub fn redline_term(old: &SourceDoc, new: &SourceDoc, r: &Redline, color: bool) -> String {
    let p = Paint { color };
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.bold(&format!("--- {}", old.label())));
    let _ = writeln!(out, "{}", p.bold(&format!("+++ {}", new.label())));
    for m in &r.meta {
        let _ = writeln!(
            out,
            "front matter {}: {} → {}",
            m.field,
            p.del(m.old.as_deref().unwrap_or("(none)")),
            p.ins(m.new.as_deref().unwrap_or("(none)"))
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
            let _ = writeln!(out, "\n{}", p.head(&format!("@@ {path} @@")));
            last_section = Some(&d.section);
        }
        let shown = d.shown();
        match d.change {
            Change::Added => {
                for line in block_line(shown).lines() {
                    let _ = writeln!(out, "+ {}", p.ins(line));
                }
            }
            Change::Removed => {
                for line in block_line(shown).lines() {
                    let _ = writeln!(out, "- {}", p.del(line));
                }
            }
            Change::MovedAway => {
                let to = d
                    .partner
                    .map(|i| r.blocks[i].section.join(" › "))
                    .unwrap_or_default();
                let _ = writeln!(out, "< moved to {to}: {}", p.del(&block_line(shown)));
            }
            Change::MovedHere => {
                let from = d
                    .partner
                    .map(|i| r.blocks[i].section.join(" › "))
                    .unwrap_or_default();
                let body = if d.words.is_empty() {
                    block_line(shown)
                } else {
                    p.spans(&d.words)
                };
                let _ = writeln!(out, "> moved from {from}: {body}");
            }
            Change::Changed => match &d.table {
                Some(t) => {
                    let header: Vec<String> =
                        t.columns.iter().map(|c| p.spans(&c.header)).collect();
                    let _ = writeln!(out, "~ | {} |", header.join(" | "));
                    for row in &t.rows {
                        let mark = match row.change {
                            RowChange::Unchanged => continue,
                            RowChange::Added => "+",
                            RowChange::Removed => "-",
                            RowChange::Changed => "~",
                            RowChange::MovedAway => "<",
                            RowChange::MovedHere => ">",
                        };
                        let cells: Vec<String> = row.cells.iter().map(|c| p.spans(c)).collect();
                        let _ = writeln!(out, "{mark} | {} |", cells.join(" | "));
                    }
                }
                None => {
                    let _ = writeln!(out, "~ {}", p.spans(&d.words).replace('\n', "\n  "));
                }
            },
            Change::Unchanged => {}
        }
    }
    let s = r.stats();
    let _ = writeln!(
        out,
        "\n{} added, {} removed, {} changed, {} moved, {} unchanged",
        s.added, s.removed, s.changed, s.moved, s.unchanged
    );
    out
}
