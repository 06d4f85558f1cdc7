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

pub mod algorithms;
mod blocks;
pub mod table;
pub mod tuning;
pub mod words;

use serde::{Deserialize, Serialize};

pub use blocks::{diff_blocks, diff_blocks_with, leaf_identity};
pub use table::{ColumnDiff, ColumnEdit, RowDiff, RowEdit, TableDiff};
pub use words::{Op, Span};

use crate::model::{Block, Frame, FrontMatter, Leaf, SourceDoc, VersionMeta, unflatten};

/// One side of a comparison: what rejecting (`Old`) or accepting (`New`)
/// every change gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Old,
    New,
}

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

impl Change {
    /// How a block or row with this change is drawn whole: inserted where
    /// it arrives (added, moved here), deleted where it leaves (removed,
    /// moved away), as it is otherwise. A changed block is drawn with its
    /// words, not whole.
    pub fn whole_op(self) -> Op {
        match self {
            Change::Added | Change::MovedHere => Op::Insert,
            Change::Removed | Change::MovedAway => Op::Delete,
            Change::Unchanged | Change::Changed => Op::Equal,
        }
    }
}

/// The comparison of one leaf block (or one pair of them), with the
/// containers above it on each side.
///
/// In JSON (the `blocks` of `regdoc diff --format json`) it keeps the flat
/// shape `docs/diff-json.md` documents, `{ change, old, new, words?,
/// table?, section, partner? }`; in Rust it is an [`Edit`], so that no
/// block can claim a change its fields contradict.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockDiff {
    pub edit: Edit,
    /// Headings above the block (the new document's, or the old one's for
    /// removed blocks).
    pub section: Vec<String>,
}

/// What happened to one block, each variant with exactly the leaves it has.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Unchanged {
        old: Leaf,
        new: Leaf,
    },
    Added {
        new: Leaf,
    },
    Removed {
        old: Leaf,
    },
    /// A pair of blocks of the same shape, compared word by word or, for
    /// tables, row by row.
    Changed {
        old: Leaf,
        new: Leaf,
        detail: Detail,
    },
    /// The old place of a block that moved to block `to`.
    MovedAway {
        old: Leaf,
        to: usize,
    },
    /// The new place of the block that moved from block `from`, maybe
    /// lightly edited: `old` is the leaf as it read there, `words` the
    /// edit (empty for an unedited move).
    MovedHere {
        old: Leaf,
        new: Leaf,
        words: Vec<Span>,
        from: usize,
    },
}

/// How a changed pair differs.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// Word spans; empty where the blocks have no words to compare (two
    /// code blocks differing only in their language, say), and then the
    /// block is shown replaced whole.
    Words(Vec<Span>),
    Table(TableDiff),
}

impl Edit {
    /// The kind of change, as JSON and the renderers name it.
    pub fn change(&self) -> Change {
        match self {
            Edit::Unchanged { .. } => Change::Unchanged,
            Edit::Added { .. } => Change::Added,
            Edit::Removed { .. } => Change::Removed,
            Edit::Changed { .. } => Change::Changed,
            Edit::MovedAway { .. } => Change::MovedAway,
            Edit::MovedHere { .. } => Change::MovedHere,
        }
    }
}

impl BlockDiff {
    pub fn new(edit: Edit) -> Self {
        BlockDiff {
            edit,
            section: Vec::new(),
        }
    }

    pub fn change(&self) -> Change {
        self.edit.change()
    }

    /// The old leaf, for every change but `Added`.
    pub fn old_leaf(&self) -> Option<&Leaf> {
        match &self.edit {
            Edit::Added { .. } => None,
            Edit::Unchanged { old, .. }
            | Edit::Removed { old }
            | Edit::Changed { old, .. }
            | Edit::MovedAway { old, .. }
            | Edit::MovedHere { old, .. } => Some(old),
        }
    }

    /// The new leaf, for every change but `Removed` and `MovedAway`.
    pub fn new_leaf(&self) -> Option<&Leaf> {
        match &self.edit {
            Edit::Removed { .. } | Edit::MovedAway { .. } => None,
            Edit::Unchanged { new, .. }
            | Edit::Added { new }
            | Edit::Changed { new, .. }
            | Edit::MovedHere { new, .. } => Some(new),
        }
    }

