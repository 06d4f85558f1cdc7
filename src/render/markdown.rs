//! Markdown out: the canonical Markdown of blocks, and the CriticMarkup of
//! a redline (`regdoc diff --format md`).
//!
//! Canonical means `source::markdown::parse` reads it back to the same
//! blocks, which is what makes the CriticMarkup lossless.

use crate::diff::{Change, Op, Redline, RowChange, Span, TableDiff};
use crate::model::{Align, Block, Inline, Style, Table};

/// Escapes text so Markdown (and CriticMarkup) read it literally.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '<'
                | '>'
                | '#'
                | '|'
                | '~'
                | '!'
                | '&'
                | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Escapes what would start a block construct at the start of a line.
fn escape_line_start(s: &mut String) {
    let t = s.trim_start();
    let lead = s.len() - t.len();
    let first = t.chars().next();
    let needs = match first {
        Some('-' | '+' | '=') => true,
        Some(c) if c.is_ascii_digit() => {
            let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
            matches!(t[digits..].chars().next(), Some('.' | ')'))
                && t[digits + 1..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ' ' || c == '\t')
        }
        _ => false,
    };
    if needs {
        let at = if let Some(c) = first
            && c.is_ascii_digit()
        {
            lead + t.chars().take_while(|c| c.is_ascii_digit()).count()
        } else {
            lead
        };
        s.insert(at, '\\');
    }
    // Leading spaces would be dropped or start a code block.
    if lead > 0 {
        let spaces = s[..lead].to_string();
        s.replace_range(..lead, &spaces.replace(' ', "&#32;").replace('\t', "&#9;"));
    }
}

/// One inline run with its style delimiters. White space at the edges of
/// a styled run goes outside the delimiters, where Markdown allows it.
fn inline_md(text: &str, style: &Style, out: &mut String) {
    if text == "\n" {
        out.push_str("\\\n");
        return;
    }
    if style.code {
        let ticks = longest_run(text, '`') + 1;
        let fence = "`".repeat(ticks);
        let pad = text.starts_with('`')
            || text.ends_with('`')
            || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
        let sp = if pad { " " } else { "" };
        let mut s = format!("{fence}{sp}{text}{sp}{fence}");
        if let Some(url) = &style.link {
            s = format!("[{s}](<{}>)", url.replace('>', "%3E"));
        }
        out.push_str(&s);
        return;
    }
    let trimmed = text.trim_matches(' ');
    let has_style = style.strong || style.emph || style.strike || style.link.is_some();
    if !has_style || trimmed.is_empty() {
        push_text(text, out);
        return;
    }
    let lead = &text[..text.len() - text.trim_start_matches(' ').len()];
    let trail = &text[text.trim_end_matches(' ').len()..];
    out.push_str(lead);
    let mut inner = String::new();
    push_text(trimmed, &mut inner);
    styled(&inner, style, out);
    out.push_str(trail);
}

