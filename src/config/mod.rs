//! The site configuration (`config/feedpub.toml`): strict parsing apart from file loading.
//!
//! [`Config::parse`] is pure; [`Config::load`] reads the file, parses it and resolves relative
//! paths against the file's own folder, so a cron job works from any working directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::model::Language;

mod database;
mod poll;
mod serve;
mod websub;

pub use database::{DatabaseUrl, PostgresUrl, redact_lines, redact_url};
pub use poll::PollConfig;
pub use serve::ServeConfig;
pub use websub::{BUILTIN_PATH as HUB_PATH, Builtin, Hub, Leases};

/// Environment variable that overrides `database_url` (keeps credentials out of the file).
pub const DATABASE_URL_ENV: &str = "FEEDPUB_DATABASE_URL";

/// Errors in the configuration file; each names the file and the key or line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a value of the wrong type. toml's message
    /// quotes the offending line, which may be a `database_url` with its password: shown redacted.
    /// (Not a `source`: an error chain would print toml's message again, unredacted.)
    #[error("{path}: {}", redact_lines(&.error.to_string()))]
    Parse {
        /// The file (`<string>` when parsed from memory).
        path: PathBuf,
        /// toml's message names the line, column and key.
        error: Box<toml::de::Error>,
    },
    /// A value is well-typed but unusable.
    #[error("{path}: key `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The offending key.
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// Bounds for the RSS `<ttl>` (and, later, HTTP max-age) derived from a feed's cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TtlBounds {
    /// Lower bound in minutes: even a busy feed is not re-polled faster than this.
    pub min_minutes: u32,
    /// Upper bound in minutes: even a dormant feed is re-polled at least this often.
    pub max_minutes: u32,
}

impl Default for TtlBounds {
    fn default() -> Self {
        Self { min_minutes: 15, max_minutes: 360 }
    }
}

/// Which precompressed siblings `build` writes for static servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Compression {
    /// Write `<file>.gz` (nginx `gzip_static`).
    pub gzip: bool,
    /// Write `<file>.br` (nginx `brotli_static`, Caddy `precompressed`).
    pub brotli: bool,
}

impl Default for Compression {
    fn default() -> Self {
        Self { gzip: true, brotli: true }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    #[serde(default = "default_title")]
    title: String,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default = "default_feeds_dir")]
    feeds_dir: PathBuf,
    #[serde(default = "default_output_dir")]
    output_dir: PathBuf,
    #[serde(default = "default_database_url")]
    database_url: String,
    #[serde(default)]
    ttl: TtlBounds,
    #[serde(default)]
    compress: Compression,
    #[serde(default)]
    serve: serve::RawServe,
    #[serde(default)]
    poll: PollConfig,
    #[serde(default)]
    websub: websub::RawWebSub,
}

fn default_title() -> String {
    "feedpub".into()
}
fn default_language() -> String {
    "en".into()
}
fn default_feeds_dir() -> PathBuf {
    "feeds".into()
}
fn default_output_dir() -> PathBuf {
    "public".into()
}
fn default_database_url() -> String {
    "sqlite:data/feedpub.sqlite3".into()
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Absolute URL the output is published under, always ending in `/`.
    pub base_url: Url,
    /// Title of the index page.
    pub title: String,
    /// Language of the index page (each feed declares its own).
    pub language: Language,
    /// Folder holding one sub-folder per feed.
    pub feeds_dir: PathBuf,
    /// Folder `build` writes to.
    pub output_dir: PathBuf,
    /// The store.
    pub database: DatabaseUrl,
    /// Bounds of the derived `<ttl>`.
    pub ttl: TtlBounds,
    /// Precompressed siblings to write (and to hold in memory when serving).
    pub compress: Compression,
    /// How `feedpub serve` listens and treats clients.
    pub serve: ServeConfig,
    /// How upstream sources are polled.
    pub poll: PollConfig,
    /// The WebSub hub the feeds name, if any.
    pub hub: Option<Hub>,
}

