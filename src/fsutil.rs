//! Writing files so that no failure or kill leaves a half-changed record.
//!
//! Every write goes through a [`Transaction`] on one folder (its *root*):
//!
//! 1. **Stage**: each new file is written to a temporary file in the root
//!    (`.regdoc-*.tmp`) and synced. A failure here (a full disk) leaves
//!    the old files untouched, and the temporary files are deleted.
//! 2. **Journal**: the list of renames and removals is written atomically
//!    to `.regdoc-journal.json` in the root and synced. From this moment
//!    the change has happened, logically.
//! 3. **Apply**: each temporary file is renamed over its target, removed
//!    files are deleted, then the journal is deleted.
//!
//! A kill during 3 leaves a journal; whoever opens the root next (any
//! regdoc command that reads the folder: see [`recover`]) finishes it
//! first, so every reader sees either the whole old set or the whole new
//! set. Temporary files that no journal names are left-overs of a kill
//! during 1 and are deleted. Writers hold an exclusive lock on the root
//! folder from stage to apply, so a recovery never deletes another
//! process's staged files.
//!
//! A journal is applied only where a killed regdoc could have left it: it
//! names the folder it was written in by device and inode, is sealed with
//! this machine's key ([`seal`]), and renames only regdoc's own temporary
//! files of that folder. A journal committed to git, copied, or written by
//! hand is refused before any step of it is taken: a repository's files
//! must not be able to rename or delete anything.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The journal of a transaction being applied, in its root.
pub const JOURNAL: &str = ".regdoc-journal.json";
const TMP_PREFIX: &str = ".regdoc-";
/// A journal names a few hundred files at most.
const MAX_JOURNAL_BYTES: u64 = 1024 * 1024;
const TMP_SUFFIX: &str = ".tmp";

/// What a committed transaction does, as written to the journal. Paths are
/// relative to the root, so a moved checkout recovers too.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// The root it was written in, as [`folder_id`] gives it: a journal
    /// found in any other folder was not left there by a killed regdoc.
    #[serde(default)]
    folder: String,
    /// `(temporary file, target)`.
    renames: Vec<(String, String)>,
    removals: Vec<String>,
    /// This machine's seal ([`seal`]) over the rest: a journal committed
    /// to git or written by hand cannot carry one, even where its folder's
    /// device and inode could be guessed.
    #[serde(default)]
    seal: String,
}

impl Journal {
    /// The bytes its seal is over.
    fn sealed_part(&self) -> Vec<u8> {
        serde_json::to_vec(&(&self.folder, &self.renames, &self.removals)).expect("plain data")
    }
}

/// An exclusive lock on a folder, released when the file is closed.
struct FolderLock {
    _held: File,
}

impl FolderLock {
    fn take(root: &Path) -> Result<FolderLock> {
        let f = File::open(root).map_err(|e| Error::io(root, &e))?;
        f.lock()
            .map_err(|e| Error::in_file(root, format!("cannot lock the folder: {e}")))?;
        Ok(FolderLock { _held: f })
    }
}

/// A file written for a [`Transaction`], not yet part of it.
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

/// Changes to files under one folder that happen whole or not at all.
pub struct Transaction {
    root: PathBuf,
    _lock: FolderLock,
    staged: Vec<(tempfile::NamedTempFile, PathBuf)>,
    removals: Vec<PathBuf>,
}

impl Transaction {
    /// Locks `root` (creating it if needed), finishes any change a killed
    /// process left, and deletes its left-over temporary files.
    pub fn begin(root: &Path) -> Result<Transaction> {
        std::fs::create_dir_all(root)
            .map_err(|e| Error::in_file(root, format!("cannot create folder: {e}")))?;
        let lock = FolderLock::take(root)?;
        settle(root)?;
        Ok(Transaction {
            root: root.to_path_buf(),
            _lock: lock,
            staged: Vec::new(),
            removals: Vec::new(),
        })
    }

