//! Parse a feed's definition, `feeds/<slug>/feed.toml`, into a [`FeedMeta`].

use std::path::Path;

use serde::Deserialize;
use url::Url;

use super::SourceError;
use crate::model::{FeedMeta, Language, Person, Slug, UpstreamSource, redact};

/// The file name of a feed's definition inside its folder.
pub const FEED_FILE: &str = "feed.toml";

const DEFAULT_LIMIT: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    title: String,
    description: String,
    language: String,
    link: Option<Url>,
    publisher: Option<Person>,
    author: Option<Person>,
    rights: Option<String>,
    limit: Option<usize>,
    id: Option<String>,
    ttl: Option<u32>,
    #[serde(default)]
    source: Vec<UpstreamSource>,
}

/// Parses `feed.toml` text for the feed in folder `slug`; `path` labels errors.
pub fn parse(text: &str, slug: Slug, path: &Path) -> Result<FeedMeta, SourceError> {
    let raw: RawFeed = super::toml_from_str(text, path)?;
    let invalid = |key: &'static str, message: String| SourceError::Invalid { path: path.to_owned(), key, message };
    for (key, value) in [("title", &raw.title), ("description", &raw.description)] {
        if value.trim().is_empty() {
            return Err(invalid(key, "must not be empty".into()));
        }
    }
    let language = Language::parse(&raw.language).map_err(|e| invalid("language", e.to_string()))?;
    if let Some(link) = &raw.link {
        check_http("link", link).map_err(|m| invalid("link", m))?;
    }
    if let Some(id) = &raw.id {
        check_tag_uri(id).map_err(|m| invalid("id", m))?;
    }
    let limit = raw.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(invalid("limit", "must be at least 1".into()));
    }
    if raw.ttl == Some(0) {
        return Err(invalid("ttl", "must be at least 1 (minutes)".into()));
    }
    for (i, source) in raw.source.iter().enumerate() {
        let key = "source";
        check_http("url", &source.url).map_err(|m| invalid(key, format!("[[source]] #{}: {m}", i + 1)))?;
        let max = UpstreamSource::MAX_INTERVAL_MINUTES;
        if source.min_interval_minutes == 0
            || source.min_interval_minutes > source.max_interval_minutes
            || source.max_interval_minutes > max
        {
            let m = format!(
                "[[source]] #{}: need 0 < min_interval_minutes <= max_interval_minutes <= {max} (30 days)",
                i + 1
            );
            return Err(invalid(key, m));
        }
        if source.limit == Some(0) || source.keep == Some(0) {
            return Err(invalid(key, format!("[[source]] #{}: limit and keep must be at least 1", i + 1)));
        }
        if raw.source[..i].iter().any(|s| s.url == source.url) {
            let shown = redact::for_logs(&source.url);
            return Err(invalid(key, format!("[[source]] #{}: {shown} is listed twice", i + 1)));
        }
    }
    // The publisher defaults to the feed's title: a publisher's own feed is usually named after it.
    let publisher = raw.publisher.unwrap_or_else(|| Person { name: raw.title.clone(), email: None, uri: None });
    let author = raw.author.unwrap_or_else(|| publisher.clone());
    Ok(FeedMeta {
        slug,
        title: raw.title,
        description: raw.description,
        language,
        link: raw.link,
        publisher,
        author,
        rights: raw.rights,
        limit,
        id: raw.id,
        ttl_minutes: raw.ttl,
        sources: raw.source,
    })
}

fn check_http(key: &str, url: &Url) -> Result<(), String> {
    if matches!(url.scheme(), "http" | "https") && url.host().is_some() {
        Ok(())
    } else {
        Err(format!("{key} {} is not an http(s) URL", redact::for_logs(url)))
    }
}

