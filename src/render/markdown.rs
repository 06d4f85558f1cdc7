//! The CriticMarkup of a redline (`regdoc diff --format md`), written with
//! the canonical Markdown of [`super::text`] (which
//! `source::markdown::parse` reads back to the same tree). The CriticMarkup is checked the same way before it is written:
//! accepting every change must read back as the new document and
//! rejecting every change as the old one. Where a container's markup would
//! not (a list item split in two, say), that container is shown replaced
//! whole; where the document as a whole would not, the whole document is.
//!
//! Text from the source can hold CriticMarkup's own delimiters (`{++` in a
//! code span, `<<}` in a URL). Each such occurrence is broken with an empty
//! comment `{>><<}`, which accepting and rejecting both drop, so
//! [`apply_critic`] gives back both sides exactly.

use crate::diff::{BlockDiff, Change, Op, Redline, Side, Span, TableDiff};
use crate::model::{Block, Frame, FrontMatter, Inline, Leaf, Style};

use super::text::{
    Layouter, Surround, align_md, escape_line_start, free_stand_in, goes_deeper, inline_md,
    inlines_md_within, lazy_indent, lazy_lines, leaf_md_lazy, leaf_prefixed, longest_run,
    push_text, texts_of,
};
pub use super::text::{block_md, blocks_md, definitions, inlines_md, leaves_md};

// ---------------------------------------------------------------------
// CriticMarkup writing.

/// The delimiters of CriticMarkup, which text must never form by itself.
const DELIMITERS: [&str; 11] = [
    "{++", "{--", "{~~", "{>>", "{==", "++}", "--}", "~~}", "<<}", "==}", "~>",
];
/// An empty comment: breaks a delimiter in text; accept and reject drop it.
const BREAK: &str = "{>><<}";

/// CriticMarkup being written: text from the source and real markup,
/// told apart so that delimiters the text forms (alone or with the markup
/// beside it) can be broken at the end.
#[derive(Default)]
struct Critic {
    buf: String,
    /// Per byte of `buf`: written as markup.
    real: Vec<bool>,
}

impl Critic {
    fn text(&mut self, s: &str) {
        self.buf.push_str(s);
        self.real.resize(self.buf.len(), false);
    }

    fn mark(&mut self, s: &str) {
        self.buf.push_str(s);
        self.real.resize(self.buf.len(), true);
    }

    fn append(&mut self, other: Critic) {
        self.buf.push_str(&other.buf);
        self.real.extend(other.real);
    }

    /// `old` where both sides agree, else the change between them.
    fn both(&mut self, old: &str, new: &str) {
        if old == new {
            self.text(new);
        } else {
            self.change(old, new);
        }
    }

    fn change(&mut self, old: &str, new: &str) {
        match (old.is_empty(), new.is_empty()) {
            (true, true) => {}
            (false, true) => {
                self.mark("{--");
                self.text(old);
                self.mark("--}");
            }
            (true, false) => {
                self.mark("{++");
                self.text(new);
                self.mark("++}");
            }
            (false, false) => {
                self.mark("{~~");
                self.text(old);
                self.mark("~>");
                self.text(new);
                self.mark("~~}");
            }
        }
    }

    fn comment(&mut self, s: &str) {
        self.mark("{>>");
        self.text(s);
        self.mark("<<}");
    }

    /// The text with every delimiter that is not all markup broken.
    fn finish(self) -> String {
        let b = self.buf.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            // Every delimiter starts with one of these bytes.
            let hit = if matches!(b[i], b'{' | b'+' | b'-' | b'~' | b'<' | b'=') {
                DELIMITERS.iter().find(|d| {
                    b[i..].starts_with(d.as_bytes())
                        && !self.real[i..i + d.len()].iter().all(|r| *r)
                })
            } else {
                None
            };
            match hit {
                Some(d) => {
                    let j = (i..i + d.len()).find(|&k| !self.real[k]).unwrap_or(i);
                    let at = if j == i { i + 1 } else { j };
                    out.extend_from_slice(&b[i..at]);
                    out.extend_from_slice(BREAK.as_bytes());
                    i = at;
                }
                None => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).expect("breaks are inserted between ASCII bytes")
    }
}

/// Word spans as CriticMarkup: `{--old--}`, `{++new++}`, `{~~old~>new~~}`.
///
/// Spans of one style are grouped so the markup goes inside the style's
/// delimiters (`**{~~the~>DCC~~} rules**`): accepting or rejecting then
/// leaves one styled run, as in the source. A group with a single
/// operation keeps the delimiters inside the markup instead, so that
/// removing it leaves no empty `****`.
///
/// The whole line is written by one call of the canonical writer, each
/// change standing in it as a placeholder character (see
/// [`CriticLine`]). Written group by group, two groups that meet were
/// each closed and opened with `*` without seeing each other:
/// `**Note:**` then `*see {~~below~>above~~}*` merged into `***`, which a
/// Markdown reader cannot split back, and the whole paragraph was shown
/// replaced. One call lets the writer choose `_` where marks meet.
fn spans_critic(spans: &[Span], c: &mut Critic) {
    let Some(placeholder) = free_placeholder(spans) else {
        // Text that holds every private-use character is hostile, not
        // prose: its spans are shown replaced whole.
        let side = |not: Op| -> Vec<Inline> {
            spans
                .iter()
                .filter(|s| s.op != not)
                .map(|s| Inline {
                    text: s.text.clone(),
                    style: s.style.clone(),
                })
                .collect()
        };
        c.both(
            &inlines_md(&side(Op::Insert)),
            &inlines_md(&side(Op::Delete)),
        );
        return;
    };
    let mut line = CriticLine {
        placeholder,
        runs: Vec::new(),
        changes: Vec::new(),
    };
    line.spans(spans);
    let md = inlines_md(&line.runs);
    let mut changes = line.changes.into_iter();
    for (k, piece) in md.split(placeholder).enumerate() {
        if k > 0 {
            c.append(changes.next().expect("a change for every placeholder"));
        }
        c.text(piece);
    }
    debug_assert!(changes.next().is_none(), "a placeholder for every change");
}

/// A private-use character that no text, address, title or label of
/// `spans` holds: it stands for a change while the line is written.
fn free_placeholder(spans: &[Span]) -> Option<char> {
    free_stand_in(spans.iter().flat_map(|s| texts_of(&s.text, &s.style)))
}

/// A line of CriticMarkup being gathered: the unchanged spans as runs of
/// their own, each change as one run of `placeholder` in the style around
/// it, with its CriticMarkup in `changes`, in order.
struct CriticLine {
    placeholder: char,
    runs: Vec<Inline>,
    changes: Vec<Critic>,
}

impl CriticLine {
    fn change(&mut self, style: Style, critic: Critic) {
        self.runs.push(Inline {
            text: self.placeholder.to_string(),
            style,
        });
        self.changes.push(critic);
    }

