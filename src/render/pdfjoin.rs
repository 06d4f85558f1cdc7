//! One PDF of the PDFs of a long document's chunks.
//!
//! Each chunk of a long document (`render::typst::chunk`) is exported to a
//! PDF of its own, so that chunks export side by side and a chunk an edit
//! did not touch need not be exported again (`render::pdf`'s cache). This
//! module joins those PDFs into the one PDF a reader gets, with what a
//! single export would have written once:
//!
//! - one page tree, the chunks' pages in order;
//! - one structure tree: the chunks' `Document` elements become one, whose
//!   children are theirs in order; the ParentTree keys of each chunk are
//!   shifted past the ones before it (and so are the pages'
//!   `StructParents` and annotations' `StructParent`); table-cell IDs,
//!   which typst numbers per export, get the chunk's prefix so that no two
//!   collide in the one IDTree;
//! - one outline, rebuilt from every chunk's headings with typst's own
//!   nesting rule (`OutlineNode::build_tree`), so that a section of a
//!   later chunk nests under a title of the first;
//! - one name tree of destinations, and links to a heading of another
//!   chunk (laid out to `regdoc-anchor:SLUG`) pointed at it, with the
//!   alternative text typst gives a link to a heading ("Section, page 31");
//! - the first chunk's catalog, metadata and output intent (the others are
//!   `continuation`s, which have none of their own worth keeping), with
//!   the XMP page count made the whole document's;
//! - the files the PDF embeds (`crate::provenance`), as typst's
//!   `pdf.attach` writes them (PDF/A-3 associated files of the document).
//!   The join embeds them, not a chunk: the sources change with every
//!   edit, and in a chunk they would make its PDF new each time.
//!
//! Fonts stay subset per chunk: a font used by every chunk is embedded
//! once per chunk, each subset with the glyphs its chunk uses.
//!
//! Most of a chunk's objects (the structure elements above all: 100,000
//! of them in a 1,000-page mark-up) are copied as bytes, references,
//! ParentTree keys and IDs rewritten in place ([`Rewrite`]); the objects
//! made anew, and links between chunks, are read as objects ([`Obj`]).
//! A unit test holds the two ways to the same meaning on a real PDF.
//!
//! It reads PDFs as typst (krilla) writes them: one classic
//! cross-reference section, direct stream lengths, the structure tree's
//! ParentTree and IDTree and the destinations as flat arrays. Anything else
//! is an error that names what it found, not a guess.

use std::num::NonZeroUsize;

use crate::render::pdfmeta::XrefTable;

/// One chunk's PDF, and what the join needs to know of it that the PDF
/// does not say.
pub struct Chunk<'a> {
    pub pdf: &'a [u8],
    /// Every heading of the chunk in order: its level, and whether it is
    /// in the outline (typst leaves out some, and one left out still
    /// decides where the next ones nest).
    pub headings: &'a [(NonZeroUsize, bool)],
    /// How many pages it has, as its page numbers were stamped.
    pub pages: usize,
}

/// Why chunks could not be joined: a PDF of a shape this module does not
/// read. A bug of regdoc's, since it wrote them.
#[derive(Debug)]
pub struct JoinError(pub String);

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(what: impl Into<String>) -> Result<T, JoinError> {
    Err(JoinError(what.into()))
}

/// The URL prefix of a link laid out to a heading of another chunk.
pub const FAR_ANCHOR: &[u8] = b"regdoc-anchor:";

/// The text of the empty level-1 heading a chunk after the first starts
/// with (`continuation` in `templates/regdoc.typ`). PDF/UA-1 wants a
/// PDF's first heading at level 1, and a chunk's PDF is checked as one on
/// export; in the joined PDF the title of the first chunk is that
/// heading, and the stand-ins are dropped.
pub const CONTINUATION: &[u8] = b"regdoc continuation";

// ---------------------------------------------------------------------------
// Objects

/// A PDF object, as much of it as the join reads or writes.
#[derive(Clone, Debug, PartialEq)]
enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    /// A real number, kept as written: the join never computes with one.
    Real(Vec<u8>),
    /// A string's bytes, escapes resolved.
    Str(Vec<u8>),
    /// A name without its slash, `#` escapes as written.
    Name(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(u32),
}

type Dict = Vec<(Vec<u8>, Obj)>;

fn get<'a>(d: &'a Dict, key: &[u8]) -> Option<&'a Obj> {
    d.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn set(d: &mut Dict, key: &[u8], value: Obj) {
    match d.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => d.push((key.to_vec(), value)),
    }
}

