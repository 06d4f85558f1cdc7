//! The document tree: blocks that hold inline runs, and containers (lists,
//! block quotes, footnote definitions) that hold blocks, to any depth.
//!
//! The diff works on the tree's *leaves* in reading order ([`flatten`]),
//! each carrying the path of containers above it ([`Frame`]). Alignment
//! then stays one sequence (patience, moves, word diffs), a change deep
//! inside a list marks that leaf and nothing else, and [`unflatten`] gives
//! the tree back exactly: frames carry the identity of their container, so
//! two adjacent items, lists or quotes never merge.

use serde::{Deserialize, Serialize};

/// Inline formatting of a run of text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Style {
    #[serde(skip_serializing_if = "is_false")]
    pub strong: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub emph: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub strike: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub code: bool,
    /// Link target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    // The rarer fields are boxed: a style is in every run and every span
    // of a diff, and at 1,000 pages unboxed they cost a third more memory.
    /// Link title (`[text](url "title")`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_title: Option<Box<str>>,
    /// The label of a reference-style link (`[text][label]`), kept so that
    /// Markdown out writes the link as the source did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_ref: Option<Box<str>>,
    /// An image: the run's text is its alt text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Box<Image>>,
    /// A footnote reference: the run's text is the footnote's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footnote: Option<Box<str>>,
    /// Raw inline HTML, kept verbatim.
    #[serde(skip_serializing_if = "is_false")]
    pub html: bool,
}

/// Where an image comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Style {
    /// A run that is one thing, not words: an image, a footnote reference
    /// or a piece of HTML. The diff never splits or merges such runs; if
    /// it did, half an image or half a tag could be accepted.
    pub fn is_atomic(&self) -> bool {
        self.image.is_some() || self.footnote.is_some() || self.html
    }

    /// No formatting at all.
    pub fn is_plain(&self) -> bool {
        *self == Style::default()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A run of text with one style. A hard line break is the text `"\n"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Inline {
    pub text: String,
    #[serde(flatten)]
    pub style: Style,
}

impl Inline {
    pub fn plain(text: impl Into<String>) -> Self {
        Inline {
            text: text.into(),
            style: Style::default(),
        }
    }

    /// A run that is one thing, not words (see [`Style::is_atomic`]); a
    /// link with no text is one too, or it would vanish.
    pub fn is_atomic(&self) -> bool {
        self.style.is_atomic() || (self.text.is_empty() && self.style.link.is_some())
    }
}

/// Column alignment of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// A GFM table: a header row and body rows of inline cells.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Table {
    pub align: Vec<Align>,
    pub header: Vec<Vec<Inline>>,
    pub rows: Vec<Vec<Vec<Inline>>>,
}

/// A list: bulleted (`start: None`) or numbered from `start`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct List {
    pub start: Option<u64>,
    /// No blank lines between items (CommonMark's "tight").
    pub tight: bool,
    pub items: Vec<ListItem>,
}

/// One list item: any blocks, including nested lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListItem {
    /// A task list item's box: `Some(true)` for `[x]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<bool>,
    pub blocks: Vec<Block>,
}

/// One unit of document structure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Heading {
        level: u8,
        content: Vec<Inline>,
    },
    Paragraph {
        content: Vec<Inline>,
    },
    List(List),
    Quote {
        blocks: Vec<Block>,
    },
    /// A footnote's text (`[^label]: …`), where the source defines it.
    Footnote {
        label: String,
        blocks: Vec<Block>,
    },
    Table(Table),
    Code {
        info: String,
        text: String,
    },
    /// Raw HTML, kept verbatim.
    Html {
        text: String,
    },
    Rule,
}