    /// A group's spans: an unchanged one as itself, each change
    /// (deletions, then insertions) as one placeholder of `style_of` its
    /// first span, its sides written by `write`.
    fn ops(
        &mut self,
        group: &[Span],
        style_of: impl Fn(&Span) -> Style,
        write: impl Fn(&[Span], &mut String),
    ) {
        let md = |r: &[Span]| {
            let mut t = String::new();
            write(r, &mut t);
            t
        };
        let mut i = 0;
        while i < group.len() {
            if group[i].op == Op::Equal {
                self.runs.push(Inline {
                    text: group[i].text.clone(),
                    style: group[i].style.clone(),
                });
                i += 1;
                continue;
            }
            let start = i;
            while i < group.len() && group[i].op == Op::Delete {
                i += 1;
            }
            let mid = i;
            while i < group.len() && group[i].op == Op::Insert {
                i += 1;
            }
            let mut critic = Critic::default();
            critic.change(&md(&group[start..mid]), &md(&group[mid..i]));
            self.change(style_of(&group[start]), critic);
        }
    }

    fn spans(&mut self, spans: &[Span]) {
        let mut i = 0;
        while i < spans.len() {
            // One link around runs of several styles: the markup goes
            // inside it, so that the link stays one link on both sides.
            // Both sides must keep some of its text, or one would be left
            // an empty link.
            if spans[i].style.link.is_some() {
                let key = |s: &Span| {
                    (
                        s.style.link.clone(),
                        s.style.link_title.clone(),
                        s.style.link_ref.clone(),
                    )
                };
                let mut j = i;
                while j < spans.len() && key(&spans[j]) == key(&spans[i]) {
                    j += 1;
                }
                let group = &spans[i..j];
                let has = |op: Op| group.iter().any(|s| s.op == op);
                let mixed = group.iter().any(|s| s.style != group[0].style);
                if mixed && (has(Op::Equal) || (has(Op::Delete) && has(Op::Insert))) {
                    let inner: Vec<Span> = group
                        .iter()
                        .map(|s| Span {
                            style: Style {
                                link: None,
                                link_title: None,
                                link_ref: None,
                                ..s.style.clone()
                            },
                            ..s.clone()
                        })
                        .collect();
                    let first = self.runs.len();
                    self.spans(&inner);
                    // Every run of the group, changes too, back inside the
                    // link.
                    let link = &group[0].style;
                    for run in &mut self.runs[first..] {
                        run.style.link = link.link.clone();
                        run.style.link_title = link.link_title.clone();
                        run.style.link_ref = link.link_ref.clone();
                    }
                    i = j;
                    continue;
                }
            }
            let style = &spans[i].style;
            let mut j = i;
            while j < spans.len() && &spans[j].style == style {
                j += 1;
            }
            let single_op = spans[i..j].iter().all(|g| g.op == spans[i].op);
            if single_op && spans[i].op != Op::Equal {
                // A deletion or insertion that runs on over other styles
                // is one change, written as the canonical Markdown of its
                // runs.
                while j < spans.len() && spans[j].op == spans[i].op {
                    j += 1;
                }
            }
            let group = &spans[i..j];
            let plain = !style.code
                && !style.strong
                && !style.emph
                && !style.strike
                && style.link.is_none()
                && !style.is_atomic();
            if single_op || plain || style.is_atomic() {
                // Each change stands outside any style and holds its own.
                self.ops(group, |_| Style::default(), spans_as_md);
            } else if style.code {
                // CriticMarkup is read before Markdown, so it works inside
                // a code span too: one fence around the whole group.
                let mut inner = Critic::default();
                critic_ops(group, &mut inner, |r, out| {
                    r.iter().for_each(|sp| out.push_str(&sp.text))
                });
                let fence = "`".repeat(longest_run(&inner.buf, '`') + 1);
                let pad = if inner.buf.starts_with('`') || inner.buf.ends_with('`') {
                    " "
                } else {
                    ""
                };
                let mut fenced = Critic::default();
                fenced.text(&format!("{fence}{pad}"));
                fenced.append(inner);
                fenced.text(&format!("{pad}{fence}"));
                self.change(
                    Style {
                        code: false,
                        ..style.clone()
                    },
                    fenced,
                );
            } else {
                // Changes inside the style's delimiters, as its plain text.
                self.ops(
                    group,
                    |s| s.style.clone(),
                    |r, out| r.iter().for_each(|sp| push_text(&sp.text, out)),
                );
            }
            i = j;
        }
    }
}

