//! The canonical Markdown of a document tree: what `source::markdown::parse`
//! reads back to the same tree. Not a renderer itself: the CriticMarkup
//! renderer ([`super::markdown`]) and the terminal renderer both write
//! blocks with it.

use rustc_hash::FxHashMap as HashMap;

/// `s` without the characters XML 1.0 forbids (controls other than tab,
/// line feed and carriage return; U+FFFE and U+FFFF): for every output that
/// is XML or ends up in XML (Word, HTML, a PDF's XMP metadata).
pub fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        })
        .collect()
}

use crate::model::{Align, Block, Frame, Inline, Leaf, Style, Table, flatten};

// ---------------------------------------------------------------------
// Markdown of inline runs and leaf blocks.

/// Escapes text so Markdown reads it literally.
pub(crate) fn escape(text: &str, out: &mut String) {
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
pub(crate) fn escape_line_start(s: &mut String) {
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

/// A link destination in angle brackets, which allow spaces; what would
/// end or change it is backslash-escaped.
pub(crate) fn destination(url: &str) -> String {
    let mut s = String::from("<");
    for c in url.chars() {
        match c {
            '<' | '>' | '\\' | '&' => {
                s.push('\\');
                s.push(c);
            }
            '\n' => s.push_str("%0A"),
            c => s.push(c),
        }
    }
    s.push('>');
    s
}

/// ` "title"`, escaped, or nothing. A line break in the title is written
/// as its character reference: a title may run over lines in a
/// paragraph, but not in a heading or a table cell, where the line ends
/// the block (a heading's picture with a two-line title read back as a
/// heading and a paragraph; found by the `diff` fuzz target).
pub(crate) fn title_md(title: Option<&str>) -> String {
    match title {
        None => String::new(),
        Some(t) => {
            let mut s = String::from(" \"");
            for c in t.chars() {
                if c == '\n' {
                    s.push_str("&#10;");
                    continue;
                }
                if matches!(c, '"' | '\\' | '&') {
                    s.push('\\');
                }
                s.push(c);
            }
            s.push('"');
            s
        }
    }
}

/// An atomic run (image, footnote reference, HTML) as Markdown.
pub(crate) fn atomic_md(text: &str, style: &Style) -> String {
    if style.html {
        return text.to_string();
    }
    if let Some(label) = &style.footnote {
        return format!("[^{label}]");
    }
    if let Some(img) = &style.image {
        let mut alt = String::new();
        push_text(text, &mut alt);
        return format!(
            "![{alt}]({}{})",
            destination(&img.src),
            title_md(img.title.as_deref())
        );
    }
    text.to_string()
}

/// One inline run with its style delimiters. White space at the edges of
/// a styled run goes outside the delimiters, where Markdown allows it.
pub(crate) fn inline_md(text: &str, style: &Style, out: &mut String) {
    if style.is_atomic() {
        styled(&atomic_md(text, style), style, out);
        return;
    }
    if text == "\n" {
        out.push_str("\\\n");
        return;
    }
    if style.code {
        let mut s = String::new();
        code_span(text, &mut s);
        let link_only = Style {
            link: style.link.clone(),
            link_title: style.link_title.clone(),
            link_ref: style.link_ref.clone(),
            ..Style::default()
        };
        styled(&s, &link_only, out);
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

pub(crate) fn code_span(text: &str, out: &mut String) {
    let ticks = longest_run(text, '`') + 1;
    let fence = "`".repeat(ticks);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    let sp = if pad { " " } else { "" };
    out.push_str(&format!("{fence}{sp}{text}{sp}{fence}"));
}

pub(crate) fn push_text(text: &str, out: &mut String) {
    let mut first = true;
    for line in text.split('\n') {
        if !first {
            out.push_str("\\\n");
        }
        first = false;
        escape(line, out);
    }
}

pub(crate) fn longest_run(s: &str, c: char) -> usize {
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

/// Inline runs as Markdown. Runs of one link share one `[…](…)`, and
/// emphasis opens and closes as the styles of the runs change, so nested
/// styles read back nested: `**a (*b*, c)**`, not `**a (*****b***…`.
pub fn inlines_md(inlines: &[Inline]) -> String {
    inlines_md_within(inlines, Surround::LINE)
}

/// What stands before and after runs of Markdown: whether each is known
/// to be white space or punctuation (a line's start or end, a list
/// marker, a table's `|`), which `_` needs beside it to open or close.
/// Runs written into CriticMarkup are not known: accepting or rejecting a
/// change takes its `{++` and `++}` away, and a letter may then touch them.
#[derive(Clone, Copy)]
pub(crate) struct Surround {
    pub before: bool,
    pub after: bool,
}

impl Surround {
    /// Runs that fill a line, a heading or a table cell.
    pub const LINE: Surround = Surround {
        before: true,
        after: true,
    };
    /// Runs with anything around them.
    pub const UNKNOWN: Surround = Surround {
        before: false,
        after: false,
    };
}

/// [`inlines_md`] for runs with `around` them.
///
/// Emphasis that runs over a link, from before it to after it, opens and
/// closes outside the link's brackets (`**a [b](u) c**`): each link stands in
/// the runs as one character while the emphasis is written, and its
/// Markdown takes that character's place after. Closed before the link and
/// opened again inside and after it (`**a** [**b**](u) **c**`), the
/// delimiters met the brackets and other delimiters in ways a Markdown
/// reader can pair differently (found by the `markdown` fuzz target).
/// Emphasis of the link alone stays inside its brackets.
///
/// The delimiters are chosen by rules (see [`emphasised`]) that cover
/// what real text holds. Where marks meet inside runs of punctuation
/// (`***-**-****.*.***.*`), a Markdown reader can pair the delimiters
/// otherwise than they were meant, and no one rule is right for every
/// such run. So runs with emphasis that fill a line ([`checkable`]) are
/// read back once as the rules wrote them, and only if they read back
/// otherwise written the other ways ([`Writing::others`]) in turn; the
/// first way that reads back is kept, else the rules' way. Real text
/// reads back at the first try: one more parse of its paragraphs with
/// emphasis (no measurable time on the 1,000-page bench pair).
pub(crate) fn inlines_md_within(inlines: &[Inline], around: Surround) -> String {
    let first = written_with(inlines, around, Writing::FIRST);
    if !checkable(inlines, around) || reads_back(&first, inlines) {
        return first;
    }
    reading_back(inlines, around, Writing::others(), vec![first.clone()])
        .map(|(_, md)| md)
        .or_else(|| by_stretches(inlines, around))
        .unwrap_or(first)
}

/// The first of `ways` whose Markdown of `inlines` reads back as them,
/// with that Markdown. A Markdown already `tried` is not read again: many
/// ways write what another did where their choice does not arise.
fn reading_back(
    inlines: &[Inline],
    around: Surround,
    ways: impl Iterator<Item = Writing>,
    mut tried: Vec<String>,
) -> Option<(Writing, String)> {
    for way in ways {
        let md = written_with(inlines, around, way);
        if tried.contains(&md) {
            continue;
        }
        if reads_back(&md, inlines) {
            return Some((way, md));
        }
        tried.push(md);
    }
    None
}

/// [`inlines_md_within`] where no one way of writing serves the whole
/// line: each stretch of runs between plain text written its own way.
/// No mark is open over plain text, and a stretch that reads back between
/// its neighbours has paired every delimiter it writes, so nothing pairs
/// across the plain text. Two stretches of strong and emphasised
/// punctuation, each read back only by another way, made such a line
/// (found by the `markdown` fuzz target). `None` if a stretch reads back
/// no way, or the line as a whole does not.
fn by_stretches(inlines: &[Inline], around: Surround) -> Option<String> {
    // Where a line is cut: plain text (no mark, no link, nothing atomic)
    // with more than white space in it.
    let cut = |x: &Inline| x.style.is_plain() && x.text.chars().any(|c| !c.is_whitespace());
    let n = inlines.len();
    let mut pieces: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for (i, x) in inlines.iter().enumerate() {
        if cut(x) {
            if start < i {
                pieces.push(start..i);
            }
            pieces.push(i..i + 1);
            start = i + 1;
        }
    }
    if start < n {
        pieces.push(start..n);
    }
    if pieces.len() < 2 {
        return None;
    }
    // What stands beside a piece (see `Surround`).
    let before = |a: usize| match a {
        0 => around.before,
        _ => apart(inlines[a - 1].text.chars().last()),
    };
    let after = |b: usize| match b {
        _ if b == n => around.after,
        _ => apart(inlines[b].text.chars().next()),
    };
    let mut out = String::new();
    for r in pieces {
        let within = Surround {
            before: before(r.start),
            after: after(r.end),
        };
        let slice = &inlines[r.clone()];
        if slice.len() == 1 && cut(&slice[0]) {
            out.push_str(&written_with(slice, within, Writing::FIRST));
            continue;
        }
        // The stretch between the plain runs beside it, read as a line:
        // without the white space at their far ends, which a line's ends
        // lose (and which touches no delimiter of the stretch).
        let from = r.start.saturating_sub(1);
        let to = if r.end < n { r.end + 1 } else { n };
        let mut check = inlines[from..to].to_vec();
        if r.end < n
            && let Some(last) = check.last_mut()
        {
            last.text.truncate(last.text.trim_end().len());
        }
        if from < r.start {
            let first = &mut check[0].text;
            *first = first.trim_start().to_string();
        }
        let line = Surround {
            before: before(from),
            after: r.end < n || around.after,
        };
        let ways = std::iter::once(Writing::FIRST).chain(Writing::others());
        let (writing, _) = reading_back(&check, line, ways, Vec::new())?;
        out.push_str(&written_with(slice, within, writing));
    }
    reads_back(&out, inlines).then_some(out)
}

/// Whether [`inlines_md_within`] can check how runs read back: they
/// fill a line (a paragraph's, a heading's, a table cell's), so that the
/// reader sees what stands around them, and they have emphasis, whose
/// delimiters are what is chosen.
fn checkable(inlines: &[Inline], around: Surround) -> bool {
    around.before && around.after && inlines.iter().any(|x| x.style.strong || x.style.emph)
}

/// Whether `md`, the Markdown of `inlines`, reads back as them. It is
/// read as a paragraph's lines are written ([`paragraph_lines`]: only a
/// paragraph's runs hold line breaks), after `x `, which keeps a line
/// start (`-`, `#`, `1.`) from starting a block and is white space to the
/// first delimiter, as a line's start is; the link definitions and
/// footnotes the runs refer to follow it, as in a document.
///
/// A private-use character in inline HTML stands for a line break that
/// the paragraph's writer turns into a lazy line (`leaf_md_lazy`): it is
/// read as that line break, in `md` and in the runs alike.
fn reads_back(md: &str, inlines: &[Inline]) -> bool {
    let private_use = |c: &char| PRIVATE_USE.contains(c);
    let stand_ins: Vec<char> = inlines
        .iter()
        .filter(|x| x.style.html)
        .flat_map(|x| x.text.chars().filter(private_use))
        .collect();
    let as_breaks = |t: &str| -> String {
        t.chars()
            .map(|c| if stand_ins.contains(&c) { '\n' } else { c })
            .collect()
    };
    let unmarked: Vec<Inline>;
    let (md, inlines) = if stand_ins.is_empty() {
        (md.to_string(), inlines)
    } else {
        unmarked = inlines
            .iter()
            .map(|x| Inline {
                text: if x.style.html {
                    as_breaks(&x.text)
                } else {
                    x.text.clone()
                },
                style: x.style.clone(),
            })
            .collect();
        (as_breaks(md), unmarked.as_slice())
    };
    let lines = prefixed_lines("", "", &paragraph_lines(md), true, None);
    let mut text = format!("x {lines}\n\n");
    text.push_str(&definitions(&[Leaf {
        path: Vec::new(),
        block: Block::Paragraph {
            content: inlines.to_vec(),
        },
    }]));
    let mut notes: Vec<&str> = Vec::new();
    for x in inlines {
        if let Some(label) = x.style.footnote.as_deref()
            && !notes.contains(&label)
        {
            notes.push(label);
        }
    }
    for label in &notes {
        text.push_str(&format!("\n[^{label}]: note\n"));
    }
    let got = crate::source::markdown::parse(&text);
    let Some((Block::Paragraph { content }, rest)) = got.split_first() else {
        return false;
    };
    if rest.len() != notes.len() || !rest.iter().all(|b| matches!(b, Block::Footnote { .. })) {
        return false;
    }
    let mut got = content.clone();
    match got.first_mut() {
        Some(first) if first.style == Style::default() && first.text.starts_with("x ") => {
            first.text.drain(..2);
            if first.text.is_empty() {
                got.remove(0);
            }
        }
        _ => return false,
    }
    merged(&got) == merged(inlines)
}

/// Runs with neighbours of one style joined, as a reader gives them.
fn merged(inlines: &[Inline]) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for x in inlines {
        match out.last_mut() {
            Some(last) if last.style == x.style => last.text.push_str(&x.text),
            _ if x.text.is_empty() => {}
            _ => out.push(x.clone()),
        }
    }
    out
}

/// How [`emphasised`] chooses delimiters: where it writes `_` for a mark
/// instead of `*`, and how it nests marks that open together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Writing {
    underscores: Underscores,
    nesting: Nesting,
}

/// How [`emphasised`] nests marks that are open at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nesting {
    /// Marks that open together nest with the longest-lasting outermost.
    LongestOutside,
    /// Marks that open together nest in [`MARKS`] order.
    MarksOrder,
    /// As `LongestOutside`, and a mark already open closes and opens again
    /// inside a mark that opens later and outlasts it. Otherwise the
    /// later mark opens inside it, and where the earlier one ends both
    /// close and the later opens again: between punctuation, where every
    /// delimiter run can open and close, `-**.***__.__` read back
    /// otherwise than `-****.*.***` (found by the `markdown` fuzz target).
    Reopened,
}

/// Which marks [`emphasised`] writes with `_` (`__`) rather than `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Underscores {
    /// Where a mark opens right where another closes ([`underscored`]).
    WhereMarksMeet,
    Never,
    Always,
    /// Emphasis with `_`, strength with `**`: their runs never merge.
    ForEmphasis,
    /// Strength with `__`, emphasis with `*`.
    ForStrength,
}

impl Writing {
    /// The rules for real text.
    pub(crate) const FIRST: Writing = Writing {
        underscores: Underscores::WhereMarksMeet,
        nesting: Nesting::LongestOutside,
    };
    /// The other ways tried, in order, where the first does not read
    /// back: each choice of underscores, first with the rules' nesting,
    /// then with marks nested in [`MARKS`] order, then reopened where a
    /// later mark outlasts them.
    fn others() -> impl Iterator<Item = Writing> {
        use Underscores::*;
        [
            Nesting::LongestOutside,
            Nesting::MarksOrder,
            Nesting::Reopened,
        ]
        .into_iter()
        .flat_map(|nesting| {
            [WhereMarksMeet, ForEmphasis, ForStrength, Never, Always].map(|underscores| Writing {
                underscores,
                nesting,
            })
        })
        .filter(|&w| w != Writing::FIRST)
    }
}

/// [`inlines_md_within`], written one way.
fn written_with(inlines: &[Inline], around: Surround, writing: Writing) -> String {
    let mut s = String::new();
    if inlines.iter().all(|x| x.style.link.is_none()) {
        emphasised(inlines, around, None, writing, &mut s);
        return s;
    }
    let Some(stand_in) = free_stand_in(inlines.iter().flat_map(|x| texts_of(&x.text, &x.style)))
    else {
        return links_one_by_one(inlines, around, writing);
    };
    let key = |x: &Inline| {
        (
            x.style.link.clone(),
            x.style.link_title.clone(),
            x.style.link_ref.clone(),
        )
    };
    let mut runs: Vec<Inline> = Vec::with_capacity(inlines.len());
    let mut links: Vec<String> = Vec::new();
    let mut i = 0;
    while i < inlines.len() {
        let link = key(&inlines[i]);
        let mut j = i + 1;
        while j < inlines.len() && key(&inlines[j]) == link {
            j += 1;
        }
        let group = &inlines[i..j];
        if link.0.is_none() {
            runs.extend_from_slice(group);
            i = j;
            continue;
        }
        // A mark goes outside the brackets, its delimiters standing where
        // they would without the link, if all of the link has it and it
        // goes on past the link on at least one side; on a side where it
        // does not, its delimiter must be able to open (close) there: at
        // the line's edge, or beside white space or punctuation and no
        // other mark. Beside a letter it could not (`x**[b](u)**y` and
        // `*a [](u)*b` are no emphasis at all), so a mark of the link
        // alone stays inside its brackets. Inside them, a mark that goes
        // on past the link left the space between outside itself
        // (`[**a**](u) **b**`, how real text opens a sentence with a link;
        // a `markdown` fuzz finding). A link with no text has no marks of
        // its own (the reader drops them): any mark may go on over it
        // (`*a[](u) b*`, `*) [](u)*`; `diff` fuzz findings).
        let n = inlines.len();
        let empty = group
            .iter()
            .all(|r| r.text.is_empty() && !r.style.is_atomic());
        // Text written as it is: what stands beside it is its own first
        // or last character. Anything else is written between brackets,
        // backticks or `<` `>`, punctuation.
        let words = |x: &Inline| x.style.link.is_none() && !x.style.is_atomic() && !x.style.code;
        let unmarked = |x: &Inline| !x.style.strike && !x.style.strong && !x.style.emph;
        let closes_past = j == n && around.after
            || j < n
                && unmarked(&inlines[j])
                && (!words(&inlines[j]) || apart(inlines[j].text.chars().next()));
        let opens_past = i == 0 && around.before
            || i > 0
                && unmarked(&inlines[i - 1])
                && (!words(&inlines[i - 1]) || apart(inlines[i - 1].text.chars().last()));
        let outside = |has: HasMark| {
            let before = i > 0 && has(&inlines[i - 1].style);
            let after = j < n && has(&inlines[j].style);
            (empty || group.iter().all(|r| has(&r.style)))
                && (before || after)
                && (before || opens_past)
                && (after || closes_past)
        };
        let (strike, strong, emph) = (
            outside(MARKS[0].2),
            outside(MARKS[1].2),
            outside(MARKS[2].2),
        );
        let inner: Vec<Inline> = group
            .iter()
            .map(|r| Inline {
                text: r.text.clone(),
                style: Style {
                    strike: r.style.strike && !strike,
                    strong: r.style.strong && !strong,
                    emph: r.style.emph && !emph,
                    ..r.style.clone()
                },
            })
            .collect();
        let mut md = String::from("[");
        emphasised(&inner, Surround::LINE, None, writing, &mut md);
        md.push_str(&link_tail(&group[0].style));
        links.push(md);
        runs.push(Inline {
            text: stand_in.to_string(),
            style: Style {
                strike,
                strong,
                emph,
                ..Style::default()
            },
        });
        i = j;
    }
    let mut written = String::new();
    emphasised(&runs, around, Some(stand_in), writing, &mut written);
    let mut links = links.into_iter();
    for (k, piece) in written.split(stand_in).enumerate() {
        if k > 0 {
            s.push_str(&links.next().expect("a link for every stand-in"));
        }
        s.push_str(piece);
    }
    s
}

/// Whether `c`, beside a delimiter, is known to be white space or
/// punctuation other than `_` (which would merge with a `_` delimiter):
/// a delimiter there can open or close as the other side lets it.
fn apart(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_whitespace() || (c.is_ascii_punctuation() && c != '_'))
}

