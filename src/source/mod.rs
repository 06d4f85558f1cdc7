//! Loading sources: the one place regdoc reads documents from.
//!
//! Like typst's `World`, every read of a source goes through [`read_source`]
//! (files) or [`read_git`] (revisions), so size limits, UTF-8 checks and the
//! rule that a document's files stay inside `documents/` hold everywhere.

pub mod assets;
pub mod frontmatter;
pub mod markdown;
pub mod response;
pub mod yaml;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Cause, Error, Result};
use crate::model::consultation::{ConsultationFile, ConsultationMeta};
use crate::model::{Document, DocumentInfo, SourceDoc, VersionFile, VersionMeta, VersionNumber};

/// Largest source file regdoc reads. A governed document is far smaller;
/// anything larger is almost surely the wrong file.
pub const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;

/// The metadata file of a document folder.
pub const DOCUMENT_FILE: &str = "document.yaml";

/// The folder of a document's consultations.
pub const CONSULTATIONS: &str = "consultations";

/// Where the responses returned to the consultation on version `v` of the
/// document in `doc_dir` are kept, by default:
/// `documents/emrr/consultations/v3.0-responses/`. A governance team that
/// keeps responses under version control keeps them here; `regdoc list`
/// counts them and `regdoc responses` reads them.
pub fn responses_dir(doc_dir: &Path, v: &VersionNumber) -> PathBuf {
    doc_dir.join(CONSULTATIONS).join(format!("v{v}-responses"))
}

/// Reads a source file as UTF-8 text, refusing huge and binary files.
pub fn read_source(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, &e))?;
    if meta.is_dir() {
        return Err(Error::in_file(path, "is a folder, not a file"));
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(too_large(path, Some(meta.len()), MAX_SOURCE_BYTES));
    }
    let bytes = read_bounded(path, MAX_SOURCE_BYTES)?;
    decode(path, bytes)
}

/// The bytes of a returned response file, within the source size limit.
pub fn read_response_bytes(path: &Path) -> Result<Vec<u8>> {
    read_bounded(path, MAX_SOURCE_BYTES)
}

/// Reads at most `max` bytes of `path`, counting while reading: a pipe or
/// a device reports no length, so the file's size is not trusted.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, &e))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, &e))?;
    if bytes.len() as u64 > max {
        // A regular file says its size; a pipe or a device does not.
        let size = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file() && m.len() > max)
            .map(|m| m.len());
        return Err(too_large(path, size, max));
    }
    Ok(bytes)
}

/// A file over the limit `max` of what it is: its size where it is known
/// (a regular file; a pipe, a device or a git blob read past the limit
/// has none), and the limit, both as they are.
fn too_large(path: &Path, size: Option<u64>, max: u64) -> Error {
    let limit = if max.is_multiple_of(1024 * 1024) {
        format!("{} MiB", max / (1024 * 1024))
    } else {
        format!("{max} bytes")
    };
    Error::in_file(
        path,
        match size {
            Some(len) => format!(
                "the file is {:.1} MiB; regdoc reads files of this kind up to {limit}",
                len as f64 / (1024.0 * 1024.0)
            ),
            None => format!("the file is larger than {limit}, the most regdoc reads of it"),
        },
    )
}

/// Whether a file starts with a UTF-8 byte-order mark, which
/// [`read_source`] drops from the text: an edit must write it back.
pub fn has_bom(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = Vec::with_capacity(3);
    std::fs::File::open(path)
        .and_then(|f| f.take(3).read_to_end(&mut head))
        .map_err(|e| Error::io(path, &e))?;
    Ok(head == [0xEF, 0xBB, 0xBF])
}