/// CriticMarkup for a run of spans; `write` writes a run of spans of one
/// operation.
fn critic_ops(spans: &[Span], c: &mut Critic, write: impl Fn(&[Span], &mut String)) {
    let md = |r: &[Span]| {
        let mut t = String::new();
        write(r, &mut t);
        t
    };
    let mut i = 0;
    while i < spans.len() {
        if spans[i].op == Op::Equal {
            c.text(&md(&spans[i..=i]));
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
        c.change(&del, &ins);
    }
}

/// Spans as Markdown through the canonical writer, so that the styles of
/// neighbouring spans nest as they do in the source.
fn spans_as_md(r: &[Span], out: &mut String) {
    let runs: Vec<Inline> = r
        .iter()
        .map(|s| Inline {
            text: s.text.clone(),
            style: s.style.clone(),
        })
        .collect();
    // Inside CriticMarkup: whatever stands beside a change once it is
    // accepted or rejected is not known here.
    out.push_str(&inlines_md_within(&runs, Surround::UNKNOWN));
}

fn table_critic(t: &TableDiff, c: &mut Critic) -> bool {
    // Column changes cannot be marked inside a GFM table and keep it one:
    // the caller then shows the whole table replaced.
    if t.columns.iter().any(|c| c.op() != Op::Equal) {
        return false;
    }
    let row = |c: &mut Critic, cells: Vec<Critic>| {
        c.text("| ");
        let n = cells.len();
        for (k, cell) in cells.into_iter().enumerate() {
            c.append(cell);
            if k + 1 < n {
                c.text(" | ");
            }
        }
        c.text(" |\n");
    };
    let header = t
        .columns
        .iter()
        .map(|col| {
            let mut x = Critic::default();
            spans_critic(&col.header, &mut x);
            x
        })
        .collect();
    row(c, header);
    let aligns = t
        .columns
        .iter()
        .map(|col| {
            let mut x = Critic::default();
            x.text(align_md(col.align));
            x
        })
        .collect();
    row(c, aligns);
    for r in &t.rows {
        let cells = r
            .cells
            .iter()
            .map(|cell| {
                let mut x = Critic::default();
                let md = spans_md(cell);
                match r.change().whole_op() {
                    Op::Insert => x.change("", &md),
                    Op::Delete => x.change(&md, ""),
                    Op::Equal => spans_critic(cell, &mut x),
                }
                x
            })
            .collect();
        row(c, cells);
    }
    c.buf.pop();
    c.real.pop();
    true
}

fn spans_md(spans: &[Span]) -> String {
    let mut s = String::new();
    for sp in spans {
        inline_md(&sp.text, &sp.style, &mut s);
    }
    s
}

/// The marked-up content of a changed leaf (without prefixes), or `None`
/// where it cannot be marked inline.
fn changed_content(d: &BlockDiff) -> Option<Critic> {
    let mut c = Critic::default();
    if let Some(t) = d.table() {
        return table_critic(t, &mut c).then_some(c);
    }
    match d.shown() {
        Block::Heading { level, .. } if !d.words().is_empty() => {
            c.text(&format!("{} ", "#".repeat(*level as usize)));
            spans_critic(d.words(), &mut c);
            Some(c)
        }
        Block::Paragraph { .. } if !d.words().is_empty() => {
            spans_critic(d.words(), &mut c);
            // Line starts after hard breaks are escaped as in block_md.
            if c.buf.split("\\\n").any(|l| {
                let mut e = l.to_string();
                escape_line_start(&mut e);
                e != l
            }) {
                return None;
            }
            Some(c)
        }
        _ => None,
    }
}

/// Adds `content` (one leaf's Markdown, maybe marked) after its prefixes.
/// `first` and `cont` are the old and new prefixes of the first line and
/// of the others. A line break inside a change stays inside it.
///
/// Lines are written lazily, without prefixes and deeper, where the
/// writer of a whole leaf writes them so (`render::text::leaf_prefixed`):
/// in a paragraph, a line that could underline a setext heading or start
/// a block (`goes_deeper`), and a line begun by `lazy`, which stands for a
/// line break inside inline HTML.
fn put_prefixed(
    c: &mut Critic,
    first: (&str, &str),
    cont: (&str, &str),
    content: Critic,
    paragraph: bool,
    lazy: Option<char>,
) {
    let b = content.buf.as_bytes();
    let mut lazy_bytes = [0; 4];
    let lazy_bytes: &[u8] = match lazy {
        Some(l) => l.encode_utf8(&mut lazy_bytes).as_bytes(),
        None => &[],
    };
    let mut depth = 0i32;
    let mut start = 0;
    let mut k = 0;
    // Whether the line being read began at a `lazy` break.
    let mut begun_lazily = false;
    let lazy = (lazy_indent(cont.0), lazy_indent(cont.1));
    let line = |c: &mut Critic, from: usize, to: usize, k: usize, begun_lazily: bool| {
        let text = &content.buf[from..to];
        let (o, n) = if begun_lazily || (k > 0 && paragraph && goes_deeper(text)) {
            (lazy.0.as_str(), lazy.1.as_str())
        } else if k == 0 {
            first
        } else {
            cont
        };
        let (o, n) = if from == to {
            (o.trim_end(), n.trim_end())
        } else {
            (o, n)
        };
        c.both(o, n);
        c.buf.push_str(text);
        c.real.extend_from_slice(&content.real[from..to]);
    };
    let mut i = 0;
    while i < b.len() {
        if content.real[i] {
            let rest = &b[i..];
            if rest.starts_with(b"{++")
                || rest.starts_with(b"{--")
                || rest.starts_with(b"{~~")
                || rest.starts_with(b"{>>")
            {
                depth += 1;
            } else if rest.starts_with(b"++}")
                || rest.starts_with(b"--}")
                || rest.starts_with(b"~~}")
                || rest.starts_with(b"<<}")
            {
                depth -= 1;
            }
        }
        if depth == 0 && b[i] == b'\n' {
            line(c, start, i, k, begun_lazily);
            c.text("\n");
            start = i + 1;
            k += 1;
            begun_lazily = false;
        } else if depth == 0 && !lazy_bytes.is_empty() && b[i..].starts_with(lazy_bytes) {
            line(c, start, i, k, begun_lazily);
            c.text("\n");
            i += lazy_bytes.len();
            start = i;
            k += 1;
            begun_lazily = true;
            continue;
        }
        i += 1;
    }
    line(c, start, b.len(), k, begun_lazily);
}

fn plain(s: &str) -> Critic {
    let mut c = Critic::default();
    c.text(s);
    c
}

/// Where a move came from or went to.
fn move_note(r: &Redline, d: &BlockDiff, to: bool) -> String {
    let place = d
        .partner()
        .map(|p| r.blocks[p].section.join(" › "))
        .unwrap_or_default();
    if to {
        format!("moved to: {place}")
    } else {
        let edited = if d.words().is_empty() { "" } else { ", edited" };
        format!("moved from: {place}{edited}")
    }
}

/// Layout state of both sides, carried from group to group so that
/// adjacent lists keep apart.
#[derive(Default)]
struct Sides<'a> {
    old: Layouter,
    new: Layouter,
    prev_old: Option<&'a Leaf>,
    prev_new: Option<&'a Leaf>,
}

/// The CriticMarkup of the leaves `range` of a redline: each leaf in its
/// containers, as each side lays it out. The group's first leaf on each
/// side has no separator: groups are joined by a blank line.
fn group_critic<'a>(r: &'a Redline, range: std::ops::Range<usize>, st: &mut Sides<'a>) -> Critic {
    let mut c = Critic::default();
    let (mut first_old, mut first_new) = (true, true);
    for d in &r.blocks[range] {
        let old = d.old_leaf().filter(|_| d.is_on(Side::Old));
        let new = d.new_leaf();
        let mut lay_old = old.map(|l| st.old.layout(st.prev_old, l));
        let mut lay_new = new.map(|l| st.new.layout(st.prev_new, l));
        if let Some(l) = &mut lay_old
            && std::mem::take(&mut first_old)
        {
            l.sep.clear();
        }
        if let Some(l) = &mut lay_new
            && std::mem::take(&mut first_new)
        {
            l.sep.clear();
        }
        match (old, new, &lay_old, &lay_new) {
            (Some(o), Some(n), Some(a), Some(b)) => {
                let paragraph = matches!(n.block, Block::Paragraph { .. });
                let content = if d.change() == Change::Unchanged || o.block == n.block {
                    // The old leaf may stand in a quote where the new one
                    // does not: the line breaks inside HTML are then lazy
                    // on one side only, and the leaf is shown whole.
                    let (md, lazy) = leaf_md_lazy(n);
                    let same = lazy_lines(o) == lazy.is_some();
                    same.then(|| (plain(&md), lazy))
                } else {
                    changed_content(d).map(|c| (c, None))
                };
                match content {
                    Some((content, lazy)) => {
                        c.both(&a.sep, &b.sep);
                        put_prefixed(
                            &mut c,
                            (&a.first, &b.first),
                            (&a.cont, &b.cont),
                            content,
                            paragraph,
                            lazy,
                        );
                    }
                    None => {
                        // Shown whole: the old leaf removed, the new one added.
                        let old_text = format!("{}{}", a.sep, leaf_prefixed(&a.first, &a.cont, o));
                        let new_text = format!("{}{}", b.sep, leaf_prefixed(&b.first, &b.cont, n));
                        c.change(&old_text, "");
                        c.change("", &new_text);
                    }
                }
            }
            (Some(o), None, Some(a), None) => {
                let text = format!("{}{}", a.sep, leaf_prefixed(&a.first, &a.cont, o));
                c.change(&text, "");
                if d.change() == Change::MovedAway {
                    c.comment(&move_note(r, d, true));
                }
            }
            (None, Some(n), None, Some(b)) => {
                let text = format!("{}{}", b.sep, leaf_prefixed(&b.first, &b.cont, n));
                c.change("", &text);
                if d.change() == Change::MovedHere {
                    c.comment(&move_note(r, d, false));
                }
            }
            _ => {}
        }
        if old.is_some() {
            st.prev_old = old;
        }
        if new.is_some() {
            st.prev_new = new;
        }
    }
    c
}