    /// Stages `bytes` as the new content of `path` (under the root).
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let staged = self.stage(path, bytes)?;
        self.add(staged);
        Ok(())
    }

    /// Writes `bytes`, destined for `path`, to a synced temporary file of
    /// the root, for [`Transaction::add`]: renders running side by side
    /// each write their own while the others work, and the commit is left
    /// with the renames. Dropped unadded, the file is deleted.
    pub fn stage(&self, path: &Path, bytes: &[u8]) -> Result<Staged> {
        // A rename would replace a device, a pipe or a folder with a regular
        // file (as root, `-o /dev/full` became one): only files are replaced.
        if let Ok(m) = std::fs::symlink_metadata(path)
            && !m.is_file()
        {
            return Err(Error::in_file(
                path,
                "is not a regular file: regdoc writes only to files (or new paths)",
            ));
        }
        self.relative(path)?;
        let tmp = stage(&self.root, TMP_PREFIX, path, bytes)?;
        Ok(Staged {
            tmp,
            target: path.to_path_buf(),
        })
    }

    /// Makes a staged file part of this change.
    pub fn add(&mut self, staged: Staged) {
        self.staged.push((staged.tmp, staged.target));
    }

    /// Stages the removal of `path` (under the root).
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        self.relative(path)?;
        self.removals.push(path.to_path_buf());
        Ok(())
    }

    fn relative(&self, path: &Path) -> Result<String> {
        relative_to(&self.root, path)
    }

    /// Makes every staged change, as one step.
    pub fn commit(self) -> Result<()> {
        let Transaction {
            root,
            _lock,
            staged,
            removals,
        } = self;
        // One rename is atomic by itself: no journal needed.
        if staged.len() == 1 && removals.is_empty() {
            let (tmp, target) = staged.into_iter().next().expect("one");
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
            }
            tmp.persist(&target)
                .map_err(|e| Error::in_file(&target, format!("cannot write: {}", e.error)))?;
            sync_dir(target.parent().unwrap_or(&root));
            return Ok(());
        }
        let mut journal = Journal {
            folder: folder_id(&root).map_err(|e| Error::io(&root, &e))?,
            ..Journal::default()
        };
        let mut kept = Vec::new();
        for (tmp, target) in staged {
            // Staged files live in the root itself.
            let rel_tmp = tmp
                .path()
                .file_name()
                .and_then(|n| n.to_str())
                .expect("regdoc names its temporary files in ASCII")
                .to_string();
            let rel_target = relative_to(&root, &target)?;
            // From here the temporary file outlives this process until the
            // journal is applied (or, if the journal is never written, the
            // next run deletes it).
            kept.push(tmp.into_temp_path());
            journal.renames.push((rel_tmp, rel_target));
        }
        for r in &removals {
            journal.removals.push(relative_to(&root, r)?);
        }
        // Without a key the journal is unsealed: a kill now leaves a
        // change the next run refuses to finish, and says how by hand.
        journal.seal = seal(&journal.sealed_part()).unwrap_or_default();
        let bytes = serde_json::to_vec_pretty(&journal).expect("journal");
        // If the journal cannot be written nothing has happened: the
        // temporary files are dropped (deleted) with `kept`.
        write_journal(&root, &bytes)?;
        for k in kept {
            // The journal now owns them: they must survive until applied.
            let _ = k.keep();
        }
        apply(&root, &journal)?;
        finish(&root)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, so readers see either the old file or the whole new one.
///
/// The folder may be anyone's (`-o /tmp/report.html`): no journal is
/// applied there, and only this target's own left-over temporary files
/// (`.regdoc-out-<name>.*.tmp`, from a killed run) are deleted.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(path)
        && !m.is_file()
    {
        return Err(Error::in_file(
            path,
            "is not a regular file: regdoc writes only to files (or new paths)",
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::in_file(&dir, format!("cannot create folder: {e}")))?;
    let _lock = FolderLock::take(&dir)?;
    let name: String = path
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        })
        .unwrap_or_default();
    let prefix = format!("{TMP_PREFIX}out-{name}.");
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with(&prefix)
            && n.ends_with(TMP_SUFFIX)
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let tmp = stage(&dir, &prefix, path, bytes)?;
    tmp.persist(path)
        .map_err(|e| Error::in_file(path, format!("cannot write: {}", e.error)))?;
    sync_dir(&dir);
    Ok(())
}

/// `bytes`, destined for `path`, in a synced temporary file of `dir`.
fn stage(dir: &Path, prefix: &str, path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let fail = |e: std::io::Error| Error::in_file(path, format!("cannot write: {e}"));
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(fail)?;
    // Keep an existing file's permissions; new files are readable by all,
    // as a plain `write` would leave them (temp files start as 0600).
    let perms = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => default_permissions(&tmp).map_err(fail)?,
    };
    tmp.as_file().set_permissions(perms).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    Ok(tmp)
}