    /// Word-level spans of a changed or edited moved text block; empty
    /// otherwise.
    pub fn words(&self) -> &[Span] {
        match &self.edit {
            Edit::Changed {
                detail: Detail::Words(w),
                ..
            }
            | Edit::MovedHere { words: w, .. } => w,
            _ => &[],
        }
    }

    /// Row and column diff of a changed table.
    pub fn table(&self) -> Option<&TableDiff> {
        match &self.edit {
            Edit::Changed {
                detail: Detail::Table(t),
                ..
            } => Some(t),
            _ => None,
        }
    }

    /// For moves: the index (in [`Redline::blocks`]) of the other end.
    pub fn partner(&self) -> Option<usize> {
        match self.edit {
            Edit::MovedAway { to, .. } => Some(to),
            Edit::MovedHere { from, .. } => Some(from),
            _ => None,
        }
    }

    /// Whether the block is in the document of `side`: a move's old
    /// place is in the old one only, its new place in the new one only.
    pub fn is_on(&self, side: Side) -> bool {
        match side {
            Side::Old => !matches!(self.edit, Edit::Added { .. } | Edit::MovedHere { .. }),
            Side::New => !matches!(self.edit, Edit::Removed { .. } | Edit::MovedAway { .. }),
        }
    }

    /// The block as it reads with every change accepted (`new`) or
    /// rejected, rebuilt from the spans rather than copied, so that tests
    /// of it prove the spans are lossless.
    pub fn side(&self, side: Side) -> Option<Leaf> {
        if !self.is_on(side) {
            return None;
        }
        let base = match side {
            Side::New => self.new_leaf(),
            Side::Old => self.old_leaf(),
        }?;
        let path = base.path.clone();
        if let Some(t) = self.table() {
            return Some(Leaf {
                path,
                block: Block::Table(t.side(side)),
            });
        }
        if self.words().is_empty() {
            return Some(base.clone());
        }
        let content = words::side(self.words(), side);
        let block = match &base.block {
            Block::Heading { level, .. } => Block::Heading {
                level: *level,
                content,
            },
            Block::Paragraph { .. } => Block::Paragraph { content },
            other => other.clone(),
        };
        Some(Leaf { path, block })
    }

    /// The leaf to show: the new one where there is one.
    pub fn shown_leaf(&self) -> &Leaf {
        match &self.edit {
            Edit::Removed { old } | Edit::MovedAway { old, .. } => old,
            Edit::Unchanged { new, .. }
            | Edit::Added { new }
            | Edit::Changed { new, .. }
            | Edit::MovedHere { new, .. } => new,
        }
    }

    /// The block to show: the new one where there is one.
    pub fn shown(&self) -> &Block {
        &self.shown_leaf().block
    }

    /// The old block, if there is one.
    pub fn old_block(&self) -> Option<&Block> {
        self.old_leaf().map(|l| &l.block)
    }

    /// The new block, if there is one.
    pub fn new_block(&self) -> Option<&Block> {
        self.new_leaf().map(|l| &l.block)
    }

    pub fn is_change(&self) -> bool {
        !matches!(self.edit, Edit::Unchanged { .. })
    }

    /// Whether the block is printed in a PDF (source comments are not).
    pub fn is_published(&self) -> bool {
        !self.shown().is_comment()
    }
}

/// [`BlockDiff`] as JSON has it: flat, every field optional. Serialising
/// borrows (a 1,000-page redline is not copied to be written); reading
/// back checks the fields agree with the change.
#[derive(Serialize)]
struct BlockDiffOut<'a> {
    change: Change,
    old: Option<&'a Leaf>,
    new: Option<&'a Leaf>,
    #[serde(skip_serializing_if = "<[Span]>::is_empty")]
    words: &'a [Span],
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a TableDiff>,
    section: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    partner: Option<usize>,
}

#[derive(Deserialize)]
struct BlockDiffIn {
    change: Change,
    old: Option<Leaf>,
    new: Option<Leaf>,
    #[serde(default)]
    words: Vec<Span>,
    #[serde(default)]
    table: Option<TableDiff>,
    section: Vec<String>,
    #[serde(default)]
    partner: Option<usize>,
}