/// Labels of the footnotes that leaves refer to.
fn footnote_labels<'a>(leaves: impl Iterator<Item = &'a Leaf>) -> Vec<String> {
    let mut labels = Vec::new();
    for l in leaves {
        let mut visit = |inl: &[Inline]| {
            for i in inl {
                if let Some(f) = &i.style.footnote
                    && !labels.iter().any(|l: &String| l.as_str() == &**f)
                {
                    labels.push(f.to_string());
                }
            }
        };
        match &l.block {
            Block::Table(t) => {
                for row in std::iter::once(&t.header).chain(&t.rows) {
                    for cell in row {
                        visit(cell);
                    }
                }
            }
            b => visit(b.inlines().unwrap_or(&[])),
        }
    }
    labels
}

/// Whether `text`, read alone, is the tree of `leaves`. Footnotes defined
/// elsewhere in the document are stood in for, so that a reference to one
/// still reads as a reference.
fn reads_as(text: &str, leaves: &[Leaf]) -> bool {
    let want = crate::model::unflatten(leaves);
    let defined: Vec<&str> = leaves
        .iter()
        .flat_map(|l| &l.path)
        .filter_map(|f| match f {
            Frame::Footnote { label, .. } => Some(label.as_str()),
            _ => None,
        })
        .collect();
    let labels: Vec<String> = footnote_labels(leaves.iter())
        .into_iter()
        .filter(|l| !defined.contains(&l.as_str()))
        .collect();
    let mut t = text.to_string();
    // The document's reference definitions stand at its end.
    t.push_str("\n\n");
    t.push_str(&definitions(leaves));
    for l in &labels {
        t.push_str(&format!("\n\n[^{l}]: stand-in\n"));
    }
    let mut got = crate::source::markdown::parse(&t);
    for _ in &labels {
        if matches!(got.last(), Some(Block::Footnote { blocks, .. }) if blocks.len() == 1 && blocks[0].text() == "stand-in")
        {
            got.pop();
        }
    }
    got == want
}

/// The front matter of plain files, marked where it changed.
fn front_matter_critic(old: Option<&FrontMatter>, new: Option<&FrontMatter>, c: &mut Critic) {
    let o = old.map(FrontMatter::fenced).unwrap_or_default();
    let n = new.map(FrontMatter::fenced).unwrap_or_default();
    if o.is_empty() && n.is_empty() {
        return;
    }
    c.both(&o, &n);
    c.text("\n");
}

/// The redline as CriticMarkup over the new version's Markdown: valid GFM
/// where no change is marked, tables kept as tables.
///
/// Written optimistically first, every change inline; if the whole reads
/// back as both sides (the common case, checked with one parse per side)
/// that is the answer. Otherwise each top-level container is checked on its
/// own and the ones that do not read back are shown replaced whole; and if
/// even that does not read back, the whole document is.
pub fn critic_markup(r: &Redline) -> String {
    let paths = r.display_paths();
    let groups = groups(&paths);
    let body_of = |text: &str, side: Side| {
        let t = apply_critic(text, side);
        match (&r.front_matter.old, &r.front_matter.new) {
            (None, None) => crate::source::markdown::parse(&t),
            _ => crate::source::parse_plain_markdown("", &t)
                .map(|d| d.blocks)
                .unwrap_or_default(),
        }
    };
    let (accept, reject) = (r.accept(), r.reject());
    for check_groups in [false, true] {
        let text = compose(r, &groups, check_groups);
        if body_of(&text, Side::New) == accept && body_of(&text, Side::Old) == reject {
            return text;
        }
    }
    let mut c = head(r);
    // Only line feeds are trimmed: an HTML block's trailing spaces are
    // its text (`<!-- ` lost its space and read back as another block,
    // found by the `diff` fuzz target).
    c.change(
        blocks_md(&reject).trim_end_matches('\n'),
        blocks_md(&accept).trim_end_matches('\n'),
    );
    c.text("\n");
    c.finish()
}

/// Front matter (verbatim) and a comment listing metadata changes.
fn head(r: &Redline) -> Critic {
    let mut c = Critic::default();
    front_matter_critic(
        r.front_matter.old.as_ref(),
        r.front_matter.new.as_ref(),
        &mut c,
    );
    if !r.meta.is_empty() {
        c.mark("{>>");
        c.text("Front matter changed:");
        for m in &r.meta {
            c.text(&format!(
                " {}: {} → {};",
                m.field,
                m.old.as_deref().unwrap_or("(none)"),
                m.new.as_deref().unwrap_or("(none)")
            ));
        }
        c.mark("<<}");
        c.text("\n\n");
    }
    c
}

/// The leaves of one top-level container, or one top-level leaf, each.
/// A list is one container, whichever of its items a leaf is in.
fn groups(paths: &[Vec<Frame>]) -> Vec<std::ops::Range<usize>> {
    let container = |p: &[Frame]| {
        p.first().map(|f| match f {
            Frame::Item { list, .. } => (1, *list),
            other => (0, other.id()),
        })
    };
    let mut groups = Vec::new();
    let mut i = 0;
    while i < paths.len() {
        let top = container(&paths[i]);
        let mut j = i + 1;
        if top.is_some() {
            while j < paths.len() && container(&paths[j]) == top {
                j += 1;
            }
        }
        groups.push(i..j);
        i = j;
    }
    groups
}

/// The CriticMarkup of the whole redline; with `check_groups`, each
/// changed group is read back alone and shown replaced whole if it does
/// not give both of its sides.
fn compose(r: &Redline, groups: &[std::ops::Range<usize>], check_groups: bool) -> String {
    let mut body = Critic::default();
    let mut sides = Sides::default();
    for (n, g) in groups.iter().enumerate() {
        let marked = group_critic(r, g.clone(), &mut sides);
        if n > 0 {
            body.text("\n\n");
        }
        let side = |side: Side| -> Vec<Leaf> {
            r.blocks[g.clone()]
                .iter()
                .filter_map(|d| d.side(side))
                .collect()
        };
        let changed = r.blocks[g.clone()].iter().any(BlockDiff::is_change);
        if !check_groups || !changed {
            body.append(marked);
            continue;
        }
        let text = marked.finish();
        if reads_as(&apply_critic(&text, Side::New), &side(Side::New))
            && reads_as(&apply_critic(&text, Side::Old), &side(Side::Old))
        {
            // Already broken: its delimiters are markup now.
            body.mark(&text);
        } else {
            // Markdown cannot say this change inline: shown replaced whole.
            body.change(
                leaves_md(&side(Side::Old)).trim_end(),
                leaves_md(&side(Side::New)).trim_end(),
            );
        }
    }
    let mut whole = head(r);
    whole.append(body);
    whole.text("\n");
    // The definitions of reference-style links, as each side has them.
    let defs = |new: bool| {
        definitions(
            r.blocks
                .iter()
                .filter_map(|d| if new { d.new_leaf() } else { d.old_leaf() }),
        )
    };
    let (old_defs, new_defs) = (defs(false), defs(true));
    if !old_defs.is_empty() || !new_defs.is_empty() {
        whole.text("\n");
        whole.both(&old_defs, &new_defs);
    }
    whole.finish()
}

