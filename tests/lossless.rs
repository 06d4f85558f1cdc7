//! Property tests: accepting every change of a redline gives the new
//! document, rejecting every change gives the old one, whatever the edits.

mod common;

use proptest::prelude::*;
use regdoc::diff::{Change, diff_blocks};
use regdoc::model::{
    Align, Block, Image, Inline, Leaf, List, ListItem, Style, Table, flatten, unflatten,
};

/// Cases per property: the given default, or PROPTEST_CASES for a longer run.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The configuration of each property: `cases` cases from a fixed seed, so
/// that `cargo test` (and CI) is a gate that gives the same answer on every
/// run, as the fuzz replay is. A random search is a run with
/// `PROPTEST_RNG_SEED=random` (or any other seed); what it finds goes into
/// `fuzz/open/README.md` until fixed.
fn config(default_cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED") {
        Ok(_) => base.rng_seed,
        Err(_) => proptest::test_runner::RngSeed::Fixed(1),
    };
    ProptestConfig {
        cases: cases(default_cases),
        rng_seed,
        ..base
    }
}

const WORDS: &[&str] = &[
    "the",
    "DCC",
    "shall",
    "report",
    "ECoS",
    "migration",
    "daily",
    "weekly",
    "Supplier",
    "Device",
    "cease",
    "on",
    "19",
    "July",
    "2024",
    ",",
    ".",
    "(",
    ")",
    "—",
    "a",
    "of",
    "to",
    // CriticMarkup's delimiters and Markdown's syntax, as text.
    "{++",
    "--}",
    "{~~x~>y~~}",
    "<<}",
    "~>",
    "{>>",
    "*",
    "[",
    "]",
    "`",
    "\\",
    "&ouml;",
    "#",
];

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..12).prop_map(|w| w.join(" "))
}

fn inlines() -> impl Strategy<Value = Vec<Inline>> {
    prop::collection::vec((words(), 0u8..7), 1..3).prop_map(|runs| {
        let mut out: Vec<Inline> = Vec::new();
        for (i, (text, style)) in runs.into_iter().enumerate() {
            let style = match style {
                1 => Style {
                    strong: true,
                    ..Style::default()
                },
                2 => Style {
                    emph: true,
                    ..Style::default()
                },
                3 => Style {
                    code: true,
                    ..Style::default()
                },
                4 => Style {
                    link: Some("https://example.com/a b?x={++}".into()),
                    link_title: Some("a \"title\" ~>".into()),
                    ..Style::default()
                },
                5 => Style {
                    image: Some(Box::new(Image {
                        src: "img/diagram one.png".into(),
                        title: None,
                    })),
                    ..Style::default()
                },
                6 => Style {
                    footnote: Some("n".into()),
                    ..Style::default()
                },
                _ => Style::default(),
            };
            let text = if style.footnote.is_some() {
                "n".to_string()
            } else {
                text
            };
            if style.is_atomic() {
                out.push(Inline { text, style });
                continue;
            }
            let text = if i > 0 { format!(" {text}") } else { text };
            match out.last_mut() {
                Some(last) if last.style == style => last.text.push_str(&text),
                _ => out.push(Inline { text, style }),
            }
        }
        out
    })
}

fn table() -> impl Strategy<Value = Table> {
    (2usize..4, 0usize..6).prop_flat_map(|(cols, rows)| {
        (
            prop::collection::vec(
                prop::sample::select(&["Ref", "Name", "Distribution", "Frequency"][..]),
                cols,
            ),
            prop::collection::vec(prop::collection::vec(words(), cols), rows),
        )
            .prop_map(move |(header, rows)| Table {
                align: vec![Align::None; header.len()],
                header: header.iter().map(|h| vec![Inline::plain(*h)]).collect(),
                rows: rows
                    .into_iter()
                    .map(|r| r.into_iter().map(|c| vec![Inline::plain(c)]).collect())
                    .collect(),
            })
    })
}

/// A leaf block.
fn leaf() -> impl Strategy<Value = Block> {
    prop_oneof![
        (1u8..4, inlines()).prop_map(|(level, content)| Block::Heading { level, content }),
        inlines().prop_map(|content| Block::Paragraph { content }),
        inlines().prop_map(|content| Block::Paragraph { content }),
        table().prop_map(Block::Table),
        words().prop_map(|text| Block::Code {
            info: String::new(),
            text
        }),
        Just(Block::Rule),
    ]
}

