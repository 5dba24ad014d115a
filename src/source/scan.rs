//! What is on disk, without reading the articles: each feed's definition and the identity
//! (size and modification time) of each article file, so a sync reads only what moved.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use super::{SourceError, SourceErrors, definition, feed_def, list_dir, split_name};
use crate::model::FeedMeta;

/// A feed folder as found: its definition; its article files are listed by
/// [`ScannedFeed::files`], one feed at a time (a million articles' paths and stamps at once
/// would hold hundreds of MB).
#[derive(Debug, Clone)]
pub struct ScannedFeed {
    /// The resolved `feed.toml`.
    pub meta: FeedMeta,
    /// Digest of `feed.toml`'s bytes: every article is read again when it moves.
    pub def_hash: String,
    /// `feed.toml` itself, for the store (replicas without `feeds/` read it there).
    pub definition: String,
    /// The feed's folder.
    pub dir: PathBuf,
}

/// One article file and its optional sidecar.
#[derive(Debug, Clone)]
pub struct ArticleFile {
    /// The file name within the feed folder.
    pub name: String,
    /// The article.
    pub path: PathBuf,
    /// `<stem>.toml` beside it, if there is one.
    pub sidecar: Option<PathBuf>,
    /// Size and modification time of both, as text; empty when it cannot be trusted (see
    /// [`stamp`]), so the file is read and its digest compared every time.
    pub stamp: String,
}

impl ArticleFile {
    /// A digest of the article's and the sidecar's bytes.
    pub fn digest(&self) -> Result<String, SourceError> {
        let read = |p: &Path| std::fs::read(p).map_err(|source| SourceError::Io { path: p.to_owned(), source });
        let mut h = Sha256::new();
        let article = read(&self.path)?;
        h.update((article.len() as u64).to_le_bytes());
        h.update(&article);
        if let Some(sidecar) = &self.sidecar {
            h.update(read(sidecar)?);
        }
        Ok(crate::model::digest::hex(&h.finalize()))
    }
}

/// Lists every feed under `feeds_dir`, sorted by slug, reading only the `feed.toml`s.
pub fn scan(feeds_dir: &Path) -> Result<Vec<ScannedFeed>, SourceErrors> {
    let dirs = list_dir(feeds_dir).map_err(|e| SourceErrors(vec![e]))?;
    let (mut feeds, mut errors) = (Vec::new(), Vec::new());
    for dir in dirs.into_iter().filter(|p| p.is_dir()) {
        match scan_feed(dir) {
            Ok(feed) => feeds.push(feed),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(feeds) } else { Err(SourceErrors(errors)) }
}

fn scan_feed(dir: PathBuf) -> Result<ScannedFeed, SourceError> {
    let meta = definition(&dir)?;
    let def_path = dir.join(feed_def::FEED_FILE);
    let def_bytes = std::fs::read(&def_path).map_err(|source| SourceError::Io { path: def_path.clone(), source })?;
    // With this feedpub's version: a new version may parse articles differently, so the first
    // sync after an upgrade reads every article again.
    let mut h = Sha256::new();
    h.update(concat!("feedpub ", env!("CARGO_PKG_VERSION"), "\n"));
    h.update(&def_bytes);
    let def_hash = crate::model::digest::hex(&h.finalize());
    // Parsed above, so it is text.
    let definition = String::from_utf8_lossy(&def_bytes).into_owned();
    Ok(ScannedFeed { meta, def_hash, definition, dir })
}

impl ScannedFeed {
    /// The feed's article files in file-name order, with what is wrong among its files (an
    /// orphan sidecar, an unreadable file). `since` is when the sync started: a file modified
    /// within two seconds of it may change again within the file system's timestamp
    /// granularity without its size moving, so its stamp is not trusted (git's "racily clean"
    /// rule).
    pub fn files(&self, since: SystemTime) -> Result<(Vec<ArticleFile>, Vec<SourceError>), SourceError> {
        let (dir, mut errors) = (&self.dir, Vec::new());
        let def_path = dir.join(feed_def::FEED_FILE);
        let entries = list_dir(dir)?;
        // Looked up per article: a list would make a feed of n articles cost n² comparisons.
        let present: std::collections::HashSet<&Path> = entries.iter().map(PathBuf::as_path).collect();
        let mut files = Vec::new();
        for path in &entries {
            let (stem, ext) = split_name(path);
            match ext {
                "txt" | "md" => {
                    let sidecar = dir.join(format!("{stem}.toml"));
                    let sidecar = (present.contains(sidecar.as_path()) && sidecar.is_file()).then_some(sidecar);
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                    match stamp(path, sidecar.as_deref(), since) {
                        Ok(stamp) => files.push(ArticleFile { name, path: path.clone(), sidecar, stamp }),
                        Err(e) => errors.push(e),
                    }
                }
                "toml" if path != &def_path => {
                    let has_article =
                        ["txt", "md"].iter().any(|e| present.contains(dir.join(format!("{stem}.{e}")).as_path()));
                    // A folder named like a sidecar is not one.
                    if !has_article && path.is_file() {
                        errors.push(SourceError::OrphanSidecar { path: path.clone(), stem: stem.to_owned() });
                    }
                }
                // Images and other assets may live beside the articles; they are not articles.
                _ => {}
            }
        }
        Ok((files, errors))
    }
}

/// `size:mtime_ns:inode:ctime_ns` of the article and of the sidecar (`-` without one); empty
/// when either was modified within two seconds of `since`, or has no usable time. The inode and
/// change time catch a file replaced by another of the same size and modification time (a copy
/// made with `cp -p`, two names swapped), as git's index does.
fn stamp(path: &Path, sidecar: Option<&Path>, since: SystemTime) -> Result<String, SourceError> {
    let one = |p: &Path| -> Result<Option<String>, SourceError> {
        let m = std::fs::metadata(p).map_err(|source| SourceError::Io { path: p.to_owned(), source })?;
        let Ok(modified) = m.modified() else { return Ok(None) };
        let racy = since.duration_since(modified).map_or(true, |d| d.as_secs() < 2);
        let ns = modified.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let identity = {
            use std::os::unix::fs::MetadataExt;
            format!(":{}:{}.{}", m.ino(), m.ctime(), m.ctime_nsec())
        };
        #[cfg(not(unix))]
        let identity = String::new();
        Ok((!racy).then(|| format!("{}:{ns}{identity}", m.len())))
    };
    let article = one(path)?;
    let side = match sidecar {
        Some(s) => one(s)?,
        None => Some("-".to_owned()),
    };
    Ok(match (article, side) {
        (Some(a), Some(s)) => format!("{a}|{s}"),
        _ => String::new(),
    })
}