// ---------------------------------------------------------------------
// CriticMarkup reading.

const OPENERS: [(&str, &str); 5] = [
    ("{++", "++}"),
    ("{--", "--}"),
    ("{~~", "~~}"),
    ("{>>", "<<}"),
    ("{==", "==}"),
];

fn opener_at(s: &str) -> Option<(&'static str, &'static str)> {
    OPENERS.iter().copied().find(|(o, _)| s.starts_with(o))
}

/// Where the markup whose body starts at `from` closes: the byte offset of
/// its closer, skipping markup nested in it; and for a substitution, the
/// offset of its `~>`.
fn find_close(text: &str, from: usize, close: &str) -> Option<(usize, Option<usize>)> {
    let b = text.as_bytes();
    let first = close.as_bytes()[0];
    let mut i = from;
    let mut arrow = None;
    while i < b.len() {
        // Only these bytes can start a closer, an arrow or a nested opener.
        match memchr::memchr3(first, b'{', b'~', &b[i..]) {
            Some(k) => i += k,
            None => return None,
        }
        let rest = &text[i..];
        if rest.starts_with(close) {
            return Some((i, arrow));
        }
        if close == "~~}" && arrow.is_none() && rest.starts_with("~>") {
            arrow = Some(i);
            i += 2;
            continue;
        }
        if let Some((o, c)) = opener_at(rest)
            && let Some((end, _)) = find_close(text, i + o.len(), c)
        {
            i = end + c.len();
            continue;
        }
        i += 1;
    }
    None
}

fn apply_markup(text: &str, accept: bool, out: &mut String) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        // Plain text up to the next `{` is copied as it is.
        let next = memchr::memchr(b'{', &b[i..]).map_or(b.len(), |k| i + k);
        out.push_str(&text[i..next]);
        i = next;
        if i >= text.len() {
            break;
        }
        let rest = &text[i..];
        if let Some((o, c)) = opener_at(rest)
            && let Some((end, arrow)) = find_close(text, i + o.len(), c)
        {
            let body = &text[i + o.len()..end];
            match o {
                "{++" if accept => apply_markup(body, accept, out),
                "{--" if !accept => apply_markup(body, accept, out),
                "{~~" => {
                    let (old, new) = match arrow {
                        Some(a) => (&text[i + o.len()..a], &text[a + 2..end]),
                        None => (body, ""),
                    };
                    apply_markup(if accept { new } else { old }, accept, out);
                }
                "{==" => apply_markup(body, accept, out),
                _ => {}
            }
            i = end + c.len();
            continue;
        }
        out.push('{');
        i += 1;
    }
}

/// Applies CriticMarkup: accepts (`accept = true`) or rejects every
/// change and drops comments. Table rows that only held a rejected
/// addition (or an accepted deletion) are dropped with their line.
pub fn apply_critic(text: &str, side: Side) -> String {
    let accept = side == Side::New;
    let mut out = String::with_capacity(text.len());
    for line in split_keep(text) {
        let had_markup = line.contains("{++") || line.contains("{--");
        let start = out.len();
        apply_markup(line, accept, &mut out);
        if had_markup && line.trim_start().starts_with('|') {
            let processed = &out[start..];
            if processed
                .trim()
                .trim_matches('|')
                .split('|')
                .all(|c| c.trim().is_empty())
            {
                out.truncate(start);
            }
        }
    }
    out
}

