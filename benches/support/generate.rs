//! Realistic governed documents and edits of them, for benchmarks.
//!
//! About 500 words a page: numbered sections and clauses, bullet lists, and
//! tables of 10–200 rows. Deterministic: the same seed, the same bytes.

#![allow(dead_code)]

/// A small, fast, deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const WORDS: &[&str] = &[
    "the",
    "DCC",
    "shall",
    "provide",
    "report",
    "Supplier",
    "Party",
    "Parties",
    "Device",
    "Devices",
    "Smart",
    "Meter",
    "migration",
    "ECoS",
    "within",
    "accordance",
    "with",
    "clause",
    "Panel",
    "approval",
    "data",
    "service",
    "request",
    "Communications",
    "Hub",
    "Function",
    "Commissioned",
    "period",
    "each",
    "any",
    "such",
    "other",
    "where",
    "not",
    "be",
    "to",
    "of",
    "and",
    "in",
    "on",
    "for",
    "by",
    "a",
    "an",
    "is",
    "are",
    "has",
    "been",
    "may",
    "must",
    "under",
    "this",
    "that",
    "which",
    "information",
    "security",
    "Responsible",
    "Gaining",
    "Losing",
    "weekly",
    "monthly",
    "daily",
    "notice",
    "Working",
    "Day",
    "Days",
    "Authority",
    "Secretary",
    "State",
    "Code",
    "Section",
    "Appendix",
    "Schedule",
    "obligation",
    "process",
    "consultation",
    "response",
    "publish",
    "update",
    "record",
    "certificate",
    "key",
    "transfer",
    "change",
];

fn word(r: &mut Rng) -> &'static str {
    WORDS[r.below(WORDS.len())]
}

fn sentence(r: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(if r.chance(0.06) { ',' } else { ' ' });
            if s.ends_with(',') {
                s.push(' ');
            }
        }
        s.push_str(word(r));
    }
    s.push('.');
    s
}

/// One block of a generated document.
#[derive(Clone, Debug)]
pub enum Gen {
    Heading(u8, String),
    Para(String),
    Item(String),
    Table(Vec<Vec<String>>),
}

impl Gen {
    fn words(&self) -> usize {
        match self {
            Gen::Heading(_, t) | Gen::Para(t) | Gen::Item(t) => t.split_whitespace().count(),
            Gen::Table(rows) => rows
                .iter()
                .flatten()
                .map(|c| c.split_whitespace().count())
                .sum(),
        }
    }
}

/// A document of about `pages` pages.
pub fn document(pages: usize, seed: u64) -> Vec<Gen> {
    let mut r = Rng::new(seed);
    let target = pages * 500;
    let mut blocks = Vec::new();
    let mut words = 0;
    let mut section = 0;
    let mut table_no = 0;
    while words < target {
        section += 1;
        blocks.push(Gen::Heading(1, format!("{section}. {}", title(&mut r))));
        for sub in 1..=r.range(2, 5) {
            blocks.push(Gen::Heading(
                2,
                format!("{section}.{sub} {}", title(&mut r)),
            ));
            for clause in 1..=r.range(3, 8) {
                let n = r.range(40, 120);
                let text = format!("{section}.{sub}.{clause} {}", sentence(&mut r, n));
                words += n;
                blocks.push(Gen::Para(text));
                if r.chance(0.12) {
                    for _ in 0..r.range(3, 6) {
                        let n = r.range(10, 25);
                        words += n;
                        blocks.push(Gen::Item(sentence(&mut r, n)));
                    }
                }
            }
            if r.chance(0.18) {
                table_no += 1;
                let rows = if r.chance(0.1) {
                    r.range(100, 200)
                } else {
                    r.range(10, 40)
                };
                let mut t = vec![vec![
                    "Ref".into(),
                    "Name".into(),
                    "Distribution".into(),
                    "Frequency".into(),
                ]];
                for i in 1..=rows {
                    let n = r.range(4, 9);
                    let name = sentence(&mut r, n);
                    let freq = ["Daily", "Weekly", "Monthly", "Quarterly"][r.below(4)].to_string();
                    t.push(vec![
                        format!("T{table_no}-{i:03}"),
                        name,
                        "Responsible Supplier".into(),
                        freq,
                    ]);
                    words += 12;
                }
                blocks.push(Gen::Table(t));
            }
            if words >= target {
                break;
            }
        }
    }
    blocks
}

fn title(r: &mut Rng) -> String {
    let n = r.range(2, 5);
    let mut s = sentence(r, n);
    s.pop();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// The edit patterns the benchmarks compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Words1,
    Words10,
    Rows,
    Moves,
    Rewrite,
}

impl Edit {
    pub const ALL: [Edit; 5] = [
        Edit::Words1,
        Edit::Words10,
        Edit::Rows,
        Edit::Moves,
        Edit::Rewrite,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Edit::Words1 => "words-1pct",
            Edit::Words10 => "words-10pct",
            Edit::Rows => "table-rows",
            Edit::Moves => "sections-moved",
            Edit::Rewrite => "rewrite",
        }
    }
}