impl Config {
    /// Parses configuration text. `origin` only labels errors. Paths stay as written.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse { path: origin.to_owned(), error: Box::new(e) })?;
        let invalid = |key, message: String| ConfigError::Invalid { path: origin.to_owned(), key, message };
        let base_url = parse_base_url(&raw.base_url).map_err(|m| invalid("base_url", m))?;
        let language = Language::parse(&raw.language).map_err(|e| invalid("language", e.to_string()))?;
        let database = DatabaseUrl::parse(&raw.database_url).map_err(|m| invalid("database_url", m))?;
        if raw.ttl.min_minutes == 0 || raw.ttl.min_minutes > raw.ttl.max_minutes {
            return Err(invalid("ttl", "need 0 < min_minutes <= max_minutes".into()));
        }
        let serve = raw.serve.validate().map_err(|(key, m)| invalid(key, m))?;
        let hub = raw.websub.validate(&base_url).map_err(|(key, m)| invalid(key, m))?;
        if raw.poll.timeout_seconds == 0 {
            return Err(invalid("poll.timeout_seconds", "must be at least 1".into()));
        }
        if raw.poll.tick_seconds == 0 {
            return Err(invalid("poll.tick_seconds", "must be at least 1".into()));
        }
        // A lease shorter than a fetch would let a second replica poll a source the first
        // is still fetching.
        if raw.poll.lease_seconds.is_some_and(|l| l <= raw.poll.timeout_seconds) {
            return Err(invalid("poll.lease_seconds", "must be longer than poll.timeout_seconds".into()));
        }
        Ok(Self {
            base_url,
            title: raw.title,
            language,
            feeds_dir: raw.feeds_dir,
            output_dir: raw.output_dir,
            database,
            ttl: raw.ttl,
            compress: raw.compress,
            serve,
            poll: raw.poll,
            hub,
        })
    }

    /// Reads, parses and resolves a config file; `FEEDPUB_DATABASE_URL` overrides `database_url`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let mut config = Self::parse(&text, path)?;
        if let Ok(url) = std::env::var(DATABASE_URL_ENV) {
            config.database = DatabaseUrl::parse(&url).map_err(|message| ConfigError::Invalid {
                path: PathBuf::from(format!("${DATABASE_URL_ENV}")),
                key: "database_url",
                message,
            })?;
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        config.resolve_paths(dir);
        Ok(config)
    }

    /// Makes relative paths relative to `dir` (the config file's folder).
    pub fn resolve_paths(&mut self, dir: &Path) {
        self.feeds_dir = dir.join(&self.feeds_dir);
        self.output_dir = dir.join(&self.output_dir);
        if let DatabaseUrl::Sqlite(p) = &mut self.database {
            *p = dir.join(&*p);
        }
    }
}