/// Finishes whatever a killed regdoc left in `root`: applies a journal
/// that was written, deletes temporary files that none names. Readers of a
/// folder call it first, so they never see half a change.
pub fn recover(root: &Path) -> Result<()> {
    match std::fs::symlink_metadata(root) {
        Ok(m) if m.is_dir() => {}
        // A link to a folder is not a folder of regdoc's: nothing in it is
        // renamed or deleted (the caller refuses the link itself).
        Ok(m) if m.file_type().is_symlink() => {
            return Err(Error::in_file(
                root,
                "is a symbolic link: regdoc finishes interrupted changes only in real folders",
            ));
        }
        _ => return Ok(()),
    }
    let has_work = root.join(JOURNAL).exists() || leftovers(root).next().is_some();
    if !has_work {
        return Ok(());
    }
    let _lock = FolderLock::take(root)?;
    settle(root)
}

/// Recovery under the lock.
fn settle(root: &Path) -> Result<()> {
    let journal_path = root.join(JOURNAL);
    // A journal is a small regular file regdoc wrote; anything else there
    // (a link to /dev/zero, a pipe) is refused, not read.
    let journal = match std::fs::symlink_metadata(&journal_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&journal_path, &e)),
        Ok(m) if !m.is_file() || m.len() > MAX_JOURNAL_BYTES => {
            return Err(Error::in_file(
                &journal_path,
                "is not a journal regdoc wrote (not a small regular file)",
            )
            .help("remove it; regdoc never leaves one behind once a change is done"));
        }
        Ok(_) => Some(std::fs::read(&journal_path).map_err(|e| Error::io(&journal_path, &e))),
    };
    match journal.transpose() {
        Ok(Some(bytes)) => {
            let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| {
                Error::in_file(
                    &journal_path,
                    format!("an interrupted change left this journal, which cannot be read: {e}"),
                )
                .help("restore the folder from version control, then delete the journal")
            })?;
            let here = folder_id(root).map_err(|e| Error::io(root, &e))?;
            if journal.folder != here {
                return Err(Error::in_file(
                    &journal_path,
                    "was not left in this folder by an interrupted regdoc (it names another folder): nothing of it was carried out",
                )
                .help("a journal is never committed or copied: delete it, and restore the folder from version control if a change was interrupted"));
            }
            if !sealed(&journal.sealed_part(), &journal.seal) {
                return Err(Error::in_file(
                    &journal_path,
                    "is not sealed by this machine's regdoc (committed, copied or written by hand): nothing of it was carried out",
                )
                .help("if a change of yours was interrupted, restore the folder from version control (or rename each .regdoc-*.tmp it names yourself), then delete the journal"));
            }
            // Every step is judged before the first is taken.
            for (tmp, target) in &journal.renames {
                if !is_temporary_name(tmp) {
                    return Err(Error::in_file(
                        &journal_path,
                        format!(
                            "the journal renames `{}`, which is not a temporary file regdoc writes: nothing of it was carried out",
                            crate::error::printable(tmp)
                        ),
                    ));
                }
                inside(root, target)?;
            }
            for r in &journal.removals {
                inside(root, r)?;
            }
            apply(root, &journal)?;
            finish(root)?;
        }
        Ok(None) => {}
        Err(e) => return Err(e),
    }
    // Left-overs of a process killed while staging. Failing to delete one
    // (a read-only checkout) is harmless: nothing names it.
    for p in leftovers(root).collect::<Vec<_>>() {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

/// Whether `name` is a temporary file regdoc stages, directly in its root.
fn is_temporary_name(name: &str) -> bool {
    !name.contains(['/', '\\'])
        && name.len() > TMP_PREFIX.len() + TMP_SUFFIX.len()
        && name.starts_with(TMP_PREFIX)
        && name.ends_with(TMP_SUFFIX)
        && name != JOURNAL
}

/// A folder's identity on this machine: device and inode on Unix, where a
/// copy or a clone of it is another folder; elsewhere its absolute path.
pub fn folder_id(root: &Path) -> std::io::Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(root)?;
        Ok(format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        Ok(root.canonicalize()?.display().to_string())
    }
}

