//! Markdown (CommonMark + GFM tables) into the flat block model.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::model::{Align, Block, Inline, Style, Table};

/// Parses Markdown into blocks. Never fails: anything it cannot place is
/// kept as text or raw HTML rather than dropped.
pub fn parse(text: &str) -> Vec<Block> {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut b = Builder::default();
    for event in Parser::new_ext(text, opts) {
        b.event(event);
    }
    b.flush_item();
    b.blocks
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    /// Inline runs of the block being read.
    inlines: Vec<Inline>,
    style: Vec<StyleOp>,
    /// Open lists: the next item number (None for bullets).
    lists: Vec<Option<u64>>,
    /// Open list items: (depth, number, has emitted).
    items: Vec<(u8, Option<u64>, bool)>,
    quote_depth: u8,
    heading: Option<u8>,
    code: Option<(String, String)>,
    html: Option<String>,
    table: Option<Table>,
    row: Vec<Vec<Inline>>,
    in_head: bool,
}

/// `text` with runs of spaces and tabs made one space; a leading space is
/// dropped when the text before already ends in one.
fn collapse_spaces(text: &str, after_space: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = after_space;
    for c in text.chars() {
        if c == ' ' || c == '\t' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = c == '\n';
        }
    }
    out
}

#[derive(Clone)]
enum StyleOp {
    Strong,
    Emph,
    Strike,
    Link(String),
}

impl Builder {
    fn current_style(&self) -> Style {
        let mut s = Style::default();
        for op in &self.style {
            match op {
                StyleOp::Strong => s.strong = true,
                StyleOp::Emph => s.emph = true,
                StyleOp::Strike => s.strike = true,
                StyleOp::Link(u) => s.link = Some(u.clone()),
            }
        }
        s
    }

    fn push_text(&mut self, text: &str, code: bool) {
        let mut style = self.current_style();
        style.code = code;
        // Runs of spaces are one space when read: a reflowed or re-spaced
        // line is not a change. Code keeps its spaces.
        let collapsed;
        let text = if code {
            text
        } else {
            collapsed = collapse_spaces(
                text,
                self.inlines
                    .last()
                    .is_some_and(|l| !l.style.code && l.text.ends_with(' ')),
            );
            if collapsed.is_empty() {
                return;
            }
            collapsed.as_str()
        };
        if let Some(last) = self.inlines.last_mut()
            && last.style == style
        {
            last.text.push_str(text);
            return;
        }
        self.inlines.push(Inline {
            text: text.to_string(),
            style,
        });
    }

    fn take_inlines(&mut self) -> Vec<Inline> {
        let mut v = std::mem::take(&mut self.inlines);
        // Trim the edges: Markdown does not carry leading/trailing blanks.
        if let Some(first) = v.first_mut() {
            let t = first.text.trim_start().to_string();
            first.text = t;
        }
        if let Some(last) = v.last_mut() {
            let t = last.text.trim_end().to_string();
            last.text = t;
        }
        v.retain(|i| !i.text.is_empty());
        v
    }

    /// Emits the innermost open list item's text, once, before any nested
    /// block so that document order is kept.
    fn flush_item(&mut self) {
        if self.items.is_empty() || self.inlines.is_empty() {
            return;
        }
        let content = self.take_inlines();
        if content.is_empty() {
            return;
        }
        let (depth, number, emitted) = self.items.last().cloned().expect("item");
        self.blocks.push(Block::ListItem {
            depth,
            number: if emitted { None } else { number },
            content,
        });
        if let Some(item) = self.items.last_mut() {
            item.2 = true;
        }
    }

    fn end_paragraph(&mut self) {
        if !self.items.is_empty() {
            // Paragraphs of one item are joined by a line break.
            self.push_text("\n", false);
            return;
        }
        let content = self.take_inlines();
        if content.is_empty() {
            return;
        }
        if self.quote_depth > 0 {
            self.blocks.push(Block::Quote {
                depth: self.quote_depth,
                content,
            });
        } else {
            self.blocks.push(Block::Paragraph { content });
        }
    }