impl Serialize for BlockDiff {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        BlockDiffOut {
            change: self.change(),
            old: self.old_leaf(),
            new: self.new_leaf(),
            words: self.words(),
            table: self.table(),
            section: &self.section,
            partner: self.partner(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for BlockDiff {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = BlockDiffIn::deserialize(d)?;
        let change = w.change;
        let wrong = |what: &str| serde::de::Error::custom(format!("a {change:?} block {what}"));
        let extra = !w.words.is_empty() || w.table.is_some();
        let edit = match (w.change, w.old, w.new, w.partner) {
            (Change::Unchanged, Some(old), Some(new), None) if !extra => {
                Edit::Unchanged { old, new }
            }
            (Change::Added, None, Some(new), None) if !extra => Edit::Added { new },
            (Change::Removed, Some(old), None, None) if !extra => Edit::Removed { old },
            (Change::Changed, Some(old), Some(new), None) => {
                let detail = match (w.table, w.words) {
                    (Some(t), words) if words.is_empty() => Detail::Table(t),
                    (None, words) => Detail::Words(words),
                    _ => return Err(wrong("has both words and a table")),
                };
                Edit::Changed { old, new, detail }
            }
            (Change::MovedAway, Some(old), None, Some(to)) if !extra => Edit::MovedAway { old, to },
            (Change::MovedHere, Some(old), Some(new), Some(from)) if w.table.is_none() => {
                Edit::MovedHere {
                    old,
                    new,
                    words: w.words,
                    from,
                }
            }
            _ => return Err(wrong("has fields its change does not have")),
        };
        Ok(BlockDiff {
            edit,
            section: w.section,
        })
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
    /// Plain files' front matter, both sides verbatim: what the fields in
    /// `meta` were read from, kept so that every output can give it back.
    #[serde(default)]
    pub front_matter: FrontMatters,
    pub blocks: Vec<BlockDiff>,
    /// Where the comparison reached a cap of [`tuning`] and is coarser
    /// than it could be (still exact), in words for the reader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The front matter of a plain file on each side.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontMatters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<FrontMatter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<FrontMatter>,
}

impl Redline {
    pub fn stats(&self) -> Stats {
        self.stats_where(|_| true)
    }

    /// Counts of the blocks `keep` accepts.
    pub fn stats_where(&self, keep: impl Fn(&BlockDiff) -> bool) -> Stats {
        let mut s = Stats::default();
        for b in self.blocks.iter().filter(|b| keep(b)) {
            s.count(b.change());
        }
        s
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
                Some((_, s)) => s.count(b.change()),
                None => {
                    let mut s = Stats::default();
                    s.count(b.change());
                    out.push((name, s));
                }
            }
        }
        out
    }

    /// The new document, rebuilt from the redline.
    pub fn accept(&self) -> Vec<Block> {
        unflatten(&self.accept_leaves())
    }

    /// The old document, rebuilt from the redline.
    pub fn reject(&self) -> Vec<Block> {
        unflatten(&self.reject_leaves())
    }

    /// The new document's leaves, rebuilt from the redline.
    pub fn accept_leaves(&self) -> Vec<Leaf> {
        self.blocks
            .iter()
            .filter_map(|b| b.side(Side::New))
            .collect()
    }

    /// The old document's leaves, rebuilt from the redline.
    pub fn reject_leaves(&self) -> Vec<Leaf> {
        self.blocks
            .iter()
            .filter_map(|b| b.side(Side::Old))
            .collect()
    }