/// Lines, except that a CriticMarkup span crossing lines stays in one.
fn split_keep(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(k) = memchr::memchr2(b'\n', b'{', &b[i..]) {
        i += k;
        if b[i] == b'{' {
            if let Some((o, c)) = opener_at(&text[i..])
                && let Some((end, _)) = find_close(text, i + o.len(), c)
            {
                i = end + c.len();
            } else {
                i += 1;
            }
            continue;
        }
        lines.push(&text[start..=i]);
        i += 1;
        start = i;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// `regdoc diff --format md`.
pub struct CriticMarkup;

impl super::Renderer for CriticMarkup {
    fn name(&self) -> &'static str {
        "md"
    }
    fn render(&self, ctx: &super::RenderContext<'_>) -> crate::error::Result<Vec<u8>> {
        Ok(critic_markup(ctx.redline).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::markdown::parse;

    fn round_trip(md: &str) {
        let doc = parse(md);
        let out = blocks_md(&doc);
        assert_eq!(parse(&out), doc, "{md:?} → {out:?}");
    }

    #[test]
    fn containers_round_trip() {
        round_trip("1. one\n\n   more\n\n   ```\n   code\n   ```\n2. two\n   - a\n     - b\n");
        round_trip("- a\n- b\n\n* c\n");
        round_trip("> - a\n>   > b\n>\n> c\n");
        round_trip("- [x] done\n- [ ] todo\n");
        round_trip("- - foo\n");
        round_trip("1. a\n\n   | A | B |\n   |---|---|\n   | 1 | 2 |\n");
        round_trip("Text[^n] and ![alt *x*](<a b.png> \"T\").\n\n[^n]: Note\n\n    more.\n");
        round_trip("[x](u \"a \\\"q\\\"\") &ouml; &#42; <b>bold</b>\n");
        round_trip("-\n- b\n");
        round_trip(">\n");
    }

    #[test]
    fn markdown_syntax_in_text_reads_back_literally() {
        use crate::model::{Block, Inline};
        for text in [
            "*not emphasis* and _not_ either",
            "a `tick` and \\ backslash",
            "[not a link](x) ![nor an image](y)",
            "<b>not html</b> &amp; not an entity",
            "# not a heading",
            "1. not a list",
            "- not a list either",
            "+ nor this",
            "> not a quote",
            "| not | a | table |",
            "~~not struck~~ and $not math$",
            "{++not an insertion++} {--nor a deletion--}",
            "trailing backslash \\",
            "   leading spaces",
            "2) not a list",
            "--- not a rule",
            "=== not a heading underline",
        ] {
            let blocks = vec![Block::Paragraph {
                content: vec![Inline::plain(text)],
            }];
            let md = blocks_md(&blocks);
            let back = parse(&md);
            let want = parse(&blocks_md(&back));
            assert_eq!(back, want, "{text:?} → {md:?}");
            let got = match &back[..] {
                [Block::Paragraph { content }] => {
                    content.iter().map(|i| i.text.as_str()).collect::<String>()
                }
                other => panic!("{text:?} → {md:?} read as {other:?}"),
            };
            assert_eq!(got, text.trim_start(), "{text:?} → {md:?}");
        }
    }

    #[test]
    fn delimiters_in_text_are_broken_and_restored() {
        let mut c = Critic::default();
        c.text("a {++b++} `{--c--}` x~>y <<} ~");
        c.change("old ~", "new {==");
        let s = c.finish();
        assert_eq!(
            apply_critic(&s, Side::New),
            "a {++b++} `{--c--}` x~>y <<} ~new {=="
        );
        assert_eq!(
            apply_critic(&s, Side::Old),
            "a {++b++} `{--c--}` x~>y <<} ~old ~"
        );
    }
}
#[cfg(test)]
mod nesting_tests {
    use super::blocks_md;
    use crate::source::markdown::parse;

    fn round_trip(md: &str) {
        let doc = parse(md);
        let out = blocks_md(&doc);
        assert_eq!(parse(&out), doc, "{md:?} → {out:?}");
    }

    #[test]
    fn nested_emphasis_reads_back_nested() {
        let doc = crate::source::markdown::parse("**G (*G p*, syn.\n*A p*)**\n");
        let out = super::blocks_md(&doc);
        assert_eq!(out, "**G (*G p*, syn. *A p*)**\n");
    }

    #[test]
    fn html_blocks_that_end_on_their_own_are_told_from_those_that_run_on() {
        use crate::render::text::runs_to_a_blank_line as runs;
        for ends in [
            "<!-- c -->",
            "<!--\nc\n-->",
            "<?php x ?>",
            "<!DOCTYPE html>",
            "<![CDATA[x]]>",
            "<pre>\nx\n</pre>",
            "<SCRIPT src=a>\n</script>",
            "<textarea>\nx</TEXTAREA>",
        ] {
            assert!(!runs(ends), "{ends:?} ends at its closing text");
        }
        for on in [
            "<a/>",
            "<div>\nx\n</div>",
            "<!-- not closed",
            "<pre>\nx",
            "<prefix>",
            "<!x",
        ] {
            assert!(runs(on), "{on:?} runs to a blank line");
        }
    }

    #[test]
    fn an_html_comment_in_a_tight_list_needs_no_blank_line() {
        // A comment ends at `-->`; a blank line after it would make the
        // list loose.
        let doc = parse("- a\n- <!-- c -->\n  - o\n");
        assert_eq!(blocks_md(&doc), "- a\n- <!-- c -->\n  - o\n");
        round_trip("- a\n- <!-- c -->\n  para\n");
        round_trip("- a\n- <pre>\n  x\n  </pre>\n  > q\n");
    }

    #[test]
    fn changes_written_inside_criticmarkup_keep_stars_at_their_edges() {
        // Accepted, `{++*a*__b__++}c` is `*a*__b__c`, where `__` cannot
        // close before the letter: beside a change nothing is known.
        let old = parse("x c y\n");
        let new = parse("x _a_**b**c y\n");
        let r = crate::diff::diff_blocks(&old, &new);
        let md = super::critic_markup(&r);
        assert_eq!(
            parse(&super::apply_critic(&md, crate::diff::Side::New)),
            new,
            "{md}"
        );
        assert!(md.contains("{++"), "shown inline: {md}");
    }

    /// The CriticMarkup of `old` → `new`, checked both ways.
    fn critic(old: &str, new: &str) -> String {
        let (old, new) = (parse(old), parse(new));
        let r = crate::diff::diff_blocks(&old, &new);
        let md = super::critic_markup(&r);
        for (side, want) in [
            (crate::diff::Side::Old, &old),
            (crate::diff::Side::New, &new),
        ] {
            assert_eq!(
                &parse(&super::apply_critic(&md, side)),
                want,
                "{side:?}: {md}"
            );
        }
        md
    }

    #[test]
    fn unchanged_marks_beside_a_changed_group_keep_the_change_inline() {
        // Written group by group, `**Note:**` and `*see {~~…~~}*` met as
        // `***` and the paragraph was shown replaced whole.
        assert_eq!(
            critic(
                "**Note:**_see below_ for details.\n",
                "**Note:**_see above_ for details.\n"
            ),
            "**Note:**_see {~~below~>above~~}_ for details.\n"
        );
        // Unchanged runs of several styles are written together too.
        assert_eq!(
            critic("**a.**_b_ **c** x\n", "**a.**_b_ **c** y\n"),
            "**a.**_b_ **c** {~~x~>y~~}\n"
        );
        // A change inside a code span keeps its fence, and its emphasis.
        assert_eq!(
            critic("**`a b`** c\n", "**`a d`** c\n"),
            "**`a {~~b~>d~~}`** c\n"
        );
        // Inside a link of several styles.
        assert_eq!(
            critic("[**a.**_b_ c](u) d\n", "[**a.**_b_ e](u) d\n"),
            "[**a.**_b_ {~~c~>e~~}](<u>) d\n"
        );
    }

    #[test]
    fn text_that_holds_every_placeholder_is_shown_replaced() {
        // Changes stand as private-use characters while a line is
        // written; a line that holds them all has none free.
        use crate::diff::{Op, Span};
        let span = |op, text: &str| Span {
            op,
            text: text.into(),
            style: Default::default(),
        };
        let all: String = ('\u{E000}'..='\u{F8FF}').collect();
        let spans = [
            span(Op::Equal, &all),
            span(Op::Delete, "a"),
            span(Op::Insert, "b"),
        ];
        let mut c = super::Critic::default();
        super::spans_critic(&spans, &mut c);
        assert_eq!(c.buf, format!("{{~~{all}a~>{all}b~~}}"));
        // With one of them free, the change is marked alone.
        let mut c = super::Critic::default();
        let some: String = all.chars().skip(1).collect();
        super::spans_critic(&[span(Op::Equal, &some), span(Op::Delete, "a")], &mut c);
        assert_eq!(c.buf, format!("{some}{{--a--}}"));
    }

    #[test]
    fn marks_that_open_together_nest_with_the_longest_lasting_outermost() {
        // Emphasis over a strong `3` and a plain ` 3`: with strength
        // always outermost this was written `***3*** *3*`, two emphasised
        // runs with a plain space between.
        let doc = parse("***3** 3*\n");
        assert_eq!(blocks_md(&doc), "***3** 3*\n");
        round_trip("***3** 3*\n");
        round_trip("***3* 3**\n");
        round_trip("~~***a** b* c~~ d\n");
        // The fuzz input: a soft line break inside the emphasis.
        let once = parse(&blocks_md(&parse("***P**\t**3**\n3*")));
        round_trip(&blocks_md(&once));
    }

    #[test]
    fn marks_that_meet_between_punctuation_are_written_a_way_that_reads_back() {
        // Emphasis over `-`, `-`, `.` and a last `.`; strength over the
        // first `-` and two `.`. The rules for real text wrote
        // `***-**-**.***__.__*.*`, whose `-**.` a reader pairs otherwise.
        // Read back and found wrong, it is written with `_` for emphasis.
        let doc = parse("***-**-****.*.***.*\n");
        assert_eq!(blocks_md(&doc), "_**-**-**.**_**.**_._\n");
        round_trip("***-**-****.*.***.*\n");
        // After HTML over a lazy line of a quote.
        round_trip(">o<?\n?>***-****.*.***.*\n");
        // After a hard break, as the paragraph writes its lines.
        round_trip("a\\\n***-**-****.*.***.*\n");
        round_trip("\\\n***-**-****-*\"***-*\n");
        // With the definitions its links and notes refer to.
        round_trip(";***-**-****.***.*[foo][^n]\n\n[foo]: /u\n\n[^n]: N\n");
        // Real text keeps the rules' output: `_` only where marks meet.
        assert_eq!(
            blocks_md(&parse("**Note:** *see* ***this***.\n")),
            "**Note:** *see* ***this***.\n"
        );
        assert_eq!(blocks_md(&parse("**a.**_b_\n")), "**a.**_b_\n");
    }

    #[test]
    fn white_space_beside_a_delimiter_is_written_by_reference() {
        // A form feed (from `&#xc;`) closing strong text was written raw:
        // `**l\u{c}**` cannot close after white space and read back as text.
        assert_eq!(blocks_md(&parse("**l&#xc;** b\n")), "**l&#xC;** b\n");
        round_trip("**l&#xc;***[****.*-***-*\n");
        round_trip("*&#xA0;x* and *&#x2003;y&#x2003;*\n");
        // Elsewhere such characters stay as they are.
        assert_eq!(
            blocks_md(&parse("a\u{a0}b *c\u{a0}d*\n")),
            "a\u{a0}b *c\u{a0}d*\n"
        );
    }

    #[test]
    fn a_paragraph_line_that_would_start_a_block_goes_deeper() {
        // Two tabs make a hard break; `<tr>` after it in a list item was
        // written at the item's margin, where it starts an HTML block.
        let doc = parse("* f\t\t\r\t\t<tr>");
        assert_eq!(blocks_md(&doc), "- f\\\n      <tr>\n");
        round_trip("* f\t\t\r\t\t<tr>");
        round_trip("> a\\\n>     <div>\n");
        // In CriticMarkup the unchanged paragraph keeps its line deeper and
        // is not shown replaced whole.
        let md = critic("* f\\\n      <tr>\n\nx\n", "* f\\\n      <tr>\n\ny\n");
        assert!(md.starts_with("- f\\\n      <tr>\n\n"), "{md:?}");
    }

    #[test]
    fn an_html_block_after_a_list_stays_out_of_it() {
        // The block stood two spaces in; written so after the list, it
        // went into the list's last item.
        let doc = parse(" - f\n  <tr\n - H\n\n  <t>");
        assert_eq!(blocks_md(&doc), "- f\n\n<tr\n - H\n\n<t>\n");
        round_trip(" - f\n  <tr\n - H\n\n  <t>");
    }

    #[test]
    fn a_fence_and_an_info_string_of_its_character_stay_apart() {
        // `~~~` and the info string `~ ~\`` were written `~~~~ ~\``, a
        // longer fence.
        let doc = parse("~~~ ~ ~`");
        assert_eq!(blocks_md(&doc), "~~~ ~ ~`\n\n~~~\n");
        round_trip("~~~ ~ ~`");
        round_trip("``` `a\nx\n```\n");
    }

    #[test]
    fn an_empty_link_carries_no_emphasis() {
        // No Markdown writes emphasis on no text: the reader drops it.
        let doc = parse("*a[](<u>)*\n");
        let mut runs = Vec::new();
        crate::model::leaf_inlines(&doc[0], &mut |i| runs.push(i.clone()));
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert!(runs[0].style.emph && runs[1].style.link.is_some() && !runs[1].style.emph);
        round_trip("*a[](<u>) b*\n");
        // The fuzz input, once written.
        let once = parse(&blocks_md(&parse("*\0[]()\n[]()*")));
        round_trip(&blocks_md(&once));
    }

    #[test]
    fn a_mark_ending_in_a_space_goes_on_over_an_empty_link() {
        // Emphasis over `) ` stopped before an empty link: `*) *` cannot
        // close, and the space was written outside, losing its mark (a
        // `diff` fuzz finding). Closed after the link, it keeps it.
        let doc = parse("*) [](<>) [](<>)*\n");
        assert_eq!(blocks_md(&doc), "*) [](<>) [](<>)*\n");
        round_trip("*)\n[]()\n[]()*");
        round_trip("*a [](<u>)* b\n");
        // And from the other side: a mark that starts with a space after
        // an empty link opens before it.
        round_trip("a [](<u>)* b*\n");
        round_trip("a *[](<u>) b*\n");
        round_trip("**a [](<u>)* b*\n");
        // Not where the delimiter could not close or open past the link:
        // beside a letter, `*a [](u)*b` would be no emphasis at all.
        let doc = parse("*a&#32;*[](<u>)b\n");
        assert!(
            !blocks_md(&doc).contains("[](<u>)*b"),
            "{:?}",
            blocks_md(&doc)
        );
        let doc = parse("a[](<u>)*&#32;b*\n");
        assert!(
            !blocks_md(&doc).contains("a*[](<u>)"),
            "{:?}",
            blocks_md(&doc)
        );
        round_trip("*a [](<u>)*, b\n");
        round_trip("a, *[](<u>) b*\n");
    }

    #[test]
    fn a_mark_reopens_inside_a_longer_one_between_punctuation() {
        // Strong and emphasised punctuation alternating (a `markdown` fuzz
        // finding): nested as the writer first nests them, `-**.***__.__`
        // reads back otherwise. Emphasis that closes where strong text
        // opens, and opens again inside it, writes it as the source did.
        round_trip("***-**-****.*.***;***-****-*\"**.\0**a*\0\0");
        round_trip("***-**-****.*.***;");
    }

    #[test]
    fn stretches_of_a_line_are_written_each_their_own_way() {
        // Two stretches of strong and emphasised punctuation with plain
        // text between (a `markdown` fuzz finding): the first reads back
        // only with `_` for emphasis, the second only without. No one way
        // serves the line; a way per stretch does.
        let md = "***.**-****.***.*\0***м.***.*\t\0*;***-**;***-****.*\0**\u{19}***-*\"a*\u{19}\0";
        round_trip(md);
        let out = blocks_md(&parse(md));
        assert!(out.starts_with("_**.**-**.**_."), "{out:?}");
        assert!(out.contains("*;***-**;"), "{out:?}");
    }

    #[test]
    fn a_mark_over_a_link_at_a_line_edge_goes_outside_it() {
        // Written inside the brackets, `[**Ofgem**](u) **decides**` left
        // the space between outside the mark (a `markdown` fuzz finding,
        // and how real text opens a sentence with a link).
        let md = "**[Ofgem](<https://ofgem.gov.uk>) decides**\n";
        assert_eq!(blocks_md(&parse(md)), md);
        round_trip("*[a](u) b*\n");
        round_trip("*a [b](u)*\n");
        round_trip("*[a](u)*\n");
        round_trip("- **[a](u) b**\n");
        round_trip("*[ẞ]\n[sS\n]o*\n\n[sS]:_");
        // After punctuation, where its delimiter can open as well.
        round_trip("**[ẞ]\n[sS\n]:*\n\n[sS]:_");
        round_trip("(*[a](u) b*)\n");
        // A mark of the link alone stays inside its brackets.
        for md in ["see [**a**](<u>).\n", "[*a*](<u>)\n"] {
            assert_eq!(blocks_md(&parse(md)), md);
        }
    }

    #[test]
    fn a_title_over_two_lines_is_written_on_one() {
        // A picture's title ran over two lines in a heading, which the
        // line break ended.
        let doc = parse("[foo]:l \"i\nf\"\n[foo]![foo]f\n=");
        let out = blocks_md(&doc);
        assert_eq!(
            out,
            "# [foo][foo]![foo](<l> \"i&#10;f\")f\n\n[foo]: <l> \"i&#10;f\"\n"
        );
        assert_eq!(parse(&out), doc);
    }

    #[test]
    fn inline_html_over_a_lazy_underline_stays_a_paragraph() {
        // `--` was a lazy line of the quote's paragraph, inside a
        // declaration; `> --` made `o<!D` a heading.
        let once = parse(&blocks_md(&parse(">o<!D\n--\nc>")));
        let out = blocks_md(&once);
        assert!(out.starts_with("> o<!D\n      --\n"), "{out:?}");
        round_trip(&out);
        round_trip("- a <!--\n  ==\n  -->\n");
        // Four spaces deeper than the containers, a lazy line can start no
        // block: `---` at the margin would be a rule and end the list.
        round_trip("- a <!X\n      ---\n  y>\n");
        round_trip("- > a <!X\n  >     # y>\n");
        // Elsewhere such lines keep their prefixes.
        round_trip("> ```\n> --\n> ```\n");
        round_trip("> a\n> --\n");
    }

    #[test]
    fn inline_html_in_a_quote_runs_on_over_lazy_lines() {
        // pulldown-cmark ends a declaration at the quote's `>` of the next
        // line: written `> %<!O`, `> \-`, the HTML read back as `<!O` and a
        // line break, and the `-` after it became a list item.
        let doc = parse(">%<!O\n\\-\n\u{2}>\n");
        let out = blocks_md(&doc);
        assert_eq!(out, "> %<!O\n      \\-\n      \u{2}>\n");
        assert_eq!(parse(&out), doc);
        // Tags and comments, nested in lists and quotes.
        round_trip("> a <span\nclass=\"x\">b</span>\n");
        round_trip("> - a <!-- x\ny -->\n> - b\n");
        round_trip("1. > q <!X\n   y\n   z>\n");
        // Outside a quote the lines keep their prefixes.
        assert_eq!(blocks_md(&parse("- a <!X\n  b>\n")), "- a <!X\n  b>\n");
        // In CriticMarkup too: the unchanged paragraph is shown as it is,
        // not replaced whole, and accept-all and reject-all read back.
        let md = critic(">%<!O\n\\-\n\u{2}>\n\nx\n", ">%<!O\n\\-\n\u{2}>\n\ny\n");
        assert!(
            md.starts_with("> %<!O\n      \\-\n      \u{2}>\n\n"),
            "{md:?}"
        );
        // A paragraph that leaves its quote is shown moved out whole.
        critic("> <span\nclass=x>a</span>\n", "<span\nclass=x>a</span>\n");
    }

    #[test]
    fn white_space_alone_opens_no_marks() {
        // The spaces go before the delimiters; `**` opened and closed
        // around nothing read back as the text `****`.
        use crate::model::{Block, Inline, Style};
        let run = |text: &str, style: Style| Inline {
            text: text.into(),
            style,
        };
        let strong_link = Style {
            strong: true,
            link: Some("u".into()),
            ..Style::default()
        };
        let doc = [Block::Paragraph {
            content: vec![run("a", Style::default()), run(" ", strong_link)],
        }];
        assert_eq!(blocks_md(&doc), "a[ ](<u>)\n");
        round_trip("a *b* **c**\n");
    }

    #[test]
    fn emphasis_over_a_link_and_past_it_opens_outside_its_brackets() {
        let doc = parse("**a [b](u) c**\n");
        assert_eq!(blocks_md(&doc), "**a [b](<u>) c**\n");
        round_trip("**a [b](u) c**\n");
        // Emphasis of the link alone, or ending at it, stays inside.
        for md in ["x [**b**](<u>)y\n", "**a** [**b**](<u>)y\n"] {
            assert_eq!(blocks_md(&parse(md)), md);
        }
        // Unless the line ends there too, where nothing meets it.
        assert_eq!(
            blocks_md(&parse("[*a*](<u>)[*b*](<v>)\n")),
            "*[a](<u>)[b](<v>)*\n"
        );
        // The fuzz input: closed before the link and opened again inside
        // and after it, the delimiters paired differently.
        let once = parse(&blocks_md(&parse("**_o_.*(*[\n]()`**")));
        round_trip(&blocks_md(&once));
    }

    #[test]
    fn an_html_block_ends_before_a_nested_list_or_quote() {
        // `- o` on the line after `<a/>` would be HTML too.
        let doc = parse("- <a/>\n  *hi*\n\n  - o\n\n  > q\n");
        round_trip("- <a/>\n  *hi*\n\n  - o\n\n  > q\n");
        let out = blocks_md(&doc);
        assert!(out.contains("*hi*\n\n"), "{out:?}");
    }

    #[test]
    fn a_mark_opened_where_another_closes_does_not_merge_with_it() {
        // `**a.***b*` is one run of three stars, which cannot close the
        // strong text after a full stop: the emphasis opens with `_`.
        let doc = parse("**a.**_b_ c\n");
        assert_eq!(blocks_md(&doc), "**a.**_b_ c\n");
        round_trip("**a.**_b_ c\n");
        // Closed again before a letter, `_` would not read as closing:
        // the strong text before it takes `__` instead.
        assert_eq!(blocks_md(&parse("__a.__*b*c\n")), "__a.__*b*c\n");
        round_trip("__a.__*b*c\n");
        round_trip("*1.* **2** *x*__y__ ***z*** w\n");
        // The findings of the fuzz target, shortened.
        round_trip("o\\*b**1.*.***\\*\\*.*\\*\n");
        round_trip("***M***\\*?***\\\\ ****\\]\\]*\\*\n");
    }
}
