//! Blocks and inline runs: the structure the diff aligns.
//!
//! Lists are flattened into items with a depth, and block quotes into
//! quoted paragraphs, so that alignment works on one flat sequence.

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
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
    /// A list item; `number` is set for ordered lists. Nested lists give
    /// deeper items.
    ListItem {
        depth: u8,
        number: Option<u64>,
        content: Vec<Inline>,
    },
    /// A paragraph inside a block quote.
    Quote {
        depth: u8,
        content: Vec<Inline>,
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
            Block::ListItem { .. } => "list_item",
            Block::Quote { .. } => "quote",
            Block::Table(_) => "table",
            Block::Code { .. } => "code",
            Block::Html { .. } => "html",
            Block::Rule => "rule",
        }
    }

    /// The inline content of text-like blocks.
    pub fn inlines(&self) -> Option<&[Inline]> {
        match self {
            Block::Heading { content, .. }
            | Block::Paragraph { content }
            | Block::ListItem { content, .. }
            | Block::Quote { content, .. } => Some(content),
            _ => None,
        }
    }

    /// Same kind and shape (level, depth, list type): a candidate for a
    /// word-level comparison rather than a delete and an insert.
    pub fn same_shape(&self, other: &Block) -> bool {
        match (self, other) {
            (Block::Heading { level: a, .. }, Block::Heading { level: b, .. }) => a == b,
            (
                Block::ListItem {
                    depth: a,
                    number: na,
                    ..
                },
                Block::ListItem {
                    depth: b,
                    number: nb,
                    ..
                },
            ) => a == b && na.is_some() == nb.is_some(),
            (Block::Quote { depth: a, .. }, Block::Quote { depth: b, .. }) => a == b,
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
            b => inlines_text(b.inlines().unwrap_or(&[])),
        }
    }
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