    fn event(&mut self, event: Event) {
        if let Some((_, text)) = &mut self.code {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (info, mut text) = self.code.take().expect("code");
                    if text.ends_with('\n') {
                        text.pop();
                    }
                    self.blocks.push(Block::Code { info, text });
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some(h) = &mut self.html {
                    h.push_str(&t);
                } else {
                    self.push_text(&t, false)
                }
            }
            Event::Code(t) => self.push_text(&t, true),
            Event::Html(t) => match &mut self.html {
                Some(h) => h.push_str(&t),
                None => self.push_text(&t, false),
            },
            Event::InlineHtml(t) => self.push_text(&t, false),
            Event::SoftBreak => self.push_text(" ", false),
            Event::HardBreak => self.push_text("\n", false),
            Event::Rule => {
                self.flush_item();
                self.blocks.push(Block::Rule);
            }
            Event::TaskListMarker(done) => {
                self.push_text(if done { "[x] " } else { "[ ] " }, false)
            }
            Event::FootnoteReference(r) => self.push_text(&format!("[^{r}]"), false),
            Event::InlineMath(t) | Event::DisplayMath(t) => self.push_text(&t, true),
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph
                if !self.items.is_empty() && !self.inlines.is_empty()
                    // A second paragraph of a list item.
                    && self.inlines.last().is_some_and(|i| !i.text.ends_with('\n')) =>
            {
                self.push_text("\n", false);
            }
            Tag::Heading { level, .. } => {
                self.flush_item();
                self.heading = Some(level as u8);
            }
            Tag::BlockQuote(_) => {
                self.flush_item();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(kind) => {
                self.flush_item();
                let info = match kind {
                    CodeBlockKind::Fenced(i) => i.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((info, String::new()));
            }
            Tag::HtmlBlock => {
                self.flush_item();
                self.html = Some(String::new());
            }
            Tag::List(start) => {
                self.flush_item();
                self.lists.push(start);
            }
            Tag::Item => {
                let depth = self.lists.len().saturating_sub(1).min(255) as u8;
                let number = self.lists.last_mut().and_then(|n| {
                    let cur = *n;
                    if let Some(v) = n {
                        *v += 1;
                    }
                    cur
                });
                self.items.push((depth, number, false));
            }
            Tag::Table(aligns) => {
                self.flush_item();
                let align = aligns
                    .iter()
                    .map(|a| match a {
                        Alignment::None => Align::None,
                        Alignment::Left => Align::Left,
                        Alignment::Center => Align::Center,
                        Alignment::Right => Align::Right,
                    })
                    .collect();
                self.table = Some(Table {
                    align,
                    header: Vec::new(),
                    rows: Vec::new(),
                });
            }
            Tag::TableHead => self.in_head = true,
            Tag::TableRow => self.row.clear(),
            Tag::TableCell => self.inlines.clear(),
            Tag::Emphasis => self.style.push(StyleOp::Emph),
            Tag::Strong => self.style.push(StyleOp::Strong),
            Tag::Strikethrough => self.style.push(StyleOp::Strike),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.style.push(StyleOp::Link(dest_url.to_string()))
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.end_paragraph(),
            TagEnd::Heading(_) => {
                let level = self.heading.take().unwrap_or(1);
                let content = self.take_inlines();
                self.blocks.push(Block::Heading { level, content });
            }
            TagEnd::BlockQuote(_) => self.quote_depth = self.quote_depth.saturating_sub(1),
            TagEnd::HtmlBlock => {
                let text = self.html.take().unwrap_or_default();
                let trimmed = text.trim();
                // HTML comments are kept (a diff never drops text); the PDFs
                // leave them out as source notes (`Block::is_comment`).
                if !trimmed.is_empty() {
                    self.blocks.push(Block::Html {
                        text: trimmed.to_string(),
                    });
                }
            }
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::Item => {
                // Drop the line break a last paragraph left behind.
                while self.inlines.last().is_some_and(|i| i.text == "\n") {
                    self.inlines.pop();
                }
                if let Some(last) = self.inlines.last_mut() {
                    while last.text.ends_with('\n') {
                        last.text.pop();
                    }
                }
                self.flush_item();
                self.inlines.clear();
                self.items.pop();
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.header = std::mem::take(&mut self.row);
                }
                self.in_head = false;
            }
            TagEnd::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(std::mem::take(&mut self.row));
                }
            }
            TagEnd::TableCell => {
                let cell = self.take_inlines();
                self.row.push(cell);
            }
            TagEnd::Table => {
                if let Some(mut t) = self.table.take() {
                    // GFM: short rows get empty cells, extra cells are ignored.
                    let n = t.header.len();
                    for r in &mut t.rows {
                        r.resize(n, Vec::new());
                    }
                    self.blocks.push(Block::Table(t));
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image => {
                self.style.pop();
            }
            _ => {}
        }
    }
}