/// The private-use characters of Unicode's basic plane, which text the
/// writer holds for a moment stands in with ([`free_stand_in`]).
const PRIVATE_USE: std::ops::RangeInclusive<char> = '\u{E000}'..='\u{F8FF}';

/// A private-use character that no run's text, address, title or label
/// holds: it stands for a link while emphasis is written.
pub(crate) fn free_stand_in<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<char> {
    const FIRST: u32 = *PRIVATE_USE.start() as u32;
    const LAST: u32 = *PRIVATE_USE.end() as u32;
    let mut held = vec![false; (LAST - FIRST + 1) as usize];
    for c in texts.into_iter().flat_map(str::chars) {
        if (FIRST..=LAST).contains(&(c as u32)) {
            held[(c as u32 - FIRST) as usize] = true;
        }
    }
    let free = held.iter().position(|h| !h)?;
    char::from_u32(FIRST + free as u32)
}

/// Every text of a run: its words, and its link's or picture's address,
/// title and label.
pub(crate) fn texts_of<'a>(text: &'a str, st: &'a Style) -> impl Iterator<Item = &'a str> {
    [
        Some(text),
        st.link.as_deref(),
        st.link_title.as_deref(),
        st.link_ref.as_deref(),
        st.footnote.as_deref(),
        st.image.as_ref().map(|i| i.src.as_str()),
        st.image.as_ref().and_then(|i| i.title.as_deref()),
    ]
    .into_iter()
    .flatten()
}