fn edit_words(text: &str, r: &mut Rng, p: f64) -> String {
    let mut out: Vec<String> = Vec::new();
    for (i, w) in text.split(' ').enumerate() {
        // Keep the clause number in front.
        if i == 0 || !r.chance(p) {
            out.push(w.to_string());
            continue;
        }
        match r.below(3) {
            0 => out.push(word(r).to_string()),
            1 => {}
            _ => {
                out.push(w.to_string());
                out.push(word(r).to_string());
            }
        }
    }
    out.join(" ")
}

/// `doc` with one pattern of edits applied.
pub fn edit(doc: &[Gen], pattern: Edit, seed: u64) -> Vec<Gen> {
    let mut r = Rng::new(seed ^ 0xED17);
    match pattern {
        Edit::Words1 | Edit::Words10 => {
            let p = if pattern == Edit::Words1 { 0.01 } else { 0.10 };
            doc.iter()
                .map(|b| match b {
                    Gen::Para(t) => Gen::Para(edit_words(t, &mut r, p)),
                    Gen::Item(t) => Gen::Item(edit_words(t, &mut r, p)),
                    other => other.clone(),
                })
                .collect()
        }
        Edit::Rows => doc
            .iter()
            .map(|b| match b {
                Gen::Table(rows) => {
                    let mut out = vec![rows[0].clone()];
                    for row in &rows[1..] {
                        match r.below(20) {
                            0 => {}
                            1 => {
                                let mut changed = row.clone();
                                changed[3] = "Annually".into();
                                out.push(changed);
                            }
                            2 => {
                                out.push(row.clone());
                                out.push(vec![
                                    format!("{}-A", row[0]),
                                    sentence(&mut r, 5),
                                    "Responsible Supplier".into(),
                                    "Weekly".into(),
                                ]);
                            }
                            _ => out.push(row.clone()),
                        }
                    }
                    Gen::Table(out)
                }
                other => other.clone(),
            })
            .collect(),
        Edit::Moves => {
            // Cut into sections and move one in twenty elsewhere.
            let mut sections: Vec<Vec<Gen>> = Vec::new();
            for b in doc {
                if matches!(b, Gen::Heading(1, _)) || sections.is_empty() {
                    sections.push(Vec::new());
                }
                sections.last_mut().expect("section").push(b.clone());
            }
            let n = sections.len();
            for _ in 0..(n / 20).max(1) {
                let from = r.below(n);
                let s = sections.remove(from);
                let to = r.below(n);
                sections.insert(to.min(sections.len()), s);
            }
            sections.into_iter().flatten().collect()
        }
        Edit::Rewrite => {
            let words: usize = doc.iter().map(Gen::words).sum();
            document((words / 500).max(1), seed ^ 0xBEEF)
        }
    }
}

/// Markdown of a generated document, with front matter when `version` is given.
pub fn markdown(doc: &[Gen], front: Option<(&str, &str)>) -> String {
    let mut s = String::new();
    if let Some((version, status)) = front {
        let approved = if status == "draft" {
            String::new()
        } else {
            "approved: {by: DESNZ, on: 2024-01-02}\n".into()
        };
        let supersedes = if status == "draft" {
            "supersedes: \"1.0\"\n"
        } else {
            ""
        };
        let effective = if status == "draft" {
            "2024-09-01"
        } else {
            "2024-01-02"
        };
        s.push_str(&format!(
            "---\nversion: \"{version}\"\nstatus: {status}\neffective: {effective}\n{approved}{supersedes}summary: Generated benchmark document, version {version}.\n---\n\n"
        ));
    }
    let mut prev_item = false;
    for b in doc {
        // A list ends with a blank line, or the next paragraph joins it.
        if prev_item && !matches!(b, Gen::Item(_)) {
            s.push('\n');
        }
        prev_item = matches!(b, Gen::Item(_));
        match b {
            Gen::Heading(l, t) => s.push_str(&format!("{} {t}\n\n", "#".repeat(*l as usize))),
            Gen::Para(t) => s.push_str(&format!("{t}\n\n")),
            Gen::Item(t) => s.push_str(&format!("- {t}\n")),
            Gen::Table(rows) => {
                for (i, row) in rows.iter().enumerate() {
                    s.push_str(&format!("| {} |\n", row.join(" | ")));
                    if i == 0 {
                        s.push_str(&format!("|{}\n", "---|".repeat(row.len())));
                    }
                }
                s.push('\n');
            }
        }
    }
    s
}

/// `document.yaml` for a generated document folder.
pub fn document_yaml(id: &str) -> String {
    format!(
        "id: {id}\ntitle: Generated Code {id}\nowner: DCC\nclassification: DCC Public\napprover: DESNZ\n"
    )
}