/// A block of a document tree: leaves, and lists and quotes nesting them.
fn block() -> impl Strategy<Value = Block> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::option::of(1u64..12),
                any::<bool>(),
                prop::collection::vec(
                    (
                        prop::option::of(any::<bool>()),
                        prop::collection::vec(inner.clone(), 0..3)
                    ),
                    1..4
                )
            )
                .prop_map(|(start, tight, items)| Block::List(List {
                    start,
                    tight,
                    items: items
                        .into_iter()
                        // Task boxes are left to the corpus tests: a box
                        // before a heading reads back differently by context.
                        .map(|(_task, blocks)| ListItem { task: None, blocks })
                        .collect(),
                })),
            prop::collection::vec(inner, 0..3).prop_map(|blocks| Block::Quote { blocks }),
        ]
    })
}

/// A document: blocks, and maybe the text of footnote `n` at the end.
fn doc(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Block>> {
    (
        prop::collection::vec(block(), n),
        prop::option::of(prop::collection::vec(leaf(), 1..3)),
    )
        .prop_map(|(mut blocks, note)| {
            if let Some(note) = note {
                blocks.push(Block::Footnote {
                    label: "n".into(),
                    blocks: note,
                });
            }
            blocks
        })
}

/// One edit of a block sequence.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, Block),
    Delete(usize),
    Replace(usize, Block),
    /// Change some words of a text block.
    Words(usize, usize, String),
    Move(usize, usize),
    /// Change, add or remove a table row or column.
    Row(usize, usize, Vec<String>),
    DropRow(usize, usize),
    AddColumn(usize, String),
    DropColumn(usize),
    MoveRow(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), block()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), block()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), any::<usize>(), words()).prop_map(|(i, w, s)| Edit::Words(i, w, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::Move(i, j)),
        (
            any::<usize>(),
            any::<usize>(),
            prop::collection::vec(words(), 4)
        )
            .prop_map(|(i, r, c)| Edit::Row(i, r, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, r)| Edit::DropRow(i, r)),
        (any::<usize>(), words()).prop_map(|(i, h)| Edit::AddColumn(i, h)),
        any::<usize>().prop_map(Edit::DropColumn),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(i, a, b)| Edit::MoveRow(i, a, b)),
    ]
}

/// Applies an edit to the leaves of a tree: a leaf inserted next to
/// another joins its containers, a moved one leaves them for others'.
fn apply(tree: &mut Vec<Block>, e: &Edit) {
    let mut leaves = flatten(tree);
    apply_leaves(&mut leaves, e);
    *tree = unflatten(&leaves);
}

fn apply_leaves(leaves: &mut Vec<Leaf>, e: &Edit) {
    let n = leaves.len();
    match e {
        Edit::Insert(i, b) => {
            let at = i % (n + 1);
            let path = leaves
                .get(at)
                .or(leaves.last())
                .map(|l| l.path.clone())
                .unwrap_or_default();
            // Containers are inserted whole, at the top level.
            let leaf_only = flatten(std::slice::from_ref(b));
            if leaf_only.len() == 1 && leaf_only[0].path.is_empty() {
                leaves.insert(
                    at,
                    Leaf {
                        path,
                        block: b.clone(),
                    },
                );
            } else {
                for (k, l) in leaf_only.into_iter().enumerate() {
                    leaves.insert(at + k, l);
                }
            }
        }
        Edit::Delete(i) if n > 0 => {
            leaves.remove(i % n);
        }
        Edit::Replace(i, b)
            if n > 0
                && flatten(std::slice::from_ref(b))
                    .first()
                    .is_some_and(|l| l.path.is_empty()) =>
        {
            leaves[i % n].block = b.clone();
        }
        Edit::Move(i, j) if n > 0 => {
            let b = leaves.remove(i % n);
            leaves.insert(j % n, b);
        }
        other if n > 0 => {
            let i = match other {
                Edit::Words(i, ..)
                | Edit::Row(i, ..)
                | Edit::DropRow(i, ..)
                | Edit::AddColumn(i, ..)
                | Edit::DropColumn(i)
                | Edit::MoveRow(i, ..) => *i,
                _ => 0,
            };
            let mut one = vec![leaves[i % n].block.clone()];
            apply_block(&mut one, other);
            if let [b] = one.as_slice() {
                leaves[i % n].block = b.clone();
            }
        }
        _ => {}
    }
}