/// [`inlines_md_within`] where no character is free to stand for a link:
/// each link's emphasis inside its brackets. Only text that holds every
/// private-use character comes here.
fn links_one_by_one(inlines: &[Inline], around: Surround, writing: Writing) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < inlines.len() {
        let key = |x: &Inline| {
            (
                x.style.link.clone(),
                x.style.link_title.clone(),
                x.style.link_ref.clone(),
            )
        };
        let link = key(&inlines[i]);
        let mut j = i + 1;
        while j < inlines.len() && key(&inlines[j]) == link {
            j += 1;
        }
        let runs = &inlines[i..j];
        if link.0.is_some() {
            // Inside `[` and `](…)`.
            s.push('[');
            emphasised(runs, Surround::LINE, None, writing, &mut s);
            s.push_str(&link_tail(&runs[0].style));
        } else {
            // Beside a link's brackets, or at the edges of all the runs.
            let within = Surround {
                before: i > 0 || around.before,
                after: j < inlines.len() || around.after,
            };
            emphasised(runs, within, None, writing, &mut s);
        }
        i = j;
    }
    s
}

/// The places of strength and emphasis in [`MARKS`].
const STRENGTH: usize = 1;
const EMPHASIS: usize = 2;

/// Whether a style has one kind of emphasis.
type HasMark = fn(&Style) -> bool;