/// Temporary files of regdoc's in `root`.
fn leftovers(root: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(TMP_PREFIX)
                && name.ends_with(TMP_SUFFIX)
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| e.path())
}

/// Carries out a journal. Every step can run twice: a kill during a
/// recovery is recovered the same way.
fn apply(root: &Path, journal: &Journal) -> Result<()> {
    let mut dirs: Vec<PathBuf> = vec![root.to_path_buf()];
    for (tmp, target) in &journal.renames {
        let (tmp, target) = (inside(root, tmp)?, inside(root, target)?);
        match std::fs::symlink_metadata(&tmp) {
            // Renamed by an earlier, interrupted attempt.
            Err(_) => continue,
            Ok(m) if !m.is_file() => {
                return Err(Error::in_file(
                    root.join(JOURNAL),
                    format!(
                        "the journal renames {}, which is not a file regdoc wrote",
                        tmp.display()
                    ),
                ));
            }
            Ok(_) => {}
        }
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
            dirs.push(dir.to_path_buf());
        }
        std::fs::rename(&tmp, &target)
            .map_err(|e| Error::in_file(&target, format!("cannot write: {e}")))?;
    }
    for r in &journal.removals {
        let r = inside(root, r)?;
        match std::fs::remove_file(&r) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::in_file(&r, format!("cannot remove: {e}"))),
        }
        if let Some(dir) = r.parent() {
            dirs.push(dir.to_path_buf());
        }
    }
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        sync_dir(&d);
    }
    Ok(())
}

fn finish(root: &Path) -> Result<()> {
    let j = root.join(JOURNAL);
    match std::fs::remove_file(&j) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&j, &e)),
    }
    sync_dir(root);
    Ok(())
}

fn write_journal(root: &Path, bytes: &[u8]) -> Result<()> {
    let path = root.join(JOURNAL);
    let fail = |e: std::io::Error| Error::in_file(&path, format!("cannot write: {e}"));
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(root)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(&path).map_err(|e| fail(e.error))?;
    sync_dir(root);
    Ok(())
}

/// A journal path, refused if it would leave the root: a journal is data
/// another process wrote, and must not direct writes elsewhere — not by
/// `..`, not by an absolute path, not through a symlinked folder.
fn inside(root: &Path, rel: &str) -> Result<PathBuf> {
    let p = Path::new(rel);
    let outside = || {
        Error::in_file(
            root.join(JOURNAL),
            format!("the journal names `{rel}`, outside its folder"),
        )
    };
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(outside());
    }
    // Every folder on the way must be a real folder, not a link.
    let mut dir = root.to_path_buf();
    for c in p.parent().into_iter().flat_map(|p| p.components()) {
        dir.push(c);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if !m.is_dir() => return Err(outside()),
            Ok(_) => {}
            // Not there yet: it is created inside the root.
            Err(_) => break,
        }
    }
    Ok(root.join(p))
}

/// `path` without `.` components: `./out/x` and `out/x` are one path.
fn normal(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn relative_to(root: &Path, path: &Path) -> Result<String> {
    let (root_n, path_n) = (normal(root), normal(path));
    let rel = path_n
        .strip_prefix(&root_n)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| (root_n.as_os_str().is_empty() && path.is_relative()).then(|| path_n.clone()))
        .ok_or_else(|| {
            Error::in_file(
                path,
                format!("is outside the folder being written ({})", root.display()),
            )
        })?;
    rel.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::in_file(path, "regdoc writes only to paths that are valid UTF-8"))
}

fn default_permissions(tmp: &tempfile::NamedTempFile) -> std::io::Result<std::fs::Permissions> {
    #[cfg(unix)]
    {
        let _ = tmp;
        use std::os::unix::fs::PermissionsExt;
        Ok(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        Ok(tmp.as_file().metadata()?.permissions())
    }
}

/// An output regdoc wrote earlier, read back (the build manifest, a PDF's
/// hash): `None` unless it is a regular file.
pub fn read_output(path: &Path) -> Option<Vec<u8>> {
    std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .and_then(|_| std::fs::read(path).ok())
}

/// What changes whenever the file at `path` is written or replaced: its
/// size, modification time and (on Unix) device and inode. Not a content
/// hash; for a file too big to hash on every run (the running program).
pub fn file_stamp(path: &Path) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    #[cfg(unix)]
    let place = {
        use std::os::unix::fs::MetadataExt;
        format!("{} {}", m.dev(), m.ino())
    };
    #[cfg(not(unix))]
    let place = String::new();
    Some(format!("{} {} {place}", m.len(), modified.as_nanos()))
}

