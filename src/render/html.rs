//! `regdoc diff --format html`: one self-contained page for reviewers.
//!
//! No network and no external assets: styles and script are inline. Two
//! views (inline and side by side), a list of changes with links, keyboard
//! navigation (n/j next, p/k previous), a print stylesheet and a layout that
//! works on a phone. Every piece of document text is HTML-escaped.

use std::fmt::Write;

use std::collections::HashMap;

use base64::Engine as _;

use crate::diff::{BlockDiff, Change, Edit, Op, Redline, Span, TableDiff};
use crate::model::{Block, Frame, Inline, SourceDoc, Style, leaf_inlines};
use crate::source::assets::Images;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' => o.push_str("<br>"),
            // What XML forbids is no text either: a control character
            // could only hide or garble what follows.
            c if c != '\t'
                && c != '\r'
                && super::text::xml_safe(c.encode_utf8(&mut [0; 4])).is_empty() => {}
            c => o.push(c),
        }
    }
    o
}

/// What the page needs beyond the redline: the images to embed and the
/// numbers of the footnotes.
pub struct Ctx<'a> {
    images: &'a Images,
    notes: HashMap<String, usize>,
}

impl<'a> Ctx<'a> {
    /// Footnotes are numbered in the order they are first referred to.
    pub fn new(r: &Redline, images: &'a Images) -> Self {
        let mut notes = HashMap::new();
        for d in &r.blocks {
            leaf_inlines(d.shown(), &mut |i| {
                if let Some(l) = &i.style.footnote {
                    let n = notes.len() + 1;
                    notes.entry(l.to_string()).or_insert(n);
                }
            });
        }
        Ctx { images, notes }
    }

    fn note_number(&self, label: &str) -> String {
        self.notes
            .get(label)
            .map_or_else(|| label.to_string(), |n| n.to_string())
    }
}

/// A URL that is safe to put in `href`: no `javascript:` and the like.
fn safe_url(url: &str) -> bool {
    url.starts_with("https://")
        || url.starts_with("http://")
        || url.starts_with("mailto:")
        || url.starts_with('#')
        || !crate::source::assets::is_remote(url) && !url.contains(':')
}

fn styled(text: &str, style: &Style, ctx: &Ctx) -> String {
    let mut s = if let Some(img) = &style.image {
        match ctx.images.get(&img.src) {
            // Embedded: the page stays self-contained.
            Some(p) => format!(
                "<img src=\"data:{};base64,{}\" alt=\"{}\"{}>",
                p.mime(),
                base64::engine::general_purpose::STANDARD.encode(&p.bytes),
                esc(text),
                img.title
                    .as_ref()
                    .map(|t| format!(" title=\"{}\"", esc(t)))
                    .unwrap_or_default()
            ),
            // Remote (never fetched) or not available: alt text and address.
            None => format!(
                "<span class=\"img-ref\">[{}] <code>{}</code></span>",
                esc(text),
                esc(&img.src)
            ),
        }
    } else if let Some(label) = &style.footnote {
        format!(
            "<sup class=\"fnref\"><a href=\"#fn-{}\">{}</a></sup>",
            esc(label),
            esc(&ctx.note_number(label))
        )
    } else if style.html {
        // Inline HTML is shown as source, never run.
        format!("<code class=\"html\">{}</code>", esc(text))
    } else {
        esc(text)
    };
    if style.code {
        s = format!("<code>{s}</code>");
    }
    if style.strong {
        s = format!("<strong>{s}</strong>");
    }
    if style.emph {
        s = format!("<em>{s}</em>");
    }
    if style.strike {
        s = format!("<s>{s}</s>");
    }
    if let Some(url) = &style.link
        && safe_url(url)
    {
        let title = style
            .link_title
            .as_ref()
            .map(|t| format!(" title=\"{}\"", esc(t)))
            .unwrap_or_default();
        s = format!("<a href=\"{}\"{title}>{s}</a>", esc(url));
    }
    s
}

fn inlines(v: &[Inline], op: Op, ctx: &Ctx) -> String {
    spans_html(
        &v.iter()
            .map(|i| Span {
                op,
                text: i.text.clone(),
                style: i.style.clone(),
            })
            .collect::<Vec<_>>(),
        true,
        true,
        ctx,
    )
}