/// The emphasis delimiters regdoc writes, outermost first: each with the
/// `_` form it may take instead (see [`emphasised`]); strike-through has
/// none.
pub(crate) const MARKS: [(&str, Option<&str>, HasMark); 3] = [
    ("~~", None, |s| s.strike),
    ("**", Some("__"), |s| s.strong),
    ("*", Some("_"), |s| s.emph),
];

/// A piece of the Markdown of [`emphasised`], before each delimiter's
/// character is chosen.
enum Piece {
    Text(String),
    /// Opens the mark `MARKS[kind]`; the number tells the instance.
    Open {
        kind: usize,
        instance: usize,
    },
    Close {
        kind: usize,
        instance: usize,
    },
}

/// Runs (of one link, or of none) with their emphasis opened and closed
/// as it changes. White space never stands inside a delimiter, where
/// Markdown would not read it as one.
///
/// A mark closed where another opens is written with `_` (`__`) rather
/// than `*` (`**`) where Markdown allows it: `**a.***b*` is one run of
/// three stars to a Markdown reader, which cannot both close the strong
/// text and open the emphasis, and the text read back plain (found by the
/// `markdown` fuzz target). `**a.**_b_` reads back as written.
pub(crate) fn emphasised(
    runs: &[Inline],
    around: Surround,
    link_stand_in: Option<char>,
    writing: Writing,
    out: &mut String,
) {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut instances = 0;
    let close_to = |open: &mut Vec<(usize, usize)>, keep: usize, pieces: &mut Vec<Piece>| {
        // Trailing spaces go after the closing delimiters.
        let mut spaces = String::new();
        if open.len() > keep
            && let Some(Piece::Text(t)) = pieces.last_mut()
        {
            let trail = t.len() - t.trim_end_matches(' ').len();
            spaces = t.split_off(t.len() - trail);
        }
        while open.len() > keep {
            let (kind, instance) = open.pop().expect("open mark");
            pieces.push(Piece::Close { kind, instance });
        }
        if !spaces.is_empty() {
            pieces.push(Piece::Text(spaces));
        }
    };
    // How many runs from each one on keep each mark: marks that open
    // together nest with the longest-lasting outermost. If strike-through,
    // strength and emphasis always nested in `MARKS` order, `***3** 3*`
    // (emphasis over a strong `3` and a plain ` 3`) would be written
    // `***3*** *3*`, which reads back as two emphasised runs with a plain
    // space between (found by the `markdown` fuzz target).
    let mut lasts = vec![[0usize; MARKS.len()]; runs.len() + 1];
    for (i, run) in runs.iter().enumerate().rev() {
        for (k, mark) in MARKS.iter().enumerate() {
            if (mark.2)(&run.style) {
                lasts[i][k] = lasts[i + 1][k] + 1;
            }
        }
    }
    for (i, run) in runs.iter().enumerate() {
        let want: Vec<usize> = (0..MARKS.len())
            .filter(|&k| (MARKS[k].2)(&run.style))
            .collect();
        let body = {
            let mut b = String::new();
            let bare = Style {
                strike: false,
                strong: false,
                emph: false,
                link: None,
                link_title: None,
                link_ref: None,
                ..run.style.clone()
            };
            inline_md(&run.text, &bare, &mut b);
            b
        };
        // Marks are not opened for white space alone: the spaces would go
        // before the delimiters and leave them empty, and `****` reads
        // back as four stars of text (found by the `markdown` fuzz
        // target).
        let blank = body.trim_start_matches(' ').is_empty();
        // Keep the longest prefix of open marks that is still wanted.
        let mut keep = open.iter().take_while(|(k, _)| want.contains(k)).count();
        if writing.nesting == Nesting::Reopened && !blank {
            // How long the longest of the marks that open here lasts.
            let longest_new = want
                .iter()
                .filter(|&&k| !open.iter().any(|&(o, _)| o == k))
                .map(|&k| lasts[i][k])
                .max()
                .unwrap_or(0);
            if let Some(p) = open[..keep]
                .iter()
                .position(|&(k, _)| lasts[i][k] < longest_new)
            {
                keep = p;
            }
        }
        close_to(&mut open, keep, &mut pieces);
        let mut opening: Vec<usize> = want
            .iter()
            .copied()
            .filter(|k| !blank && !open.iter().any(|(o, _)| o == k))
            .collect();
        // Stable: marks that last equally long keep `MARKS` order.
        if writing.nesting != Nesting::MarksOrder {
            opening.sort_by_key(|&k| std::cmp::Reverse(lasts[i][k]));
        }
        if !opening.is_empty() {
            // Leading spaces go before the delimiter.
            let lead = body.len() - body.trim_start_matches(' ').len();
            if lead > 0 {
                pieces.push(Piece::Text(body[..lead].to_string()));
            }
            for kind in opening {
                pieces.push(Piece::Open {
                    kind,
                    instance: instances,
                });
                open.push((kind, instances));
                instances += 1;
            }
            pieces.push(Piece::Text(body[lead..].to_string()));
        } else {
            pieces.push(Piece::Text(body));
        }
    }
    close_to(&mut open, 0, &mut pieces);
    let underscore = match writing.underscores {
        Underscores::WhereMarksMeet => underscored(&pieces, instances, around, link_stand_in),
        other => {
            let mut under = vec![false; instances];
            for p in &pieces {
                if let Piece::Open { kind, instance } = p {
                    under[*instance] = match other {
                        Underscores::Always => true,
                        Underscores::ForEmphasis => *kind == EMPHASIS,
                        Underscores::ForStrength => *kind == STRENGTH,
                        Underscores::Never | Underscores::WhereMarksMeet => false,
                    };
                }
            }
            under
        }
    };
    let delimiter = |k: Option<usize>| {
        matches!(
            k.and_then(|k| pieces.get(k)),
            Some(Piece::Open { .. } | Piece::Close { .. })
        )
    };
    for (n, p) in pieces.iter().enumerate() {
        match p {
            Piece::Text(t) => {
                let after_delimiter = delimiter(n.checked_sub(1));
                let before_delimiter = delimiter(Some(n + 1));
                push_beside_delimiters(t, after_delimiter, before_delimiter, out);
            }
            Piece::Open { kind, instance } | Piece::Close { kind, instance } => {
                let (star, under, _) = MARKS[*kind];
                out.push_str(match under {
                    Some(u) if underscore[*instance] => u,
                    _ => star,
                });
            }
        }
    }
}