fn parse_base_url(s: &str) -> Result<Url, String> {
    let mut url = Url::parse(s).map_err(|e| format!("{s:?} is not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{s:?}: need an http or https URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{s:?}: must not have a query or fragment"));
    }
    // Every output URL is joined onto this one; without the slash the last segment would be lost.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn parse(s: &str) -> Result<Config, ConfigError> {
        Config::parse(s, Path::new("test.toml"))
    }

    #[test]
    fn defaults_apply() {
        let c = parse("base_url = \"https://example.org/feeds\"").unwrap();
        assert_eq!(c.base_url.as_str(), "https://example.org/feeds/");
        assert_eq!(c.output_dir, PathBuf::from("public"));
        assert_eq!(c.database, DatabaseUrl::Sqlite("data/feedpub.sqlite3".into()));
        assert_eq!(c.ttl, TtlBounds { min_minutes: 15, max_minutes: 360 });
        assert!(c.compress.gzip && c.compress.brotli);
        assert_eq!(c.language.as_str(), "en");
    }

    #[test]
    fn a_hub_is_an_http_url() {
        let base = "base_url = \"https://e.org/\"\n[websub]\n";
        assert_eq!(parse(base).unwrap().hub, None);
        let c = parse(&format!("{base}hub = \"https://hub.example/\"")).unwrap();
        assert_eq!(c.hub.unwrap().url().as_str(), "https://hub.example/");
        for bad in ["ftp://hub.example/", "built-in", "mailto:hub@example.org", "https://me:s3cret@hub.example/"] {
            let e = parse(&format!("{base}hub = \"{bad}\"")).unwrap_err().to_string();
            assert!(e.contains("`websub.hub`") && !e.contains("s3cret"), "{bad}: {e}");
        }
        let e = parse(&format!("{base}hub = \"https://hub.example/?token=s3cret\"")).unwrap_err().to_string();
        assert!(e.contains("publishes") && !e.contains("s3cret"), "{e}");
        let e = parse(&format!("{base}hubs = \"https://hub.example/\"")).unwrap_err().to_string();
        assert!(e.contains("hubs"), "{e}");
    }

    #[test]
    fn the_builtin_hub_is_under_base_url_with_bounded_leases() {
        let base = "base_url = \"https://e.org/wire/\"\n[websub]\nhub = \"builtin\"\n";
        let Some(Hub::Builtin(b)) = parse(base).unwrap().hub else { panic!("not the built-in hub") };
        assert_eq!(b.url.as_str(), "https://e.org/wire/websub");
        let day = Duration::from_secs(24 * 3600);
        assert_eq!((b.leases.default, b.leases.min, b.leases.max), (10 * day, Duration::from_secs(3600), 30 * day));
        assert_eq!(b.leases.grant(None), 10 * day);
        assert_eq!(b.leases.grant(Some(1)), Duration::from_secs(3600));
        assert_eq!(b.leases.grant(Some(u64::MAX)), 30 * day, "no perpetual lease");
        // Each error names the key that is wrong.
        for (lines, key) in [
            ("min_lease_seconds = 0", "min_lease_seconds"),
            ("max_lease_seconds = 40000000", "max_lease_seconds"),
            ("min_lease_seconds = 900000", "min_lease_seconds"),
            ("max_lease_seconds = 3600", "max_lease_seconds"),
            ("lease_seconds = 100\nmax_lease_seconds = 50", "lease_seconds"),
            ("lease_seconds = 60", "lease_seconds"),
        ] {
            let e = parse(&format!("{base}{lines}")).unwrap_err().to_string();
            assert!(e.contains(&format!("`websub.{key}`")), "{lines}: {e}");
        }
        let outside = "base_url = \"https://e.org/\"\n[websub]\nhub = \"https://hub.example/\"\nlease_seconds = 60";
        let e = parse(outside).unwrap_err().to_string();
        assert!(e.contains("outside hub sets its own leases"), "{e}");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let e = parse("base_url = \"https://example.org/\"\nbase_ulr = 1\n").unwrap_err().to_string();
        assert!(e.contains("test.toml"), "{e}");
        assert!(e.contains("base_ulr"), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = parse("base_url = \"not a url\"").unwrap_err().to_string();
        assert!(e.contains("`base_url`"), "{e}");
        let e = parse("base_url = \"ftp://example.org/\"").unwrap_err().to_string();
        assert!(e.contains("http or https"), "{e}");
        let e = parse("base_url = \"https://e.org/\"\ndatabase_url = \"mysql://x\"").unwrap_err().to_string();
        assert!(e.contains("`database_url`"), "{e}");
        let e = parse("base_url = \"https://e.org/\"\n[ttl]\nmin_minutes = 60\nmax_minutes = 5").unwrap_err();
        assert!(e.to_string().contains("`ttl`"), "{e}");
        let e = parse("base_url = \"https://e.org/\"\n[poll]\ntimeout_seconds = 0").unwrap_err().to_string();
        assert!(e.contains("`poll.timeout_seconds`"), "{e}");
        assert_eq!(parse("base_url = \"https://e.org/\"").unwrap().poll.timeout_seconds, 60);
        let e = parse("base_url = \"https://e.org/\"\n[poll]\ntick_seconds = 0").unwrap_err().to_string();
        assert!(e.contains("`poll.tick_seconds`"), "{e}");
        let e = parse("base_url = \"https://e.org/\"\n[poll]\ntimeout_seconds = 30\nlease_seconds = 30")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`poll.lease_seconds`") && e.contains("longer than poll.timeout_seconds"), "{e}");
        let poll = parse("base_url = \"https://e.org/\"\n[poll]\ntimeout_seconds = 30").unwrap().poll;
        assert_eq!((poll.lease(), poll.tick_seconds), (chrono::TimeDelta::seconds(90), 60));
    }

    #[test]
    fn paths_resolve_against_the_config_folder() {
        let mut c = parse("base_url = \"https://e.org/\"\nfeeds_dir = \"../feeds\"").unwrap();
        c.resolve_paths(Path::new("/srv/site/config"));
        assert_eq!(c.feeds_dir, PathBuf::from("/srv/site/config/../feeds"));
        assert_eq!(c.database, DatabaseUrl::Sqlite("/srv/site/config/data/feedpub.sqlite3".into()));
    }
}