fn remove(d: &mut Dict, key: &[u8]) {
    d.retain(|(k, _)| k != key);
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A reader of objects from bytes.
struct Parser<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_space(&mut self) {
        while let Some(&c) = self.b.get(self.at) {
            if is_white(c) {
                self.at += 1;
            } else if c == b'%' {
                while self
                    .b
                    .get(self.at)
                    .is_some_and(|&c| c != b'\n' && c != b'\r')
                {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.at;
        while self
            .b
            .get(self.at)
            .is_some_and(|&c| !is_white(c) && !is_delim(c))
        {
            self.at += 1;
        }
        &self.b[start..self.at]
    }

    fn err<T>(&self, what: &str) -> Result<T, JoinError> {
        fail(format!("{what} at byte {}", self.at))
    }

    fn object(&mut self, depth: usize) -> Result<Obj, JoinError> {
        if depth > 64 {
            return self.err("objects nested too deep");
        }
        self.skip_space();
        let Some(&c) = self.b.get(self.at) else {
            return self.err("the file ends inside an object");
        };
        match c {
            b'/' => {
                self.at += 1;
                Ok(Obj::Name(self.token().to_vec()))
            }
            b'(' => self.literal().map(Obj::Str),
            b'<' if self.b.get(self.at + 1) == Some(&b'<') => {
                self.at += 2;
                let mut d = Dict::new();
                loop {
                    self.skip_space();
                    match self.b.get(self.at) {
                        Some(b'>') if self.b.get(self.at + 1) == Some(&b'>') => {
                            self.at += 2;
                            return Ok(Obj::Dict(d));
                        }
                        Some(b'/') => {
                            self.at += 1;
                            let key = self.token().to_vec();
                            let value = self.object(depth + 1)?;
                            d.push((key, value));
                        }
                        _ => return self.err("a dictionary key that is not a name"),
                    }
                }
            }
            b'<' => {
                self.at += 1;
                let start = self.at;
                while self.b.get(self.at).is_some_and(|&c| c != b'>') {
                    self.at += 1;
                }
                let hex: Vec<u8> = self.b[start..self.at]
                    .iter()
                    .copied()
                    .filter(|c| !is_white(*c))
                    .collect();
                if self.at >= self.b.len() {
                    return self.err("a hex string that does not end");
                }
                self.at += 1;
                let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
                let mut out = Vec::with_capacity(hex.len() / 2 + 1);
                for pair in hex.chunks(2) {
                    let hi = digit(pair[0]);
                    let lo = pair.get(1).map_or(Some(0), |&c| digit(c));
                    match (hi, lo) {
                        (Some(h), Some(l)) => out.push(h << 4 | l),
                        _ => return self.err("a hex string with a non-hex digit"),
                    }
                }
                Ok(Obj::Str(out))
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.b.get(self.at) == Some(&b']') {
                        self.at += 1;
                        return Ok(Obj::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            _ => {
                let word = self.token();
                match word {
                    b"true" => return Ok(Obj::Bool(true)),
                    b"false" => return Ok(Obj::Bool(false)),
                    b"null" => return Ok(Obj::Null),
                    _ => {}
                }
                let Some(text) = std::str::from_utf8(word).ok().filter(|w| !w.is_empty()) else {
                    return self.err("an unreadable token");
                };
                if let Ok(n) = text.parse::<i64>() {
                    if !self.reference_rest() {
                        return Ok(Obj::Int(n));
                    }
                    return match u32::try_from(n) {
                        Ok(r) => Ok(Obj::Ref(r)),
                        Err(_) => self.err("a reference out of range"),
                    };
                }
                if text.parse::<f64>().is_ok() {
                    return Ok(Obj::Real(word.to_vec()));
                }
                self.err("an unknown keyword")
            }
        }
    }

    /// After a number: moves past ` g R` and says so if they follow (the
    /// number was an object's), else stays.
    fn reference_rest(&mut self) -> bool {
        let save = self.at;
        self.skip_space();
        let generation = self.token();
        self.skip_space();
        if !generation.is_empty()
            && generation.iter().all(u8::is_ascii_digit)
            && self.b.get(self.at) == Some(&b'R')
            && self
                .b
                .get(self.at + 1)
                .is_none_or(|&c| is_white(c) || is_delim(c))
        {
            self.at += 1;
            return true;
        }
        self.at = save;
        false
    }

    /// Moves past one object without building it.
    fn skip_object(&mut self, depth: usize) -> Result<(), JoinError> {
        if depth > 64 {
            return self.err("objects nested too deep");
        }
        self.skip_space();
        match self.b.get(self.at) {
            None => self.err("the file ends inside an object"),
            Some(b'(') => self.literal().map(drop),
            Some(b'<') if self.b.get(self.at + 1) == Some(&b'<') => {
                self.at += 2;
                loop {
                    self.skip_space();
                    match self.b.get(self.at) {
                        Some(b'>') if self.b.get(self.at + 1) == Some(&b'>') => {
                            self.at += 2;
                            return Ok(());
                        }
                        Some(b'/') => {
                            self.at += 1;
                            self.token();
                            self.skip_object(depth + 1)?;
                        }
                        _ => return self.err("a dictionary key that is not a name"),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                loop {
                    self.skip_space();
                    if self.b.get(self.at) == Some(&b']') {
                        self.at += 1;
                        return Ok(());
                    }
                    self.skip_object(depth + 1)?;
                }
            }
            Some(b'<') | Some(b'/') => self.object(depth).map(drop),
            Some(_) => {
                if self.token().is_empty() {
                    return self.err("an unreadable token");
                }
                self.reference_rest();
                Ok(())
            }
        }
    }

    fn literal(&mut self) -> Result<Vec<u8>, JoinError> {
        self.at += 1;
        let mut out = Vec::new();
        let mut depth = 1;
        loop {
            let Some(&c) = self.b.get(self.at) else {
                return self.err("a string that does not end");
            };
            self.at += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(&e) = self.b.get(self.at) else {
                        return self.err("a string that does not end");
                    };
                    self.at += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.b.get(self.at) == Some(&b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.b.get(self.at) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }
}

/// Writes `obj`, each reference through `map`.
fn write(obj: &Obj, out: &mut Vec<u8>, map: &dyn Fn(u32) -> u32) {
    match obj {
        Obj::Null => out.extend_from_slice(b"null"),
        Obj::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Obj::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Obj::Real(r) => out.extend_from_slice(r),
        Obj::Str(s) => write_string(s, out),
        Obj::Name(n) => {
            out.push(b'/');
            out.extend_from_slice(n);
        }
        Obj::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write(item, out, map);
            }
            out.push(b']');
        }
        Obj::Dict(d) => {
            out.extend_from_slice(b"<<");
            for (k, v) in d {
                out.push(b'/');
                out.extend_from_slice(k);
                out.push(b' ');
                write(v, out, map);
            }
            out.extend_from_slice(b">>");
        }
        Obj::Ref(r) => {
            out.extend_from_slice(map(*r).to_string().as_bytes());
            out.extend_from_slice(b" 0 R");
        }
    }
}

/// A literal string: parentheses and backslashes escaped, and bytes a
/// reader might take for line ends or lose, in octal; a hex string when
/// most bytes would need an escape.
fn write_string(s: &[u8], out: &mut Vec<u8>) {
    // Mostly bytes that need an escape (UTF-16 text): hex is half the size.
    let escaped = s.iter().filter(|c| !(0x20..=0x7e).contains(*c)).count();
    if escaped * 3 > s.len() {
        out.push(b'<');
        for c in s {
            out.extend_from_slice(format!("{c:02x}").as_bytes());
        }
        out.push(b'>');
        return;
    }
    out.push(b'(');
    for &c in s {
        match c {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(c);
            }
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(format!("\\{c:03o}").as_bytes()),
        }
    }
    out.push(b')');
}

// ---------------------------------------------------------------------------
// One chunk's file

/// An indirect object of a chunk's file.
struct Indirect<'a> {
    value: Obj,
    /// A stream's data, as written (compressed or not).
    stream: Option<&'a [u8]>,
}

/// A chunk's file, its objects found through its cross-reference table.
struct File<'a> {
    pdf: &'a [u8],
    xref: XrefTable,
    trailer: Dict,
}

impl<'a> File<'a> {
    fn read(pdf: &'a [u8]) -> Result<Self, JoinError> {
        let Some(xref) = XrefTable::read(pdf) else {
            return fail("a PDF without one classic cross-reference table");
        };
        let mut p = Parser {
            b: pdf,
            at: xref.trailer.start + b"trailer".len(),
        };
        let Obj::Dict(trailer) = p.object(0)? else {
            return fail("a trailer that is not a dictionary");
        };
        Ok(File { pdf, xref, trailer })
    }

    fn count(&self) -> usize {
        self.xref.offsets.len()
    }

    fn object(&self, n: u32) -> Result<Indirect<'a>, JoinError> {
        let Some(Some(start)) = self.xref.offsets.get(n as usize).copied() else {
            return fail(format!("object {n} is not in the file"));
        };
        let mut p = Parser {
            b: self.pdf,
            at: start,
        };
        let head = format!("{n} 0 obj");
        if !self
            .pdf
            .get(start..)
            .is_some_and(|b| b.starts_with(head.as_bytes()))
        {
            return fail(format!("object {n} is not where the table says"));
        }
        p.at += head.len();
        let value = p.object(0)?;
        p.skip_space();
        let mut stream = None;
        if self.pdf[p.at..].starts_with(b"stream") {
            p.at += b"stream".len();
            if self.pdf[p.at..].starts_with(b"\r\n") {
                p.at += 2;
            } else if self.pdf[p.at..].starts_with(b"\n") {
                p.at += 1;
            }
            let len = match &value {
                Obj::Dict(d) => match get(d, b"Length") {
                    Some(Obj::Int(l)) => usize::try_from(*l).ok(),
                    _ => None,
                },
                _ => None,
            };
            let Some(len) = len else {
                return fail(format!("stream {n} without a direct length"));
            };
            let Some(data) = self.pdf.get(p.at..p.at + len) else {
                return fail(format!("stream {n} runs past the end of the file"));
            };
            stream = Some(data);
        }
        Ok(Indirect { value, stream })
    }

    /// The bytes of object `n`'s value (after `n 0 obj`), found without
    /// reading it into objects; `None` if it is not where the table says.
    fn raw(&self, n: u32) -> Result<Option<&'a [u8]>, JoinError> {
        let Some(Some(start)) = self.xref.offsets.get(n as usize).copied() else {
            return fail(format!("object {n} is not in the file"));
        };
        let head = format!("{n} 0 obj");
        if !self
            .pdf
            .get(start..)
            .is_some_and(|b| b.starts_with(head.as_bytes()))
        {
            return Ok(None);
        }
        let mut p = Parser {
            b: self.pdf,
            at: start + head.len(),
        };
        p.skip_space();
        let from = p.at;
        p.skip_object(0)?;
        Ok(Some(&self.pdf[from..p.at]))
    }

    /// The stream after object `n`'s value (`value`, a slice of the file),
    /// `len` bytes long (its dictionary's direct `/Length`), if the object
    /// has one.
    fn stream_after(
        &self,
        n: u32,
        value: &'a [u8],
        len: Option<usize>,
    ) -> Result<Option<&'a [u8]>, JoinError> {
        let end = value.as_ptr() as usize - self.pdf.as_ptr() as usize + value.len();
        let mut p = Parser {
            b: self.pdf,
            at: end,
        };
        p.skip_space();
        if !self.pdf[p.at..].starts_with(b"stream") {
            return Ok(None);
        }
        let Some(len) = len else {
            return fail(format!("stream {n} without a direct length"));
        };
        p.at += b"stream".len();
        if self.pdf[p.at..].starts_with(b"\r\n") {
            p.at += 2;
        } else if self.pdf[p.at..].starts_with(b"\n") {
            p.at += 1;
        }
        match self.pdf.get(p.at..p.at + len) {
            Some(data) => Ok(Some(data)),
            None => fail(format!("stream {n} runs past the end of the file")),
        }
    }

    fn dict(&self, n: u32) -> Result<Dict, JoinError> {
        match self.object(n)?.value {
            Obj::Dict(d) => Ok(d),
            _ => fail(format!("object {n} is not a dictionary")),
        }
    }

    /// A value that may be written directly or as a reference.
    fn resolve(&self, v: &Obj) -> Result<Obj, JoinError> {
        match v {
            Obj::Ref(r) => Ok(self.object(*r)?.value),
            other => Ok(other.clone()),
        }
    }
}

fn reference(d: &Dict, key: &[u8], what: &str) -> Result<u32, JoinError> {
    match get(d, key) {
        Some(Obj::Ref(r)) => Ok(*r),
        _ => fail(format!(
            "{what} without a /{}",
            String::from_utf8_lossy(key)
        )),
    }
}

/// The `[key value …]` pairs of a flat name or number tree.
fn flat_tree(file: &File, tree: &Obj, entries: &[u8], what: &str) -> Result<Vec<Obj>, JoinError> {
    let Obj::Dict(d) = file.resolve(tree)? else {
        return fail(format!("{what} that is not a dictionary"));
    };
    if get(&d, b"Kids").is_some() {
        return fail(format!("{what} split into kids"));
    }
    match get(&d, entries).map(|v| file.resolve(v)).transpose()? {
        Some(Obj::Array(items)) if items.len() % 2 == 0 => Ok(items),
        None => Ok(Vec::new()),
        _ => fail(format!("{what} whose entries are not pairs")),
    }
}

/// What the join reads of one chunk before copying it.
struct Plan<'a> {
    file: File<'a>,
    catalog: Dict,
    pages_root: u32,
    pages: Vec<u32>,
    struct_root: u32,
    struct_root_dict: Dict,
    document: u32,
    document_kids: Vec<Obj>,
    parent_tree: Vec<Obj>,
    next_key: i64,
    ids: Vec<Obj>,
    dests: Vec<Obj>,
    /// The outline's items in document order, with their own keys only
    /// (no links to other items).
    outline: Vec<Dict>,
    /// The objects not copied as they are: made anew, or dropped.
    replaced: Vec<u32>,
}

impl<'a> Plan<'a> {
    /// `continuation`: a chunk after the first, which starts with the
    /// heading that stands in for the title ([`CONTINUATION`]).
    fn read(pdf: &'a [u8], continuation: bool) -> Result<Self, JoinError> {
        let file = File::read(pdf)?;
        let root = reference(&file.trailer, b"Root", "a trailer")?;
        let catalog = file.dict(root)?;
        if get(&catalog, b"PageLabels").is_some() {
            return fail("page labels, which the join does not merge");
        }
        let mut replaced = vec![root];
        if let Some(Obj::Ref(info)) = get(&file.trailer, b"Info") {
            replaced.push(*info);
        }
        if let Some(Obj::Ref(m)) = get(&catalog, b"Metadata") {
            replaced.push(*m);
        }

        let pages_root = reference(&catalog, b"Pages", "a catalog")?;
        let pages_dict = file.dict(pages_root)?;
        let Some(Obj::Array(kids)) = get(&pages_dict, b"Kids") else {
            return fail("a page tree without kids");
        };
        let mut pages = Vec::with_capacity(kids.len());
        for k in kids {
            let Obj::Ref(r) = k else {
                return fail("a page tree with a direct kid");
            };
            // A flat tree: every kid a page.
            pages.push(*r);
        }
        replaced.push(pages_root);

        let struct_root = reference(&catalog, b"StructTreeRoot", "a catalog")?;
        let struct_root_dict = file.dict(struct_root)?;
        let document = match get(&struct_root_dict, b"K") {
            Some(Obj::Ref(r)) => *r,
            Some(Obj::Array(a)) if a.len() == 1 => match a[0] {
                Obj::Ref(r) => r,
                _ => return fail("a structure tree whose root is not a reference"),
            },
            _ => return fail("a structure tree without one root element"),
        };
        let document_dict = file.dict(document)?;
        let mut document_kids = match get(&document_dict, b"K") {
            Some(Obj::Array(a)) => a.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        };
        if continuation {
            let stand_in = match document_kids.first() {
                Some(Obj::Ref(r)) => {
                    let d = file.dict(*r)?;
                    let empty = match get(&d, b"K") {
                        Some(Obj::Array(a)) => a.is_empty(),
                        None => true,
                        _ => false,
                    };
                    let is = get(&d, b"S") == Some(&Obj::Name(b"H1".to_vec()))
                        && get(&d, b"T") == Some(&Obj::Str(CONTINUATION.to_vec()))
                        && empty;
                    is.then_some(*r)
                }
                _ => None,
            };
            let Some(r) = stand_in else {
                return fail("a continuation chunk that does not start with its stand-in title");
            };
            document_kids.remove(0);
            replaced.push(r);
        }
        replaced.extend([struct_root, document]);
        let parent_tree = match get(&struct_root_dict, b"ParentTree") {
            Some(t) => flat_tree(&file, t, b"Nums", "a ParentTree")?,
            None => Vec::new(),
        };
        if let Some(Obj::Ref(r)) = get(&struct_root_dict, b"ParentTree") {
            replaced.push(*r);
        }
        let next_key = match get(&struct_root_dict, b"ParentTreeNextKey") {
            Some(Obj::Int(n)) => *n,
            _ => parent_tree.len() as i64 / 2,
        };
        let ids = match get(&struct_root_dict, b"IDTree") {
            Some(t) => flat_tree(&file, t, b"Names", "an IDTree")?,
            None => Vec::new(),
        };
        if let Some(Obj::Ref(r)) = get(&struct_root_dict, b"IDTree") {
            replaced.push(*r);
        }

        let dests = match get(&catalog, b"Names")
            .map(|n| file.resolve(n))
            .transpose()?
        {
            Some(Obj::Dict(names)) => match get(&names, b"Dests") {
                Some(t) => flat_tree(&file, t, b"Names", "a destination tree")?,
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        if get(&catalog, b"Dests").is_some() {
            return fail("destinations in the catalog's /Dests, which the join does not merge");
        }

        let mut outline = Vec::new();
        if let Some(Obj::Ref(o)) = get(&catalog, b"Outlines") {
            replaced.push(*o);
            let root = file.dict(*o)?;
            let mut stack = Vec::new();
            if let Some(Obj::Ref(first)) = get(&root, b"First") {
                stack.push(*first);
            }
            // Preorder: an item, its children, then its next sibling.
            while let Some(item) = stack.pop() {
                if outline.len() > file.count() {
                    return fail("an outline with a cycle");
                }
                replaced.push(item);
                let mut d = file.dict(item)?;
                if let Some(Obj::Ref(next)) = get(&d, b"Next") {
                    stack.push(*next);
                }
                if let Some(Obj::Ref(first)) = get(&d, b"First") {
                    stack.push(*first);
                }
                for key in [
                    b"Parent".as_slice(),
                    b"Prev",
                    b"Next",
                    b"First",
                    b"Last",
                    b"Count",
                ] {
                    remove(&mut d, key);
                }
                outline.push(d);
            }
        }
        Ok(Plan {
            file,
            catalog,
            pages_root,
            pages,
            struct_root,
            struct_root_dict,
            document,
            document_kids,
            parent_tree,
            next_key,
            ids,
            dests,
            outline,
            replaced,
        })
    }
}

// ---------------------------------------------------------------------------
// The join

/// Where a chunk's objects go in the joined file.
struct Numbers {
    /// The joined number of each of the chunk's objects (0: not copied).
    new: Vec<u32>,
}

/// What is done to each object of chunk `k` as it is copied.
struct Copy<'a> {
    chunk: usize,
    numbers: &'a Numbers,
    /// The joined numbers the chunk's replaced objects stand for: its page
    /// tree, structure tree root and `Document` element are the first
    /// chunk's.
    aliases: &'a [(u32, u32)],
    key_offset: i64,
    far: &'a std::collections::HashMap<Vec<u8>, usize>,
}

impl Copy<'_> {
    fn map(&self, r: u32) -> u32 {
        if let Some((_, to)) = self.aliases.iter().find(|(from, _)| *from == r) {
            return *to;
        }
        self.numbers.new.get(r as usize).copied().unwrap_or(0)
    }

    /// An error if `v` refers to an object the join does not copy: a
    /// dangling reference in the joined file.
    fn check(&self, v: &Obj, n: usize) -> Result<(), JoinError> {
        match v {
            Obj::Ref(r) if self.map(*r) == 0 => fail(format!(
                "object {n} of chunk {} refers to object {r}, which is not kept",
                self.chunk + 1
            )),
            Obj::Array(items) => items.iter().try_for_each(|i| self.check(i, n)),
            Obj::Dict(d) => d.iter().try_for_each(|(_, x)| self.check(x, n)),
            _ => Ok(()),
        }
    }

    /// A chunk's ID, made the joined document's.
    fn id(&self, s: &mut Vec<u8>) {
        if self.chunk > 0 {
            let mut renamed = format!("C{}-", self.chunk).into_bytes();
            renamed.extend_from_slice(s);
            *s = renamed;
        }
    }

    fn edit(&self, obj: &mut Obj) -> Result<(), JoinError> {
        match obj {
            Obj::Dict(d) => {
                self.far_link(d)?;
                for (k, v) in d.iter_mut() {
                    match (k.as_slice(), &mut *v) {
                        (b"StructParents" | b"StructParent", Obj::Int(n)) => *n += self.key_offset,
                        (b"ID", Obj::Str(s)) => self.id(s),
                        (b"Headers", Obj::Array(items)) => {
                            for i in items {
                                if let Obj::Str(s) = i {
                                    self.id(s);
                                }
                            }
                        }
                        _ => self.edit(v)?,
                    }
                }
            }
            Obj::Array(items) => {
                for i in items {
                    self.edit(i)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A link annotation laid out to a heading of another chunk: pointed at
    /// the heading's destination, with typst's words for such a link.
    fn far_link(&self, d: &mut Dict) -> Result<(), JoinError> {
        let slug = match get(d, b"A") {
            Some(Obj::Dict(a)) => match get(a, b"URI") {
                Some(Obj::Str(u)) if u.starts_with(FAR_ANCHOR) => u[FAR_ANCHOR.len()..].to_vec(),
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        let Some(page) = self.far.get(&slug) else {
            return fail(format!(
                "a link to the heading {:?}, which no chunk has",
                String::from_utf8_lossy(&slug)
            ));
        };
        remove(d, b"A");
        set(d, b"Dest", Obj::Str(slug));
        // typst's words for a link to a heading, in the language the
        // templates set (en).
        set(
            d,
            b"Contents",
            Obj::Str(format!("Section, page {page}").into_bytes()),
        );
        Ok(())
    }
}

/// A file to embed, and its bytes deflated ([`pack`]).
pub struct Packed<'a> {
    pub file: &'a crate::provenance::Embedded,
    pub deflated: Vec<u8>,
}

/// `attached`, each deflated, side by side: work of its own, done while
/// the chunks are laid out.
pub fn pack(attached: &[crate::provenance::Embedded]) -> Vec<Packed<'_>> {
    use rayon::prelude::*;
    attached
        .par_iter()
        .map(|file| Packed {
            file,
            deflated: deflate(&file.bytes),
        })
        .collect()
}

/// The joined PDF of `chunks`, in order, with `attached` embedded and
/// `extra_info` added to the document information dictionary (what
/// `pdfmeta::add_info` adds to a PDF of one compile: done here, the file
/// is not copied once more to add a few keys).
pub fn join(
    chunks: &[Chunk],
    attached: &[Packed],
    extra_info: &[(&str, String)],
) -> Result<Vec<u8>, JoinError> {
    let plans: Vec<Plan> = crate::render::on_own_threads(chunks, |k, c| Plan::read(c.pdf, k > 0))
        .into_iter()
        .collect::<Result<_, _>>()?;
    for (k, (plan, c)) in plans.iter().zip(chunks).enumerate() {
        if plan.pages.len() != c.pages {
            return fail(format!(
                "chunk {} has {} pages, numbered as {}",
                k + 1,
                plan.pages.len(),
                c.pages
            ));
        }
    }

    // Numbers: chunk by chunk, each object copied gets the next one.
    let mut next = 1u32;
    let mut numbers = Vec::with_capacity(plans.len());
    for (k, plan) in plans.iter().enumerate() {
        let mut new = vec![0u32; plan.file.count()];
        let mut keep = vec![true; plan.file.count()];
        for &r in &plan.replaced {
            if let Some(x) = keep.get_mut(r as usize) {
                *x = false;
            }
        }
        for (n, slot) in new.iter_mut().enumerate() {
            let in_file = plan.file.xref.offsets[n].is_some();
            let made_anew =
                k == 0 && [plan.pages_root, plan.struct_root, plan.document].contains(&(n as u32));
            if n > 0 && in_file && (keep[n] || made_anew) {
                *slot = next;
                next += 1;
            }
        }
        numbers.push(Numbers { new });
    }
    let first = &plans[0];
    let (pages_root, struct_root, document) = (
        numbers[0].new[first.pages_root as usize],
        numbers[0].new[first.struct_root as usize],
        numbers[0].new[first.document as usize],
    );
    let mut fresh = || {
        next += 1;
        next - 1
    };
    let catalog = fresh();
    let info = fresh();
    let metadata = fresh();
    let outline_root = fresh();
    // Each attachment: its file specification and its stream.
    let attachment_numbers: Vec<(u32, u32)> = attached.iter().map(|_| (fresh(), fresh())).collect();

    // Where each page lands, and which page each heading's destination is
    // on, for the links between chunks.
    let mut page_offset = Vec::with_capacity(plans.len());
    let mut total_pages = 0usize;
    for plan in &plans {
        page_offset.push(total_pages);
        total_pages += plan.pages.len();
    }
    let mut far = std::collections::HashMap::new();
    for (k, plan) in plans.iter().enumerate() {
        for pair in plan.dests.chunks_exact(2) {
            let (Obj::Str(name), dest) = (&pair[0], &pair[1]) else {
                continue;
            };
            let page = match plan.file.resolve(dest)? {
                Obj::Array(a) => a.first().cloned(),
                Obj::Dict(d) => match get(&d, b"D") {
                    Some(Obj::Array(a)) => a.first().cloned(),
                    _ => None,
                },
                _ => None,
            };
            if let Some(Obj::Ref(p)) = page
                && let Some(i) = plan.pages.iter().position(|&x| x == p)
            {
                far.entry(name.clone()).or_insert(page_offset[k] + i + 1);
            }
        }
    }

    // The chunks' objects, copied side by side.
    let mut key_offsets = Vec::with_capacity(plans.len());
    let mut keys = 0i64;
    for plan in &plans {
        key_offsets.push(keys);
        keys += plan.next_key;
    }
    let aliases: Vec<Vec<(u32, u32)>> = plans
        .iter()
        .map(|p| {
            vec![
                (p.pages_root, pages_root),
                (p.struct_root, struct_root),
                (p.document, document),
            ]
        })
        .collect();
    let copies: Vec<Copy> = (0..plans.len())
        .map(|k| Copy {
            chunk: k,
            numbers: &numbers[k],
            aliases: &aliases[k],
            key_offset: key_offsets[k],
            far: &far,
        })
        .collect();
    let bodies: Vec<Copied> =
        crate::render::on_own_threads(&plans, |k, plan| copy_objects(plan, &copies[k]))
            .into_iter()
            .collect::<Result<_, _>>()?;

    // What is made anew: page tree, structure tree, outline, catalog.
    let mut made: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut obj = |n: u32, value: &Obj, map: &dyn Fn(u32) -> u32| {
        let mut out = Vec::new();
        write(value, &mut out, map);
        made.push((n, out));
    };
    let id = |r: u32| r;

    let mut kids = Vec::with_capacity(total_pages);
    for (plan, copy) in plans.iter().zip(&copies) {
        kids.extend(plan.pages.iter().map(|&p| Obj::Ref(copy.map(p))));
    }
    // Each dictionary made anew starts as the first chunk's, its
    // references mapped; then the joined values are set.
    let first_dict = |d: Dict| -> Dict {
        match remap(&Obj::Dict(d), &|r| copies[0].map(r)) {
            Obj::Dict(d) => d,
            _ => unreachable!("a dictionary stays one"),
        }
    };
    let mut pages_dict = first_dict(first.file.dict(first.pages_root)?);
    set(&mut pages_dict, b"Kids", Obj::Array(kids));
    set(&mut pages_dict, b"Count", Obj::Int(total_pages as i64));
    obj(pages_root, &Obj::Dict(pages_dict), &id);

    let mut document_kids = Vec::new();
    let mut parent_tree = Vec::new();
    let mut ids = Vec::new();
    let mut dests = Vec::new();
    for (plan, copy) in plans.iter().zip(&copies) {
        let mapped = |v: &Obj| -> Result<Obj, JoinError> {
            let mut v = v.clone();
            copy.edit(&mut v)?;
            Ok(remap(&v, &|r| copy.map(r)))
        };
        for kid in &plan.document_kids {
            document_kids.push(mapped(kid)?);
        }
        for pair in plan.parent_tree.chunks_exact(2) {
            let Obj::Int(key) = pair[0] else {
                return fail("a ParentTree key that is not a number");
            };
            parent_tree.push(Obj::Int(key + copy.key_offset));
            parent_tree.push(mapped(&pair[1])?);
        }
        for pair in plan.ids.chunks_exact(2) {
            let Obj::Str(mut name) = pair[0].clone() else {
                return fail("an IDTree key that is not a string");
            };
            copy.id(&mut name);
            ids.push((name, mapped(&pair[1])?));
        }
        for pair in plan.dests.chunks_exact(2) {
            let Obj::Str(name) = pair[0].clone() else {
                return fail("a destination name that is not a string");
            };
            dests.push((name, mapped(&pair[1])?));
        }
    }
    // Name trees are sorted by name; one compile names a heading once.
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    dests.sort_by(|a, b| a.0.cmp(&b.0));
    dests.dedup_by(|b, a| a.0 == b.0);
    let pairs = |v: Vec<(Vec<u8>, Obj)>| {
        Obj::Array(v.into_iter().flat_map(|(k, v)| [Obj::Str(k), v]).collect())
    };

    let mut document_dict = first_dict(first.file.dict(first.document)?);
    set(&mut document_dict, b"K", Obj::Array(document_kids));
    set(&mut document_dict, b"P", Obj::Ref(struct_root));
    obj(document, &Obj::Dict(document_dict), &id);

    let mut root = first_dict(first.struct_root_dict.clone());
    set(&mut root, b"K", Obj::Ref(document));
    set(
        &mut root,
        b"ParentTree",
        Obj::Dict(vec![(b"Nums".to_vec(), Obj::Array(parent_tree))]),
    );
    set(&mut root, b"ParentTreeNextKey", Obj::Int(keys));
    if !ids.is_empty() {
        set(
            &mut root,
            b"IDTree",
            Obj::Dict(vec![(b"Names".to_vec(), pairs(ids))]),
        );
    }
    // Role and class maps: the union, the first chunk's word first.
    for key in [b"RoleMap".as_slice(), b"ClassMap"] {
        let mut merged: Dict = Vec::new();
        for plan in &plans {
            if let Some(Obj::Dict(m)) = get(&plan.struct_root_dict, key)
                .map(|v| plan.file.resolve(v))
                .transpose()?
            {
                for (k, v) in m {
                    if get(&merged, &k).is_none() {
                        merged.push((k, v));
                    }
                }
            }
        }
        if !merged.is_empty() {
            merged.sort_by(|a, b| a.0.cmp(&b.0));
            set(&mut root, key, Obj::Dict(merged));
        }
    }
    obj(struct_root, &Obj::Dict(root), &id);

    // The outline: every chunk's items in order, nested as one compile
    // would nest them.
    let mut flat = Vec::new();
    let mut items: Vec<Dict> = Vec::new();
    for (plan, (chunk, copy)) in plans.iter().zip(chunks.iter().zip(&copies)) {
        let included = chunk.headings.iter().filter(|h| h.1).count();
        if included != plan.outline.len() {
            return fail(format!(
                "a chunk with {} outline items for {included} headings",
                plan.outline.len()
            ));
        }
        let mut mine = plan.outline.iter();
        for &(level, include) in chunk.headings {
            let entry = if include {
                let d = mine.next().expect("counted above");
                let Obj::Dict(d) = remap(&Obj::Dict(d.clone()), &|r| copy.map(r)) else {
                    unreachable!("a dictionary stays one")
                };
                items.push(d);
                Some(items.len() - 1)
            } else {
                None
            };
            flat.push((entry, level, include));
        }
    }
    let tree = typst::model::OutlineNode::build_tree(flat);
    let item_numbers: Vec<u32> = (0..items.len()).map(|_| fresh()).collect();
    let mut outline = Vec::new();
    let open_count = write_outline(&tree, outline_root, &item_numbers, &mut items, &mut outline);
    let _ = open_count;
    for (n, d) in outline {
        obj(n, &Obj::Dict(d), &id);
    }
    let mut outline_root_dict: Dict = vec![(b"Type".to_vec(), Obj::Name(b"Outlines".to_vec()))];
    if let (Some(f), Some(l)) = (tree.first(), tree.last()) {
        let f = item_numbers[f.entry.expect("an included heading")];
        let l = item_numbers[l.entry.expect("an included heading")];
        outline_root_dict.push((b"First".to_vec(), Obj::Ref(f)));
        outline_root_dict.push((b"Last".to_vec(), Obj::Ref(l)));
        outline_root_dict.push((b"Count".to_vec(), Obj::Int(tree.len() as i64)));
    }
    obj(outline_root, &Obj::Dict(outline_root_dict), &id);

    // The catalog, info and metadata: the first chunk's, made the whole
    // document's.
    let mut cat = first_dict(first.catalog.clone());
    set(&mut cat, b"Pages", Obj::Ref(pages_root));
    set(&mut cat, b"StructTreeRoot", Obj::Ref(struct_root));
    let has_outline = !tree.is_empty();
    if has_outline || get(&cat, b"Outlines").is_some() {
        set(&mut cat, b"Outlines", Obj::Ref(outline_root));
    }
    if get(&cat, b"Metadata").is_some() {
        set(&mut cat, b"Metadata", Obj::Ref(metadata));
    }
    let mut names = match get(&first.catalog, b"Names")
        .map(|n| first.file.resolve(n))
        .transpose()?
    {
        Some(Obj::Dict(d)) => first_dict(d),
        _ => Dict::new(),
    };
    if !dests.is_empty() {
        set(
            &mut names,
            b"Dests",
            Obj::Dict(vec![(b"Names".to_vec(), pairs(dests))]),
        );
    }
    if !attached.is_empty() {
        let mut files: Vec<(Vec<u8>, Obj)> = attached
            .iter()
            .zip(&attachment_numbers)
            .map(|(a, (spec, _))| {
                (
                    crate::render::pdfmeta::text_bytes(&a.file.name),
                    Obj::Ref(*spec),
                )
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        set(
            &mut names,
            b"EmbeddedFiles",
            Obj::Dict(vec![(b"Names".to_vec(), pairs(files))]),
        );
        set(
            &mut cat,
            b"AF",
            Obj::Array(
                attachment_numbers
                    .iter()
                    .map(|(spec, _)| Obj::Ref(*spec))
                    .collect(),
            ),
        );
    }
    if !names.is_empty() {
        set(&mut cat, b"Names", Obj::Dict(names));
    }
    // `/Suspects false` is the default, and Debian's poppler reports it as
    // a syntax error (as `pdfmeta::add_info` says).
    if let Some(Obj::Dict(mark)) = cat
        .iter_mut()
        .find(|(k, _)| k == b"MarkInfo")
        .map(|(_, v)| v)
        && get(mark, b"Suspects") == Some(&Obj::Bool(false))
    {
        remove(mark, b"Suspects");
    }
    obj(catalog, &Obj::Dict(cat), &id);

    let has_info = get(&first.file.trailer, b"Info").is_some() || !extra_info.is_empty();
    if has_info {
        let mut d = match get(&first.file.trailer, b"Info") {
            Some(Obj::Ref(i)) => match first.file.object(*i)?.value {
                Obj::Dict(d) => first_dict(d),
                _ => return fail("the first chunk's Info is not a dictionary"),
            },
            _ => Vec::new(),
        };
        for (key, value) in extra_info {
            let text = crate::render::text::xml_safe(value);
            set(
                &mut d,
                key.as_bytes(),
                Obj::Str(crate::render::pdfmeta::text_bytes(&text)),
            );
        }
        obj(info, &Obj::Dict(d), &id);
    }

    let mut streams: Vec<(u32, Vec<u8>, std::borrow::Cow<[u8]>)> = Vec::new();
    // The attachments, dated as the document is (typst dates them so).
    let dated = match get(&first.file.trailer, b"Info").map(|i| first.file.resolve(i)) {
        Some(Ok(Obj::Dict(d))) => get(&d, b"CreationDate").cloned(),
        _ => None,
    };
    for (Packed { file: a, deflated }, (spec, file)) in attached.iter().zip(&attachment_numbers) {
        let mut params = vec![(b"Size".to_vec(), Obj::Int(a.bytes.len() as i64))];
        if let Some(d) = &dated {
            params.insert(0, (b"ModDate".to_vec(), d.clone()));
        }
        let stream = vec![
            (b"Type".to_vec(), Obj::Name(b"EmbeddedFile".to_vec())),
            (b"Subtype".to_vec(), Obj::Name(name_bytes(a.mime))),
            (b"Params".to_vec(), Obj::Dict(params)),
            (b"Filter".to_vec(), Obj::Name(b"FlateDecode".to_vec())),
            (b"Length".to_vec(), Obj::Int(deflated.len() as i64)),
        ];
        let mut head = Vec::new();
        write(&Obj::Dict(stream), &mut head, &id);
        streams.push((*file, head, std::borrow::Cow::Borrowed(deflated)));
        let name = crate::render::pdfmeta::text_bytes(&a.name);
        let relationship = {
            let mut r = a.relationship.as_bytes().to_vec();
            if let Some(c) = r.first_mut() {
                c.make_ascii_uppercase();
            }
            r
        };
        let spec_dict = vec![
            (b"Type".to_vec(), Obj::Name(b"Filespec".to_vec())),
            (b"F".to_vec(), Obj::Str(name.clone())),
            (b"UF".to_vec(), Obj::Str(name)),
            (
                b"EF".to_vec(),
                Obj::Dict(vec![
                    (b"F".to_vec(), Obj::Ref(*file)),
                    (b"UF".to_vec(), Obj::Ref(*file)),
                ]),
            ),
            (
                b"Desc".to_vec(),
                Obj::Str(crate::render::pdfmeta::text_bytes(&a.description)),
            ),
            (b"AFRelationship".to_vec(), Obj::Name(relationship)),
        ];
        obj(*spec, &Obj::Dict(spec_dict), &id);
    }
    if let Some(Obj::Ref(m)) = get(&first.catalog, b"Metadata") {
        let xmp = first.file.object(*m)?;
        let Obj::Dict(mut d) = xmp.value else {
            return fail("metadata that is not a stream");
        };
        let data = whole_page_count(xmp.stream.unwrap_or_default(), total_pages);
        set(&mut d, b"Length", Obj::Int(data.len() as i64));
        let mut head = Vec::new();
        write(&Obj::Dict(d), &mut head, &id);
        streams.push((metadata, head, std::borrow::Cow::Owned(data)));
    }

    // The file.
    let header_end = first
        .file
        .xref
        .offsets
        .iter()
        .flatten()
        .min()
        .copied()
        .unwrap_or(0);
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.pdf.len()).sum::<usize>());
    out.extend_from_slice(&first.file.pdf[..header_end]);
    let mut offsets = vec![0usize; next as usize];
    // Each chunk's objects as they are, dropped once in place: the peak is
    // the chunks' files, their copies and the joined file, not more.
    for chunk in bodies {
        let at = out.len();
        out.extend_from_slice(&chunk.bytes);
        for (n, o) in chunk.objects {
            offsets[n as usize] = at + o;
        }
    }
    let mut put = |out: &mut Vec<u8>, n: u32, body: &[u8]| {
        offsets[n as usize] = out.len();
        out.extend_from_slice(n.to_string().as_bytes());
        out.extend_from_slice(b" 0 obj\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    for (n, body) in &made {
        put(&mut out, *n, body);
    }
    for (n, head, data) in &streams {
        let mut body = head.clone();
        body.extend_from_slice(b"\nstream\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        put(&mut out, *n, &body);
    }
    let xref_at = out.len();
    out.extend_from_slice(format!("xref\n0 {next}\n").as_bytes());
    // Numbers nobody took (the info or metadata of a file without one)
    // are free entries, each pointing at the next, the last back at 0.
    let free: Vec<usize> = (1..next as usize).filter(|&n| offsets[n] == 0).collect();
    let next_free = |n: usize| free.iter().find(|&&f| f > n).copied().unwrap_or(0);
    out.extend_from_slice(format!("{:010} 65535 f\r\n", next_free(0)).as_bytes());
    for (n, &o) in offsets.iter().enumerate().skip(1) {
        if o == 0 {
            out.extend_from_slice(format!("{:010} 00001 f\r\n", next_free(n)).as_bytes());
        } else {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
    }
    let mut trailer = vec![
        (b"Size".to_vec(), Obj::Int(i64::from(next))),
        (b"Root".to_vec(), Obj::Ref(catalog)),
    ];
    if has_info {
        trailer.push((b"Info".to_vec(), Obj::Ref(info)));
    }
    if let Some(ident) = get(&first.file.trailer, b"ID") {
        trailer.push((b"ID".to_vec(), ident.clone()));
    }
    out.extend_from_slice(b"trailer\n");
    write(&Obj::Dict(trailer), &mut out, &id);
    out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF").as_bytes());
    Ok(out)
}

/// A name's bytes, each one a name may not hold as it is written `#xx`
/// (`text/markdown` is `text#2fmarkdown`).
fn name_bytes(v: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in v.as_bytes() {
        if b.is_ascii_graphic() && !is_delim(b) && b != b'#' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02x}").as_bytes());
        }
    }
    out
}

/// An attachment deflated (zlib) at level 3, not the 6 typst uses for
/// pages: a mark-up of a 1,000-page code embeds 25 MB of sources and
/// redline, which level 6 packed 20 % smaller in three times as long
/// (0.2 s more for the redline alone), on every build after an edit.
fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// A value with each reference through `map`.
fn remap(v: &Obj, map: &dyn Fn(u32) -> u32) -> Obj {
    match v {
        Obj::Ref(r) => Obj::Ref(map(*r)),
        Obj::Array(items) => Obj::Array(items.iter().map(|i| remap(i, map)).collect()),
        Obj::Dict(d) => Obj::Dict(d.iter().map(|(k, v)| (k.clone(), remap(v, map))).collect()),
        other => other.clone(),
    }
}

/// Every object of a chunk that is copied, with its joined number and its
/// body (dictionary and stream) as it is written in the joined file.
fn copy_objects(plan: &Plan, copy: &Copy) -> Result<Copied, JoinError> {
    let mut out = Copied {
        bytes: Vec::with_capacity(plan.file.pdf.len()),
        objects: Vec::with_capacity(plan.file.count()),
    };
    let made_anew = [plan.pages_root, plan.struct_root, plan.document];
    for (n, &new) in copy.numbers.new.iter().enumerate() {
        if new == 0 || made_anew.contains(&(n as u32)) {
            continue;
        }
        out.objects.push((new, out.bytes.len()));
        let body = &mut out.bytes;
        body.extend_from_slice(new.to_string().as_bytes());
        body.extend_from_slice(b" 0 obj\n");
        let stream = match plan.file.raw(n as u32)? {
            // Most objects: their bytes copied, references and keys
            // rewritten in place (a fifth of the time of reading each).
            Some(value) if memchr::memmem::find(value, FAR_ANCHOR).is_none() => {
                let mut at = 0;
                let mut fast = Rewrite {
                    copy,
                    object: n,
                    length: None,
                };
                fast.value(value, &mut at, body, Place::Other, 0)?;
                plan.file.stream_after(n as u32, value, fast.length)?
            }
            // A far link, or a shape the fast path does not read: read
            // as objects.
            _ => {
                let Indirect { mut value, stream } = plan.file.object(n as u32)?;
                copy.edit(&mut value)?;
                copy.check(&value, n)?;
                write(&value, body, &|r| copy.map(r));
                stream
            }
        };
        if let Some(data) = stream {
            body.extend_from_slice(b"\nstream\n");
            body.extend_from_slice(data);
            body.extend_from_slice(b"\nendstream");
        }
        body.extend_from_slice(b"\nendobj\n");
    }
    Ok(out)
}

/// Where a value sits, for what is rewritten in it.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// `/StructParents` or `/StructParent`: a ParentTree key.
    ParentTreeKey,
    /// `/ID`, or an item of `/Headers`: a structure element's ID.
    Id,
    /// `/Headers`: an array of IDs.
    Headers,
    /// `/Length`: a stream's length, read to find its end.
    Length,
    Other,
}

/// The fast copy of an object: its bytes as written, with what
/// [`Copy::edit`] and [`Copy::map`] change in the object read, changed in
/// the bytes. `tests::the_fast_copy_means_what_the_slow_one_does` checks
/// the two against each other on real chunks.
struct Rewrite<'a> {
    copy: &'a Copy<'a>,
    object: usize,
    /// The direct `/Length` of the object's dictionary, if it has one.
    length: Option<usize>,
}

impl Rewrite<'_> {
    fn value(
        &mut self,
        b: &[u8],
        at: &mut usize,
        out: &mut Vec<u8>,
        place: Place,
        depth: usize,
    ) -> Result<(), JoinError> {
        if depth > 64 {
            return fail("objects nested too deep");
        }
        let space = |at: &mut usize, out: &mut Vec<u8>| {
            while let Some(&c) = b.get(*at) {
                if !is_white(c) {
                    break;
                }
                out.push(c);
                *at += 1;
            }
        };
        space(at, out);
        let Some(&c) = b.get(*at) else {
            return fail("an object that ends early");
        };
        match c {
            b'/' => {
                let start = *at;
                *at += 1;
                while b.get(*at).is_some_and(|&c| !is_white(c) && !is_delim(c)) {
                    *at += 1;
                }
                out.extend_from_slice(&b[start..*at]);
            }
            b'(' => {
                let start = *at;
                let mut p = Parser { b, at: *at };
                p.literal()?;
                *at = p.at;
                if place == Place::Id && self.copy.chunk > 0 {
                    out.push(b'(');
                    out.extend_from_slice(format!("C{}-", self.copy.chunk).as_bytes());
                    out.extend_from_slice(&b[start + 1..*at]);
                } else {
                    out.extend_from_slice(&b[start..*at]);
                }
            }
            b'<' if b.get(*at + 1) == Some(&b'<') => {
                out.extend_from_slice(b"<<");
                *at += 2;
                loop {
                    space(at, out);
                    match b.get(*at) {
                        Some(b'>') if b.get(*at + 1) == Some(&b'>') => {
                            out.extend_from_slice(b">>");
                            *at += 2;
                            return Ok(());
                        }
                        Some(b'/') => {
                            let start = *at;
                            *at += 1;
                            while b.get(*at).is_some_and(|&c| !is_white(c) && !is_delim(c)) {
                                *at += 1;
                            }
                            let name = &b[start + 1..*at];
                            out.extend_from_slice(&b[start..*at]);
                            let inner = match name {
                                b"StructParents" | b"StructParent" => Place::ParentTreeKey,
                                b"ID" => Place::Id,
                                b"Headers" => Place::Headers,
                                b"Length" if depth == 0 => Place::Length,
                                _ => Place::Other,
                            };
                            self.value(b, at, out, inner, depth + 1)?;
                        }
                        _ => return fail("a dictionary key that is not a name"),
                    }
                }
            }
            b'<' => {
                let start = *at;
                let mut p = Parser { b, at: *at };
                p.object(depth)?;
                *at = p.at;
                if place == Place::Id && self.copy.chunk > 0 {
                    out.push(b'<');
                    for c in format!("C{}-", self.copy.chunk).bytes() {
                        out.extend_from_slice(format!("{c:02x}").as_bytes());
                    }
                    out.extend_from_slice(&b[start + 1..*at]);
                } else {
                    out.extend_from_slice(&b[start..*at]);
                }
            }
            b'[' => {
                out.push(b'[');
                *at += 1;
                let inner = if place == Place::Headers {
                    Place::Id
                } else {
                    Place::Other
                };
                loop {
                    space(at, out);
                    if b.get(*at) == Some(&b']') {
                        out.push(b']');
                        *at += 1;
                        return Ok(());
                    }
                    self.value(b, at, out, inner, depth + 1)?;
                }
            }
            _ => {
                let start = *at;
                while b.get(*at).is_some_and(|&c| !is_white(c) && !is_delim(c)) {
                    *at += 1;
                }
                let word = &b[start..*at];
                let number = std::str::from_utf8(word)
                    .ok()
                    .and_then(|w| w.parse::<i64>().ok());
                let Some(n) = number else {
                    if word.is_empty() {
                        return fail(format!("an unreadable byte in object {}", self.object));
                    }
                    out.extend_from_slice(word);
                    return Ok(());
                };
                // `n g R`: a reference.
                let mut p = *at;
                let skip = |p: &mut usize| {
                    while b.get(*p).is_some_and(|&c| is_white(c)) {
                        *p += 1;
                    }
                };
                skip(&mut p);
                let g = p;
                while b.get(p).is_some_and(u8::is_ascii_digit) {
                    p += 1;
                }
                let generation = p > g;
                skip(&mut p);
                if generation
                    && b.get(p) == Some(&b'R')
                    && b.get(p + 1).is_none_or(|&c| is_white(c) || is_delim(c))
                {
                    let Ok(r) = u32::try_from(n) else {
                        return fail("a reference out of range");
                    };
                    let to = self.copy.map(r);
                    if to == 0 {
                        return fail(format!(
                            "object {} of chunk {} refers to object {r}, which is not kept",
                            self.object,
                            self.copy.chunk + 1
                        ));
                    }
                    out.extend_from_slice(to.to_string().as_bytes());
                    out.extend_from_slice(b" 0 R");
                    *at = p + 1;
                    return Ok(());
                }
                match place {
                    Place::ParentTreeKey => {
                        out.extend_from_slice((n + self.copy.key_offset).to_string().as_bytes());
                    }
                    Place::Length => {
                        self.length = usize::try_from(n).ok();
                        out.extend_from_slice(word);
                    }
                    _ => out.extend_from_slice(word),
                }
            }
        }
        Ok(())
    }
}

/// A chunk's objects as written in the joined file, one after another,
/// and where each starts in them.
struct Copied {
    bytes: Vec<u8>,
    objects: Vec<(u32, usize)>,
}

/// Writes the outline items of `nodes` (children of `parent`), each with
/// its links to parent and siblings; returns how many items are visible
/// under `parent` (all closed: typst writes each item with children
/// closed, `Count` negative).
fn write_outline(
    nodes: &[typst::model::OutlineNode<Option<usize>>],
    parent: u32,
    numbers: &[u32],
    items: &mut [Dict],
    out: &mut Vec<(u32, Dict)>,
) -> usize {
    let number = |n: &typst::model::OutlineNode<Option<usize>>| {
        numbers[n.entry.expect("only included headings are in the tree")]
    };
    for (i, node) in nodes.iter().enumerate() {
        let mut d = std::mem::take(&mut items[node.entry.expect("included")]);
        d.push((b"Parent".to_vec(), Obj::Ref(parent)));
        if i > 0 {
            d.push((b"Prev".to_vec(), Obj::Ref(number(&nodes[i - 1]))));
        }
        if let Some(next) = nodes.get(i + 1) {
            d.push((b"Next".to_vec(), Obj::Ref(number(next))));
        }
        if let (Some(f), Some(l)) = (node.children.first(), node.children.last()) {
            d.push((b"First".to_vec(), Obj::Ref(number(f))));
            d.push((b"Last".to_vec(), Obj::Ref(number(l))));
            let under = write_outline(&node.children, number(node), numbers, items, out);
            d.push((b"Count".to_vec(), Obj::Int(-(under as i64))));
        }
        out.push((number(node), d));
    }
    nodes.len()
}

/// The XMP packet with the page count of the whole document.
fn whole_page_count(xmp: &[u8], pages: usize) -> Vec<u8> {
    const OPEN: &[u8] = b"<xmpTPg:NPages>";
    let Some(at) = memchr::memmem::find(xmp, OPEN) else {
        return xmp.to_vec();
    };
    let from = at + OPEN.len();
    let Some(len) = memchr::memmem::find(&xmp[from..], b"</xmpTPg:NPages>") else {
        return xmp.to_vec();
    };
    let mut out = xmp[..from].to_vec();
    out.extend_from_slice(pages.to_string().as_bytes());
    out.extend_from_slice(&xmp[from + len..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Obj {
        Parser { b: s, at: 0 }.object(0).unwrap()
    }

    #[test]
    fn objects_read_and_write_back() {
        let src = b"<</A [1 2 0 R 3.5 (a\\(b\\)\\n) <414243> /N#20x true null] /B<</C 7 0 R>>>>";
        let obj = parse(src);
        let Obj::Dict(d) = &obj else { panic!() };
        let Some(Obj::Array(a)) = get(d, b"A") else {
            panic!()
        };
        assert_eq!(a[0], Obj::Int(1));
        assert_eq!(a[1], Obj::Ref(2));
        assert_eq!(a[2], Obj::Real(b"3.5".to_vec()));
        assert_eq!(a[3], Obj::Str(b"a(b)\n".to_vec()));
        assert_eq!(a[4], Obj::Str(b"ABC".to_vec()));
        assert_eq!(a[5], Obj::Name(b"N#20x".to_vec()));
        let mut out = Vec::new();
        write(&obj, &mut out, &|r| r + 10);
        assert_eq!(
            out,
            b"<</A [1 12 0 R 3.5 (a\\(b\\)\\012) (ABC) /N#20x true null]/B <</C 17 0 R>>>>"
                .to_vec()
        );
        assert_eq!(parse(&out), remap(&obj, &|r| r + 10));
    }

    /// Every object of a real typst PDF (tables with IDs and headers,
    /// links, footnotes, an outline, attachments) copied the fast way means
    /// what it means read as objects and edited: same references, same
    /// shifted keys, same prefixed IDs.
    #[test]
    fn the_fast_copy_means_what_the_slow_one_does() {
        let md = "# Title\n\n## A\n\n| Head | Other |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nSee [b](#b) and [the web](https://example.org/x).[^1]\n\n[^1]: A note (with parentheses) and a back\\slash.\n\n## B\n\nText in *italic* and `code`.\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.md");
        crate::fsutil::write_atomic(&path, md.as_bytes()).unwrap();
        let doc = crate::source::parse_plain_markdown(&path.display().to_string(), md).unwrap();
        let pdf = crate::render::pdf::render_version(
            None,
            &doc,
            &crate::render::typst::Templates::builtin(),
        )
        .unwrap();
        let plan = Plan::read(&pdf, false).unwrap();
        let numbers = Numbers {
            new: (0..plan.file.count()).map(|n| n as u32 + 7).collect(),
        };
        let far = std::collections::HashMap::new();
        let copy = Copy {
            chunk: 2,
            numbers: &numbers,
            aliases: &[],
            key_offset: 100,
            far: &far,
        };
        let mut seen = (0, 0, 0);
        for n in 1..plan.file.count() {
            if plan.file.xref.offsets[n].is_none() {
                continue;
            }
            let value = plan.file.raw(n as u32).unwrap().unwrap();
            let mut fast = Rewrite {
                copy: &copy,
                object: n,
                length: None,
            };
            let (mut out, mut at) = (Vec::new(), 0);
            fast.value(value, &mut at, &mut out, Place::Other, 0)
                .unwrap();
            assert_eq!(at, value.len());
            let fast = Parser { b: &out, at: 0 }.object(0).unwrap();
            let Indirect { mut value, .. } = plan.file.object(n as u32).unwrap();
            copy.edit(&mut value).unwrap();
            let slow = remap(&value, &|r| copy.map(r));
            assert_eq!(fast, slow, "object {n}");
            let text = String::from_utf8_lossy(&out).into_owned();
            seen.0 += usize::from(text.contains("(C2-U"));
            seen.1 += usize::from(text.contains("/StructParent"));
            seen.2 += usize::from(text.contains(" 0 R"));
        }
        assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    }

    #[test]
    fn text_of_another_script_is_written_in_hex() {
        let utf16 = vec![0xFE, 0xFF, 0x04, 0x1F, 0x00, 0x20];
        let mut out = Vec::new();
        write_string(&utf16, &mut out);
        assert_eq!(out, b"<feff041f0020>".to_vec());
        assert_eq!(parse(&out), Obj::Str(utf16));
        let mut out = Vec::new();
        write_string(b"Section, page 3", &mut out);
        assert_eq!(out, b"(Section, page 3)".to_vec());
    }

    #[test]
    fn a_page_count_in_xmp_is_the_whole_documents() {
        let xmp = b"<a><xmpTPg:NPages>12</xmpTPg:NPages></a>";
        assert_eq!(
            whole_page_count(xmp, 1054),
            b"<a><xmpTPg:NPages>1054</xmpTPg:NPages></a>".to_vec()
        );
        assert_eq!(whole_page_count(b"<a/>", 3), b"<a/>".to_vec());
    }
}