/// Escaped text written next to emphasis delimiters: its first character
/// if one stands before it, its last if one stands after it, written as a
/// character reference where it is white space other than a space or a
/// line break. A delimiter beside white space cannot open or close (the
/// strong `l` and form feed of `**l&#xc;**` were written `**l\u{c}**`, a
/// closing `**` after white space, which read back as text; found by the
/// `markdown` fuzz target); beside `&#xC;` it can where its other side
/// is white space or punctuation too, as beside any punctuation
/// (`**l&#xC;** b`, not `**l&#xC;**b`, which no delimiters can write,
/// as `**a.**b`). Spaces never stand there: [`emphasised`] writes them
/// outside the delimiters.
fn push_beside_delimiters(
    text: &str,
    after_delimiter: bool,
    before_delimiter: bool,
    out: &mut String,
) {
    let odd = |c: char| c.is_whitespace() && c != ' ' && c != '\n';
    let reference = |c: char, out: &mut String| out.push_str(&format!("&#x{:X};", c as u32));
    let mut rest = text;
    let first = rest.chars().next().filter(|&c| after_delimiter && odd(c));
    if let Some(c) = first {
        reference(c, out);
        rest = &rest[c.len_utf8()..];
    }
    match rest.chars().next_back() {
        Some(c) if before_delimiter && odd(c) => {
            out.push_str(&rest[..rest.len() - c.len_utf8()]);
            reference(c, out);
        }
        _ => out.push_str(rest),
    }
}

/// Which mark instances of `pieces` are written with `_`: where a mark
/// opens right where another closes, one of the two, so that their
/// delimiter runs do not merge; the opening one if it can, else the
/// closing one. Markdown lets `_` open inside a word only after
/// punctuation and close only before white space or punctuation: the
/// opening one is written with `_` if its own closing delimiter is
/// followed by one of those (a delimiter, an escaped character, a space,
/// the end of a line), the closing one if its own opening delimiter
/// follows one; else both keep `*`, as before.
fn underscored(
    pieces: &[Piece],
    instances: usize,
    around: Surround,
    link_stand_in: Option<char>,
) -> Vec<bool> {
    let mut under = vec![false; instances];
    let mut opened_at = vec![0; instances];
    let mut closed_at = vec![0; instances];
    for (i, p) in pieces.iter().enumerate() {
        match p {
            Piece::Open { instance, .. } => opened_at[*instance] = i,
            Piece::Close { instance, .. } => closed_at[*instance] = i,
            Piece::Text(_) => {}
        }
    }
    // The character written next to piece `i`, looking `forward` or back:
    // `None` at the edge of the runs when what stands there is known to
    // be white space or punctuation.
    let beside = |under: &[bool], i: usize, forward: bool| -> Option<char> {
        let mut k = i;
        loop {
            k = if forward {
                k + 1
            } else {
                match k.checked_sub(1) {
                    Some(k) => k,
                    None => break,
                }
            };
            match pieces.get(k) {
                None => break,
                Some(Piece::Text(t)) if t.is_empty() => continue,
                Some(Piece::Text(t)) => {
                    return if forward {
                        t.chars().next()
                    } else {
                        t.chars().last()
                    };
                }
                Some(Piece::Open { kind, instance } | Piece::Close { kind, instance }) => {
                    return Some(if under[*instance] {
                        '_'
                    } else {
                        MARKS[*kind].0.chars().next().expect("a delimiter")
                    });
                }
            }
        }
        // Past the edge: nothing if what stands there is known to be
        // white space or punctuation, else the worst case, a letter.
        let known = if forward { around.after } else { around.before };
        if known { None } else { Some('a') }
    };
    // White space or punctuation other than `_` itself, which would merge.
    // A link's stand-in is its `[` or its `)` (or `]`) once written.
    let fits = |c: Option<char>| {
        c.is_none_or(|c| {
            c.is_whitespace() || (c.is_ascii_punctuation() && c != '_') || Some(c) == link_stand_in
        })
    };
    for (i, p) in pieces.iter().enumerate() {
        let Piece::Open { kind, instance } = p else {
            continue;
        };
        let Some(Piece::Close {
            kind: closed_kind,
            instance: closed,
        }) = i.checked_sub(1).and_then(|j| pieces.get(j))
        else {
            continue;
        };
        // Only `*` meets `*`: strike-through's `~~` and a `_` do not merge
        // with a star beside them.
        let stars = |k: usize, n: usize, under: &[bool]| MARKS[k].1.is_some() && !under[n];
        if !stars(*closed_kind, *closed, &under) || !stars(*kind, *instance, &under) {
            continue;
        }
        if fits(beside(&under, closed_at[*instance], true)) {
            under[*instance] = true;
        } else if fits(beside(&under, opened_at[*closed], false)) {
            under[*closed] = true;
        }
    }
    under
}

/// Wraps already-escaped Markdown in a style's delimiters.
pub(crate) fn styled(inner: &str, style: &Style, out: &mut String) {
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
    if style.link.is_some() {
        out.push_str(&link_tail(style));
    }
}

/// What closes a link's text: `][label]` for a link the source wrote in
/// reference form (its definition is written at the end, see
/// [`definitions`]), `](<url> "title")` for any other.
pub(crate) fn link_tail(style: &Style) -> String {
    match (&style.link_ref, &style.link) {
        (Some(label), _) => format!("][{label}]"),
        (None, Some(url)) => format!(
            "]({}{})",
            destination(url),
            title_md(style.link_title.as_deref())
        ),
        (None, None) => "]".into(),
    }
}