/// Spans as HTML; `show_del`/`show_ins` pick the sides (side-by-side view).
fn spans_html(spans: &[Span], show_del: bool, show_ins: bool, ctx: &Ctx) -> String {
    let mut o = String::new();
    for s in spans {
        match s.op {
            Op::Equal => o.push_str(&styled(&s.text, &s.style, ctx)),
            Op::Delete if show_del => {
                let _ = write!(o, "<del>{}</del>", styled(&s.text, &s.style, ctx));
            }
            Op::Insert if show_ins => {
                let _ = write!(o, "<ins>{}</ins>", styled(&s.text, &s.style, ctx));
            }
            _ => {}
        }
    }
    o
}

fn wrap_block(b: &Block, body: String) -> String {
    match b {
        Block::Heading { level, .. } => format!("<h{l}>{body}</h{l}>", l = (*level).clamp(1, 6)),
        Block::Paragraph { .. } => format!("<p>{body}</p>"),
        Block::Code { .. } | Block::Html { .. } => format!("<pre>{body}</pre>"),
        Block::Rule => "<hr>".into(),
        _ => body,
    }
}

/// Closes the containers of `prev` that `cur` is not in, and opens those
/// of `cur` that `prev` was not in: real nested lists, quotes and notes.
fn containers(prev: &[Frame], cur: &[Frame], out: &mut String, ctx: &Ctx) {
    let common = prev
        .iter()
        .zip(cur)
        .take_while(|(a, b)| a.id() == b.id())
        .count();
    let same_list = |k: usize, a: &Frame, b: Option<&Frame>| {
        k == common
            && matches!((a, b), (Frame::Item { list: x, .. }, Some(Frame::Item { list: y, .. })) if x == y)
    };
    for k in (common..prev.len()).rev() {
        match &prev[k] {
            Frame::Quote { .. } => out.push_str("</blockquote>"),
            Frame::Footnote { .. } => out.push_str("</div>"),
            f @ Frame::Item { start, .. } => {
                out.push_str("</li>");
                if !same_list(k, f, cur.get(k)) {
                    out.push_str(if start.is_some() { "</ol>" } else { "</ul>" });
                }
            }
        }
    }
    for (k, frame) in cur.iter().enumerate().skip(common) {
        match frame {
            Frame::Quote { .. } => out.push_str("<blockquote>"),
            Frame::Footnote { label, .. } => {
                let _ = write!(
                    out,
                    "<div class=\"fn\" id=\"fn-{}\"><span class=\"fnn\">{}.</span>",
                    esc(label),
                    esc(&ctx.note_number(label))
                );
            }
            f @ Frame::Item { start, task, .. } => {
                if !same_list(k, f, prev.get(k)) {
                    match start {
                        Some(1) => out.push_str("<ol>"),
                        Some(n) => {
                            let _ = write!(out, "<ol start=\"{n}\">");
                        }
                        None => out.push_str("<ul>"),
                    }
                }
                out.push_str("<li>");
                if let Some(done) = task {
                    out.push_str(if *done {
                        "<input type=\"checkbox\" disabled checked> "
                    } else {
                        "<input type=\"checkbox\" disabled> "
                    });
                }
            }
        }
    }
}

/// The side-by-side view's stand-in for containers: an indent, and the
/// marker on the line that starts an item.
fn side_nest(prev: Option<&[Frame]>, cur: &[Frame], body: String) -> String {
    if cur.is_empty() || body.is_empty() {
        return body;
    }
    let mut marker = String::new();
    if let Some(Frame::Item { number, .. }) = cur.last()
        && crate::model::opens_at(prev, cur, cur.len() - 1)
    {
        marker = number.map_or("•".into(), |n| format!("{n}."));
    }
    let quotes = cur
        .iter()
        .filter(|f| matches!(f, Frame::Quote { .. }))
        .count();
    format!(
        "<div class=\"nest{}\" style=\"--depth:{}\"><span class=\"mk\">{}</span><div>{body}</div></div>",
        if quotes > 0 { " q" } else { "" },
        cur.len(),
        esc(&marker)
    )
}

