//! Article metadata: Markdown front matter and `<stem>.toml` sidecars share one strict schema.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Deserialize;
use url::Url;

use crate::model::Person;

/// What an article's metadata may say; every key is optional and overrides what is inferred.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Title (plain text).
    pub title: Option<String>,
    /// Publication date or date-time.
    pub date: Option<MetaDate>,
    /// Last modification.
    pub updated: Option<MetaDate>,
    /// Stable id, instead of the file name.
    pub id: Option<String>,
    /// Author: a name, or a table with `name`, `email`, `uri`.
    pub author: Option<Author>,
    /// Summary (plain text), instead of the lede.
    pub summary: Option<String>,
    /// Categories.
    pub tags: Option<Vec<String>>,
    /// Illustrating image (absolute URL).
    pub image: Option<Url>,
    /// Alternative text of the image.
    pub image_alt: Option<String>,
    /// Language, when it differs from the feed's.
    pub language: Option<String>,
    /// URL of the source's feed, for RSS `<source url>`.
    pub source_url: Option<Url>,
}

/// An author given as a bare name or as a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Author {
    /// `author = "Name"`.
    Name(String),
    /// `author = { name = "…", email = "…", uri = "…" }`.
    Person(Person),
}

impl From<Author> for Person {
    fn from(a: Author) -> Person {
        match a {
            Author::Name(name) => Person { name, email: None, uri: None },
            Author::Person(p) => p,
        }
    }
}

/// A TOML date (`2023-11-16`), offset date-time (`2023-11-16T09:30:00+03:00`), or either as a string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MetaDate {
    /// A native TOML date or date-time.
    Toml(toml::value::Datetime),
    /// The same written as a string.
    Text(String),
}

impl MetaDate {
    /// The instant in UTC, to the second. A date alone means midnight UTC; a time without an
    /// offset is refused, because guessing the zone would move the item by hours.
    pub fn to_utc(&self) -> Result<DateTime<Utc>, String> {
        let dt = match self {
            Self::Toml(dt) => *dt,
            Self::Text(s) => s.trim().parse::<toml::value::Datetime>().map_err(|_| format!("{s:?} is not a date"))?,
        };
        let date = dt.date.ok_or_else(|| format!("{dt} has no date"))?;
        let day = NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))
            .ok_or_else(|| format!("{dt} is not a calendar date"))?;
        let Some(time) = dt.time else {
            return Ok(Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)));
        };
        let Some(offset) = dt.offset else {
            return Err(format!("{dt} has a time but no UTC offset (add Z or e.g. +03:00)"));
        };
        // toml has parsed and range-checked the value; chrono turns it into an instant.
        let text = format!("{}T{}{}", date, time, offset);
        DateTime::parse_from_rfc3339(&text)
            .map(|d| d.with_timezone(&Utc))
            .map(|d| d.with_nanosecond(0).unwrap_or(d))
            .map_err(|e| format!("{dt}: {e}"))
    }
}

use chrono::Timelike as _;

impl Meta {
    /// `other` wins wherever it says something: a sidecar overrides front matter.
    pub fn overlay(self, other: Meta) -> Meta {
        Meta {
            title: other.title.or(self.title),
            date: other.date.or(self.date),
            updated: other.updated.or(self.updated),
            id: other.id.or(self.id),
            author: other.author.or(self.author),
            summary: other.summary.or(self.summary),
            tags: other.tags.or(self.tags),
            image: other.image.or(self.image),
            image_alt: other.image_alt.or(self.image_alt),
            language: other.language.or(self.language),
            source_url: other.source_url.or(self.source_url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(s: &str) -> Meta {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn dates_in_every_accepted_form() {
        let utc = |s: &str| meta(s).date.unwrap().to_utc();
        assert_eq!(utc("date = 2023-11-16").unwrap().to_rfc3339(), "2023-11-16T00:00:00+00:00");
        assert_eq!(utc("date = 2023-11-16T09:30:00+03:00").unwrap().to_rfc3339(), "2023-11-16T06:30:00+00:00");
        assert_eq!(utc("date = \"2023-11-16T09:30:00.25Z\"").unwrap().to_rfc3339(), "2023-11-16T09:30:00+00:00");
        assert!(utc("date = 2023-11-16T09:30:00").unwrap_err().contains("no UTC offset"));
        assert!(utc("date = \"yesterday\"").unwrap_err().contains("not a date"));
    }

    #[test]
    fn sidecar_overrides_front_matter() {
        let fm = meta("title = \"a\"\nsummary = \"s\"");
        let side = meta("title = \"b\"");
        let m = fm.overlay(side);
        assert_eq!(m.title.as_deref(), Some("b"));
        assert_eq!(m.summary.as_deref(), Some("s"));
    }

    #[test]
    fn authors_by_name_or_table() {
        let p: Person = meta("author = \"TASS\"").author.unwrap().into();
        assert_eq!(p.name, "TASS");
        let p: Person = meta("author = { name = \"N\", email = \"n@example.org\" }").author.unwrap().into();
        assert_eq!(p.email.as_deref(), Some("n@example.org"));
    }
}