/// The reference definitions of the reference-style links of `leaves`,
/// one line each, in order of first use: `[label]: <url> "title"`.
pub fn definitions<'a>(leaves: impl IntoIterator<Item = &'a Leaf>) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    for l in leaves {
        crate::model::leaf_inlines(&l.block, &mut |i| {
            if let (Some(label), Some(url)) = (&i.style.link_ref, &i.style.link) {
                let key = label.to_lowercase();
                if !seen.contains(&key) {
                    seen.push(key);
                    out.push_str(&format!(
                        "[{label}]: {}{}\n",
                        destination(url),
                        title_md(i.style.link_title.as_deref())
                    ));
                }
            }
        });
    }
    out
}

pub(crate) fn align_md(a: Align) -> &'static str {
    match a {
        Align::None => "---",
        Align::Left => ":--",
        Align::Center => ":-:",
        Align::Right => "--:",
    }
}

pub(crate) fn table_md(t: &Table) -> String {
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

pub(crate) fn code_md(info: &str, text: &str) -> String {
    // A backtick fence cannot carry an info string with a backtick.
    let c = if info.contains('`') { '~' } else { '`' };
    let fence = c.to_string().repeat(longest_run(text, c).max(2) + 1);
    // The info string reads backslash escapes and entities: `\\` would come
    // back as `\` (found by the `markdown` fuzz target in CI).
    let mut escaped = String::with_capacity(info.len());
    for ch in info.chars() {
        if matches!(ch, '\\' | '&') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    // An info string that starts with the fence's character would
    // lengthen the fence (`~~~` and `~ a` made `~~~~ a`; found by the
    // `markdown` fuzz target): a space keeps them apart, and the reader
    // drops it.
    let gap = if escaped.starts_with(c) { " " } else { "" };
    format!("{fence}{gap}{escaped}\n{text}\n{fence}")
}

/// Text-block content with line-start escaping on every line: after a
/// hard break a `-` would start a list.
pub(crate) fn escape_lines(content: &str) -> String {
    content
        .split("\\\n")
        .map(|l| {
            let mut l = l.to_string();
            escape_line_start(&mut l);
            l
        })
        .collect::<Vec<_>>()
        .join("\\\n")
}

/// A paragraph's Markdown from the Markdown of its runs: a line feed that
/// ends it cannot be a hard break (a backslash with nothing after it
/// reads as itself) and is written as its character reference; each
/// line after a hard break has its start escaped, as the first has.
fn paragraph_lines(mut md: String) -> String {
    if md.ends_with("\\\n") {
        md.truncate(md.len() - 2);
        md.push_str("&#10;");
    }
    escape_lines(&md)
}

/// One leaf block as Markdown, without the prefixes of its containers.
pub fn block_md(block: &Block) -> String {
    match block {
        Block::Table(t) => table_md(t),
        Block::Code { info, text } => code_md(info, text),
        Block::Html { text } => text.clone(),
        Block::Rule => "---".into(),
        Block::Heading { level, content } => {
            format!("{} {}", "#".repeat(*level as usize), inlines_md(content))
        }
        Block::Paragraph { content } => paragraph_lines(inlines_md(content)),
        container => blocks_md(std::slice::from_ref(container))
            .trim_end()
            .to_string(),
    }
}

// ---------------------------------------------------------------------
// Containers: prefixes and separators, computed leaf by leaf.

/// How one leaf stands in the text of one side: what separates it from the
/// leaf before, the prefix of its first line and of its other lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Layout {
    pub(crate) sep: String,
    pub(crate) first: String,
    pub(crate) cont: String,
}

/// Lays out the leaves of one side in order: which lists must change their
/// marker to stay apart from the list just before them.
#[derive(Default)]
pub(crate) struct Layouter {
    /// List id → whether it uses the alternative marker (`*`, `)`).
    alt: HashMap<u32, bool>,
    /// Lists whose marker is set by the list just before them: changing it
    /// would run the two lists together.
    forced: HashMap<u32, ()>,
}

impl Layouter {
    pub(crate) fn layout(&mut self, prev: Option<&Leaf>, cur: &Leaf) -> Layout {
        let path = &cur.path;
        let d = prev.map_or(0, |p| {
            p.path
                .iter()
                .zip(path)
                .take_while(|(a, b)| a.id() == b.id())
                .count()
        });
        // Markers first: a list that follows another list at its level takes
        // the other marker, or the two would read as one list.
        for (k, f) in path.iter().enumerate().skip(d) {
            if let Frame::Item { list, .. } = f
                && !self.alt.contains_key(list)
            {
                let after_alt = prev.and_then(|p| p.path.get(k)).and_then(|g| match g {
                    Frame::Item { list: other, .. } if other != list => {
                        Some(*self.alt.get(other).unwrap_or(&false))
                    }
                    _ => None,
                });
                self.alt.insert(*list, after_alt == Some(false));
                if after_alt.is_some() {
                    self.forced.insert(*list, ());
                }
            }
        }
        let (mut first, mut cont) = self.prefixes(cur, d);
        // Nested empty items can spell a thematic break (`- - -`), which
        // reads back as a rule, not as lists: the innermost list that
        // starts here takes its other marker (`- - *`). Found by the
        // first-round-trip property test.
        if cur.is_placeholder() && is_break_line(&first) {
            let innermost = path
                .iter()
                .enumerate()
                .skip(d)
                .rev()
                // Only a list no list stands right before may change.
                .find_map(|(_, f)| match f {
                    Frame::Item {
                        list, number: None, ..
                    } if !self.forced.contains_key(list) => Some(*list),
                    _ => None,
                });
            if let Some(list) = innermost {
                let alt = self.alt.entry(list).or_insert(false);
                *alt = !*alt;
                (first, cont) = self.prefixes(cur, d);
            }
        }
        let sep = self.separator(prev, cur, d);
        Layout { sep, first, cont }
    }

    /// The prefixes of the first and the other lines of `cur`, whose
    /// containers from depth `d` on start with it.
    fn prefixes(&self, cur: &Leaf, d: usize) -> (String, String) {
        let path = &cur.path;
        let mut first = String::new();
        let mut cont = String::new();
        for (k, f) in path.iter().enumerate() {
            let starts = k >= d;
            match f {
                Frame::Quote { .. } => {
                    first.push_str("> ");
                    cont.push_str("> ");
                }
                Frame::Footnote { label, .. } => {
                    if starts {
                        first.push_str(&format!("[^{label}]: "));
                    } else {
                        first.push_str("    ");
                    }
                    cont.push_str("    ");
                }
                Frame::Item {
                    list, number, task, ..
                } => {
                    let alt = *self.alt.get(list).unwrap_or(&false);
                    let marker = match number {
                        Some(n) => format!("{n}{} ", if alt { ')' } else { '.' }),
                        None => format!("{} ", if alt { '*' } else { '-' }),
                    };
                    let width = marker.len();
                    if starts {
                        first.push_str(&marker);
                        // The box belongs to the item's first paragraph.
                        if let Some(done) = task
                            && k + 1 == path.len()
                            && !cur.is_placeholder()
                            && matches!(cur.block, Block::Paragraph { .. })
                        {
                            first.push_str(if *done { "[x] " } else { "[ ] " });
                        }
                    } else {
                        first.push_str(&" ".repeat(width));
                    }
                    cont.push_str(&" ".repeat(width));
                }
            }
        }
        (first, cont)
    }

    /// What separates `cur` from the leaf before it.
    fn separator(&self, prev: Option<&Leaf>, cur: &Leaf, d: usize) -> String {
        let path = &cur.path;
        match prev {
            None => String::new(),
            Some(p) => {
                // After an empty item, pulldown-cmark ends the containers
                // around it at a blank line: a block that can interrupt
                // follows on the next line instead.
                let after_empty = p.is_placeholder()
                    && matches!(p.path.last(), Some(Frame::Item { .. }))
                    && d > 0
                    && path.len() == d
                    && matches!(
                        cur.block,
                        Block::Heading { .. } | Block::Code { .. } | Block::Rule
                    );
                let tight =
                    (tight_between(&p.path, path, d) && !needs_blank(p, cur, d)) || after_empty;
                if tight {
                    "\n".to_string()
                } else {
                    // A blank line inside a quote keeps its `>`.
                    let mut blank = String::new();
                    for f in &path[..d] {
                        match f {
                            Frame::Quote { .. } => blank.push_str("> "),
                            Frame::Footnote { .. } => blank.push_str("    "),
                            Frame::Item { number, .. } => {
                                let w = number.map_or(2, |n| n.to_string().len() + 2);
                                blank.push_str(&" ".repeat(w));
                            }
                        }
                    }
                    format!("\n{}\n", blank.trim_end())
                }
            }
        }
    }
}

/// Whether a line of list markers alone reads as a thematic break: three
/// or more of one of `-`, `*`, `_`, and spaces.
fn is_break_line(line: &str) -> bool {
    // What the containers around (quotes, a footnote's label) leave.
    let inner = line.rsplit("]: ").next().unwrap_or(line);
    let t: Vec<char> = inner
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '>')
        .collect();
    t.len() >= 3 && matches!(t[0], '-' | '*' | '_') && t.iter().all(|&c| c == t[0])
}