fn push_text(text: &str, out: &mut String) {
    let mut first = true;
    for line in text.split('\n') {
        if !first {
            out.push_str("\\\n");
        }
        first = false;
        escape(line, out);
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for x in s.chars() {
        if x == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// Inline runs as Markdown.
pub fn inlines_md(inlines: &[Inline]) -> String {
    let mut s = String::new();
    for i in inlines {
        inline_md(&i.text, &i.style, &mut s);
    }
    s
}

/// Word spans as CriticMarkup: `{--old--}`, `{++new++}`, `{~~old~>new~~}`.
///
/// Spans of one style are grouped so the markup goes inside the style's
/// delimiters (`**{~~the~>DCC~~} rules**`): accepting or rejecting then
/// leaves one styled run, as in the source. A group with a single
/// operation keeps the delimiters inside the markup instead, so that
/// removing it leaves no empty `****`.
pub fn spans_critic(spans: &[Span]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < spans.len() {
        let style = &spans[i].style;
        let mut j = i;
        while j < spans.len() && &spans[j].style == style {
            j += 1;
        }
        let group = &spans[i..j];
        let single_op = group.iter().all(|g| g.op == group[0].op);
        let plain =
            !style.code && !style.strong && !style.emph && !style.strike && style.link.is_none();
        if single_op || plain {
            critic_ops(group, &mut s, |sp, out| inline_md(&sp.text, &sp.style, out));
        } else if style.code {
            // CriticMarkup is read before Markdown, so it works inside a
            // code span too.
            let mut inner = String::new();
            critic_ops(group, &mut inner, |sp, out| out.push_str(&sp.text));
            let fence = "`".repeat(longest_run(&inner, '`') + 1);
            let pad = if inner.starts_with('`') || inner.ends_with('`') {
                " "
            } else {
                ""
            };
            let code = format!("{fence}{pad}{inner}{pad}{fence}");
            match &style.link {
                Some(url) => s.push_str(&format!("[{code}](<{}>)", url.replace('>', "%3E"))),
                None => s.push_str(&code),
            }
        } else {
            let mut inner = String::new();
            critic_ops(group, &mut inner, |sp, out| push_text(&sp.text, out));
            let bare = Style {
                code: false,
                ..style.clone()
            };
            styled(&inner, &bare, &mut s);
        }
        i = j;
    }
    s
}

/// Wraps already-escaped Markdown in a style's delimiters.
fn styled(inner: &str, style: &Style, out: &mut String) {
    let (mut open, mut close) = (String::new(), String::new());
    if style.link.is_some() {
        open.push('[');
    }
    if style.strike {
        open.push_str("~~");
        close.insert_str(0, "~~");
    }
    if style.strong {
        open.push_str("**");
        close.insert_str(0, "**");
    }
    if style.emph {
        open.push('*');
        close.insert(0, '*');
    }
    out.push_str(&open);
    out.push_str(inner);
    out.push_str(&close);
    if let Some(url) = &style.link {
        out.push_str(&format!(
            "](<{}>)",
            url.replace('>', "%3E")
                .replace('<', "%3C")
                .replace('\n', "")
        ));
    }
}

/// CriticMarkup for a run of spans, each written by `write`.
fn critic_ops(spans: &[Span], s: &mut String, write: impl Fn(&Span, &mut String)) {
    let md = |r: &[Span]| {
        let mut t = String::new();
        for sp in r {
            write(sp, &mut t);
        }
        t
    };
    let mut i = 0;
    while i < spans.len() {
        if spans[i].op == Op::Equal {
            write(&spans[i], s);
            i += 1;
            continue;
        }
        let start = i;
        while i < spans.len() && spans[i].op == Op::Delete {
            i += 1;
        }
        let mid = i;
        while i < spans.len() && spans[i].op == Op::Insert {
            i += 1;
        }
        let (del, ins) = (md(&spans[start..mid]), md(&spans[mid..i]));
        // Struck-through text has `~~` of its own: mark it apart.
        if del.contains("~~") || ins.contains("~~") || del.is_empty() || ins.is_empty() {
            if !del.is_empty() {
                s.push_str(&format!("{{--{del}--}}"));
            }
            if !ins.is_empty() {
                s.push_str(&format!("{{++{ins}++}}"));
            }
        } else {
            s.push_str(&format!("{{~~{del}~>{ins}~~}}"));
        }
    }
}

/// The line prefix of a block (heading marks, list marker, quote marks).
fn prefix(block: &Block) -> String {
    match block {
        Block::Heading { level, .. } => format!("{} ", "#".repeat(*level as usize)),
        Block::ListItem { depth, number, .. } => {
            let indent = "    ".repeat(*depth as usize);
            match number {
                Some(n) => format!("{indent}{n}. "),
                None => format!("{indent}- "),
            }
        }
        Block::Quote { depth, .. } => "> ".repeat(*depth as usize),
        _ => String::new(),
    }
}

/// Text-block content rendered by `content`, with the block's prefix and
/// line-start escaping.
fn text_block(block: &Block, content: String) -> String {
    text_block_with(block, content, prefix(block))
}

fn text_block_with(block: &Block, content: String, p: String) -> String {
    // Every line start is escaped: after a hard break a `-` would start a list.
    let c = if matches!(block, Block::Heading { .. }) {
        content
    } else {
        content
            .split("\\\n")
            .map(|l| {
                let mut l = l.to_string();
                escape_line_start(&mut l);
                l
            })
            .collect::<Vec<_>>()
            .join("\\\n")
    };
    // Continuation lines of a list item or quote keep its indentation.
    let cont = match block {
        Block::ListItem { .. } => " ".repeat(p.chars().count()),
        Block::Quote { .. } => p.clone(),
        _ => String::new(),
    };
    format!("{p}{}", c.replace("\\\n", &format!("\\\n{cont}")))
}

fn align_md(a: Align) -> &'static str {
    match a {
        Align::None => "---",
        Align::Left => ":--",
        Align::Center => ":-:",
        Align::Right => "--:",
    }
}

fn table_md(t: &Table) -> String {
    let n = t.header.len();
    let mut s = String::new();
    let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    s.push_str(&row(t.header.iter().map(|c| inlines_md(c)).collect()));
    s.push_str(&row((0..n)
        .map(|i| align_md(t.align.get(i).copied().unwrap_or(Align::None)).to_string())
        .collect()));
    for r in &t.rows {
        s.push_str(&row((0..n)
            .map(|i| r.get(i).map_or(String::new(), |c| inlines_md(c)))
            .collect()));
    }
    s.pop();
    s
}

fn code_md(info: &str, text: &str) -> String {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    format!("{fence}{info}\n{text}\n{fence}")
}

/// One block as Markdown.
pub fn block_md(block: &Block) -> String {
    match block {
        Block::Table(t) => table_md(t),
        Block::Code { info, text } => code_md(info, text),
        Block::Html { text } => text.clone(),
        Block::Rule => "---".into(),
        b => text_block(b, inlines_md(b.inlines().unwrap_or(&[]))),
    }
}

/// Blocks joined as a Markdown document. Consecutive list items stay one
/// list; everything else is separated by a blank line.
pub fn blocks_md(blocks: &[Block]) -> String {
    // A nested item needs a parent item just before it; otherwise its
    // indentation would make it a code block.
    let mut prev_depth: Option<u8> = None;
    let blocks: Vec<Block> = blocks
        .iter()
        .map(|b| match b {
            Block::ListItem {
                depth,
                number,
                content,
            } => {
                let d = prev_depth.map_or(0, |p| (*depth).min(p + 1));
                prev_depth = Some(d);
                Block::ListItem {
                    depth: d,
                    number: *number,
                    content: content.clone(),
                }
            }
            other => {
                prev_depth = None;
                other.clone()
            }
        })
        .collect();
    let mut s = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            s.push_str(separator(Some(&blocks[i - 1]), b));
        }
        s.push_str(&block_md(b));
    }
    s.push('\n');
    s
}

