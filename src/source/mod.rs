//! SOURCE: read the local feeds under `feeds/<slug>/` into the typed model.
//!
//! One verb: [`load`] ([`definitions`] for the poller, which needs no article). It reads every feed definition and article, infers what the articles do
//! not say, and reports *every* bad input at once (each error names its file, line or key), so a
//! publisher fixes them in one pass. Nothing here writes anything.

mod article;
pub mod feed_def;
pub mod infer;
mod markdown;
mod meta;
mod prose;
mod scan;
mod text;
pub mod upstream;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{Article, BadName, FeedMeta, ItemId, Slug};

pub use article::import;
pub use scan::{ArticleFile, ScannedFeed, scan};

/// A feed read from disk: its definition and its articles, in file-name order.
#[derive(Debug, Clone)]
pub struct LocalFeed {
    /// The resolved `feed.toml`.
    pub meta: FeedMeta,
    /// The articles; ids are unique within the feed.
    pub articles: Vec<Article>,
}

/// One bad input, naming the file and, where known, the line or key.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Malformed TOML, an unknown key, or a value of the wrong type.
    #[error("{path}:{line}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// toml's description, naming the key.
        message: String,
    },
    /// A value of the right type that cannot be used.
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The article is not UTF-8.
    #[error("{path}:{line}:{column}: not valid UTF-8 (save the article as UTF-8)")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first bad byte.
        line: usize,
        /// 1-based byte column of the first bad byte.
        column: usize,
    },
    /// The text holds a control character (see [`crate::model::is_unfit`]) no feed can carry.
    #[error("{path}:{line}:{column}: control character U+{code:04X} cannot go into a feed (remove it)")]
    Unfit {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// The character's code point.
        code: u32,
    },
    /// The article has no text (or only trailer lines).
    #[error("{path}: the article is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Markdown front matter is not closed.
    #[error("{path}:{line}: {message}")]
    FrontMatter {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No date in the metadata and none found in the text.
    #[error(
        "{path}: no date: give `date` in front matter or a sidecar, or write it in the text (e.g. 16 نوفمبر 2023, 16 November 2023)"
    )]
    NoDate {
        /// The file.
        path: PathBuf,
    },
    /// A slug or id with characters that cannot go into a path.
    #[error("{path}: {source}")]
    BadName {
        /// The file or folder.
        path: PathBuf,
        /// Which name and why.
        source: BadName,
    },
    /// Two articles of one feed share an id.
    #[error("{second}: duplicate article id `{id}` (also used by {first})")]
    DuplicateId {
        /// The id.
        id: ItemId,
        /// The file that had it first.
        first: PathBuf,
        /// The file that repeats it.
        second: PathBuf,
    },
    /// A folder under `feeds/` has no `feed.toml`.
    #[error("{dir}: no {} (every feed folder needs one)", feed_def::FEED_FILE)]
    NoFeedFile {
        /// The folder.
        dir: PathBuf,
    },
    /// A sidecar `.toml` without an article of the same name.
    #[error("{path}: sidecar without an article (expected {stem}.txt or {stem}.md beside it)")]
    OrphanSidecar {
        /// The sidecar.
        path: PathBuf,
        /// Its file stem.
        stem: String,
    },
}

/// Every error [`load`] found, in file order.
#[derive(Debug)]
pub struct SourceErrors(pub Vec<SourceError>);

impl fmt::Display for SourceErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceErrors {}

/// Reads every feed under `feeds_dir`, sorted by slug: every article, parsed. (A sync reads
/// only what moved: [`scan`], then [`import_file`] for those.)
pub fn load(feeds_dir: &Path) -> Result<Vec<LocalFeed>, SourceErrors> {
    let scanned = scan(feeds_dir);
    let (scanned, mut errors) = match scanned {
        Ok(feeds) => (feeds, Vec::new()),
        Err(SourceErrors(errors)) => (Vec::new(), errors),
    };
    let mut feeds = Vec::new();
    for feed in scanned {
        let (files, mut errs) = match feed.files(std::time::SystemTime::now()) {
            Ok(found) => found,
            Err(e) => (Vec::new(), vec![e]),
        };
        errors.append(&mut errs);
        let mut articles = Vec::new();
        for file in &files {
            match import_file(file, &feed.meta) {
                Ok(a) => articles.push((a, file.path.clone())),
                Err(e) => errors.push(e),
            }
        }
        errors.extend(duplicate_ids(articles.iter().map(|(a, p)| (&a.id, p.as_path()))));
        feeds.push(LocalFeed { meta: feed.meta, articles: articles.into_iter().map(|(a, _)| a).collect() });
    }
    if errors.is_empty() { Ok(feeds) } else { Err(SourceErrors(errors)) }
}

/// Imports one scanned article file for `feed`.
pub fn import_file(file: &ArticleFile, feed: &FeedMeta) -> Result<Article, SourceError> {
    import(&file.path, file.sidecar.as_deref(), feed)
}

/// An error for every article whose id an earlier one (in the given order) already has.
pub fn duplicate_ids<'a>(articles: impl IntoIterator<Item = (&'a ItemId, &'a Path)>) -> Vec<SourceError> {
    let mut first: std::collections::HashMap<&ItemId, &Path> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for (id, path) in articles {
        match first.get(id) {
            Some(f) => errors.push(SourceError::DuplicateId {
                id: id.clone(),
                first: f.to_path_buf(),
                second: path.to_owned(),
            }),
            None => {
                first.insert(id, path);
            }
        }
    }
    errors
}