/// A `tag:` URI per RFC 4151: `tag:` authority `,` date `:` specific.
fn check_tag_uri(id: &str) -> Result<(), String> {
    let re = regex::Regex::new(
        r"^tag:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|[^@\s]+@[^@\s]+),\d{4}(?:-\d{2}(?:-\d{2})?)?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+$",
    )
    .expect("static regex");
    if re.is_match(id) { Ok(()) } else { Err(format!("{id:?} is not a tag: URI (e.g. tag:example.org,2023:my-feed)")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(text: &str) -> Result<FeedMeta, SourceError> {
        parse(text, Slug::new("f").unwrap(), Path::new("feeds/f/feed.toml"))
    }

    const MINIMAL: &str = "title = \"T\"\ndescription = \"D\"\nlanguage = \"ar\"\n";

    #[test]
    fn defaults_follow_the_publisher() {
        let f = feed(MINIMAL).unwrap();
        assert_eq!(f.publisher.name, "T");
        assert_eq!(f.author, f.publisher);
        assert_eq!(f.limit, DEFAULT_LIMIT);
        assert!(f.language.is_rtl());
    }

    #[test]
    fn errors_name_file_and_key() {
        let e = feed(&format!("{MINIMAL}colour = 1\n")).unwrap_err().to_string();
        assert!(e.starts_with("feeds/f/feed.toml:4: ") && e.contains("colour"), "{e}");
        let e = feed(&format!("{MINIMAL}link = \"nope\"\n")).unwrap_err().to_string();
        assert!(e.contains("feed.toml") && e.contains("link"), "{e}");
        let e = feed(&format!("{MINIMAL}link = \"ftp://x.org/\"\n")).unwrap_err().to_string();
        assert!(e.contains("`link`"), "{e}");
        let e = feed(&format!("{MINIMAL}limit = 0\n")).unwrap_err().to_string();
        assert!(e.contains("`limit`"), "{e}");
        let e = feed("title = \"T\"\ndescription = \"D\"\nlanguage = \"??\"\n").unwrap_err().to_string();
        assert!(e.contains("`language`"), "{e}");
    }

    #[test]
    fn sources() {
        let f = feed(&format!("{MINIMAL}[[source]]\nurl = \"https://wire.example/rss\"\n[[source]]\nurl = \"https://b.example/atom\"\nlimit = 5\nmin_interval_minutes = 30\n")).unwrap();
        assert_eq!(f.sources.len(), 2);
        assert_eq!(
            (f.sources[0].min_interval_minutes, f.sources[0].max_interval_minutes, f.sources[0].limit),
            (15, 360, None)
        );
        assert_eq!((f.sources[1].min_interval_minutes, f.sources[1].limit), (30, Some(5)));
        for bad in [
            "[[source]]\nurl = \"ftp://x.example/\"\n",
            "[[source]]\nurl = \"https://x.example/\"\nmin_interval_minutes = 0\n",
            "[[source]]\nurl = \"https://x.example/\"\nmin_interval_minutes = 900\n",
            "[[source]]\nurl = \"https://x.example/\"\nmax_interval_minutes = 43201\n",
            "[[source]]\nurl = \"https://x.example/\"\nkeep = 0\n",
            "[[source]]\nurl = \"https://x.example/\"\n[[source]]\nurl = \"https://x.example/\"\n",
        ] {
            let e = feed(&format!("{MINIMAL}{bad}")).unwrap_err().to_string();
            assert!(e.contains("feed.toml") && e.contains("`source`"), "{e}");
        }
        let e =
            feed(&format!("{MINIMAL}[[source]]\nurl = \"https://x.example/\"\nevery = 5\n")).unwrap_err().to_string();
        assert!(e.contains("every"), "{e}");
    }

    #[test]
    fn tag_uris() {
        assert!(check_tag_uri("tag:example.org,2023:feeds/ar").is_ok());
        assert!(check_tag_uri("tag:me@example.org,2023-11-16:x").is_ok());
        assert!(check_tag_uri("https://example.org/").is_err());
        assert!(check_tag_uri("tag:example.org:x").is_err());
    }
}
