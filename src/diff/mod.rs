//! Structure-first comparison of two documents.
//!
//! Blocks are aligned first (unchanged blocks anchor everything), then
//! paired blocks get a word diff and tables a row/column diff. The result,
//! a [`Redline`], holds both sides completely, so every renderer can show
//! it and accepting or rejecting every change gives back either version.
//!
//! ```
//! use regdoc::{diff, source::markdown};
//! let old = markdown::parse("# Reports\n\nThe DCC reports daily.\n");
//! let new = markdown::parse("# Reports\n\nThe DCC reports weekly.\n");
//! let redline = diff::diff_blocks(&old, &new);
//! assert_eq!(redline.stats().changed, 1);
//! assert_eq!(redline.accept(), new);
//! assert_eq!(redline.reject(), old);
//! ```

mod blocks;
pub mod table;
pub mod words;

use serde::{Deserialize, Serialize};

pub use blocks::{diff_blocks, diff_blocks_with};
pub use table::{ColumnDiff, RowChange, RowDiff, TableDiff};
pub use words::{Op, Span};

use crate::model::{Block, SourceDoc, VersionMeta};

/// How one block changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Unchanged,
    Added,
    Removed,
    Changed,
    /// Removed here because it moved elsewhere (see `partner`).
    MovedAway,
    /// Arrived here from elsewhere (see `partner`), maybe lightly edited.
    MovedHere,
}

/// The comparison of one block (or one pair of blocks).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockDiff {
    pub change: Change,
    /// The old block, for every change but `Added` and `MovedHere`.
    pub old: Option<Block>,
    /// The new block, for every change but `Removed` and `MovedAway`.
    pub new: Option<Block>,
    /// Word-level spans of a changed or moved text block.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Span>,
    /// Row and column diff of a changed table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableDiff>,
    /// Headings above the block (the new document's, or the old one's for
    /// removed blocks).
    pub section: Vec<String>,
    /// For moves: the index (in [`Redline::blocks`]) of the other end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<usize>,
}

impl BlockDiff {
    /// The block as it reads with every change accepted (`new`) or
    /// rejected, rebuilt from the spans rather than copied, so that tests
    /// of it prove the spans are lossless.
    pub fn side(&self, new: bool) -> Option<Block> {
        let present = match self.change {
            Change::Unchanged | Change::Changed => true,
            Change::Added | Change::MovedHere => new,
            Change::Removed | Change::MovedAway => !new,
        };
        if !present {
            return None;
        }
        let base = if new {
            self.new.as_ref()
        } else {
            self.old.as_ref()
        }?;
        if let Some(t) = &self.table {
            return Some(Block::Table(t.side(new)));
        }
        if self.words.is_empty() {
            return Some(base.clone());
        }
        let content = words::side(&self.words, new);
        Some(match base.clone() {
            Block::Heading { level, .. } => Block::Heading { level, content },
            Block::Paragraph { .. } => Block::Paragraph { content },
            Block::ListItem { depth, number, .. } => Block::ListItem {
                depth,
                number,
                content,
            },
            Block::Quote { depth, .. } => Block::Quote { depth, content },
            other => other,
        })
    }

    /// The block to show: the new one where there is one.
    pub fn shown(&self) -> &Block {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .expect("a block diff has a side")
    }

    pub fn is_change(&self) -> bool {
        self.change != Change::Unchanged
    }

    /// Whether the block is printed in a PDF (source comments are not).
    pub fn is_published(&self) -> bool {
        !self.shown().is_comment()
    }
}

/// A changed front-matter field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Counts of changed blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub moved: usize,
    pub unchanged: usize,
}

impl Stats {
    pub fn total_changes(&self) -> usize {
        self.added + self.removed + self.changed + self.moved
    }

    fn count(&mut self, change: Change) {
        match change {
            Change::Unchanged => self.unchanged += 1,
            Change::Added => self.added += 1,
            Change::Removed => self.removed += 1,
            Change::Changed => self.changed += 1,
            Change::MovedHere => self.moved += 1,
            Change::MovedAway => {}
        }
    }
}