/// Reads only the feed definitions under `feeds_dir` (every `feed.toml`), sorted by slug: what
/// the poller needs. An article, good or bad, is never opened, so a publisher's half-written
/// article cannot stop upstream sources from being polled (`build` and `check` report it).
pub fn definitions(feeds_dir: &Path) -> Result<Vec<FeedMeta>, SourceErrors> {
    let dirs = list_dir(feeds_dir).map_err(|e| SourceErrors(vec![e]))?;
    let (mut feeds, mut errors) = (Vec::new(), Vec::new());
    for dir in dirs.into_iter().filter(|p| p.is_dir()) {
        match definition(&dir) {
            Ok(meta) => feeds.push(meta),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(feeds) } else { Err(SourceErrors(errors)) }
}

/// The feeds' definitions as the store keeps them (the text of each `feed.toml`, by slug): how a
/// replica without `feeds/` knows its feeds. Every error is reported, naming the feed and
/// where the text came from.
pub fn stored_definitions(stored: Vec<(Slug, String)>) -> Result<Vec<FeedMeta>, SourceErrors> {
    let (mut feeds, mut errors) = (Vec::new(), Vec::new());
    for (slug, text) in stored {
        let origin = PathBuf::from(format!("{slug}/{} (as stored)", feed_def::FEED_FILE));
        match feed_def::parse(&text, slug, &origin) {
            Ok(meta) => feeds.push(meta),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(feeds) } else { Err(SourceErrors(errors)) }
}

/// The `feed.toml` of one feed folder.
fn definition(dir: &Path) -> Result<FeedMeta, SourceError> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let slug = Slug::new(name).map_err(|source| SourceError::BadName { path: dir.to_owned(), source })?;
    let def_path = dir.join(feed_def::FEED_FILE);
    if !def_path.is_file() {
        return Err(SourceError::NoFeedFile { dir: dir.to_owned() });
    }
    feed_def::parse(&read_text(&def_path)?, slug, &def_path)
}

/// The entries of a folder, sorted, without hidden files (editors' swap files, `.git`).
fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let io = |source| SourceError::Io { path: dir.to_owned(), source };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.') || n.ends_with('~'));
        if !hidden {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn split_name(path: &Path) -> (&str, &str) {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or_default();
    (stem, ext)
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::Io { path: path.to_owned(), source })?;
    decode_utf8(bytes, path)
}

/// Decodes UTF-8, dropping a byte-order mark; a bad byte is reported by line and column.
fn decode_utf8(mut bytes: Vec<u8>, path: &Path) -> Result<String, SourceError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        SourceError::NotUtf8 { path: path.to_owned(), line, column }
    })?;
    if let Some(at) = text.find(crate::model::is_unfit) {
        let before = &text[..at];
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let code = text[at..].chars().next().map_or(0, u32::from);
        let (line, column) = (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1);
        return Err(SourceError::Unfit { path: path.to_owned(), line, column, code });
    }
    Ok(text)
}

/// Deserialises a whole TOML file, turning toml's error into one that names the file and line.
fn toml_from_str<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, SourceError> {
    toml_at_line(text, path, 1)
}

/// Like [`toml_from_str`] for TOML embedded in a file from line `first_line` (front matter).
fn toml_at_line<T: serde::de::DeserializeOwned>(text: &str, path: &Path, first_line: usize) -> Result<T, SourceError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start).min(text.len());
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        // A line may hold a source URL with credentials; only ever show it redacted.
        let line_text = crate::model::redact::in_text(text[line_start..].lines().next().unwrap_or("").trim());
        let mut message = crate::model::redact::in_text(e.message().trim_end()).into_owned();
        // Value errors (a bad URL) do not name their key; the line itself does.
        if !line_text.is_empty() && !message.contains(&*line_text) {
            message = format!("{message} (in `{line_text}`)");
        }
        let line = first_line + text[..offset].matches('\n').count();
        SourceError::Toml { path: path.to_owned(), line, message }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_errors_point_at_the_byte() {
        let e = decode_utf8(b"ok\nab\xFFc".to_vec(), Path::new("a.txt")).unwrap_err().to_string();
        assert_eq!(e, "a.txt:2:3: not valid UTF-8 (save the article as UTF-8)");
        assert_eq!(decode_utf8(b"\xEF\xBB\xBFhi".to_vec(), Path::new("a")).unwrap(), "hi");
        // Found by fuzzing (fuzz/corpus/article/crash-nul-in-body): a control character went
        // through to the feeds, and XML cannot carry it.
        let e = decode_utf8("سطر\nفي\u{10}x".into(), Path::new("a.md")).unwrap_err().to_string();
        assert_eq!(e, "a.md:2:3: control character U+0010 cannot go into a feed (remove it)");
        assert!(decode_utf8("tab\there\r\n".into(), Path::new("a")).is_ok());
    }

    #[test]
    fn toml_errors_name_the_absolute_line() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: u32,
        }
        let e = toml_at_line::<T>("a = 1\nb = 2\n", Path::new("x.md"), 2).unwrap_err().to_string();
        assert!(e.starts_with("x.md:3: "), "{e}");
        assert!(e.contains("unknown field `b`"), "{e}");
    }
}