/// Removes a file regdoc keeps for itself (a cache entry); a file that is
/// gone already is no error, nor is one that cannot be removed: it is only
/// kept.
pub fn remove_file(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// The regular files directly in `dir` (none if it does not exist).
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// The secret this machine's regdoc seals what it keeps in `out/` with
/// (the build manifest, the chunk cache, journals): 32 random bytes in
/// `$XDG_STATE_HOME/regdoc/` (else `~/.local/state/regdoc/`, else a
/// private folder of this user's in the temporary folder), made on first
/// use, readable by this user only. It is never in a repository, so
/// a manifest or cache entry committed to git, copied from another
/// machine or edited by hand does not verify, and is not trusted: what
/// it claims is built again. `None` (no home, a read-only one): nothing
/// in `out/` is trusted, every build is a full one.
fn local_key() -> Option<[u8; 32]> {
    static KEY: std::sync::OnceLock<Option<[u8; 32]>> = std::sync::OnceLock::new();
    *KEY.get_or_init(|| {
        let dir = std::env::var_os("XDG_STATE_HOME")
            .filter(|d| Path::new(d).is_absolute())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|d| Path::new(d).is_absolute())
                    .map(|h| PathBuf::from(h).join(".local/state"))
            })
            .map(|d| d.join("regdoc"))
            .or_else(private_temp_dir)?;
        let path = dir.join("machine.key");
        let read = |p: &Path| -> Option<[u8; 32]> {
            let m = std::fs::symlink_metadata(p).ok()?;
            if !m.is_file() || m.len() != 32 {
                return None;
            }
            std::fs::read(p).ok()?.try_into().ok()
        };
        if let Some(k) = read(&path) {
            return Some(k);
        }
        std::fs::create_dir_all(&dir).ok()?;
        let mut key = [0u8; 32];
        use std::io::Read;
        File::open("/dev/urandom").ok()?.read_exact(&mut key).ok()?;
        let mut tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .suffix(TMP_SUFFIX)
            .tempfile_in(&dir)
            .ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .ok()?;
        }
        tmp.write_all(&key).ok()?;
        tmp.as_file().sync_all().ok()?;
        // Two processes making one at once: the first kept wins, and both
        // use it.
        match tmp.persist_noclobber(&path) {
            Ok(_) => Some(key),
            Err(_) => read(&path),
        }
    })
}

/// Without a home (a service's environment), a folder of this user's own
/// in the temporary folder: made with no access for others, and used only
/// if it is a real folder this user owns that others cannot write.
fn private_temp_dir() -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let dir = std::env::temp_dir().join(format!("regdoc-state-{uid}"));
        let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
        let m = std::fs::symlink_metadata(&dir).ok()?;
        (m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0).then_some(dir)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// HMAC-SHA-256 of `bytes` under this machine's key, in hex: a seal only
/// this machine's regdoc can make. `None` where there is no key.
pub fn seal(bytes: &[u8]) -> Option<String> {
    use sha2::{Digest, Sha256};
    let key = local_key()?;
    let pad = |b: u8| -> Vec<u8> {
        let mut k = [0u8; 64];
        k[..32].copy_from_slice(&key);
        k.iter().map(|x| x ^ b).collect()
    };
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(bytes)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    Some(outer.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `mac` is this machine's [`seal`] of `bytes`.
pub fn sealed(bytes: &[u8], mac: &str) -> bool {
    seal(bytes).is_some_and(|m| {
        // Compared in full whatever the first difference: no timing hint.
        m.len() == mac.len()
            && m.bytes()
                .zip(mac.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0
    })
}

/// This process's peak memory as the kernel reports it (`VmHWM: … kB`),
/// for `REGDOC_TRACE`; empty where there is no `/proc`.
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.to_string())
        })
        .unwrap_or_default()
}