fn apply_block(blocks: &mut Vec<Block>, e: &Edit) {
    let n = blocks.len();
    match e {
        Edit::Insert(i, b) => blocks.insert(i % (n + 1), b.clone()),
        Edit::Delete(i) if n > 0 => {
            blocks.remove(i % n);
        }
        Edit::Replace(i, b) if n > 0 => blocks[i % n] = b.clone(),
        Edit::Words(i, w, s) if n > 0 => {
            let b = &mut blocks[i % n];
            if let Block::Paragraph { content } | Block::Heading { content, .. } = b
                && let Some(k) = (!content.is_empty()).then(|| w % content.len())
                && !content[k].style.is_atomic()
            {
                let words: Vec<&str> = content[k].text.split(' ').collect();
                let at = w % words.len();
                let mut new: Vec<String> = words.iter().map(|x| x.to_string()).collect();
                new[at] = s.clone();
                content[k].text = new.join(" ");
            }
        }
        Edit::Move(i, j) if n > 0 => {
            let b = blocks.remove(i % n);
            blocks.insert(j % n, b);
        }
        Edit::Row(i, r, cells) if n > 0 => {
            if let Block::Table(t) = &mut blocks[i % n] {
                let cols = t.header.len();
                let mut row: Vec<Vec<Inline>> = cells
                    .iter()
                    .take(cols)
                    .map(|c| vec![Inline::plain(c.clone())])
                    .collect();
                // Rows are as wide as the header, as the parser makes them.
                row.resize(cols, vec![Inline::plain("pad")]);
                let at = r % (t.rows.len() + 1);
                if r % 2 == 0 || t.rows.is_empty() {
                    t.rows.insert(at, row);
                } else {
                    let at = r % t.rows.len();
                    t.rows[at] = row;
                }
            }
        }
        Edit::DropRow(i, r) if n > 0 => {
            if let Block::Table(t) = &mut blocks[i % n]
                && !t.rows.is_empty()
            {
                let at = r % t.rows.len();
                t.rows.remove(at);
            }
        }
        Edit::AddColumn(i, h) if n > 0 => {
            if let Block::Table(t) = &mut blocks[i % n] {
                t.header.push(vec![Inline::plain(h.clone())]);
                t.align.push(Align::None);
                for r in &mut t.rows {
                    r.push(vec![Inline::plain("new cell")]);
                }
            }
        }
        Edit::DropColumn(i) if n > 0 => {
            if let Block::Table(t) = &mut blocks[i % n]
                && t.header.len() > 1
            {
                t.header.remove(0);
                t.align.remove(0);
                for r in &mut t.rows {
                    r.remove(0);
                }
            }
        }
        Edit::MoveRow(i, a, b) if n > 0 => {
            if let Block::Table(t) = &mut blocks[i % n]
                && !t.rows.is_empty()
            {
                let len = t.rows.len();
                let row = t.rows.remove(a % len);
                t.rows.insert(b % len, row);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn accept_gives_new_and_reject_gives_old(
        old in doc(0..14),
        edits in prop::collection::vec(edit(), 0..8),
    ) {
        let mut new = old.clone();
        for e in &edits {
            apply(&mut new, e);
        }
        let r = diff_blocks(&old, &new);
        prop_assert_eq!(r.accept(), new.clone());
        prop_assert_eq!(r.reject(), old.clone());
        if old == new {
            prop_assert!(r.blocks.iter().all(|b| b.change() == Change::Unchanged));
        }
    }

    #[test]
    fn a_complete_rewrite_is_whole_removals_and_additions(
        old in doc(1..10),
    ) {
        let new = vec![Block::Paragraph { content: vec![Inline::plain("zebra quokka")] }];
        let r = diff_blocks(&old, &new);
        prop_assert_eq!(r.accept(), new);
        prop_assert_eq!(r.reject(), old.clone());
        // Nothing in common: every old leaf is removed whole and the new
        // one added whole, never paired word by word or called a move.
        let old_leaves = flatten(&old).len();
        let count = |c: Change| r.blocks.iter().filter(|b| b.change() == c).count();
        prop_assert_eq!(count(Change::Removed), old_leaves, "{:?}", r.blocks);
        prop_assert_eq!(count(Change::Added), 1);
        prop_assert_eq!(r.blocks.len(), old_leaves + 1);
        prop_assert!(r.blocks.iter().all(|b| b.words().is_empty() && b.table().is_none()));
    }
}

/// What a document is once written as Markdown and read back.
fn normal(blocks: &[Block]) -> Vec<Block> {
    regdoc::source::markdown::parse(&regdoc::render::markdown::blocks_md(blocks))
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn markdown_output_reads_back_the_same(blocks in doc(0..14)) {
        let once = normal(&blocks);
        // The first round trip loses no word: writing normalises layout
        // (runs merged, blank edges trimmed), never text.
        // A footnote reference reads as its label, which an undefined one
        // becomes as text: `[^n]` either way.
        let words = |b: &[Block]| -> Vec<String> {
            let mut text = String::new();
            // Thematic breaks carry no text.
            for l in flatten(b).into_iter().filter(|l| l.block != Block::Rule) {
                match l.block.inlines() {
                    Some(runs) => {
                        for r in runs {
                            match &r.style.footnote {
                                Some(label) => text.push_str(&format!("[^{label}]")),
                                None => text.push_str(&r.text),
                            }
                        }
                    }
                    None => text.push_str(&l.block.text()),
                }
                text.push(' ');
            }
            text.split_whitespace().map(str::to_string).collect()
        };
        prop_assert_eq!(words(&once), words(&blocks), "Markdown:\n{}", regdoc::render::markdown::blocks_md(&blocks));
        let md = regdoc::render::markdown::blocks_md(&once);
        prop_assert_eq!(normal(&once), once.clone(), "Markdown:\n{}\n---- written again:\n{}", md, regdoc::render::markdown::blocks_md(&normal(&once)));
    }

    #[test]
    fn criticmarkup_accepts_to_new_and_rejects_to_old(
        old in doc(0..12),
        edits in prop::collection::vec(edit(), 0..6),
    ) {
        let mut new = old.clone();
        for e in &edits {
            apply(&mut new, e);
        }
        let (old, new) = (normal(&old), normal(&new));
        let r = diff_blocks(&old, &new);
        let md = regdoc::render::markdown::critic_markup(&r);
        let accepted = regdoc::source::markdown::parse(&regdoc::render::markdown::apply_critic(&md, regdoc::diff::Side::New));
        let rejected = regdoc::source::markdown::parse(&regdoc::render::markdown::apply_critic(&md, regdoc::diff::Side::Old));
        prop_assert_eq!(accepted, new, "CriticMarkup:\n{}", md);
        prop_assert_eq!(rejected, old, "CriticMarkup:\n{}", md);
    }
}

/// `blocks` with every container holding something and no heading inside
/// a container (see the Word test).
fn word_safe(blocks: &[Block], inside: bool) -> Vec<Block> {
    let filler = || Block::Paragraph {
        content: vec![Inline::plain("filler")],
    };
    let fill = |b: &[Block]| {
        let v = word_safe(b, true);
        if v.is_empty() { vec![filler()] } else { v }
    };
    blocks
        .iter()
        .map(|b| match b {
            Block::Heading { content, .. } if inside => Block::Paragraph {
                content: content.clone(),
            },
            Block::List(l) => Block::List(List {
                start: l.start,
                tight: l.tight,
                items: l
                    .items
                    .iter()
                    .map(|i| ListItem {
                        task: i.task,
                        blocks: fill(&i.blocks),
                    })
                    .collect(),
            }),
            Block::Quote { blocks } => Block::Quote {
                blocks: fill(blocks),
            },
            // A Word footnote holds paragraphs: tables and code in notes
            // are left to the other formats' tests.
            Block::Footnote { label, blocks } => Block::Footnote {
                label: label.clone(),
                // …and a note that refers to a note stays out too.
                blocks: fill(blocks)
                    .into_iter()
                    .filter_map(|b| match b {
                        Block::Paragraph { content } => Some(Block::Paragraph {
                            content: content
                                .into_iter()
                                .filter(|i| i.style.footnote.is_none())
                                .collect(),
                        }),
                        _ => None,
                    })
                    .filter(|b| b.inlines().is_some_and(|i| !i.is_empty()))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .chain(std::iter::once(filler()))
                    .collect(),
            },
            other => other.clone(),
        })
        .collect()
}

/// A document pair as plain files (no folder: images stand as their alt
/// text and address, in the reference and in the comparison alike).
fn plain_doc(blocks: Vec<Block>) -> regdoc::model::SourceDoc {
    regdoc::model::SourceDoc {
        origin: "doc.md".into(),
        dir: None,
        info: None,
        meta: None,
        front_matter: None,
        blocks,
        read_digest: None,
    }
}

/// What pandoc reads from a Word file, as Markdown, from the body on:
/// lists, tables, notes and text, so structure is compared, not only words.
fn pandoc_reads(docx: &[u8], mode: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.docx");
    std::fs::write(&path, docx).unwrap();
    let out = std::process::Command::new("pandoc")
        .arg(format!("--track-changes={mode}"))
        .arg(&path)
        .args(["-t", "markdown-smart", "--wrap=none"])
        .output()
        .expect("pandoc is needed by the tests: apt-get install pandoc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The title and the "Tracked changes: …" line name the sides: drop them.
    let body = match text.find("*Tracked changes") {
        Some(i) => text[i..]
            .split_once("\n\n")
            .map_or("", |(_, rest)| rest)
            .to_string(),
        None => text,
    };
    // pandoc 2.17 (Debian 12) keeps a table row whose deletion or insertion
    // Word tracks as a row (`w:trPr/w:del`, `w:trPr/w:ins`), showing it
    // empty, and likewise a heading whose text and paragraph mark are both
    // tracked, and a numbered paragraph (an empty item, which also splits
    // the list in two); Word and LibreOffice remove them. Empty rows,
    // tables of nothing but empty rows, empty headings and items, and the
    // list separators that follow from them are left aside here;
    // `rows_are_tracked_as_rows` checks the row marks themselves.
    // pandoc separates two adjacent lists with a raw HTML comment, also
    // inside quotes and items (behind `> ` or indentation).
    let bare = |l: &str| l.trim_start_matches(['>', ' ']).to_string();
    let lines: Vec<&str> = body.lines().collect();
    let mut kept = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if i + 2 < lines.len()
            && bare(lines[i]) == "```{=html}"
            && bare(lines[i + 1]) == "<!-- -->"
            && bare(lines[i + 2]) == "```"
        {
            i += 3;
            continue;
        }
        kept.push(lines[i]);
        i += 1;
    }
    let body = kept.join("\n");
    let empty_item = |l: &str| {
        let t = l.trim();
        t == "-" || (t.ends_with('.') && t[..t.len() - 1].chars().all(|c| c.is_ascii_digit()))
    };
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let lines: Vec<&str> = block
            .lines()
            .filter(|l| !l.trim().is_empty() && !empty_item(l))
            .collect();
        let empty_heading = lines.len() == 1 && lines[0].trim().chars().all(|c| c == '#');
        if empty_heading || lines.is_empty() {
            continue;
        }
        // Table rules: where a table's frame ends is left to the row marks.
        let lines: Vec<&str> = lines
            .into_iter()
            .filter(|l| !l.trim().chars().all(|c| c == '-' || c == ' '))
            .collect();
        out.push(lines.join("\n"));
    }
    // Block quotes are Word indents that pandoc joins or splits by the
    // paragraphs around them, and Word tracks no change of a paragraph's
    // list membership (an item's second paragraph becoming an item of its
    // own): quote marks and list markers are left aside, the lines inside
    // them (headings, table rows, text, notes) are compared in order.
    let marker = |l: &str| -> usize {
        let t = l.trim_start();
        let lead = l.len() - t.len();
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        let spaces = |r: &str| r.len() - r.trim_start_matches(' ').len();
        if let Some(r) = t.strip_prefix('-')
            && spaces(r) > 0
        {
            lead + 1 + spaces(r)
        } else if digits > 0
            && let Some(r) = t[digits..].strip_prefix('.')
            && spaces(r) > 0
        {
            lead + digits + 1 + spaces(r)
        } else {
            0
        }
    };
    out.join("\n")
        .lines()
        .map(|mut l| {
            loop {
                let t = l.trim_start_matches(['>', ' ']);
                let t = &t[marker(t)..];
                if t.len() == l.len() {
                    break t.trim_end();
                }
                l = t;
            }
        })
        // Emphasis is compared by words: pandoc writes two adjacent bold
        // runs as `**a** **b**` or `**a b**` depending on the runs Word has.
        .map(|l| {
            // Emphasis stars go; escaped characters (`\*`, `\\`) stay.
            let mut out = String::new();
            let mut chars = l.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        out.push(c);
                        out.extend(chars.next());
                    }
                    '*' => {}
                    c => out.push(c),
                }
            }
            out
        })
        .filter(|l| !l.is_empty() && !empty_item(l))
        .collect::<Vec<_>>()
        .join("\n")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        // The separator pandoc puts between two lists it reads apart.
        .replace("```{=html} <!-- --> ``` ", "")
}