/// Whether two leaves that part at level `d` stand on consecutive lines:
/// inside a tight list, unless they are two quotes or notes that would
/// run together.
pub(crate) fn tight_between(prev: &[Frame], cur: &[Frame], d: usize) -> bool {
    if let (Some(a), Some(b)) = (prev.get(d), cur.get(d)) {
        match (a, b) {
            (Frame::Item { list: x, tight, .. }, Frame::Item { list: y, .. }) if x == y => {
                return *tight;
            }
            (Frame::Item { .. }, Frame::Item { .. }) => {}
            _ => return false,
        }
    }
    // Inside an item of a tight list, blocks follow line by line; inside a
    // quote or a note, paragraphs need a blank line between them.
    match cur[..d].last() {
        Some(Frame::Item { tight, .. }) => *tight,
        _ => false,
    }
}

/// Whether `cur` needs a blank line after `prev` (they part at level
/// `d`): a paragraph takes the next line as its own, a table takes it as a
/// row, an HTML block as HTML. A new list item or quote interrupts a
/// paragraph by its marker, except an empty item or a numbered list not
/// starting at 1, which CommonMark does not let interrupt one.
pub(crate) fn needs_blank(prev: &Leaf, cur: &Leaf, d: usize) -> bool {
    let para = matches!(prev.block, Block::Paragraph { .. }) && !prev.is_placeholder();
    // Most HTML blocks run to the next blank line, whatever starts there:
    // a nested list or a quote after one needs it too (found by the
    // `diff` fuzz target: `<a/>` and `- o` in one item read back as one
    // HTML block). One that ends at its own closing text (a comment) needs
    // none, and gets none: a blank line inside an item makes its list
    // loose.
    let html = matches!(&prev.block, Block::Html { text } if runs_to_a_blank_line(text));
    if let Some(opened) = cur.path.get(d) {
        return match opened {
            // A sibling item starts at its list's margin: no paragraph of
            // the item before can take it, nor an HTML block.
            Frame::Item { list, .. } if matches!(prev.path.get(d), Some(Frame::Item { list: l, .. }) if l == list) => {
                false
            }
            Frame::Item { start, .. } => {
                html || (para && (cur.is_placeholder() || start.is_some_and(|s| s != 1)))
            }
            Frame::Quote { .. } => html,
            Frame::Footnote { .. } => true,
        };
    }
    matches!(prev.block, Block::Table(_))
        || html
        || (para
            && matches!(
                cur.block,
                Block::Paragraph { .. } | Block::Table(_) | Block::Html { .. }
            ))
}

/// Whether an HTML block goes on to the next blank line (CommonMark's
/// kinds 6 and 7: `<div>`, `<a/>`, …) rather than ending on the line with
/// its closing text (kinds 1 to 5: `<script>`, `<pre>`, `<style>` and
/// `<textarea>` to their end tag, a comment, a processing instruction, a
/// declaration, CDATA), after which the next line starts a block of its
/// own.
pub(crate) fn runs_to_a_blank_line(html: &str) -> bool {
    let t = html.trim_start_matches(' ');
    let lower = t.get(..t.len().min(11)).unwrap_or("").to_ascii_lowercase();
    let last = html.rsplit('\n').next().unwrap_or("");
    let raw = ["script", "pre", "style", "textarea"].iter().find(|tag| {
        lower
            .strip_prefix('<')
            .and_then(|r| r.strip_prefix(**tag))
            .is_some_and(|r| {
                r.chars()
                    .next()
                    .is_none_or(|c| c == '>' || c.is_ascii_whitespace())
            })
    });
    let end = if let Some(tag) = raw {
        return !last.to_ascii_lowercase().contains(&format!("</{tag}>"));
    } else if t.starts_with("<!--") {
        "-->"
    } else if t.starts_with("<?") {
        "?>"
    } else if t.starts_with("<![CDATA[") {
        "]]>"
    } else if t.starts_with("<!") && t[2..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        ">"
    } else {
        return true;
    };
    !last.contains(end)
}

/// A leaf's Markdown after its containers' prefixes: `first` before its
/// first line, `cont` before the others (trimmed before an empty line).
///
/// Some lines of a paragraph are written lazily, without the prefixes
/// and four spaces deeper ([`lazy_indent`]):
/// - a line that could underline a setext heading (`--`, `==`). Inside a
///   paragraph such a line can only be inline HTML running on, over a line
///   the source wrote lazily or indented deeper (`> o<!D`, then `--`,
///   then `c>`): written as `> --` it would underline the line before and
///   make the paragraph a heading;
/// - inside a quote, a line that inline HTML runs on to. pulldown-cmark
///   ends an HTML declaration or tag at the quote's own `>` on the next
///   line (`> %<!O`, then `> \-` reads as `<!O` + a line break + `>`,
///   then the text `-`). Such HTML reads whole only where the source
///   wrote its lines lazily (`>%<!O`, then `\-`), and so it is written
///   back. (A comment reads whole either way; its lines are written
///   lazily too, for one rule.)
/// - a line that would start a block of its own ([`starts_a_block`]).
///
/// All were found by the `markdown` fuzz target.
pub(crate) fn leaf_prefixed(first: &str, cont: &str, leaf: &Leaf) -> String {
    let paragraph = matches!(leaf.block, Block::Paragraph { .. });
    let (md, lazy) = leaf_md_lazy(leaf);
    prefixed_lines(first, cont, &md, paragraph, lazy)
}