/// What goes between two blocks: list items of one list stay tight; a
/// deeper item gets a blank line, since a nested ordered list that does
/// not start at 1 cannot interrupt its parent's paragraph.
fn separator(prev: Option<&Block>, next: &Block) -> &'static str {
    match (prev, next) {
        (
            Some(Block::ListItem {
                number: a,
                depth: da,
                ..
            }),
            Block::ListItem {
                number: c,
                depth: dc,
                ..
            },
        ) if a.is_some() == c.is_some() && dc <= da => "\n",
        _ => "\n\n",
    }
}

fn wrap(op: Op, md: &str) -> String {
    match op {
        Op::Insert => format!("{{++{md}++}}"),
        Op::Delete => format!("{{--{md}--}}"),
        Op::Equal => md.to_string(),
    }
}

fn table_critic(t: &TableDiff) -> Option<String> {
    // Column changes cannot be marked inside a GFM table and keep it one:
    // the caller then shows the whole table replaced.
    if t.columns.iter().any(|c| c.op != Op::Equal) {
        return None;
    }
    let mut s = String::new();
    let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    s.push_str(&row(t
        .columns
        .iter()
        .map(|c| spans_critic(&c.header))
        .collect()));
    s.push_str(&row(t
        .columns
        .iter()
        .map(|c| align_md(c.align).to_string())
        .collect()));
    for r in &t.rows {
        s.push_str(&row(r
            .cells
            .iter()
            .map(|c| match r.change {
                RowChange::Added | RowChange::MovedHere => wrap(Op::Insert, &spans_md(c)),
                RowChange::Removed | RowChange::MovedAway => wrap(Op::Delete, &spans_md(c)),
                _ => spans_critic(c),
            })
            .map(|c| if c.is_empty() { String::new() } else { c })
            .collect()));
    }
    s.pop();
    Some(s)
}