impl Block {
    /// Short name of the kind, used in summaries and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Block::Heading { .. } => "heading",
            Block::Paragraph { .. } => "paragraph",
            Block::List(_) => "list",
            Block::Quote { .. } => "quote",
            Block::Footnote { .. } => "footnote",
            Block::Table(_) => "table",
            Block::Code { .. } => "code",
            Block::Html { .. } => "html",
            Block::Rule => "rule",
        }
    }

    /// The inline content of text-like blocks.
    pub fn inlines(&self) -> Option<&[Inline]> {
        match self {
            Block::Heading { content, .. } | Block::Paragraph { content } => Some(content),
            _ => None,
        }
    }

    /// Same kind and shape: a candidate for a word-level comparison rather
    /// than a delete and an insert.
    pub fn same_shape(&self, other: &Block) -> bool {
        match (self, other) {
            (Block::Heading { level: a, .. }, Block::Heading { level: b, .. }) => a == b,
            (Block::Code { info: a, .. }, Block::Code { info: b, .. }) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    /// An HTML comment on its own: a source note, kept in the model (and
    /// in diffs) but never printed in a PDF.
    pub fn is_comment(&self) -> bool {
        match self {
            Block::Html { text } => {
                let t = text.trim();
                t.starts_with("<!--") && t.ends_with("-->") && t.matches("<!--").count() == 1
            }
            _ => false,
        }
    }

    /// A container's child blocks.
    pub fn children(&self) -> Vec<&Block> {
        match self {
            Block::Quote { blocks } | Block::Footnote { blocks, .. } => blocks.iter().collect(),
            Block::List(l) => l.items.iter().flat_map(|i| i.blocks.iter()).collect(),
            _ => Vec::new(),
        }
    }

    /// Plain text of the block, for similarity and searching.
    pub fn text(&self) -> String {
        match self {
            Block::Table(t) => {
                let mut s = String::new();
                for row in std::iter::once(&t.header).chain(t.rows.iter()) {
                    for cell in row {
                        s.push_str(&inlines_text(cell));
                        s.push(' ');
                    }
                    s.push('\n');
                }
                s
            }
            Block::Code { text, .. } | Block::Html { text } => text.clone(),
            Block::Rule => "---".into(),
            Block::List(_) | Block::Quote { .. } | Block::Footnote { .. } => {
                self.children().iter().map(|b| b.text() + "\n").collect()
            }
            b => inlines_text(b.inlines().unwrap_or(&[])),
        }
    }
}

/// Visits every inline run of a leaf block (table cells included).
pub fn leaf_inlines<'a>(block: &'a Block, f: &mut impl FnMut(&'a Inline)) {
    match block {
        Block::Table(t) => {
            for row in std::iter::once(&t.header).chain(&t.rows) {
                for cell in row {
                    cell.iter().for_each(&mut *f);
                }
            }
        }
        b => b.inlines().unwrap_or(&[]).iter().for_each(f),
    }
}

/// A heading's anchor, as GitHub makes it: lower case, punctuation
/// dropped, spaces as hyphens.
pub fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            s.extend(c.to_lowercase());
        } else if c == ' ' {
            s.push('-');
        }
    }
    s
}

/// Concatenated text of inline runs.
pub fn inlines_text(inlines: &[Inline]) -> String {
    inlines.iter().map(|i| i.text.as_str()).collect()
}

/// Concatenated text of blocks, one per line.
pub fn blocks_text(blocks: &[Block]) -> String {
    let mut s = String::new();
    for b in blocks {
        s.push_str(&b.text());
        s.push('\n');
    }
    s
}

/// A container above a leaf. `id` names the container instance within one
/// flattening, so that [`unflatten`] can tell two adjacent items (or two
/// adjacent lists, by `list`) apart; ids are never compared across
/// documents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Frame {
    Quote {
        id: u32,
    },
    Item {
        id: u32,
        /// The list the item belongs to.
        list: u32,
        /// The list's start (`None`: bulleted) and tightness.
        start: Option<u64>,
        tight: bool,
        /// The item's number in a numbered list.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task: Option<bool>,
    },
    Footnote {
        id: u32,
        label: String,
    },
}

impl Frame {
    pub fn id(&self) -> u32 {
        match self {
            Frame::Quote { id } | Frame::Item { id, .. } | Frame::Footnote { id, .. } => *id,
        }
    }

