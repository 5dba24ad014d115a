//! Atomic writes: files staged beside their destinations, made durable together, renamed into
//! place; and the clean-up after a build that was killed before it renamed them.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::PublishError;

/// Replaces `path` with `bytes` so that readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let mut batch = Batch::default();
    batch.stage(path, bytes)?;
    batch.commit(path.parent().unwrap_or(Path::new(".")))
}

/// Files written beside their destinations, made durable together, then renamed into place.
///
/// Each file must be on disk before its rename, or a crash could leave a renamed but empty
/// file. An fsync per file costs a journal commit each: a 100,000-page first build spent 4.5
/// minutes waiting on 300,000 of them. One `syncfs` per batch gives every file of the batch
/// the same guarantee at once.
#[derive(Default)]
pub(super) struct Batch {
    staged: Vec<(tempfile::TempPath, PathBuf)>,
}

impl Batch {
    /// Writes `bytes` to a temporary file in `path`'s folder.
    pub(super) fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let io = |p: &Path| {
            let p = p.to_owned();
            move |source| PublishError::Io { path: p, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut tmp = tempfile::Builder::new().prefix(".feedpub-").suffix(".tmp").tempfile_in(dir).map_err(io(dir))?;
        tmp.write_all(bytes).map_err(io(tmp.path()))?;
        // tempfile creates 0600; published files must be readable by the web server's user.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io(tmp.path()))?;
        }
        #[cfg(not(target_os = "linux"))]
        tmp.as_file().sync_all().map_err(io(tmp.path()))?;
        self.staged.push((tmp.into_temp_path(), path.to_owned()));
        Ok(())
    }

    /// Makes every staged file durable (one `syncfs` of `root`'s file system on Linux; each
    /// file was synced as it was staged elsewhere), then renames each into place. On error the
    /// temporary files are removed and the destinations are untouched.
    pub(super) fn commit(self, root: &Path) -> Result<(), PublishError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        std::fs::File::open(root)
            .and_then(|d| rustix::fs::syncfs(&d).map_err(std::io::Error::from))
            .map_err(|source| PublishError::Io { path: root.to_owned(), source })?;
        #[cfg(not(target_os = "linux"))]
        let _ = root;
        for (tmp, path) in self.staged {
            tmp.persist(&path).map_err(|e| PublishError::Io { path, source: e.error })?;
        }
        Ok(())
    }
}

/// Removes the temporary files a killed build left (only ever named `.feedpub-*.tmp`); the
/// caller holds the folder's lock, so none of them belongs to a running build.
pub(super) fn remove_stale_temporaries(out_dir: &Path) -> std::io::Result<()> {
    let mut stack = vec![out_dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            } else if name.starts_with(".feedpub-") && name.ends_with(".tmp") {
                std::fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}