fn spans_md(spans: &[Span]) -> String {
    let mut s = String::new();
    for sp in spans {
        inline_md(&sp.text, &sp.style, &mut s);
    }
    s
}

/// The redline as CriticMarkup over the new version's Markdown: valid GFM
/// where no change is marked, tables kept as tables.
pub fn critic_markup(r: &Redline) -> String {
    let mut out = String::new();
    if !r.meta.is_empty() {
        out.push_str("{>>Front matter changed:");
        for m in &r.meta {
            out.push_str(&format!(
                " {}: {} → {};",
                m.field,
                m.old.as_deref().unwrap_or("(none)"),
                m.new.as_deref().unwrap_or("(none)")
            ));
        }
        out.push_str("<<}\n\n");
    }
    let mut prev: Option<&Block> = None;
    for (i, d) in r.blocks.iter().enumerate() {
        let shown = d.shown();
        let md = match d.change {
            Change::Unchanged => match (&d.old, &d.new) {
                (Some(o), Some(n)) if o != n => text_block_with(
                    n,
                    inlines_md(n.inlines().unwrap_or(&[])),
                    renumbered_prefix(o, n),
                ),
                _ => block_md(shown),
            },
            Change::Added => wrap(Op::Insert, &block_md(shown)),
            Change::Removed => wrap(Op::Delete, &block_md(shown)),
            Change::MovedAway => {
                let to = d
                    .partner
                    .map(|p| r.blocks[p].section.join(" › "))
                    .unwrap_or_default();
                format!(
                    "{}{{>>moved to: {}<<}}",
                    wrap(Op::Delete, &block_md(shown)),
                    comment_text(&to)
                )
            }
            Change::MovedHere => {
                // The old text stands (deleted) where it came from, so here
                // the block is wholly inserted, edits included.
                let from = d
                    .partner
                    .map(|p| r.blocks[p].section.join(" › "))
                    .unwrap_or_default();
                let edited = if d.words.is_empty() { "" } else { ", edited" };
                format!(
                    "{}{{>>moved from: {}{edited}<<}}",
                    wrap(Op::Insert, &block_md(shown)),
                    comment_text(&from)
                )
            }
            Change::Changed => {
                let old = d.old.as_ref().expect("old");
                let marked = if let Some(t) = &d.table {
                    table_critic(t)
                } else if !d.words.is_empty() && shown.inlines().is_some() {
                    Some(text_block_with(
                        shown,
                        spans_critic(&d.words),
                        renumbered_prefix(old, shown),
                    ))
                } else {
                    None
                };
                // Markdown cannot say everything inline (styles meeting at a
                // change, say): what would not read back exactly is shown whole.
                match marked {
                    Some(m) if reads_back(&m, old, shown) => m,
                    _ => replaced(d),
                }
            }
        };
        if i > 0 {
            out.push_str(separator(prev, shown));
        }
        out.push_str(&md);
        prev = Some(shown);
    }
    out.push('\n');
    out
}