/// Makes renames in `dir` durable. Best effort: some file systems cannot
/// sync a folder, and the data itself is already synced.
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_journal_is_finished_by_the_next_reader() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.md"), "old a").unwrap();
        std::fs::write(root.join("b.md"), "old b").unwrap();
        // A process killed after its journal: one rename done, one not.
        std::fs::write(root.join(".regdoc-2.tmp"), "new b").unwrap();
        std::fs::write(root.join("a.md"), "new a").unwrap();
        let journal = Journal {
            folder: folder_id(root).unwrap(),
            renames: vec![
                (".regdoc-1.tmp".into(), "a.md".into()),
                (".regdoc-2.tmp".into(), "b.md".into()),
            ],
            removals: vec!["gone.pdf".into()],
            seal: String::new(),
        };
        let mut journal = journal;
        journal.seal = seal(&journal.sealed_part()).unwrap();
        std::fs::write(root.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        std::fs::write(root.join("gone.pdf"), "x").unwrap();
        // And a left-over of a process killed while staging.
        std::fs::write(root.join(".regdoc-junk.tmp"), "junk").unwrap();
        recover(root).unwrap();
        assert_eq!(std::fs::read_to_string(root.join("a.md")).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(root.join("b.md")).unwrap(), "new b");
        assert!(!root.join("gone.pdf").exists());
        assert!(!root.join(JOURNAL).exists());
        assert!(!root.join(".regdoc-junk.tmp").exists());
    }

    #[test]
    fn a_journal_cannot_write_outside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("in");
        std::fs::create_dir(&root).unwrap();
        let journal = Journal {
            folder: folder_id(&root).unwrap(),
            renames: vec![],
            removals: vec!["../outside".into()],
            seal: String::new(),
        };
        let journal = Journal {
            seal: seal(&journal.sealed_part()).unwrap(),
            ..journal
        };
        std::fs::write(dir.path().join("outside"), "keep").unwrap();
        std::fs::write(root.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        assert!(recover(&root).is_err());
        assert!(dir.path().join("outside").exists());
    }

    #[test]
    fn a_journal_of_another_folder_or_naming_other_files_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("keep.md"), "keep").unwrap();
        std::fs::write(root.join("payload"), "#!/bin/sh").unwrap();
        // As committed to git: written elsewhere (or by hand), its folder
        // is not this one.
        let forged = Journal {
            folder: "1:2".into(),
            renames: vec![],
            removals: vec!["keep.md".into()],
            seal: String::new(),
        };
        std::fs::write(root.join(JOURNAL), serde_json::to_vec(&forged).unwrap()).unwrap();
        let e = recover(root).unwrap_err();
        assert!(e.to_string().contains("names another folder"), "{e}");
        assert!(root.join("keep.md").exists());
        // Right folder, but it renames a file regdoc never stages: no step
        // of it is taken, its removals neither.
        let forged = Journal {
            folder: folder_id(root).unwrap(),
            renames: vec![("payload".into(), "hook".into())],
            removals: vec!["keep.md".into()],
            seal: String::new(),
        };
        let forged = Journal {
            seal: seal(&forged.sealed_part()).unwrap(),
            ..forged
        };
        std::fs::write(root.join(JOURNAL), serde_json::to_vec(&forged).unwrap()).unwrap();
        assert!(recover(root).is_err());
        assert!(root.join("keep.md").exists() && root.join("payload").exists());
        assert!(!root.join("hook").exists());
        // A journal with no folder at all (hand-written) is refused too.
        std::fs::write(
            root.join(JOURNAL),
            r#"{"renames":[],"removals":["keep.md"]}"#,
        )
        .unwrap();
        assert!(recover(root).is_err());
        assert!(root.join("keep.md").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_folder_is_not_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join(".regdoc-x.tmp"), "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(recover(&link).is_err());
        assert!(real.join(".regdoc-x.tmp").exists());
    }

    #[test]
    fn a_failed_transaction_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut tx = Transaction::begin(root).unwrap();
        tx.write(&root.join("a.pdf"), b"a").unwrap();
        tx.write(&root.join("sub/b.pdf"), b"b").unwrap();
        drop(tx);
        assert_eq!(std::fs::read_dir(root).unwrap().count(), 0);
        let mut tx = Transaction::begin(root).unwrap();
        tx.write(&root.join("a.pdf"), b"a").unwrap();
        tx.write(&root.join("sub/b.pdf"), b"b").unwrap();
        tx.commit().unwrap();
        assert_eq!(std::fs::read(root.join("sub/b.pdf")).unwrap(), b"b");
        let names: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