    /// The containers to show each block in, for renderers that draw one
    /// merged document: the new side's, and for a block that only the old
    /// side has, the old side's with its containers renamed to the new
    /// ones they were paired with, so that a removed list item is drawn
    /// inside the list it was removed from rather than in a list of its own.
    pub fn display_paths(&self) -> Vec<Vec<Frame>> {
        // Old container ids (and old list ids) → the new ones they were
        // paired with. Ids are unique within a side, so no level is needed.
        let mut containers: rustc_hash::FxHashMap<u32, u32> = Default::default();
        let mut lists: rustc_hash::FxHashMap<u32, u32> = Default::default();
        for d in &self.blocks {
            if let (Some(o), Some(n)) = (d.old_leaf(), d.new_leaf()) {
                for (a, b) in o.path.iter().zip(&n.path) {
                    if !a.same_kind(b) {
                        break;
                    }
                    containers.entry(a.id()).or_insert(b.id());
                    if let (Frame::Item { list: la, .. }, Frame::Item { list: lb, .. }) = (a, b) {
                        lists.entry(*la).or_insert(*lb);
                    }
                }
            }
        }
        let new_id = |map: &rustc_hash::FxHashMap<u32, u32>, x: u32| {
            map.get(&x).copied().unwrap_or(x | OLD_ID)
        };
        self.blocks
            .iter()
            .map(|d| match (d.new_leaf(), d.old_leaf()) {
                (Some(n), _) => n.path.clone(),
                (_, Some(o)) => o
                    .path
                    .iter()
                    .map(|f| match f.clone() {
                        Frame::Quote { id } => Frame::Quote {
                            id: new_id(&containers, id),
                        },
                        Frame::Footnote { id, label } => Frame::Footnote {
                            id: new_id(&containers, id),
                            label,
                        },
                        Frame::Item {
                            id,
                            list,
                            start,
                            tight,
                            number,
                            task,
                        } => Frame::Item {
                            id: new_id(&containers, id),
                            list: new_id(&lists, list),
                            start,
                            tight,
                            number,
                            task,
                        },
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty() && self.blocks.iter().all(|b| !b.is_change())
    }
}

/// Marks an old side's container id that has no new counterpart, so that
/// it cannot be mistaken for a new id in [`Redline::display_paths`].
const OLD_ID: u32 = 1 << 31;

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
    if old.front_matter.is_some() || new.front_matter.is_some() {
        // Keys regdoc's schema covers were compared above where both
        // sides follow it.
        let schema = old.meta.is_some() && new.meta.is_some();
        r.meta.extend(diff_front_matter(
            old.front_matter.as_ref(),
            new.front_matter.as_ref(),
            schema,
        ));
        r.front_matter = FrontMatters {
            old: old.front_matter.clone(),
            new: new.front_matter.clone(),
        };
    }
    r
}

/// Plain files' front matter, key by key where both sides parse (and the
/// keys regdoc's own schema already compared are left out); otherwise the
/// whole text, verbatim.
pub fn diff_front_matter(
    old: Option<&FrontMatter>,
    new: Option<&FrontMatter>,
    skip_schema: bool,
) -> Vec<MetaChange> {
    let fields = |f: Option<&FrontMatter>| f.map(FrontMatter::display_fields).unwrap_or_default();
    let (a, b) = (fields(old), fields(new));
    let verbatim = |f: Option<&FrontMatter>| f.is_some_and(|f| f.fields.is_none());
    if verbatim(old) != verbatim(new) || (verbatim(old) && verbatim(new)) {
        let text = |f: Option<&FrontMatter>| f.map(|f| f.raw.trim_end().to_string());
        let (o, n) = (text(old), text(new));
        return if o == n {
            Vec::new()
        } else {
            vec![MetaChange {
                field: "front matter".into(),
                old: o,
                new: n,
            }]
        };
    }
    let mut keys: Vec<&String> = b.iter().map(|(k, _)| k).collect();
    for (k, _) in &a {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let get =
        |fs: &[(String, String)], k: &str| fs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let mut out: Vec<MetaChange> = keys
        .into_iter()
        .filter(|k| !(skip_schema && SCHEMA_FIELDS.contains(&k.as_str())))
        .filter_map(|k| {
            let (o, n) = (get(&a, k), get(&b, k));
            (o != n).then(|| MetaChange {
                field: k.clone(),
                old: o,
                new: n,
            })
        })
        .collect();
    // A change of fence or closing line only (`...` for `---`, say).
    if out.is_empty() && old.map(|f| (&f.close, f.format)) != new.map(|f| (&f.close, f.format)) {
        out.push(MetaChange {
            field: "front matter fences".into(),
            old: old.map(|f| f.close.clone()),
            new: new.map(|f| f.close.clone()),
        });
    }
    out
}

/// The keys [`diff_meta`] compares for files that follow regdoc's schema.
const SCHEMA_FIELDS: [&str; 8] = [
    "version",
    "status",
    "effective",
    "approved",
    "supersedes",
    "consultation",
    "summary",
    "title",
];

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
