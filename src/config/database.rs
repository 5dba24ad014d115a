//! `database_url`: which store, and the one rule for showing it — a password never appears in a
//! message, a log line or a `Debug` dump, whatever the URL looks like.

use std::fmt;
use std::path::PathBuf;

/// Where the store lives, chosen by the scheme of `database_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH` (or `sqlite://PATH`): the embedded default.
    Sqlite(PathBuf),
    /// `postgres://…` / `postgresql://…` (the scheme in any case): the shared store of many
    /// replicas.
    Postgres(PostgresUrl),
}

impl DatabaseUrl {
    /// Parses a database URL; relative SQLite paths are kept relative (see
    /// [`super::Config::load`]). The error shows the URL redacted ([`redact_url`]).
    pub fn parse(s: &str) -> Result<Self, String> {
        let scheme = s.split_once(':').map_or("", |(scheme, _)| scheme).to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => {
                let rest = &s["sqlite:".len()..];
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err("sqlite: URL has no path".into());
                }
                Ok(Self::Sqlite(PathBuf::from(path)))
            }
            // Schemes are case-insensitive (RFC 3986 §3.1).
            // The client takes only lower-case schemes: the same URL, spelled as it expects.
            "postgres" | "postgresql" if s[scheme.len()..].starts_with("://") => {
                Ok(Self::Postgres(PostgresUrl(format!("{scheme}{}", &s[scheme.len()..]))))
            }
            _ => Err(format!("{:?}: expected sqlite:PATH or postgres://…", redact_url(s))),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => url.fmt(f),
        }
    }
}

/// A PostgreSQL URL, which may hold a password: shown (`Display`, `Debug`) only redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    /// The URL itself, password included: for the database client only, never for a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({:?})", redact_url(&self.0))
    }
}

/// `url` with everything between the scheme's `://` (or, without one, its first `:`) and the
/// *last* `@` replaced by `***`, and secret-looking query values (`?password=…`) too. No parsing: a password holding `#`, `/`, `@` or anything an URL
/// parser would stumble on is still hidden, and an unparseable URL is redacted all the same. The
/// host and path stay, so the message still says which database was meant; a URL without `@`
/// carries no credentials and is shown as is.
pub fn redact_url(url: &str) -> String {
    // libpq also takes `?password=…`: secret-looking query values go too.
    crate::model::redact::in_text(&redact_userinfo(url)).into_owned()
}

fn redact_userinfo(url: &str) -> String {
    let Some(at) = url.rfind('@') else { return url.to_owned() };
    let start = match url.find("://") {
        Some(i) if i < at => i + 3,
        _ => match url.find(':') {
            Some(i) if i < at => i + 1,
            _ => 0,
        },
    };
    format!("{}***{}", &url[..start], &url[at..])
}

/// `text` with [`redact_url`] applied to the whole (a password may hold a line break), then to
/// each line (each may quote another URL): for messages that quote lines of the config file.
pub fn redact_lines(text: &str) -> String {
    redact_url(text).lines().map(redact_url).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(DatabaseUrl::parse("sqlite://x.db"), Ok(DatabaseUrl::Sqlite("x.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:/abs/x.db"), Ok(DatabaseUrl::Sqlite("/abs/x.db".into())));
        assert_eq!(DatabaseUrl::parse("SQLite:x.db"), Ok(DatabaseUrl::Sqlite("x.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgres://h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("Postgres://u:p@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("POSTGRESQL://h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(DatabaseUrl::parse("postgres:h").is_err());
        assert!(DatabaseUrl::parse("sqlite:").is_err());
        assert!(DatabaseUrl::parse("x.db").is_err());
    }

    /// Every shape a URL with a password can take: the password appears in no message, no
    /// `Display` and no `Debug`, accepted or refused.
    #[test]
    fn the_password_is_never_shown() {
        for url in [
            "postgres://u:hunter2@h/db",
            "Postgres://u:hunter2@h/db",
            "POSTGRESQL://u:hunter2@h:5432/db?sslmode=require",
            "postgresql+psycopg://u:hunter2@h/db",
            "postgres://u:hun#ter2@h/db",
            "postgres://u:hun/ter2@h/db",
            "postgres://u:hun@ter2@h/db",
            "postgres://u:hun ter2\n@h/db",
            "postgres://hunter2@h/db",
            "mysql://u:hunter2@h/db",
            "postgres:u:hunter2@h",
            "u:hunter2@h",
            "://u:hunter2@",
            "postgres://h/db?user=u&password=hunter2",
            "postgres:///db?host=/run&sslpassword=hunter2",
        ] {
            let shown = match DatabaseUrl::parse(url) {
                Ok(db) => format!("{db} {db:?}"),
                Err(message) => message,
            };
            assert!(!shown.contains("ter2") && !shown.contains("hunter2"), "{url:?} shown as {shown:?}");
            assert!(redact_url(url).contains("***"), "{url:?}");
            assert!(!redact_lines(url).contains("ter2"), "{url:?}");
        }
        assert_eq!(redact_url("postgres://u:p#w@db.example/x"), "postgres://***@db.example/x");
        assert_eq!(redact_url("postgres://db.example/x"), "postgres://db.example/x");
        let DatabaseUrl::Postgres(url) = DatabaseUrl::parse("postgres://u:p@h/d").unwrap() else { panic!() };
        assert_eq!(url.expose(), "postgres://u:p@h/d");
    }
}
