//! Where every published file lives: output paths, and absolute URLs under `base_url`.

use url::Url;

use super::OutputKind;
use super::archive::PageKey;

/// Builds absolute URLs from the site's `base_url`.
#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
}

impl Urls {
    /// `base` must end in `/` (the config guarantees it).
    pub fn new(base: &Url) -> Self {
        Self { base: base.clone() }
    }

    fn join(&self, path: &str) -> Url {
        // Slugs and ids are restricted to URL-safe characters, so joining cannot fail.
        self.base.join(path).expect("slug and id are URL-safe")
    }

    /// The site index.
    pub fn index(&self) -> Url {
        self.base.clone()
    }

    /// A feed's HTML page, as a folder URL (`…/slug/`).
    pub fn feed_page(&self, slug: &str) -> Url {
        self.join(&format!("{slug}/"))
    }

    /// A feed's RSS document.
    pub fn rss(&self, slug: &str) -> Url {
        self.join(&Self::rss_path(slug))
    }

    /// A feed's Atom document.
    pub fn atom(&self, slug: &str) -> Url {
        self.join(&Self::atom_path(slug))
    }

    /// A feed's JSON Feed document.
    pub fn json(&self, slug: &str) -> Url {
        self.join(&Self::json_path(slug))
    }

    /// An article's page.
    pub fn item(&self, slug: &str, id: &str) -> Url {
        self.join(&Self::item_path(slug, id))
    }

    /// A document of a feed's history: a subscription document (`page` `None`) or one of an
    /// archive page's; a feed page as its folder URL.
    pub fn document(&self, slug: &str, page: Option<PageKey>, kind: OutputKind) -> Url {
        let folder = self.join(&Self::folder_path(slug, page));
        match kind {
            OutputKind::FeedPage => folder,
            _ => folder.join(Self::file_name(kind)).expect("a file name is a relative URL"),
        }
    }

    /// Output path of a feed's RSS document.
    pub fn rss_path(slug: &str) -> String {
        Self::document_path(slug, None, OutputKind::Rss)
    }

    /// Output path of a feed's Atom document.
    pub fn atom_path(slug: &str) -> String {
        Self::document_path(slug, None, OutputKind::Atom)
    }

    /// Output path of a feed's JSON Feed document.
    pub fn json_path(slug: &str) -> String {
        Self::document_path(slug, None, OutputKind::JsonFeed)
    }

    /// Output path of a feed's HTML page.
    pub fn feed_page_path(slug: &str) -> String {
        Self::document_path(slug, None, OutputKind::FeedPage)
    }

    /// Output path of a document of a feed's history (see [`Urls::document`]).
    pub fn document_path(slug: &str, page: Option<PageKey>, kind: OutputKind) -> String {
        format!("{}{}", Self::folder_path(slug, page), Self::file_name(kind))
    }

    /// The archive page a path under a feed's folder names, and which of its documents
    /// (`archive/2026-11/rss.xml`); `None` for any other path.
    pub fn parse_archive_path(rest: &str) -> Option<(PageKey, OutputKind)> {
        let (key, file) = rest.strip_prefix("archive/")?.split_once('/')?;
        let kind = [OutputKind::Rss, OutputKind::Atom, OutputKind::JsonFeed, OutputKind::FeedPage]
            .into_iter()
            .find(|k| Self::file_name(*k) == file || (*k == OutputKind::FeedPage && file.is_empty()))?;
        Some((PageKey::parse(key)?, kind))
    }

    fn folder_path(slug: &str, page: Option<PageKey>) -> String {
        match page {
            None => format!("{slug}/"),
            Some(key) => format!("{slug}/archive/{key}/"),
        }
    }

    fn file_name(kind: OutputKind) -> &'static str {
        match kind {
            OutputKind::Rss => "rss.xml",
            OutputKind::Atom => "atom.xml",
            OutputKind::JsonFeed => "feed.json",
            OutputKind::FeedPage | OutputKind::Index | OutputKind::ItemPage => "index.html",
        }
    }

    /// Output path of an article's page.
    pub fn item_path(slug: &str, id: &str) -> String {
        format!("{slug}/{id}.html")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_base_path() {
        let u = Urls::new(&Url::parse("https://example.org/news/").unwrap());
        assert_eq!(u.rss("f").as_str(), "https://example.org/news/f/rss.xml");
        assert_eq!(u.feed_page("f").as_str(), "https://example.org/news/f/");
        assert_eq!(u.item("f", "a_1").as_str(), "https://example.org/news/f/a_1.html");
        let key = PageKey::parse("2026-11-2");
        assert_eq!(
            u.document("f", key, OutputKind::Atom).as_str(),
            "https://example.org/news/f/archive/2026-11-2/atom.xml"
        );
        assert_eq!(
            u.document("f", key, OutputKind::FeedPage).as_str(),
            "https://example.org/news/f/archive/2026-11-2/"
        );
        assert_eq!(u.document("f", None, OutputKind::JsonFeed).as_str(), "https://example.org/news/f/feed.json");
    }

    #[test]
    fn archive_paths_round_trip() {
        for kind in [OutputKind::Rss, OutputKind::Atom, OutputKind::JsonFeed, OutputKind::FeedPage] {
            let path = Urls::document_path("f", PageKey::parse("2026-01"), kind);
            let rest = path.strip_prefix("f/").unwrap();
            assert_eq!(Urls::parse_archive_path(rest), Some((PageKey::parse("2026-01").unwrap(), kind)));
        }
        assert_eq!(
            Urls::parse_archive_path("archive/2026-01/"),
            Some((PageKey::parse("2026-01").unwrap(), OutputKind::FeedPage))
        );
        for bad in [
            "archive/2026-01",
            "archive/2026-1/rss.xml",
            "archive/2026-01/x.xml",
            "rss.xml",
            "archive/2026-01/rss.xml/",
        ] {
            assert_eq!(Urls::parse_archive_path(bad), None, "{bad}");
        }
    }
}