/// UTF-8 text of `bytes`, or an error at the first bad byte.
fn decode(path: &Path, mut bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            if let Some(i) = s.find('\0') {
                let (l, c) = crate::error::line_col(&s, i);
                return Err(
                    Error::in_file(path, "this is a binary file, not Markdown or YAML").at(l, c),
                );
            }
            // Every text regdoc reads reaches a layout somewhere (front
            // matter and document.yaml too: titles, summaries): a cluster
            // of thousands of marks is refused at the door, wherever it is.
            if let Some((i, n)) = markdown::long_cluster(&s) {
                let (l, c) = crate::error::line_col(&s, i);
                return Err(Error::in_file(
                    path,
                    format!(
                        "a character here carries {} combining marks (or joined characters); regdoc reads at most {}",
                        n - 1,
                        markdown::MAX_CLUSTER_CHARS - 1
                    ),
                )
                .at(l, c)
                .rule("limits/grapheme-cluster")
                .help("see docs/limits.md for regdoc's limits"));
            }
            Ok(s)
        }
        Err(e) => {
            let bytes = e.as_bytes();
            let i = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&bytes[..i]);
            let (l, c) = crate::error::line_col(&text, i);
            let what = if bytes.contains(&0) {
                "a binary file"
            } else {
                "not valid UTF-8"
            };
            Err(
                Error::in_file(path, format!("this is {what} (first bad byte here)"))
                    .at(l, c)
                    .help("save the file as UTF-8"),
            )
        }
    }
}

/// Source text from bytes that came from elsewhere than a file (a PDF's
/// embedded files): the same checks as [`read_source`], errors located in
/// `origin`.
pub fn text_from_bytes(origin: &str, bytes: Vec<u8>) -> Result<String> {
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_large(
            Path::new(origin),
            Some(bytes.len() as u64),
            MAX_SOURCE_BYTES,
        ));
    }
    decode(Path::new(origin), bytes)
}

/// A `document.yaml` from its text.
pub fn parse_document_info(origin: &str, text: &str) -> Result<DocumentInfo> {
    yaml::parse::<DocumentInfo>(Path::new(origin), text, 1)
}

/// Reads `path` as it is at git revision `rev`, through git itself and
/// without touching the work tree.
pub fn read_git(rev: &str, path: &str) -> Result<String> {
    let bytes = read_git_bytes(rev, path, MAX_SOURCE_BYTES)?;
    decode(Path::new(&format!("{rev}:{path}")), bytes)
}

/// The bytes of `path` at git revision `rev` (an image, say), at most
/// `max`, counted while reading.
pub fn read_git_bytes(rev: &str, path: &str, max: u64) -> Result<Vec<u8>> {
    let label = format!("{rev}:{path}");
    if rev.starts_with('-') {
        return Err(Error::input(format!("`{rev}` is not a git revision")));
    }
    use std::io::Read;
    let mut child = Command::new("git")
        .args(["cat-file", "blob", "--", &label])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::input(format!("cannot run git to read {label}: {e}")))?;
    // Counted while reading: a 400 MB blob is refused after 16 MB, not
    // read whole first.
    let mut bytes = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("piped")
        .take(max + 1)
        .read_to_end(&mut bytes);
    if bytes.len() as u64 > max {
        let _ = child.kill();
        let _ = child.wait();
        return Err(too_large(Path::new(&label), None, max));
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::input(format!("cannot run git to read {label}: {e}")))?;
    if let Err(e) = read {
        return Err(Error::input(format!("cannot read {label} from git: {e}")));
    }
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Error::input(format!("git cannot read {label}: {msg}")));
    }
    Ok(bytes)
}

/// The exact bytes of a source as regdoc names it: a file, or `REV:path`
/// at a git revision. What a PDF embeds to prove what it was made from
/// (`crate::provenance`): byte for byte, a byte-order mark included.
pub fn raw_bytes(origin: &str) -> Result<Vec<u8>> {
    let path = Path::new(origin);
    if is_regular_file(path) {
        return read_bounded(path, MAX_SOURCE_BYTES);
    }
    match origin.split_once(':') {
        Some((rev, p)) if !rev.is_empty() && !p.is_empty() => {
            read_git_bytes(rev, p, MAX_SOURCE_BYTES)
        }
        _ => Err(Error::in_file(path, "no such file")),
    }
}