/// Whether a leaf is a paragraph in a quote with inline HTML that runs
/// on over lines, which [`leaf_md_lazy`] writes lazily.
pub(crate) fn lazy_lines(leaf: &Leaf) -> bool {
    let in_quote = leaf.path.iter().any(|f| matches!(f, Frame::Quote { .. }));
    in_quote
        && matches!(&leaf.block, Block::Paragraph { content } if content.iter().any(html_runs_on))
}

/// Whether a run is inline HTML that runs on over a line break (one
/// that ends it is not run on over).
fn html_runs_on(i: &Inline) -> bool {
    i.style.html && i.text.trim_end_matches('\n').contains('\n')
}

/// A leaf's Markdown where it stands ([`leaf_md`]), with each line break
/// inside a paragraph's inline HTML written as `lazy` rather than `\n`
/// where that HTML stands in a quote (see [`leaf_prefixed`]). `lazy` is a
/// private-use character no text of the leaf holds; `None` where there
/// is no such line break, or no such character.
pub(crate) fn leaf_md_lazy(leaf: &Leaf) -> (String, Option<char>) {
    let Block::Paragraph { content } = &leaf.block else {
        return (leaf_md(leaf), None);
    };
    if !lazy_lines(leaf) {
        return (leaf_md(leaf), None);
    }
    let Some(lazy) = free_stand_in(content.iter().flat_map(|i| texts_of(&i.text, &i.style))) else {
        return (leaf_md(leaf), None);
    };
    let marked: Vec<Inline> = content
        .iter()
        .map(|i| {
            if !html_runs_on(i) {
                return i.clone();
            }
            let body = i.text.trim_end_matches('\n');
            let mut text = body.replace('\n', lazy.encode_utf8(&mut [0; 4]));
            text.push_str(&i.text[body.len()..]);
            Inline {
                text,
                style: i.style.clone(),
            }
        })
        .collect();
    let leaf = Leaf {
        path: leaf.path.clone(),
        block: Block::Paragraph { content: marked },
    };
    (leaf_md(&leaf), Some(lazy))
}

/// Whether a line could underline a setext heading: up to three spaces,
/// then only `=` or only `-`, then spaces or tabs.
fn setext_underline(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let t = line.trim_start_matches(' ').trim_end_matches([' ', '\t']);
    indent <= 3 && !t.is_empty() && (t.bytes().all(|b| b == b'=') || t.bytes().all(|b| b == b'-'))
}

/// Whether a line of a paragraph, after its first, is written lazily and
/// deeper ([`lazy_indent`]): one that could underline a setext heading or
/// would start a block of its own (see [`leaf_prefixed`]). CriticMarkup's
/// lines follow the same rule (`render::markdown::put_prefixed`).
pub(crate) fn goes_deeper(line: &str) -> bool {
    setext_underline(line) || starts_a_block(line)
}

/// Whether a line of a paragraph (after a hard break, or inside inline
/// HTML) would start a block of its own at its containers' margin: a
/// line that reads alone as anything but one paragraph. Text lines have
/// their start escaped ([`escape_lines`]); inline HTML cannot be, and
/// `<tr>` after a hard break in a list item (`- f\`, `  <tr>`) started
/// an HTML block (found by the `markdown` fuzz target). Such a line is
/// written four spaces deeper ([`lazy_indent`]), where it can only go on
/// with the paragraph.
fn starts_a_block(line: &str) -> bool {
    !line.trim().is_empty()
        && !matches!(
            crate::source::markdown::parse(line).as_slice(),
            [Block::Paragraph { .. }]
        )
}

/// How a lazy line (see [`leaf_prefixed`]) starts, after containers whose
/// other lines start with `cont`: four spaces deeper than they are. Any
/// container marker (a quote's `>`) is left out, so no container goes
/// on; and at that depth the line can start no block of its own (four
/// spaces make indented code, which cannot interrupt a paragraph), so it
/// can only go on with the paragraph, whatever it holds (`---`, `# a`,
/// `- a`). A reader drops those spaces from the paragraph's text.
pub(crate) fn lazy_indent(cont: &str) -> String {
    " ".repeat(cont.chars().count() + 4)
}

/// The lines of `content` with their prefixes (see [`leaf_prefixed`]):
/// `lazy` breaks a line without them.
fn prefixed_lines(
    first: &str,
    cont: &str,
    content: &str,
    paragraph: bool,
    lazy: Option<char>,
) -> String {
    let mut s = String::new();
    for (i, line) in content.split('\n').enumerate() {
        if i > 0 {
            s.push('\n');
            if paragraph && goes_deeper(line) {
                s.push_str(&lazy_indent(cont));
            } else if line.is_empty() {
                s.push_str(cont.trim_end());
            } else {
                s.push_str(cont);
            }
        } else if line.is_empty() {
            s.push_str(first.trim_end());
        } else {
            s.push_str(first);
        }
        match lazy {
            Some(c) => {
                for (k, part) in line.split(c).enumerate() {
                    if k > 0 {
                        s.push('\n');
                        s.push_str(&lazy_indent(cont));
                    }
                    s.push_str(part);
                }
            }
            None => s.push_str(line),
        }
    }
    s
}

/// A leaf's block as Markdown where it stands: a rule inside a list item
/// is `___`, since `- ---` (or `* ***`) would be a rule, not an item.
pub(crate) fn leaf_md(leaf: &Leaf) -> String {
    match &leaf.block {
        _ if leaf.is_placeholder() => String::new(),
        Block::Rule if !leaf.path.is_empty() => "___".into(),
        b => block_md(b),
    }
}

/// Leaves joined as a Markdown document.
pub fn leaves_md(leaves: &[Leaf]) -> String {
    let mut lay = Layouter::default();
    let mut s = String::new();
    let mut prev: Option<&Leaf> = None;
    for leaf in leaves {
        let l = lay.layout(prev, leaf);
        s.push_str(&l.sep);
        s.push_str(&leaf_prefixed(&l.first, &l.cont, leaf));
        prev = Some(leaf);
    }
    s.push('\n');
    s
}

/// A document tree as Markdown, with the definitions of its
/// reference-style links at the end.
pub fn blocks_md(blocks: &[Block]) -> String {
    let leaves = flatten(blocks);
    let mut s = leaves_md(&leaves);
    let defs = definitions(&leaves);
    if !defs.is_empty() {
        s.push('\n');
        s.push_str(&defs);
    }
    s
}
