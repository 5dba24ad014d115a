//! The typed item model every stage shares: feeds, articles and stored items.
//!
//! No I/O here. Dates stay `DateTime<Utc>` and URLs stay `Url` until `render/` formats them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unic_langid::{CharacterDirection, LanguageIdentifier};
use url::Url;

pub mod digest;
mod fit;
pub mod redact;
mod upstream;
pub use fit::{date_in_range, is_unfit};
pub use upstream::{Origin, UpstreamArticle, UpstreamSource};

/// A feed's slug: the name of its folder under `feeds/` and of its folder in the output.
///
/// Restricted to `[a-z0-9][a-z0-9._-]*` so it is safe in paths and URLs without escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// A stable article id, unique within its feed: from the file name or the `id` metadata key.
///
/// Restricted to `[A-Za-z0-9][A-Za-z0-9._-]*` (at most 128 characters) because it becomes a file
/// name and a URL path segment of the article page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ItemId(String);

/// Why a slug or an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid {1}: use letters a-z, digits, '.', '_' and '-', starting with a letter or digit")]
pub struct BadName(pub String, pub &'static str);

fn valid_name(s: &str, allow_upper: bool) -> bool {
    let ok_char = |c: char| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || (allow_upper && c.is_ascii_uppercase())
            || matches!(c, '.' | '_' | '-')
    };
    s.len() <= 128 && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) && s.chars().all(ok_char)
}

macro_rules! name_type {
    ($ty:ident, $what:literal, $upper:literal) => {
        impl $ty {
            /// Checks the name and wraps it.
            pub fn new(s: impl Into<String>) -> Result<Self, BadName> {
                let s = s.into();
                if valid_name(&s, $upper) { Ok(Self(s)) } else { Err(BadName(s, $what)) }
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $ty {
            type Error = BadName;
            fn try_from(s: String) -> Result<Self, BadName> {
                Self::new(s)
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(Slug, "feed slug", false);
name_type!(ItemId, "article id", true);

/// A language tag (BCP 47 shape, e.g. `ar`, `en-GB`, `ar-Latn`) with its script direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language {
    tag: String,
    rtl: bool,
}

impl Language {
    /// Parses a language tag; the direction comes from its language or script subtag.
    pub fn parse(tag: &str) -> Result<Self, BadName> {
        let id: LanguageIdentifier = tag.parse().map_err(|_| BadName(tag.to_owned(), "language tag"))?;
        Ok(Self {
            // Canonical form (`AR` → `ar`), so readers and validators see one spelling.
            tag: id.to_string(),
            rtl: id.character_direction() == CharacterDirection::RTL,
        })
    }

    /// The tag as written in `xml:lang`, `<language>` and `lang`.
    pub fn as_str(&self) -> &str {
        &self.tag
    }

    /// Whether text in this language runs right to left (Arabic, Hebrew, Persian, Urdu, …).
    pub fn is_rtl(&self) -> bool {
        self.rtl
    }

    /// `"rtl"` or `"ltr"`, for HTML's `dir` attribute.
    pub fn dir(&self) -> &'static str {
        if self.rtl { "rtl" } else { "ltr" }
    }
}

impl TryFrom<String> for Language {
    type Error = BadName;
    fn try_from(s: String) -> Result<Self, BadName> {
        Self::parse(&s)
    }
}

impl From<Language> for String {
    fn from(l: Language) -> String {
        l.tag
    }
}

/// A person or organisation: an author or publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Display name, verbatim.
    pub name: String,
    /// Contact address, if the person wants one published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<Url>,
}

/// A trailer line of an article kept verbatim (`Photo: …`, `المصدر: …`), with its value split off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// The whole line as the article wrote it; this is what readers are shown.
    pub line: String,
    /// The part after the label (`تاس` in `المصدر: تاس`), for machine-readable fields.
    pub value: String,
}

/// A feed's definition (`feeds/<slug>/feed.toml`), resolved: defaults applied, values checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMeta {
    /// The folder name; also the feed's folder in the output.
    pub slug: Slug,
    /// Feed title, verbatim.
    pub title: String,
    /// One-line description (RSS `description`, Atom `subtitle`).
    pub description: String,
    /// The feed's language; items inherit it.
    pub language: Language,
    /// The page the feed belongs to; `None` means feedpub's own HTML page for the feed.
    pub link: Option<Url>,
    /// The publisher, whose name is recognised and removed as an article trailer line.
    pub publisher: Person,
    /// Default author of items that name none.
    pub author: Person,
    /// Copyright statement.
    pub rights: Option<String>,
    /// How many items (newest first) the published feed carries.
    pub limit: usize,
    /// A permanent `tag:` URI for the feed, so ids survive a move to another host.
    pub id: Option<String>,
    /// A fixed RSS `<ttl>` in minutes; `None` derives it from the feed's cadence.
    pub ttl_minutes: Option<u32>,
    /// Upstream feeds whose items are re-published here (`[[source]]` tables).
    pub sources: Vec<UpstreamSource>,
}

/// An image that illustrates an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Absolute URL of the image.
    pub url: Url,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// Where an article's content came from (a wire service, an upstream feed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// The attribution as written in the article, shown to readers.
    pub credit: Credit,
    /// The source's feed, when known: RSS `<source url>` needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
}