    /// The same kind of container, ids and numbers aside: what alignment
    /// compares. Renumbering a list is not a change of its items.
    pub fn same_kind(&self, other: &Frame) -> bool {
        match (self, other) {
            (Frame::Quote { .. }, Frame::Quote { .. }) => true,
            (
                Frame::Item {
                    start: a, task: ta, ..
                },
                Frame::Item {
                    start: b, task: tb, ..
                },
            ) => a.is_some() == b.is_some() && ta == tb,
            (Frame::Footnote { label: a, .. }, Frame::Footnote { label: b, .. }) => a == b,
            _ => false,
        }
    }

    /// Hashes what [`Frame::same_kind`] compares.
    pub fn hash_kind<H: std::hash::Hasher>(&self, h: &mut H) {
        use std::hash::Hash;
        match self {
            Frame::Quote { .. } => 0u8.hash(h),
            Frame::Item { start, task, .. } => (1u8, start.is_some(), task).hash(h),
            Frame::Footnote { label, .. } => (2u8, label).hash(h),
        }
    }
}

/// A leaf block with the containers above it, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Leaf {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<Frame>,
    pub block: Block,
}

/// Whether the container at `level` of `cur` opens with this leaf: the
/// leaf before (with path `prev`) is not in it. For an item, this is the
/// line that carries the list marker.
pub fn opens_at(prev: Option<&[Frame]>, cur: &[Frame], level: usize) -> bool {
    prev.is_none_or(|p| p.get(level).is_none_or(|g| g.id() != cur[level].id()))
}

impl Leaf {
    /// The placeholder leaf of an empty container.
    pub fn is_placeholder(&self) -> bool {
        matches!(&self.block, Block::Paragraph { content } if content.is_empty())
    }
}

/// The leaves of a tree in reading order. An empty container gets one
/// empty paragraph, so that it survives the round trip.
pub fn flatten(blocks: &[Block]) -> Vec<Leaf> {
    let mut out = Vec::new();
    let mut next_id = 0u32;
    let mut path = Vec::new();
    flatten_into(blocks, &mut path, &mut next_id, &mut out);
    out
}

fn flatten_into(blocks: &[Block], path: &mut Vec<Frame>, next: &mut u32, out: &mut Vec<Leaf>) {
    for b in blocks {
        let mut fresh = || {
            *next += 1;
            *next
        };
        match b {
            Block::Quote { blocks } => {
                let id = fresh();
                enter(Frame::Quote { id }, blocks, path, next, out);
            }
            Block::Footnote { label, blocks } => {
                let id = fresh();
                let frame = Frame::Footnote {
                    id,
                    label: label.clone(),
                };
                enter(frame, blocks, path, next, out);
            }
            Block::List(l) => {
                let list = fresh();
                for (k, item) in l.items.iter().enumerate() {
                    *next += 1;
                    let frame = Frame::Item {
                        id: *next,
                        list,
                        start: l.start,
                        tight: l.tight,
                        number: l.start.map(|s| s.saturating_add(k as u64)),
                        task: item.task,
                    };
                    enter(frame, &item.blocks, path, next, out);
                }
            }
            leaf => out.push(Leaf {
                path: path.clone(),
                block: leaf.clone(),
            }),
        }
    }
}

fn enter(
    frame: Frame,
    blocks: &[Block],
    path: &mut Vec<Frame>,
    next: &mut u32,
    out: &mut Vec<Leaf>,
) {
    path.push(frame);
    if blocks.is_empty() {
        out.push(Leaf {
            path: path.clone(),
            block: Block::Paragraph {
                content: Vec::new(),
            },
        });
    } else {
        flatten_into(blocks, path, next, out);
    }
    path.pop();
}

/// The tree the leaves came from: containers are rebuilt from the frames'
/// ids, placeholders of empty containers are dropped.
pub fn unflatten<'a>(leaves: impl IntoIterator<Item = &'a Leaf>) -> Vec<Block> {
    let leaves: Vec<(&[Frame], &Block)> = leaves
        .into_iter()
        .map(|l| (l.path.as_slice(), &l.block))
        .collect();
    build(&leaves, 0)
}