fn plain_table(t: &crate::model::Table, op: Op, ctx: &Ctx) -> String {
    let mut o = String::from("<table><thead><tr>");
    for h in &t.header {
        let _ = write!(o, "<th>{}</th>", inlines(h, op, ctx));
    }
    o.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        o.push_str("<tr>");
        for c in r {
            let _ = write!(o, "<td>{}</td>", inlines(c, op, ctx));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
    o
}

fn table_diff(t: &TableDiff, show_del: bool, show_ins: bool, ctx: &Ctx) -> String {
    let mut o = String::from("<table><thead><tr>");
    let keep = |op: Op| (op != Op::Delete || show_del) && (op != Op::Insert || show_ins);
    for c in t.columns.iter().filter(|c| keep(c.op())) {
        let _ = write!(
            o,
            "<th class=\"{}\">{}</th>",
            op_class(c.op()),
            spans_html(&c.header, show_del, show_ins, ctx)
        );
    }
    o.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        if !keep(r.change().whole_op()) {
            continue;
        }
        let class = match r.change() {
            Change::Added => "row-add",
            Change::Removed => "row-del",
            Change::Changed => "row-chg",
            Change::MovedAway => "row-del row-moved",
            Change::MovedHere => "row-add row-moved",
            Change::Unchanged => "",
        };
        let _ = write!(o, "<tr class=\"{class}\">");
        for (c, cell) in t.columns.iter().zip(&r.cells) {
            if keep(c.op()) {
                let _ = write!(o, "<td>{}</td>", spans_html(cell, show_del, show_ins, ctx));
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
    o
}

fn op_class(op: Op) -> &'static str {
    match op {
        Op::Equal => "",
        Op::Delete => "col-del",
        Op::Insert => "col-add",
    }
}

/// A block diff as HTML for one view: both sides (inline), old, or new.
fn block_html(d: &BlockDiff, show_del: bool, show_ins: bool, ctx: &Ctx) -> String {
    let shown = d.shown();
    if d.shown_leaf().is_placeholder() {
        return String::new();
    }
    match d.change() {
        Change::Unchanged => match shown {
            Block::Table(t) => plain_table(t, Op::Equal, ctx),
            b => wrap_block(b, inlines(b.inlines().unwrap_or(&[]), Op::Equal, ctx))
                .replace("<pre></pre>", &format!("<pre>{}</pre>", esc(&b.text()))),
        },
        Change::Added | Change::MovedHere if !show_ins => String::new(),
        Change::Removed | Change::MovedAway if !show_del => String::new(),
        _ => {
            if let Some(t) = d.table() {
                return table_diff(t, show_del, show_ins, ctx);
            }
            let op = d.change().whole_op();
            let body = if !d.words().is_empty() {
                spans_html(
                    d.words(),
                    // A move's old words are shown at its old place.
                    show_del && d.change() != Change::MovedHere,
                    show_ins,
                    ctx,
                )
            } else {
                match shown {
                    Block::Table(t) => return plain_table(t, op, ctx),
                    b if b.inlines().is_some() => inlines(b.inlines().unwrap_or(&[]), op, ctx),
                    b => spans_html(
                        &[Span {
                            op,
                            text: b.text(),
                            style: Style::default(),
                        }],
                        true,
                        true,
                        ctx,
                    ),
                }
            };
            wrap_block(shown, body)
        }
    }
}

fn change_label(d: &BlockDiff) -> &'static str {
    match d.change() {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
        Change::MovedAway => "moved away",
        Change::MovedHere => "moved here",
        Change::Unchanged => "",
    }
}

/// The whole page.
pub fn redline_html(old: &SourceDoc, new: &SourceDoc, r: &Redline, images: &Images) -> String {
    let ctx = Ctx::new(r, images);
    let paths = r.display_paths();
    let mut prev_path: &[Frame] = &[];
    let title = format!(
        "{}: {} → {}",
        crate::model::comparison_title(old, new),
        old.label(),
        new.label()
    );
    let s = r.stats();
    let mut list = String::new();
    let mut inline_view = String::new();
    let mut side_view = String::new();
    let mut n = 0;
    for (d, path) in r.blocks.iter().zip(&paths) {
        containers(prev_path, path, &mut inline_view, &ctx);
        let side_prev = Some(prev_path);
        prev_path = path;
        let (cls, id) = if d.is_change() {
            n += 1;
            let path = if d.section.is_empty() {
                "(top)".to_string()
            } else {
                d.section.join(" › ")
            };
            let excerpt: String = d.shown().text().chars().take(70).collect();
            let _ = write!(
                list,
                "<li><a href=\"#c{n}\" data-i=\"{n}\"><span class=\"tag {k}\">{}</span> {} <small>{}</small></a></li>",
                change_label(d),
                esc(&path),
                esc(&excerpt),
                k = change_label(d).replace(' ', "-"),
            );
            (
                format!("blk chg {}", change_label(d).replace(' ', "-")),
                format!(" id=\"c{n}\" data-change=\"{n}\""),
            )
        } else {
            ("blk".to_string(), String::new())
        };
        let note = match d.edit {
            Edit::MovedAway { to: p, .. } => format!(
                "<div class=\"note\">moved to {}</div>",
                esc(&r.blocks[p].section.join(" › "))
            ),
            Edit::MovedHere { from: p, .. } => format!(
                "<div class=\"note\">moved from {}</div>",
                esc(&r.blocks[p].section.join(" › "))
            ),
            _ => String::new(),
        };
        let _ = write!(
            inline_view,
            "<div class=\"{cls}\"{id}>{note}{}</div>",
            block_html(d, true, true, &ctx)
        );
        let sid = if d.is_change() {
            format!(" id=\"s{n}\"")
        } else {
            String::new()
        };
        let _ = write!(
            side_view,
            "<div class=\"row {cls}\"{sid}><div class=\"old\">{old_note}{}</div><div class=\"new\">{new_note}{}</div></div>",
            side_nest(side_prev, path, block_html(d, true, false, &ctx)),
            side_nest(side_prev, path, block_html(d, false, true, &ctx)),
            // A move's note stands on the side where the block is.
            old_note = if d.change() == Change::MovedAway {
                note.as_str()
            } else {
                ""
            },
            new_note = if d.change() == Change::MovedAway {
                ""
            } else {
                note.as_str()
            },
        );
    }
    containers(prev_path, &[], &mut inline_view, &ctx);
    let mut meta = String::new();
    if !r.meta.is_empty() {
        meta.push_str(&format!(
            "<details class=\"meta\"><summary>Front matter: {} field(s) changed</summary>",
            r.meta.len()
        ));
        meta.push_str("<table class=\"meta\"><thead><tr><th>Front matter</th><th>Old</th><th>New</th></tr></thead><tbody>");
        for m in &r.meta {
            let _ = write!(
                meta,
                "<tr><td>{}</td><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
                esc(&m.field),
                esc(m.old.as_deref().unwrap_or("—")),
                esc(m.new.as_deref().unwrap_or("—"))
            );
        }
        meta.push_str("</tbody></table></details>");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="regdoc {version}">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body>
<header>
  <h1 class="title">{doc_title}</h1>
  <p class="sides"><del>{old}</del> → <ins>{new}</ins></p>
  <p class="counts" id="counts">{added} added · {removed} removed · {changed} changed · {moved} moved · {unchanged} unchanged</p>
  {meta}
</header>
<nav class="toolbar" aria-label="View and navigation">
    <button type="button" id="view-inline" aria-pressed="true">Inline</button>
    <button type="button" id="view-side" aria-pressed="false">Side by side</button>
    <span class="sep"></span>
    <button type="button" id="prev" title="Previous change (p or k)">◀ Previous</button>
    <span id="pos">0 / {total}</span>
    <button type="button" id="next" title="Next change (n or j)">Next ▶</button>
    <span class="hint">keys: n/j next · p/k previous · s switch view</span>
</nav>
<div class="layout">
  <aside><h2>Changes</h2><ol id="changes">{list}</ol></aside>
  <main>
    <section id="inline" class="view">{inline_view}</section>
    <section id="side" class="view" hidden><div class="row heads"><div>{old}</div><div>{new}</div></div>{side_view}</section>
  </main>
</div>
<pre id="selftest" hidden></pre>
<script>{JS}</script>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        title = esc(&title),
        doc_title = esc(&crate::model::comparison_title(old, new)),
        old = esc(&old.label()),
        new = esc(&new.label()),
        added = s.added,
        removed = s.removed,
        changed = s.changed,
        moved = s.moved,
        unchanged = s.unchanged,
        total = n,
    )
}

const CSS: &str = r#"
:root { --ins: #1d4ed8; --del: #b91c1c; --bar: #111; --muted: #555; font-family: system-ui, sans-serif; }
body { margin: 0; color: #111; background: #fff; line-height: 1.45; }
header { padding: 12px 20px 4px; }
header h1.title { font-size: 1.2rem; margin: 0 0 4px; }
.sides, .counts { margin: 2px 0; color: var(--muted); }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 6px 20px; position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ccc; z-index: 2; }
.hint { color: var(--muted); font-size: .8rem; margin-left: 8px; }
details.meta summary { cursor: pointer; color: var(--muted); }
.toolbar button { font: inherit; padding: 4px 10px; border: 1px solid #888; background: #f4f4f4; border-radius: 4px; cursor: pointer; }
.toolbar button[aria-pressed="true"] { background: #222; color: #fff; }
.sep { width: 12px; }
.layout { display: grid; grid-template-columns: minmax(200px, 280px) 1fr; gap: 0; }
aside { border-right: 1px solid #ddd; padding: 10px 14px; font-size: .9rem; max-height: calc(100vh - 50px); overflow: auto; position: sticky; top: 46px; align-self: start; }
aside h2 { font-size: 1rem; margin: 4px 0; }
aside ol { padding-left: 1.4em; margin: 0; }
aside li { margin: 4px 0; }
aside a { color: inherit; text-decoration: none; }
aside a:hover { text-decoration: underline; }
aside small { color: var(--muted); display: block; }
.tag { font-size: .75rem; padding: 0 4px; border-radius: 3px; border: 1px solid #999; }
.tag.added, .tag.moved-here { color: var(--ins); border-color: var(--ins); }
.tag.removed, .tag.moved-away { color: var(--del); border-color: var(--del); }
main { padding: 10px 24px 60px 34px; min-width: 0; }
ins { color: var(--ins); text-decoration: underline; text-decoration-thickness: 1.5px; background: #eef3ff; }
del { color: var(--del); text-decoration: line-through; text-decoration-thickness: 1.5px; background: #fdeeee; }
.blk.chg { border-left: 3px solid var(--bar); margin-left: -14px; padding-left: 11px; }
.blk.current, .row.current { outline: 2px solid #f59e0b; outline-offset: 2px; }
.note { font-size: .8rem; font-style: italic; color: var(--muted); }
.nest { display: flex; gap: .5em; margin-left: calc(1.5em * (var(--depth) - 1)); }
.nest .mk { min-width: 1.5em; }
.nest.q > div { border-left: 2px solid #bbb; padding-left: .8em; }
blockquote { margin: .5em 0 .5em 1em; padding-left: .8em; border-left: 2px solid #bbb; }
li > .blk > p, li > .blk > pre { margin: .2em 0; }
#inline ol, #inline ul { padding-left: 2em; }
/* A change bar inside a list stands left of the list's markers, not between a marker and its text. */
li > .blk.chg { margin-left: calc(-2em - 14px); padding-left: calc(2em + 11px); }
.fn { font-size: .9rem; border-top: 1px solid #ddd; margin-top: .6em; }
.fn > .fnn { float: left; margin-right: .4em; }
img { max-width: 100%; height: auto; }
del img { outline: 3px dashed var(--del); outline-offset: 2px; opacity: .55; }
ins img { outline: 3px solid var(--ins); outline-offset: 2px; }
.img-ref code { font-size: .85em; }
pre { background: #f6f6f6; padding: 8px; overflow: auto; white-space: pre-wrap; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92rem; }
th, td { border: 1px solid #bbb; padding: 4px 7px; vertical-align: top; text-align: left; }
th { background: #eee; }
tr.row-add td { background: #eef3ff; } tr.row-del td { background: #fdeeee; }
th.col-add { color: var(--ins); } th.col-del { color: var(--del); }
table.meta { margin-top: 8px; }
#side .row { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
#side .row > div { min-width: 0; }
#side .heads { font-weight: bold; border-bottom: 1px solid #ccc; margin-bottom: 6px; }
#side .row.chg { border-left: 3px solid var(--bar); margin-left: -14px; padding-left: 11px; }
@media (max-width: 760px) {
  .layout { grid-template-columns: 1fr; }
  aside { position: static; max-height: none; border-right: 0; border-bottom: 1px solid #ddd; }
  .hint { display: none; }
  main { padding: 10px 14px 40px 20px; }
  main table { display: block; overflow-x: auto; max-width: 100%; }
  #side .row { grid-template-columns: 1fr; gap: 2px; }
  #side .row .old:empty, #side .row .new:empty { display: none; }
}
@media print {
  .toolbar, aside, #side { display: none !important; }
  details.meta { display: block; }
  #inline { display: block !important; }
  .layout { display: block; }
  .blk.current { outline: none; }
  ins, del { background: none; }
  a { color: inherit; }
}
"#;

const JS: &str = r#"
(function () {
  var views = { inline: document.getElementById('inline'), side: document.getElementById('side') };
  var buttons = { inline: document.getElementById('view-inline'), side: document.getElementById('view-side') };
  var view = 'inline';
  var current = 0;
  function targets() {
    return Array.prototype.slice.call(document.querySelectorAll(view === 'inline' ? '#inline [data-change]' : '#side .row.chg'));
  }
  function setView(v) {
    view = v;
    for (var k in views) { views[k].hidden = (k !== v); buttons[k].setAttribute('aria-pressed', String(k === v)); }
    if (current > 0) go(current);
  }
  function go(i) {
    var t = targets();
    if (t.length === 0) { document.getElementById('pos').textContent = '0 / 0'; return; }
    current = Math.max(1, Math.min(t.length, i));
    document.querySelectorAll('.current').forEach(function (e) { e.classList.remove('current'); });
    var el = t[current - 1];
    el.classList.add('current');
    el.scrollIntoView({ block: 'center' });
    document.getElementById('pos').textContent = current + ' / ' + t.length;
  }
  buttons.inline.addEventListener('click', function () { setView('inline'); });
  buttons.side.addEventListener('click', function () { setView('side'); });
  document.getElementById('next').addEventListener('click', function () { go(current + 1); });
  document.getElementById('prev').addEventListener('click', function () { go(current - 1); });
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'n' || e.key === 'j') { go(current + 1); e.preventDefault(); }
    else if (e.key === 'p' || e.key === 'k') { go(current - 1); e.preventDefault(); }
    else if (e.key === 's') { setView(view === 'inline' ? 'side' : 'inline'); }
  });
  document.querySelectorAll('#changes a').forEach(function (a) {
    a.addEventListener('click', function (e) { e.preventDefault(); go(Number(a.getAttribute('data-i'))); });
  });
  // A self-test for headless browsers: open the file with #selftest.
  if (location.hash === '#selftest') {
    var r = {};
    var key = function (k) { document.dispatchEvent(new KeyboardEvent('keydown', { key: k })); };
    r.changes = targets().length;
    key('n'); key('n'); r.afterTwoNext = current;
    key('p'); r.afterPrev = current;
    r.currentIsChange = !!document.querySelector('#inline .current[data-change]');
    buttons.side.click();
    r.sideVisible = !views.side.hidden && views.inline.hidden;
    r.sideCurrent = !!document.querySelector('#side .row.current');
    buttons.inline.click();
    r.inlineVisible = !views.inline.hidden && views.side.hidden;
    r.ins = document.querySelectorAll('#inline ins').length;
    r.del = document.querySelectorAll('#inline del').length;
    r.pos = document.getElementById('pos').textContent;
    var out = document.getElementById('selftest');
    out.textContent = 'SELFTEST ' + JSON.stringify(r);
    out.hidden = false;
  }
})();
"#;

/// `regdoc diff --format html`.
pub struct Html;

impl super::Renderer for Html {
    fn name(&self) -> &'static str {
        "html"
    }
    fn render(&self, ctx: &super::RenderContext<'_>) -> crate::error::Result<Vec<u8>> {
        Ok(redline_html(ctx.old, ctx.new, ctx.redline, &ctx.images()?).into_bytes())
    }
}