/// The files of `dir` whose extension is one of `extensions` (any case),
/// sorted by name: same input, same bytes.
pub fn files_with_extensions(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// The commit that holds the bytes of `origin`, when git knows one: for
/// `REV:path`, that revision; for a file, the last commit that changed
/// it, if the file is tracked and unchanged since. Nothing for a file git
/// does not track or that has changes not yet committed: a reader would
/// find other bytes at any commit.
pub fn git_place(origin: &str) -> Option<crate::provenance::GitPlace> {
    let path = Path::new(origin);
    if !is_regular_file(path) {
        let (rev, p) = origin.split_once(':')?;
        let out = git_output(
            Path::new("."),
            &["rev-parse", "--verify", "-q", &format!("{rev}^{{commit}}")],
        )?;
        return Some(crate::provenance::GitPlace {
            commit: out.trim().to_string(),
            path: p.trim_start_matches("./").to_string(),
        });
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name()?.to_str()?.to_string();
    let known = folder_git(&dir)?;
    if known.changed.contains(&name) {
        return None;
    }
    let commit = known.last_commit.get(&name)?.clone();
    Some(crate::provenance::GitPlace {
        commit,
        path: format!("{}{name}", known.prefix),
    })
}

/// What git says of one folder's files, asked once per folder and
/// process: a mark-up embeds three files of one folder, and each git
/// process costs milliseconds (three at once, not nine one after another).
#[derive(Debug, Clone)]
struct FolderGit {
    /// The folder's path from the repository's top, with a final `/`.
    prefix: String,
    /// Files changed since the last commit, staged or not.
    changed: std::collections::HashSet<String>,
    /// Each file's last commit.
    last_commit: std::collections::HashMap<String, String>,
}

type KnownFolders = std::sync::Mutex<std::collections::HashMap<PathBuf, Option<FolderGit>>>;

/// What git said of each folder, for this round of work.
fn known_folders() -> &'static KnownFolders {
    static KNOWN: std::sync::OnceLock<KnownFolders> = std::sync::OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

/// Forgets what git said of every folder: a long-running process
/// (`watch`) asks again each round, so that an edit or a commit since is
/// seen, and no PDF credits edited bytes to the commit seen first.
pub fn forget_git_places() {
    if let Ok(mut k) = known_folders().lock() {
        k.clear();
    }
}

fn folder_git(dir: &Path) -> Option<FolderGit> {
    use std::collections::HashMap;
    let known = known_folders();
    let key = dir.canonicalize().ok()?;
    if let Some(k) = known.lock().ok()?.get(&key) {
        return k.clone();
    }
    let spawn = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&key)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()
    };
    let finish = |child: Option<std::process::Child>| -> Option<String> {
        let out = child?.wait_with_output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let prefix = spawn(&["rev-parse", "--show-prefix"]);
    let changed = spawn(&["diff", "--name-only", "--relative", "HEAD", "--", "."]);
    let log = spawn(&[
        "log",
        "--relative",
        "--format=%x01%H",
        "--name-only",
        "--",
        ".",
    ]);
    let found = (|| {
        let prefix = finish(prefix)?.trim().to_string();
        let changed = finish(changed)?.lines().map(str::to_string).collect();
        let mut last_commit = HashMap::new();
        let mut commit = "";
        let log = finish(log)?;
        for line in log.lines() {
            if let Some(c) = line.strip_prefix('\u{1}') {
                commit = c;
            } else if !line.is_empty() && !commit.is_empty() {
                last_commit
                    .entry(line.to_string())
                    .or_insert_with(|| commit.to_string());
            }
        }
        Some(FolderGit {
            prefix,
            changed,
            last_commit,
        })
    })();
    known.lock().ok()?.insert(key, found.clone());
    found
}

fn git_output(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The files under `dir` at git revision `rev`, relative to where we
/// stand. Read NUL-separated: otherwise git quotes names with non-ASCII
/// characters (`"v2.0-\303\251.md"`), and such a version escaped the gate.
pub fn git_files(rev: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    if rev.starts_with('-') {
        return Err(Error::input(format!("`{rev}` is not a git revision")));
    }
    let out = Command::new("git")
        .args(["ls-tree", "-r", "-z", "--name-only", rev, "--"])
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::input(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::input(format!(
            "git cannot list {} at {rev}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut files = Vec::new();
    for raw in out.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(raw).map_err(|_| {
            Error::input(format!(
                "{rev} has a file under {} whose name is not UTF-8 ({})",
                dir.display(),
                String::from_utf8_lossy(raw)
            ))
            .help("rename it: regdoc cannot check what it cannot name")
        })?;
        files.push(PathBuf::from(name));
    }
    Ok(files)
}

/// The git submodules (gitlinks) under `dir`: at revision `rev`, or in
/// the index when `rev` is `None`. A submodule's files are another
/// repository's, so `ls-tree` lists only its pointer and the gate would
/// hold none of them. Outside a git repository, none.
pub fn submodules(rev: Option<&str>, dir: &Path) -> Result<Vec<PathBuf>> {
    if rev.is_some_and(|r| r.starts_with('-')) {
        return Err(Error::input(format!(
            "`{}` is not a git revision",
            rev.unwrap_or_default()
        )));
    }
    let mut cmd = Command::new("git");
    match rev {
        Some(rev) => cmd.args(["ls-tree", "-r", "-z", rev, "--"]),
        None => cmd.args(["ls-files", "-s", "-z", "--"]),
    };
    let out = cmd
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::input(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        // Not a repository (or no such revision: `git_files` says so).
        return Ok(Vec::new());
    }
    // `<mode> <type> <object>\t<path>` (ls-tree) or
    // `<mode> <object> <stage>\t<path>` (ls-files): a gitlink's mode is 160000.
    Ok(out
        .stdout
        .split(|&b| b == 0)
        .filter(|e| e.starts_with(b"160000 "))
        .filter_map(|e| {
            let tab = e.iter().position(|&b| b == b'\t')?;
            Some(PathBuf::from(
                String::from_utf8_lossy(&e[tab + 1..]).into_owned(),
            ))
        })
        .collect())
}

/// Parses a version file's text: strict front matter and a Markdown body.
pub fn parse_version(path: &Path, text: String) -> Result<VersionFile> {
    let split = frontmatter::split(path, &text)?;
    let yaml = split.yaml.ok_or_else(|| {
        Error::in_file(path, "a version file needs YAML front matter")
            .at(1, 1)
            .help("start the file with `---`, then version, status, effective and summary")
    })?;
    let meta: VersionMeta = yaml::parse(path, yaml, split.yaml_line)?;
    let blocks = parse_body(path, &text, split.body_offset)?;
    let body_offset = split.body_offset;
    Ok(VersionFile {
        path: path.to_path_buf(),
        meta,
        blocks,
        text,
        body_offset,
    })
}

/// Parses a consultation file: strict front matter and a Markdown body.
pub fn parse_consultation(path: &Path, text: String) -> Result<ConsultationFile> {
    let split = frontmatter::split(path, &text)?;
    let yaml = split.yaml.ok_or_else(|| {
        Error::in_file(path, "a consultation file needs YAML front matter")
            .at(1, 1)
            .help("start the file with `---`, then title, consults_on, questions…")
    })?;
    let meta: ConsultationMeta = yaml::parse(path, yaml, split.yaml_line)?;
    let blocks = parse_body(path, &text, split.body_offset)?;
    let body_offset = split.body_offset;
    Ok(ConsultationFile {
        path: path.to_path_buf(),
        meta,
        blocks,
        text,
        body_offset,
    })
}

/// Parses a governed Markdown file that is not (or not yet) a version of
/// its document, such as `REV:documents/emrr/v3.0.md`: front matter is
/// optional but, when present, must be regdoc's.
pub fn parse_markdown_file(origin: &str, text: &str) -> Result<SourceDoc> {
    let path = Path::new(origin);
    let split = frontmatter::split(path, text)?;
    let meta = match split.yaml {
        Some(yaml) => Some(yaml::parse::<VersionMeta>(path, yaml, split.yaml_line)?),
        None => None,
    };
    Ok(SourceDoc {
        origin: origin.to_string(),
        dir: None,
        info: None,
        meta,
        front_matter: None,
        blocks: parse_body(path, text, split.body_offset)?,
        read_digest: Some(crate::model::text_digest(text)),
    })
}

/// Parses any other Markdown file. It is never refused for its front
/// matter: whatever a tool wrote there is kept (and read as regdoc's own
/// metadata when it happens to follow regdoc's schema).
pub fn parse_plain_markdown(origin: &str, text: &str) -> Result<SourceDoc> {
    let (front_matter, meta, body) = match frontmatter::detect(text) {
        Some(d) => {
            let meta = match d.format {
                crate::model::FrontMatterFormat::Yaml => yaml::try_parse::<VersionMeta>(d.raw)
                    .filter(|_| d.close == "---" || d.close == "..."),
                crate::model::FrontMatterFormat::Toml => None,
            };
            (Some(frontmatter::front_matter(&d)), meta, d.body)
        }
        None => (None, None, text),
    };
    Ok(SourceDoc {
        origin: origin.to_string(),
        dir: None,
        info: None,
        meta,
        front_matter,
        blocks: parse_body(Path::new(origin), text, text.len() - body.len())?,
        read_digest: Some(crate::model::text_digest(text)),
    })
}

/// The Markdown body of `text` (from `offset`) as blocks, or a located
/// error where it goes beyond regdoc's limits (docs/limits.md). `check`
/// reports the same error under its rule, so CI finds it before a build.
fn parse_body(path: &Path, text: &str, offset: usize) -> Result<Vec<crate::model::Block>> {
    let (blocks, limits) = markdown::parse_with_limits(&text[offset..]);
    match limits.into_iter().next() {
        None => Ok(blocks),
        Some(l) => {
            let (line, col) = crate::error::line_col(text, offset + l.offset);
            Err(Error::in_file(path, l.message)
                .at(line, col)
                .rule(l.rule)
                .help("see docs/limits.md for regdoc's limits"))
        }
    }
}

/// The `documents/` folder: every governed document, one folder each.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Workspace { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Ids of the documents: folders holding a `document.yaml`, sorted.
    pub fn document_ids(&self) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(&self.root).map_err(|e| {
            Error::io(&self.root, &e)
                .help("run regdoc from the project root, or pass --documents DIR")
        })?;
        let mut ids = Vec::new();
        for entry in entries.flatten() {
            let p = entry.path();
            if p.join(DOCUMENT_FILE).is_file()
                && let Some(name) = p.file_name().and_then(|n| n.to_str())
            {
                ids.push(name.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn load_all(&self) -> Result<Vec<Document>> {
        self.document_ids()?
            .iter()
            .map(|id| self.load_document(id))
            .collect()
    }

    /// The folder of document `id`, which must exist.
    pub fn document_dir(&self, id: &str) -> Result<PathBuf> {
        if !is_id(id) {
            return Err(Error::input(format!("`{id}` is not a document id")));
        }
        let dir = self.root.join(id);
        if !dir.join(DOCUMENT_FILE).is_file() {
            let known = self.document_ids().unwrap_or_default().join(", ");
            return Err(Error::input(format!("unknown document `{id}`"))
                .help(format!("documents under {}: {known}", self.root.display())));
        }
        Ok(dir)
    }

    /// Loads one document: its metadata and every `*.md` version file.
    /// The first problem [`Workspace::load_tolerant`] finds is the error.
    pub fn load_document(&self, id: &str) -> Result<Document> {
        let dir = self.document_dir(id)?;
        let loaded = self.load_tolerant(&dir)?;
        if let Some(e) = loaded.problems.into_iter().next() {
            return Err(e);
        }
        let doc = loaded.document.expect("a document without problems");
        // Two files holding one version: the fault is the one not named
        // for its version (`v01.0.md` beside `v1.0.md`), else the second
        // by name, reported at its `version:` line.
        let named_right = |f: &VersionFile| {
            f.path.file_name().and_then(|n| n.to_str()) == Some(&format!("v{}.md", f.meta.version))
        };
        let mut by_name: Vec<&VersionFile> = doc.versions.iter().collect();
        by_name.sort_by(|a, b| (!named_right(a), &a.path).cmp(&(!named_right(b), &b.path)));
        for (i, file) in by_name.iter().enumerate() {
            if let Some(first) = by_name[..i]
                .iter()
                .find(|v| v.meta.version == file.meta.version)
            {
                return Err(Error::in_file(
                    &file.path,
                    format!(
                        "version {} is also in {}",
                        file.meta.version,
                        first.path.display()
                    ),
                )
                .at(yaml::key_line(&file.text, "version").unwrap_or(1), 1)
                .rule("lifecycle/duplicate-version"));
            }
        }
        Ok(doc)
    }

    /// Reads a document folder as far as it can: the document (`None` when
    /// its `document.yaml` is unusable), every problem as an [`Error`]
    /// carrying its `check` rule, and the text of every file read (for
    /// snippets). Only a folder that cannot be read at all is an error.
    /// `check` and [`Workspace::load_document`] both load through here, so
    /// they can never disagree on what a folder holds.
    pub fn load_tolerant(&self, dir: &Path) -> Result<Loaded> {
        // A folder that is a link (`documents/x -> ..`) is refused before
        // anything in it is read or finished: recovering there would rename
        // and delete files outside `documents/`.
        self.real_document_dir(dir)?;
        // A change a killed `approve` or `new` left half-done is finished
        // first, so no reader ever sees it half-done.
        crate::fsutil::recover(dir)?;
        self.load_as_is(dir)
    }

    /// `dir` is a folder of its own inside `documents/`: not a symbolic
    /// link, not leading out, and not another git repository (a submodule,
    /// whose files this repository's gate cannot see).
    pub fn real_document_dir(&self, dir: &Path) -> Result<()> {
        let linked = std::fs::symlink_metadata(dir)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if linked {
            let mut e = Error::in_file(
                dir,
                "is a symbolic link: a document folder must be a folder of its own inside documents/",
            )
            .rule("schema/linked-folder")
            .help("replace the link with the folder itself; nothing in it was read or changed");
            e.cause = Cause::Outside;
            return Err(e);
        }
        inside(&self.root, dir, "document folders")?;
        if exists(&dir.join(".git")) {
            return Err(Error::in_file(
                dir,
                "is a git repository of its own (a submodule): its files are not this repository's, and the gate cannot hold them",
            )
            .rule("schema/submodule")
            .help("keep the document's files in this repository, not in a submodule"));
        }
        Ok(())
    }

    /// [`Workspace::load_tolerant`] without finishing an interrupted
    /// change: for `check --base`, which judges what is committed and must
    /// not let a committed journal rewrite it first.
    pub fn load_as_is(&self, dir: &Path) -> Result<Loaded> {
        self.real_document_dir(dir)?;
        let mut loaded = Loaded::default();
        let info_path = dir.join(DOCUMENT_FILE);
        let info = match self.read_tolerant(&info_path, &mut loaded)? {
            Some(text) => match yaml::parse::<DocumentInfo>(&info_path, &text, 1) {
                Ok(i) => Some(i),
                Err(e) => {
                    loaded.problems.push(e.rule_or("schema/document"));
                    None
                }
            },
            None => None,
        };
        if let Some(i) = &info {
            let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if i.id != folder {
                let text = loaded.source(&info_path).unwrap_or("");
                let line = yaml::key_line(text, "id").unwrap_or(1);
                loaded.problems.push(
                    Error::in_file(
                        &info_path,
                        format!("id `{}` does not match the folder `{folder}`", i.id),
                    )
                    .at(line, 1)
                    .rule("schema/document-id"),
                );
            }
        }
        let mut versions: Vec<VersionFile> = Vec::new();
        for path in version_paths(dir)? {
            let Some(text) = self.read_tolerant(&path, &mut loaded)? else {
                continue;
            };
            match parse_version(&path, text) {
                Ok(v) => versions.push(v),
                Err(e) => loaded.problems.push(e.rule_or("schema/front-matter")),
            }
        }
        versions.sort_by(|a, b| a.meta.version.cmp(&b.meta.version));
        let mut consultations = Vec::new();
        let folder = dir.join(CONSULTATIONS);
        if is_real_dir(&folder) {
            for path in version_paths(&folder)? {
                let Some(text) = self.read_tolerant(&path, &mut loaded)? else {
                    continue;
                };
                match parse_consultation(&path, text) {
                    Ok(c) => consultations.push(c),
                    Err(e) => loaded.problems.push(e.rule_or("schema/consultation")),
                }
            }
        }
        loaded.document = info.map(|info| Document {
            dir: dir.to_path_buf(),
            info,
            versions,
            consultations,
        });
        Ok(loaded)
    }

    /// Reads a file of a document folder. Content problems (binary, too
    /// large, a link out of `documents/`) are problems of the load; a file
    /// that cannot be read at all is an error.
    fn read_tolerant(&self, path: &Path, loaded: &mut Loaded) -> Result<Option<String>> {
        match self.read_inside(path) {
            Ok(text) => {
                loaded.sources.push((path.to_path_buf(), text.clone()));
                Ok(Some(text))
            }
            Err(e) if e.cause == Cause::Io => Err(e),
            Err(e) => {
                let rule = match e.cause {
                    Cause::Outside => "schema/outside",
                    _ => "schema/encoding",
                };
                loaded.problems.push(e.rule_or(rule));
                Ok(None)
            }
        }
    }

    /// Reads a file that must really live inside `documents/` (a symlink
    /// out of it is refused, so a document cannot pull in other files).
    fn read_inside(&self, path: &Path) -> Result<String> {
        let real = inside(&self.root, path, "document files")?;
        // A pipe or a device among a document's files would block or never
        // end: only regular files are opened.
        if !std::fs::metadata(&real).is_ok_and(|m| m.is_file()) {
            return Err(Error::in_file(path, "is not a regular file")
                .help("a document folder holds only files: document.yaml, versions, images"));
        }
        read_source(path)
    }

    /// Resolves what a user names on the command line: `doc@version`,
    /// `REV:path` (a file at a git revision) or a path to a Markdown file.
    pub fn resolve(&self, spec: &str) -> Result<SourceDoc> {
        let as_path = Path::new(spec);
        if as_path.exists() {
            return self.open_path(as_path);
        }
        if let Some((id, v)) = version_spec(spec)? {
            let doc = self.load_document(id)?;
            let file = doc.version(&v).ok_or_else(|| {
                let known: Vec<String> = doc
                    .versions
                    .iter()
                    .map(|f| f.meta.version.to_string())
                    .collect();
                Error::input(format!("document `{id}` has no version {v}"))
                    .help(format!("versions: {}", known.join(", ")))
            })?;
            return Ok(doc.source_doc(file));
        }
        if let Some((rev, path)) = spec.split_once(':')
            && !rev.is_empty()
            && !path.is_empty()
        {
            let text = read_git(rev, path)?;
            return open_text(spec, &text, Path::new(path));
        }
        Err(Error::in_file(
            spec,
            "no such file, document version (doc@1.0) or git revision (REV:path)",
        ))
    }

    /// Whether writing `path` would write into `documents/`: outputs
    /// never overwrite a governed source.
    pub fn holds(&self, path: &Path) -> bool {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        matches!(resolve_inside(&self.root, parent), Ok(Some(_)))
    }

    /// Whether folder `dir` is, or would be once created, inside the
    /// documents folder: its nearest existing ancestor (itself, if it
    /// exists) resolves inside. Where a build may not write.
    pub fn holds_folder(&self, dir: &Path) -> bool {
        let mut probe = dir.to_path_buf();
        loop {
            if exists(&probe) {
                return matches!(resolve_inside(&self.root, &probe), Ok(Some(_)));
            }
            match probe.parent() {
                Some(p) if !p.as_os_str().is_empty() => probe = p.to_path_buf(),
                _ => return false,
            }
        }
    }

    /// The governed document `doc` is a version of (for its version
    /// history), if it is one of this workspace's.
    pub fn owning_document(&self, doc: &SourceDoc) -> Result<Option<Document>> {
        match &doc.info {
            Some(info)
                if doc
                    .dir
                    .as_deref()
                    .is_some_and(|d| d.starts_with(self.root())) =>
            {
                self.load_document(&info.id).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn open_path(&self, path: &Path) -> Result<SourceDoc> {
        let text = read_source(path)?;
        open_text(&path.display().to_string(), &text, path)
    }
}

/// A file in a document folder is that document's (regdoc's front matter,
/// the document's metadata); any other file is plain Markdown.
fn open_text(origin: &str, text: &str, path: &Path) -> Result<SourceDoc> {
    match folder_info(path) {
        Some((dir, info)) => {
            let mut doc = parse_markdown_file(origin, text)?;
            doc.info = Some(info);
            doc.dir = Some(dir);
            Ok(doc)
        }
        None => {
            let mut doc = parse_plain_markdown(origin, text)?;
            // Images are read from the file's own folder.
            doc.dir = path.parent().map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            });
            Ok(doc)
        }
    }
}

/// The document a Markdown file's folder holds, if any.
fn folder_info(path: &Path) -> Option<(PathBuf, DocumentInfo)> {
    let dir = path.parent()?;
    let info_path = dir.join(DOCUMENT_FILE);
    if !std::fs::metadata(&info_path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let text = read_source(&info_path).ok()?;
    let info = yaml::parse::<DocumentInfo>(&info_path, &text, 1).ok()?;
    Some((dir.to_path_buf(), info))
}

/// What [`Workspace::load_tolerant`] read of a document folder.
#[derive(Debug, Default)]
pub struct Loaded {
    pub document: Option<Document>,
    /// Every problem, in the order found, each with its `check` rule.
    pub problems: Vec<Error>,
    /// The text of every file read.
    pub sources: Vec<(PathBuf, String)>,
}

impl Loaded {
    /// The text read of `path`.
    pub fn source(&self, path: &Path) -> Option<&str> {
        self.sources
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }
}

/// Where `path` really is, when that is inside `root` (symlinks and `..`
/// resolved): the one sandbox rule for document folders, templates, images
/// and typst's reads. `Ok(None)`: it leads outside. `Err`: it does not
/// exist or cannot be resolved.
pub fn resolve_inside(root: &Path, path: &Path) -> std::io::Result<Option<PathBuf>> {
    let root = root.canonicalize()?;
    let real = path.canonicalize()?;
    Ok(real.starts_with(&root).then_some(real))
}

/// [`resolve_inside`] as a located error; `what` names what must live in
/// `root` ("document files", "templates").
pub fn inside(root: &Path, path: &Path, what: &str) -> Result<PathBuf> {
    match resolve_inside(root, path) {
        Ok(Some(real)) => Ok(real),
        Ok(None) => {
            let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            let mut e = Error::in_file(
                path,
                format!(
                    "links outside {} (to {}); {what} must live inside it",
                    root.display(),
                    real.display()
                ),
            );
            e.cause = Cause::Outside;
            Err(e)
        }
        Err(e) => Err(Error::io(path, &e)),
    }
}

/// Whether anything (a file, a folder, a dangling symlink) is at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `path` is a symbolic link.
pub fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Where `path` really is, every link resolved.
pub fn real_path(path: &Path) -> Result<PathBuf> {
    path.canonicalize().map_err(|e| Error::io(path, &e))
}

/// Whether `path` is a folder itself (not a symlink to one).
pub fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `path` is a regular file itself (not a symlink to one).
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// The version files (`*.md`) of a document folder, sorted by name.
pub fn version_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, &e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Every regular file under `dir`, at any depth, sorted; links are not
/// followed (a link is listed as a file of its own only if it is one).
/// At most 10,000 files and 32 levels.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    const MAX_FILES: usize = 10_000;
    const MAX_DEPTH: usize = 32;
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = todo.pop() {
        for entry in std::fs::read_dir(&d)
            .map_err(|e| Error::io(&d, &e))?
            .flatten()
        {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < MAX_DEPTH {
                todo.push((entry.path(), depth + 1));
            } else if kind.is_file() || kind.is_symlink() {
                out.push(entry.path());
                if out.len() > MAX_FILES {
                    return Err(Error::in_file(
                        dir,
                        format!("holds more than {MAX_FILES} files"),
                    ));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A work-tree file's bytes as git keeps them: a symbolic link by where
/// it points, any other file by its content (at most `max` bytes).
pub fn bytes_as_git_keeps(path: &Path, max: u64) -> Result<Vec<u8>> {
    match std::fs::read_link(path) {
        Ok(target) => Ok(target.to_string_lossy().into_owned().into_bytes()),
        Err(_) => read_bounded(path, max),
    }
}

/// The folders of `root`, sorted: each should be one document.
pub fn folders(root: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| Error::io(root, &e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    Ok(v)
}

/// `doc@version` read as a document id and a version number: `None` when
/// `spec` does not have that shape (a file name, `REV:path`), an error when
/// its version is not a version number. Parsed by the one parser of that
/// notation, `model::consultation::VersionRef`.
pub fn version_spec(spec: &str) -> Result<Option<(&str, VersionNumber)>> {
    match spec.split_once('@') {
        Some((id, _)) if is_id(id) => {
            let r = crate::model::consultation::VersionRef::try_from(spec.to_string())
                .map_err(Error::input)?;
            Ok(Some((id, r.version)))
        }
        _ => Ok(None),
    }
}

pub use crate::model::is_id;