fn build(leaves: &[(&[Frame], &Block)], level: usize) -> Vec<Block> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < leaves.len() {
        let (path, block) = leaves[i];
        let Some(frame) = path.get(level) else {
            let empty = matches!(block, Block::Paragraph { content } if content.is_empty());
            if !empty {
                out.push(block.clone());
            }
            i += 1;
            continue;
        };
        // The run of leaves inside this container.
        let run_end = |from: usize, same: &dyn Fn(&Frame) -> bool| {
            let mut j = from;
            while j < leaves.len() && leaves[j].0.get(level).is_some_and(same) {
                j += 1;
            }
            j
        };
        match frame {
            Frame::Quote { id } => {
                let j = run_end(i, &|f| matches!(f, Frame::Quote { id: x } if x == id));
                out.push(Block::Quote {
                    blocks: build(&leaves[i..j], level + 1),
                });
                i = j;
            }
            Frame::Footnote { id, label } => {
                let j = run_end(
                    i,
                    &|f| matches!(f, Frame::Footnote { id: x, .. } if x == id),
                );
                out.push(Block::Footnote {
                    label: label.clone(),
                    blocks: build(&leaves[i..j], level + 1),
                });
                i = j;
            }
            Frame::Item {
                list, start, tight, ..
            } => {
                let mut items = Vec::new();
                while i < leaves.len() {
                    let Some(Frame::Item {
                        id, list: l, task, ..
                    }) = leaves[i].0.get(level)
                    else {
                        break;
                    };
                    if l != list {
                        break;
                    }
                    let j = run_end(i, &|f| matches!(f, Frame::Item { id: x, .. } if x == id));
                    items.push(ListItem {
                        task: *task,
                        blocks: build(&leaves[i..j], level + 1),
                    });
                    i = j;
                }
                out.push(Block::List(List {
                    start: *start,
                    tight: *tight,
                    items,
                }));
            }
        }
    }
    out
}

/// Visits every block of a tree, containers before their children.
pub fn walk<'a>(blocks: &'a [Block], f: &mut impl FnMut(&'a Block)) {
    for b in blocks {
        f(b);
        match b {
            Block::Quote { blocks } | Block::Footnote { blocks, .. } => walk(blocks, f),
            Block::List(l) => {
                for item in &l.items {
                    walk(&item.blocks, f);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Block {
        Block::Paragraph {
            content: vec![Inline::plain(s)],
        }
    }

    #[test]
    fn flatten_round_trips_nested_containers() {
        let tree = vec![
            Block::List(List {
                start: Some(3),
                tight: false,
                items: vec![
                    ListItem {
                        task: None,
                        blocks: vec![
                            p("a"),
                            p("a2"),
                            Block::List(List {
                                start: None,
                                tight: true,
                                items: vec![
                                    ListItem {
                                        task: Some(true),
                                        blocks: vec![p("b")],
                                    },
                                    ListItem {
                                        task: None,
                                        blocks: vec![],
                                    },
                                ],
                            }),
                        ],
                    },
                    ListItem {
                        task: None,
                        blocks: vec![Block::Quote {
                            blocks: vec![Block::Quote {
                                blocks: vec![p("q")],
                            }],
                        }],
                    },
                ],
            }),
            // Two adjacent lists stay two lists.
            Block::List(List {
                start: Some(1),
                tight: true,
                items: vec![ListItem {
                    task: None,
                    blocks: vec![p("c")],
                }],
            }),
            Block::Footnote {
                label: "n".into(),
                blocks: vec![p("note")],
            },
        ];
        let leaves = flatten(&tree);
        assert_eq!(leaves.len(), 7);
        assert_eq!(unflatten(&leaves), tree);
    }

    #[test]
    fn depth_is_not_capped() {
        let mut b = p("deep");
        for _ in 0..1000 {
            b = Block::Quote { blocks: vec![b] };
        }
        let tree = vec![b];
        let leaves = flatten(&tree);
        assert_eq!(leaves[0].path.len(), 1000);
        assert_eq!(unflatten(&leaves), tree);
    }
}