/// The comparison of two documents: metadata changes and block diffs in
/// reading order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Redline {
    pub meta: Vec<MetaChange>,
    pub blocks: Vec<BlockDiff>,
}

impl Redline {
    pub fn stats(&self) -> Stats {
        self.stats_where(|_| true)
    }

    /// Counts of the blocks `keep` accepts.
    pub fn stats_where(&self, keep: impl Fn(&BlockDiff) -> bool) -> Stats {
        let mut s = Stats::default();
        for b in self.blocks.iter().filter(|b| keep(b)) {
            s.count(b.change);
        }
        s
    }

    /// Counts per top-level section, in order of first appearance.
    pub fn stats_by_section(&self) -> Vec<(String, Stats)> {
        self.stats_by_section_where(|_| true)
    }

    /// Counts per top-level section of the blocks `keep` accepts.
    pub fn stats_by_section_where(
        &self,
        keep: impl Fn(&BlockDiff) -> bool,
    ) -> Vec<(String, Stats)> {
        let mut out: Vec<(String, Stats)> = Vec::new();
        for b in self.blocks.iter().filter(|b| keep(b)) {
            let name = b
                .section
                .first()
                .cloned()
                .unwrap_or_else(|| "(before the first heading)".into());
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, s)) => s.count(b.change),
                None => {
                    let mut s = Stats::default();
                    s.count(b.change);
                    out.push((name, s));
                }
            }
        }
        out
    }

    /// The new document's blocks, rebuilt from the redline.
    pub fn accept(&self) -> Vec<Block> {
        self.blocks.iter().filter_map(|b| b.side(true)).collect()
    }

    /// The old document's blocks, rebuilt from the redline.
    pub fn reject(&self) -> Vec<Block> {
        self.blocks.iter().filter_map(|b| b.side(false)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty() && self.blocks.iter().all(|b| !b.is_change())
    }
}

/// How to compare.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Header of the column whose cells identify table rows (any case);
    /// default: the first column.
    pub table_key: Option<String>,
}

impl DiffOptions {
    /// The options a document asks for (its `table_key`).
    pub fn for_docs(old: &SourceDoc, new: &SourceDoc) -> Self {
        let key = new
            .info
            .as_ref()
            .or(old.info.as_ref())
            .and_then(|i| i.table_key.clone());
        DiffOptions { table_key: key }
    }
}

/// Compares two source documents: front matter, then body, with the
/// options the documents ask for.
pub fn diff_docs(old: &SourceDoc, new: &SourceDoc) -> Redline {
    diff_docs_with(old, new, &DiffOptions::for_docs(old, new))
}

/// Compares two source documents with explicit options.
pub fn diff_docs_with(old: &SourceDoc, new: &SourceDoc, opts: &DiffOptions) -> Redline {
    let mut r = diff_blocks_with(&old.blocks, &new.blocks, opts);
    r.meta = diff_meta(old.meta.as_ref(), new.meta.as_ref());
    r
}

/// Front-matter fields that differ, as display strings.
pub fn diff_meta(old: Option<&VersionMeta>, new: Option<&VersionMeta>) -> Vec<MetaChange> {
    let fields = |m: Option<&VersionMeta>| -> Vec<(&'static str, Option<String>)> {
        vec![
            ("version", m.map(|m| m.version.to_string())),
            ("status", m.map(|m| m.status.to_string())),
            ("effective", m.map(|m| m.effective.to_string())),
            (
                "approved",
                m.and_then(|m| m.approved.as_ref())
                    .map(|a| format!("{} on {}", a.by, a.on)),
            ),
            (
                "supersedes",
                m.and_then(|m| m.supersedes.as_ref()).map(|v| v.to_string()),
            ),
            (
                "consultation",
                m.and_then(|m| m.consultation.as_ref())
                    .map(|c| format!("published {}, closes {}", c.published, c.closes)),
            ),
            ("summary", m.map(|m| m.summary.clone())),
            ("title", m.and_then(|m| m.title.clone())),
        ]
    };
    fields(old)
        .into_iter()
        .zip(fields(new))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, old), (_, new))| MetaChange {
            field: field.to_string(),
            old,
            new,
        })
        .collect()
}
