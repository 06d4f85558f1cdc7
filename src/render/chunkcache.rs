//! The PDFs of a long document's chunks, kept between builds.
//!
//! An edit usually touches one section of a long code. `regdoc build` and
//! `regdoc watch` keep each chunk's PDF (`render::typst::chunk`,
//! `render::pdfjoin`) under `out/.regdoc-cache/`, with what the next
//! render needs to know of it without laying it out again: its page and
//! footnote count and its headings. The next render compiles only the
//! chunks whose inputs changed, exports only those and the ones whose page
//! numbers moved, and joins.
//!
//! - **The key is everything a chunk is made of**: regdoc's version and
//!   build, the templates and house fonts, the chunk's template data
//!   (which holds its text, its place among the chunks and where its
//!   footnotes start), the bytes of every image it shows, the PDF's
//!   identifier and date, and `SOURCE_DATE_EPOCH`. Content, never
//!   timestamps, but for the program's own (`build_id`). Page numbers are not in the key: an entry records the
//!   numbers it was stamped with, and is used as it is only when they
//!   still hold.
//! - **An entry is never trusted blindly**: it carries a seal of its
//!   contents under this machine's key (`fsutil::seal`, an HMAC), checked
//!   on every read. A truncated, corrupted or foreign file (one committed
//!   to git, copied from elsewhere or forged) is a miss and is written anew.
//! - **It stays small**: one file per chunk of each PDF, named by the PDF
//!   and the chunk's place, replaced when the chunk changes; a document
//!   that lost chunks loses their files.
//! - **It is only a cache**: written atomically, outside the build's
//!   transaction; deleting the folder costs one full render.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::render::typst::chunk::{Headings, Picture};

/// The folder of the cache, inside a build's output folder.
pub const DIR: &str = ".regdoc-cache";

/// What the first line of an entry says: the format, so that a file of
/// another version of regdoc is a miss.
const MAGIC: &[u8] = b"regdoc-chunk 1\n";

static CURRENT: std::sync::Mutex<Option<Cache>> = std::sync::Mutex::new(None);

/// Makes renders of this process keep chunks in `dir` (`None`: not at
/// all, as for one `regdoc markup`). `build` sets it to
/// `out/.regdoc-cache`; `build --force` with `read: false`, so that what
/// it renders is made from scratch, and kept for the next build.
pub fn use_dir(dir: Option<PathBuf>, read: bool) {
    *CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = dir.map(|dir| Cache { dir, read });
}

/// The cache in use, if any.
pub fn current() -> Option<Cache> {
    CURRENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// One chunk's PDF and what is known of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The hash of its inputs ([`key`]).
    pub key: String,
    pub pages: usize,
    pub footnotes: usize,
    pub headings: Headings,
    /// The page numbers it was stamped with: its first page is number
    /// `before + 1`, of `total`.
    pub before: usize,
    pub total: usize,
    #[serde(skip)]
    pub pdf: Vec<u8>,
}

/// A folder of chunk PDFs.
#[derive(Clone)]
pub struct Cache {
    dir: PathBuf,
    /// Whether entries are read, or only written.
    read: bool,
}

impl Cache {
    /// The same folder, written but not read: for a render that must not
    /// trust what it holds.
    pub fn write_only(self) -> Cache {
        Cache {
            read: false,
            ..self
        }
    }

    /// The file of chunk `index` of the PDF identified by `ident`.
    fn path(&self, ident: &str, index: usize) -> PathBuf {
        self.dir
            .join(format!("{}-{index}.chunk", short_hash(ident)))
    }

    /// The entry of chunk `index` of `ident`, if it is whole and made of
    /// the inputs `key` stands for.
    pub fn load(&self, ident: &str, index: usize, key: &str) -> Option<Entry> {
        if !self.read {
            return None;
        }
        let bytes = crate::fsutil::read_output(&self.path(ident, index))?;
        let entry = decode(&bytes)?;
        (entry.key == key).then_some(entry)
    }

    /// Keeps `entry` as chunk `index` of `ident`. A cache that cannot be
    /// written costs time, not the build: the error is only traced.
    pub fn store(&self, ident: &str, index: usize, entry: &Entry) {
        let Some(bytes) = encode(entry) else {
            crate::render::pdf::trace("chunk cache not written: no key to seal it with");
            return;
        };
        if let Err(e) = crate::fsutil::write_atomic(&self.path(ident, index), &bytes) {
            crate::render::pdf::trace(&format!("chunk cache not written: {e}"));
        }
    }

    /// Forgets the chunks of `ident` from `count` on: the document has
    /// fewer now.
    pub fn forget_from(&self, ident: &str, count: usize) {
        let prefix = format!("{}-", short_hash(ident));
        for path in crate::fsutil::files_in(&self.dir) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let index = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".chunk"))
                .and_then(|i| i.parse::<usize>().ok());
            if index.is_some_and(|i| i >= count) {
                crate::fsutil::remove_file(&path);
            }
        }
    }
}

/// What stands for the running program: the code that makes a chunk,
/// down to typst and the templates compiled in. Not its bytes' hash but,
/// as ccache's default `compiler_check = mtime` does for a compiler, its
/// path, size, modification time and inode: any new build or install
/// changes them, and hashing 70 MB of program cost every build 50–60 ms
/// before its first chunk could be looked up. Read once per process.
fn build_id() -> [u8; 32] {
    static ID: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        let stamp = std::env::current_exe()
            .ok()
            .and_then(|p| crate::fsutil::file_stamp(&p).map(|s| format!("{}\n{s}", p.display())));
        match stamp {
            Some(s) => Sha256::digest(s.as_bytes()).into(),
            // Unknown: a key no other process shares, so nothing is reused.
            None => Sha256::digest(format!("{:?}", std::time::SystemTime::now())).into(),
        }
    })
}