/// What an article says: everything that is rendered, apart from its id and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// Plain-text title.
    pub title: String,
    /// Plain-text summary (the lede unless metadata says otherwise).
    pub summary: String,
    /// The body as a sanitised HTML fragment, without any direction wrapper.
    pub body_html: String,
    /// The article's language when it differs from the feed's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// The author when it differs from the feed's default author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Person>,
    /// Categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The illustrating image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// The photo credit; it belongs with the image, not with the feed's rights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_credit: Option<Credit>,
    /// The source attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Attribution>,
    /// The original link of a re-published upstream item (its feeds link there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Url>,
    /// Where a re-published upstream item came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

impl Content {
    /// Content with a title, summary and body, and nothing else set.
    pub fn new(title: impl Into<String>, summary: impl Into<String>, body_html: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            summary: summary.into(),
            body_html: body_html.into(),
            language: None,
            author: None,
            tags: Vec::new(),
            image: None,
            photo_credit: None,
            source: None,
            link: None,
            origin: None,
        }
    }
}

/// An article as the source stage reads it, before the store has resolved its `updated` time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Stable id within the feed.
    pub id: ItemId,
    /// What is rendered.
    pub content: Content,
    /// Publication time (seconds precision).
    pub published: DateTime<Utc>,
    /// Modification time from the article's metadata, if it gives one.
    pub updated: Option<DateTime<Utc>>,
}

/// A stored item, ready to render.
///
/// Feeds list items [`Item::newest_first`]; every store orders its queries the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable id within the feed.
    pub id: ItemId,
    /// What is rendered.
    pub content: Content,
    /// Publication time.
    pub published: DateTime<Utc>,
    /// Last modification: the metadata's, else when the store first saw the current content,
    /// else the publication time.
    pub updated: DateTime<Utc>,
}

impl Item {
    /// The one item order: newest publication first, ties broken by id so it never wobbles.
    pub fn newest_first(a: &Item, b: &Item) -> std::cmp::Ordering {
        b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id))
    }
}

/// An article as an item without a store: `updated` is the metadata's, else the publication
/// time (a store would use when it first saw the content in between; `check` has none).
impl From<Article> for Item {
    fn from(a: Article) -> Item {
        Item { updated: a.updated.unwrap_or(a.published), id: a.id, content: a.content, published: a.published }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_path_safe() {
        assert!(Slug::new("russia-islamic-world").is_ok());
        assert!(Slug::new("Caps").is_err());
        assert!(Slug::new("../etc").is_err());
        assert!(ItemId::new("000_216685895bd1f649").is_ok());
        assert!(ItemId::new("A.b-c_1").is_ok());
        assert!(ItemId::new(".hidden").is_err());
        assert!(ItemId::new("a/b").is_err());
        assert!(ItemId::new("").is_err());
        assert!(ItemId::new("x".repeat(129)).is_err());
    }

    #[test]
    fn language_direction() {
        for rtl in ["ar", "AR", "he", "fa", "ur", "ar-EG"] {
            assert!(Language::parse(rtl).unwrap().is_rtl(), "{rtl}");
        }
        for ltr in ["en", "ru", "en-GB", "ar-Latn"] {
            assert!(!Language::parse(ltr).unwrap().is_rtl(), "{ltr}");
        }
        assert_eq!(Language::parse("AR").unwrap().as_str(), "ar");
        assert!(Language::parse("not a tag").is_err());
    }

    #[test]
    fn an_article_without_a_store_is_updated_when_its_metadata_says() {
        use chrono::TimeZone as _;
        let published = Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2023, 11, 17, 0, 0, 0).unwrap();
        let article = Article {
            id: ItemId::new("a").unwrap(),
            content: Content::new("t", "s", "<p>b</p>"),
            published,
            updated: None,
        };
        let item = Item::from(article.clone());
        assert_eq!((item.id.as_str(), item.published, item.updated), ("a", published, published));
        assert_eq!(item.content, article.content);
        assert_eq!(Item::from(Article { updated: Some(later), ..article }).updated, later);
    }
}
