//! Writing outputs so that a failure never leaves half a file behind.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, so readers see either the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::in_file(&dir, format!("cannot create folder: {e}")))?;
    let fail = |e: std::io::Error| Error::in_file(path, format!("cannot write: {e}"));
    let mut tmp = tempfile::Builder::new()
        .prefix(".regdoc-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(fail)?;
    // Keep an existing file's permissions; new files are readable by all,
    // as a plain `write` would leave them (temp files start as 0600).
    let perms = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::Permissions::from_mode(0o644)
            }
            #[cfg(not(unix))]
            {
                tmp.as_file().metadata().map_err(fail)?.permissions()
            }
        }
    };
    tmp.as_file().set_permissions(perms).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
