//! Where every published file lives: output paths, and absolute URLs under `base_url`.

use url::Url;

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

    /// Output path of a feed's RSS document.
    pub fn rss_path(slug: &str) -> String {
        format!("{slug}/rss.xml")
    }

    /// Output path of a feed's Atom document.
    pub fn atom_path(slug: &str) -> String {
        format!("{slug}/atom.xml")
    }

    /// Output path of a feed's JSON Feed document.
    pub fn json_path(slug: &str) -> String {
        format!("{slug}/feed.json")
    }

    /// Output path of a feed's HTML page.
    pub fn feed_page_path(slug: &str) -> String {
        format!("{slug}/index.html")
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
    }
}