fn short_hash(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes())[..12])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `MAGIC`, the seal of the rest in hex and a line break, the entry's
/// facts as one line of JSON, the PDF. Without a key, no entry (`None`).
fn encode(entry: &Entry) -> Option<Vec<u8>> {
    let mut body = serde_json::to_vec(entry).expect("JSON of plain data");
    body.push(b'\n');
    body.extend_from_slice(&entry.pdf);
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(crate::fsutil::seal(&body)?.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&body);
    Some(out)
}

fn decode(bytes: &[u8]) -> Option<Entry> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, body) = (rest.get(..64)?, rest.get(65..)?);
    if rest.get(64) != Some(&b'\n') || !crate::fsutil::sealed(body, std::str::from_utf8(sum).ok()?)
    {
        return None;
    }
    let line = memchr::memchr(b'\n', body)?;
    let mut entry: Entry = serde_json::from_slice(&body[..line]).ok()?;
    entry.pdf = body[line + 1..].to_vec();
    Some(entry)
}

/// What every chunk of one render is made of: the program, the template,
/// the templates folder and its fonts, the PDF's identifier and date.
/// Hashed once per render, not once per chunk: house fonts are megabytes.
pub struct Setting([u8; 32]);

impl Setting {
    pub fn of(
        template: &str,
        templates: &crate::render::typst::Templates,
        ident: &str,
        dated: Option<crate::model::EffectiveDate>,
    ) -> Setting {
        let mut h = Sha256::new();
        let mut put = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        put(MAGIC);
        put(env!("CARGO_PKG_VERSION").as_bytes());
        // regdoc's version is not enough: typst, the templates compiled in
        // and the stamping change between builds of one version.
        put(&build_id());
        put(template.as_bytes());
        for (name, _) in crate::render::typst::templates::FILES {
            put(name.as_bytes());
            match templates.get(name) {
                Some(Ok(t)) => put(t.as_bytes()),
                _ => put(b"?"),
            }
        }
        for (path, bytes) in templates.fonts.iter() {
            put(path.to_string_lossy().as_bytes());
            put(&Sha256::digest(bytes));
        }
        put(ident.as_bytes());
        put(format!("{dated:?}").as_bytes());
        put(std::env::var("SOURCE_DATE_EPOCH")
            .unwrap_or_default()
            .as_bytes());
        Setting(h.finalize().into())
    }
}

/// What a chunk is made of, besides its page numbers.
pub struct Inputs<'a> {
    pub setting: &'a Setting,
    pub index: usize,
    /// The pictures the chunk shows, and the JSON typst is given of it.
    pub pictures: &'a [(Picture, String)],
    pub json: &'a [u8],
    pub templates: &'a crate::render::typst::Templates,
    pub doc_dir: Option<&'a Path>,
    pub old_dir: Option<&'a Path>,
}

/// The hash of a chunk's inputs, in hex.
pub fn key(i: &Inputs) -> String {
    let mut h = Sha256::new();
    let mut put = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    put(&i.setting.0);
    put(&(i.index as u64).to_le_bytes());
    put(i.json);
    // The pictures it shows: a redrawn diagram changes the chunk though
    // no text did.
    let mut shown = i.pictures.to_vec();
    shown.sort();
    shown.dedup();
    for (key, name) in shown {
        put(name.as_bytes());
        let bytes = match key {
            Picture::Document => {
                // As the world reads them: `/old/` from the document's own
                // folder when the old side has none of its own.
                let (dir, rel) = match (name.strip_prefix("/doc/"), name.strip_prefix("/old/")) {
                    (Some(rel), _) => (i.doc_dir, rel),
                    (_, Some(rel)) => (i.old_dir.or(i.doc_dir), rel),
                    _ => (None, ""),
                };
                dir.map(|d| {
                    crate::source::assets::read_image(d, rel)
                        .map(|p| p.bytes)
                        .map_err(|_| ())
                })
            }
            // The data names it as typst reads it, under `/templates/`.
            Picture::Templates => i
                .templates
                .image(name.strip_prefix("/templates/").unwrap_or(&name))
                .map(|r| r.map_err(|_| ())),
        };
        match bytes {
            Some(Ok(b)) => put(&Sha256::digest(&b)),
            _ => put(b"?"),
        }
    }
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            key: "k".into(),
            pages: 3,
            footnotes: 1,
            headings: vec![(std::num::NonZeroUsize::new(2).unwrap(), true)],
            before: 10,
            total: 40,
            pdf: b"%PDF-1.7\n...".to_vec(),
        }
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        assert_eq!(decode(&encode(&entry()).unwrap()), Some(entry()));
    }

    #[test]
    fn a_damaged_entry_is_a_miss() {
        let good = encode(&entry()).unwrap();
        // Truncated anywhere, one byte changed anywhere, or of another
        // format: never read.
        for cut in [0, 10, MAGIC.len() + 30, good.len() - 1] {
            assert_eq!(decode(&good[..cut]), None, "cut at {cut}");
        }
        for at in [0, MAGIC.len() + 3, good.len() - 5, good.len() / 2] {
            let mut bad = good.clone();
            bad[at] ^= 1;
            assert_eq!(decode(&bad), None, "byte {at} changed");
        }
        // Whole and consistent, but sealed by someone else (a plain
        // SHA-256, as a forger could compute): never read.
        let body = &good[MAGIC.len() + 65..];
        let mut forged = MAGIC.to_vec();
        forged.extend_from_slice(hex(&Sha256::digest(body)).as_bytes());
        forged.push(b'\n');
        forged.extend_from_slice(body);
        assert_eq!(decode(&forged), None);
    }
}