/// Whether accepting and rejecting `marked` gives `new` and `old`.
fn reads_back(marked: &str, old: &Block, new: &Block) -> bool {
    let same = |text: String, want: &Block| {
        let got = crate::source::markdown::parse(&text);
        match (got.as_slice(), want) {
            ([Block::Table(a)], Block::Table(b)) => a == b,
            ([g], w) => g.inlines().is_some() && g.inlines() == w.inlines(),
            _ => false,
        }
    };
    // Nested items are checked without their indentation.
    let flat = marked.trim_start_matches(' ');
    same(apply_critic(flat, true), new) && same(apply_critic(flat, false), old)
}

/// A block shown as its old self deleted and its new self inserted.
fn replaced(d: &crate::diff::BlockDiff) -> String {
    let old = d.old.as_ref().expect("old");
    format!(
        "{}\n\n{}",
        wrap(Op::Delete, &block_md(old)),
        wrap(Op::Insert, &block_md(d.shown()))
    )
}

/// A list item's prefix, with a renumbering marked as a change.
fn renumbered_prefix(old: &Block, new: &Block) -> String {
    match (old, new) {
        (
            Block::ListItem {
                number: Some(a), ..
            },
            Block::ListItem {
                depth,
                number: Some(b),
                ..
            },
        ) if a != b => {
            format!("{}{{~~{a}~>{b}~~}}. ", "    ".repeat(*depth as usize))
        }
        _ => prefix(new),
    }
}

fn comment_text(s: &str) -> String {
    s.replace("<<}", "<< }")
}

/// Applies CriticMarkup: accepts (`accept = true`) or rejects every
/// change and drops comments. Table rows that only held a rejected
/// addition (or an accepted deletion) are dropped with their line.
pub fn apply_critic(text: &str, accept: bool) -> String {
    let mut out = String::new();
    for line in split_keep(text) {
        let had_markup = line.contains("{++") || line.contains("{--");
        let processed = apply_line(&line, accept);
        let is_row = line.trim_start().starts_with('|');
        if had_markup && is_row {
            let cells: Vec<&str> = processed.trim().trim_matches('|').split('|').collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
        }
        out.push_str(&processed);
    }
    out
}

/// Lines, except that a CriticMarkup span crossing lines stays in one.
fn split_keep(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let n = 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8);
            cur.push_str(&text[i..i + n]);
            i += n;
            continue;
        }
        let rest = &text[i..];
        if rest.starts_with("{++")
            || rest.starts_with("{--")
            || rest.starts_with("{~~")
            || rest.starts_with("{>>")
        {
            depth += 1;
        } else if rest.starts_with("++}")
            || rest.starts_with("--}")
            || rest.starts_with("~~}")
            || rest.starts_with("<<}")
        {
            depth -= 1;
        }
        let c = rest.chars().next().expect("char");
        cur.push(c);
        i += c.len_utf8();
        if c == '\n' && depth <= 0 {
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn apply_line(text: &str, accept: bool) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with('\\') && rest.len() > 1 {
            let n = 1 + rest[1..].chars().next().expect("char").len_utf8();
            out.push_str(&rest[..n]);
            i += n;
            continue;
        }
        let take = |open: &str, close: &str| -> Option<(String, usize)> {
            rest.strip_prefix(open)?;
            let body = &rest[open.len()..];
            let end = find_unescaped(body, close)?;
            Some((body[..end].to_string(), open.len() + end + close.len()))
        };
        if let Some((body, n)) = take("{++", "++}") {
            if accept {
                out.push_str(&body);
            }
            i += n;
        } else if let Some((body, n)) = take("{--", "--}") {
            if !accept {
                out.push_str(&body);
            }
            i += n;
        } else if let Some((body, n)) = take("{~~", "~~}") {
            let (old, new) = body.split_once("~>").unwrap_or((&body, ""));
            out.push_str(if accept { new } else { old });
            i += n;
        } else if let Some((_, n)) = take("{>>", "<<}") {
            i += n;
        } else {
            let c = rest.chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn find_unescaped(s: &str, pat: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i..].starts_with(pat.as_bytes()) {
            return Some(i);
        }
        i += 1;
    }
    None
}