#[test]
fn rows_are_tracked_as_rows() {
    let table = |rows: &[&str]| {
        let mut t = String::from("| Ref | Name |\n|---|---|\n");
        for r in rows {
            t.push_str(&format!("| {r} | n {r} |\n"));
        }
        regdoc::source::markdown::parse(&t)
    };
    let doc = docx_of(&table(&["a", "b", "c"]), &table(&["a", "c", "d"]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.docx");
    std::fs::write(&path, &doc).unwrap();
    let xml = common::docx_part(&path, "word/document.xml");
    assert_eq!(
        xml.matches("<w:trPr><w:del ").count(),
        1,
        "row b removed as a row"
    );
    assert_eq!(
        xml.matches("<w:trPr><w:ins ").count(),
        1,
        "row d added as a row"
    );
    // A whole table removed: every row, its header too.
    let doc = docx_of(&table(&["a", "b"]), &[]);
    std::fs::write(&path, &doc).unwrap();
    let xml = common::docx_part(&path, "word/document.xml");
    assert_eq!(xml.matches("<w:tr>").count(), 3, "a header and two rows");
    assert_eq!(xml.matches("<w:trPr><w:del ").count(), 3);
}

fn docx_of(old: &[Block], new: &[Block]) -> Vec<u8> {
    let (a, b) = (plain_doc(old.to_vec()), plain_doc(new.to_vec()));
    let r = regdoc::diff::diff_docs(&a, &b);
    let rev = regdoc::render::docx::Revision {
        author: "Test".into(),
        date: "2024-06-10T00:00:00Z".into(),
    };
    regdoc::render::docx::redline_docx(&a, &b, &r, &rev, &Default::default()).unwrap()
}

proptest! {
    // Each case runs pandoc four times: few cases, PROPTEST_CASES for more.
    #![proptest_config(ProptestConfig { cases: cases(12).min(200), ..config(12) })]

    /// Word's "Accept all" reads as the new document and "Reject all" as the
    /// old one, list by list and row by row: a removed table row must not
    /// come back as an empty row, nor a removed item as an empty item.
    #[test]
    fn word_accepts_to_new_and_rejects_to_old_by_structure(
        old in doc(1..8),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let mut new = old.clone();
        for e in &edits {
            apply(&mut new, e);
        }
        let (old, new) = (normal(&old), normal(&new));
        // Empty list items and quotes (pandoc 2.17 reads an empty numbered
        // paragraph as its own list) and headings inside lists (a Word
        // heading has no list number; pandoc reads one by what precedes it)
        // are left to the other formats' tests.
        let (old, new) = (normal(&word_safe(&old, false)), normal(&word_safe(&new, false)));
        // A note that one side refers to and the other does not is a Word
        // footnote on one side and body text on the other: one Word file
        // cannot be both, so such pairs are left to the CriticMarkup test.
        let notes_agree = |b: &[Block]| {
            let leaves = flatten(b);
            let defined = leaves.iter().any(|l| !l.path.is_empty() && matches!(l.path[0], regdoc::model::Frame::Footnote { .. }));
            let mut referred = false;
            for l in &leaves {
                regdoc::model::leaf_inlines(&l.block, &mut |i| referred |= i.style.footnote.is_some());
            }
            defined == referred
        };
        prop_assume!(notes_agree(&old) && notes_agree(&new));
        let accepted = pandoc_reads(&docx_of(&old, &new), "accept");
        let rejected = pandoc_reads(&docx_of(&old, &new), "reject");
        let first_diff = |a: &str, b: &str| {
            let (x, y): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
            let i = x.iter().zip(&y).take_while(|(p, q)| p == q).count();
            let (p, q) = (x.get(i).copied().unwrap_or(""), y.get(i).copied().unwrap_or(""));
            let c = p.chars().zip(q.chars()).take_while(|(m, n)| m == n).count();
            let at = |t: &str| t.chars().skip(c.saturating_sub(60)).take(160).collect::<String>();
            format!("first difference at line {i}, char {c}:\n got: …{}\nwant: …{}", at(p), at(q))
        };
        let want = pandoc_reads(&docx_of(&new, &new), "accept");
        let md = |b: &[Block]| regdoc::render::markdown::blocks_md(b);
        prop_assert!(accepted == want, "accept: {}\n--- old\n{}--- new\n{}", first_diff(&accepted, &want), md(&old), md(&new));
        let want = pandoc_reads(&docx_of(&old, &old), "accept");
        prop_assert!(rejected == want, "reject: {}\n--- old\n{}--- new\n{}", first_diff(&rejected, &want), md(&old), md(&new));
    }
}
