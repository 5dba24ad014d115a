//! The rendered site held in memory, ready to answer: bytes, precompressed variants and every
//! header value worked out once, so a request does no rendering, compression or disk I/O.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use headers::ETag;
use hyper::header::HeaderValue;
use rayon::prelude::*;

use super::pages::{Pages, Unavailable};
use crate::config::Compression;
use crate::publish::compress::{self, Effort};
use crate::render::archive::Archived;
use crate::render::{Output, OutputKind};

/// A content coding feedpub holds a variant in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// No coding.
    Identity,
    /// gzip.
    Gzip,
    /// Brotli.
    Brotli,
}

impl Coding {
    /// The token used in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Brotli => "br",
        }
    }
}

/// One encoding of a resource.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Its coding.
    pub coding: Coding,
    /// The bytes as sent.
    pub bytes: Bytes,
    /// Its strong validator, for comparisons.
    pub etag: ETag,
    /// The same, as a header value.
    pub etag_header: HeaderValue,
}

/// One published file with everything needed to answer for it.
#[derive(Debug)]
pub struct Resource {
    /// What it is.
    pub kind: OutputKind,
    /// Whether it is an archive page (walked once, not polled).
    pub archived: Archived,
    /// `Content-Type`.
    pub content_type: HeaderValue,
    /// The newest item time it shows, in whole seconds.
    pub last_modified: SystemTime,
    /// `Last-Modified`.
    pub last_modified_header: HeaderValue,
    /// `Cache-Control`.
    pub cache_control: HeaderValue,
    /// `Link` (WebSub discovery: the hub and the topic's own URL), on subscription documents
    /// when a hub is configured.
    pub link: Option<HeaderValue>,
    /// Identity first, then the compressed variants that came out smaller.
    pub variants: Vec<Variant>,
}

/// Every resource of the site, by request path, and what it was made from: the hot ones
/// (what readers poll) held, the others (item pages) made on demand from [`Pages`].
#[derive(Debug, Default)]
pub struct Site {
    resources: HashMap<String, Arc<Resource>>,
    pages: Option<Arc<Pages>>,
    /// Feeds rendered.
    pub feeds: usize,
    /// Items across all feeds.
    pub items: usize,
}

impl Site {
    /// Prepares rendered outputs for serving, compressing on every core. Variants of a file
    /// whose bytes are unchanged since `previous` are reused, so a re-render after one article
    /// changed recompresses only the files that show it.
    pub fn new(outputs: Vec<Output>, compress: Compression, previous: Option<&Site>) -> Self {
        let feeds = outputs.iter().filter(|o| o.kind == OutputKind::Rss).count();
        let items = outputs.iter().filter(|o| o.kind == OutputKind::ItemPage).count();
        Self { resources: Self::prepare(outputs, compress, previous, &|_| None), pages: None, feeds, items }
    }

    /// A site of `resources` (see [`Site::prepare`]), answering other paths from `pages`.
    pub fn from_parts(
        resources: HashMap<String, Arc<Resource>>,
        pages: Option<Arc<Pages>>,
        feeds: usize,
        items: usize,
    ) -> Self {
        Self { resources, pages, feeds, items }
    }

    /// The held resources, by request path.
    pub fn resources(&self) -> &HashMap<String, Arc<Resource>> {
        &self.resources
    }

    /// The page source and cache, if pages are made on demand.
    pub fn pages(&self) -> Option<&Arc<Pages>> {
        self.pages.as_ref()
    }

    /// This site with every held resource in the codings `compress` asks for, made from its
    /// identity bytes on every core (a site can start answering before it is compressed).
    pub fn compressed(&self, compress: Compression) -> HashMap<String, Arc<Resource>> {
        self.resources
            .par_iter()
            .map(|(path, r)| {
                let wanted = usize::from(compress.gzip) + usize::from(compress.brotli);
                if r.variants.len() > 1 || wanted == 0 {
                    return (path.clone(), r.clone());
                }
                let identity = &r.variants[0];
                let tag = identity.etag_header.to_str().unwrap_or_default().trim_matches('"').to_owned();
                let more =
                    coded(&identity.bytes, Effort::for_file(r.kind, r.archived, identity.bytes.len()), &tag, compress);
                let variants = std::iter::once(identity.clone()).chain(more).collect();
                (path.clone(), Arc::new(Resource { variants, ..r.same_headers() }))
            })
            .collect()
    }

    /// Prepares rendered outputs for serving, compressing on every core (see [`Site::new`]);
    /// `link` gives an output's `Link` header.
    pub fn prepare(
        outputs: Vec<Output>,
        compress: Compression,
        previous: Option<&Site>,
        link: &(dyn Fn(&Output) -> Option<HeaderValue> + Sync),
    ) -> HashMap<String, Arc<Resource>> {
        // Outputs are consumed: each file's bytes move into its identity variant (a 100,000-page
        // site is over a GB of them, and a copy doubled serve's peak memory).
        let prepared: Vec<_> = outputs
            .into_par_iter()
            .map(|mut o| {
                let (path, tag) = (request_path(&o.path), content_tag(&o.bytes));
                let reused = previous
                    .and_then(|p| p.resources.get(&path))
                    .filter(|r| r.variants[0].etag == make_etag(&tag, Coding::Identity).0)
                    .filter(|r| r.kind == o.kind && same_codings(r, compress));
                let variants = match reused {
                    Some(r) => r.variants.clone(),
                    None => variants(&mut o, &tag, compress),
                };
                let link = link(&o);
                (path, Arc::new(Resource { link, ..resource(&o, variants) }))
            })
            .collect();
        prepared.into_iter().collect()
    }

    /// One rendered file ready to answer (an item page made on demand).
    pub fn prepare_one(mut o: Output, compress: Compression) -> Arc<Resource> {
        let tag = content_tag(&o.bytes);
        let variants = variants(&mut o, &tag, compress);
        Arc::new(resource(&o, variants))
    }

    /// The resource answering `path` (`/`, `/<slug>/` and `…/index.html` are the same page);
    /// `Err` when it would be a page that cannot be made now (the store is unreachable).
    pub fn get(&self, path: &str) -> Result<Option<Arc<Resource>>, Unavailable> {
        match (self.resources.get(path), &self.pages) {
            (Some(r), _) => Ok(Some(r.clone())),
            (None, Some(pages)) => pages.get(path),
            (None, None) => Ok(None),
        }
    }

    /// Whether `path` is held in memory (answered without the store).
    pub fn holds(&self, path: &str) -> bool {
        self.resources.contains_key(path)
    }

    /// Whether something answers `path`, without making a page if that can be avoided.
    pub fn exists(&self, path: &str) -> bool {
        self.resources.contains_key(path) || self.pages.as_ref().is_some_and(|p| p.exists(path))
    }

    /// How many resources there are.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

/// `russia-islamic-world/index.html` → `/russia-islamic-world/`; other paths gain a `/`.
/// The `index.html` spelling is answered too (see [`super::handle`]).
fn request_path(output_path: &str) -> String {
    match output_path.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{output_path}"),
    }
}

/// Whether `r` holds variants for exactly the codings `compress` now asks for (a config
/// reload may have switched one off).
fn same_codings(r: &Resource, compress: Compression) -> bool {
    let has = |c| r.variants.iter().any(|v| v.coding == c);
    (!has(Coding::Gzip) || compress.gzip) && (!has(Coding::Brotli) || compress.brotli)
}

/// The opaque part of the ETags: a digest of the identity bytes, so the same bytes get the
/// same validator across restarts and replicas.
fn content_tag(bytes: &[u8]) -> String {
    crate::model::digest::sha256_hex128(bytes)
}

fn make_etag(tag: &str, coding: Coding) -> (ETag, HeaderValue) {
    // A coded variant is a different representation (RFC 9110 §8.8.3), so it needs its own
    // strong tag; the suffix keeps it derived from the same content digest.
    let text = match coding {
        Coding::Identity => format!("\"{tag}\""),
        other => format!("\"{tag}-{}\"", other.token()),
    };
    let etag = text.parse().expect("a quoted hex tag is a valid ETag");
    (etag, HeaderValue::from_str(&text).expect("a quoted hex tag is a valid header value"))
}

/// The variants of `o`, whose bytes move into the identity variant.
fn variants(o: &mut Output, tag: &str, compress: Compression) -> Vec<Variant> {
    let more = coded(&o.bytes, Effort::for_output(o), tag, compress);
    let identity = std::mem::take(&mut o.bytes);
    let (etag, etag_header) = make_etag(tag, Coding::Identity);
    std::iter::once(Variant { coding: Coding::Identity, bytes: Bytes::from(identity), etag, etag_header })
        .chain(more)
        .collect()
}

/// The compressed variants of `bytes` that `compress` asks for, brotli first.
fn coded(bytes: &[u8], effort: Effort, tag: &str, compress: Compression) -> Vec<Variant> {
    let variant = |coding, bytes: Vec<u8>| {
        let (etag, etag_header) = make_etag(tag, coding);
        Variant { coding, bytes: Bytes::from(bytes), etag, etag_header }
    };
    let mut compressed = Vec::new();
    if compress.brotli {
        compressed.push((Coding::Brotli, compress::brotli(bytes, effort)));
    }
    if compress.gzip {
        compressed.push((Coding::Gzip, compress::gzip(bytes)));
    }
    // A tiny file can come out larger; then only identity is worth sending. The encoders'
    // buffers are sized for the worst case: held for the site's lifetime, they are trimmed.
    compressed
        .into_iter()
        .filter(|(_, b)| b.len() < bytes.len())
        .map(|(coding, mut b)| {
            b.shrink_to_fit();
            variant(coding, b)
        })
        .collect()
}

impl Resource {
    /// The same headers, no variants (to be filled in).
    fn same_headers(&self) -> Self {
        Resource {
            kind: self.kind,
            archived: self.archived,
            content_type: self.content_type.clone(),
            last_modified: self.last_modified,
            last_modified_header: self.last_modified_header.clone(),
            cache_control: self.cache_control.clone(),
            link: self.link.clone(),
            variants: Vec::new(),
        }
    }

    /// Bytes held across its variants.
    pub fn size(&self) -> usize {
        self.variants.iter().map(|v| v.bytes.len()).sum()
    }
}

fn resource(o: &Output, variants: Vec<Variant>) -> Resource {
    let secs = u64::try_from(o.updated.timestamp()).unwrap_or(0);
    let last_modified = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let lm = httpdate::fmt_http_date(last_modified);
    // The same lifetime the feed's <ttl> announces, so HTTP caches and readers agree; a closed
    // archive page changes only if one of its own items is edited or removed.
    let cache_control = match o.archived {
        Archived::Closed => "public, max-age=31536000, immutable".to_owned(),
        Archived::No | Archived::Newest => format!("public, max-age={}", u64::from(o.ttl_minutes) * 60),
    };
    Resource {
        kind: o.kind,
        archived: o.archived,
        content_type: HeaderValue::from_static(o.kind.media_type()),
        last_modified,
        last_modified_header: HeaderValue::from_str(&lm).expect("an HTTP date is a valid header value"),
        cache_control: HeaderValue::from_str(&cache_control).expect("ASCII"),
        link: None,
        variants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn output(path: &str, text: &str) -> Output {
        Output {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
            kind: OutputKind::Rss,
            updated: chrono::Utc.with_ymd_and_hms(2023, 11, 16, 0, 0, 0).unwrap(),
            ttl_minutes: 60,
            archived: Default::default(),
        }
    }

    const BOTH: Compression = Compression { gzip: true, brotli: true };

    #[test]
    fn paths_headers_and_variants() {
        let body = "<rss>مرحبا</rss>".repeat(50);
        let site = Site::new(vec![output("index.html", &body), output("a/rss.xml", &body)], BOTH, None);
        assert!(site.get("/").unwrap().is_some());
        let r = site.get("/a/rss.xml").unwrap().unwrap();
        assert_eq!(r.last_modified_header, "Thu, 16 Nov 2023 00:00:00 GMT");
        assert_eq!(r.cache_control, "public, max-age=3600");
        let codings: Vec<Coding> = r.variants.iter().map(|v| v.coding).collect();
        assert_eq!(codings, [Coding::Identity, Coding::Brotli, Coding::Gzip]);
        let tags: Vec<&HeaderValue> = r.variants.iter().map(|v| &v.etag_header).collect();
        assert!(tags[1].to_str().unwrap().ends_with("-br\""), "{tags:?}");
        assert_ne!(tags[0], tags[2]);
        // The same bytes give the same validators in another process or replica.
        let again = Site::new(vec![output("a/rss.xml", &body)], BOTH, None);
        assert_eq!(again.get("/a/rss.xml").unwrap().unwrap().variants[2].etag_header, *tags[2]);
    }

    #[test]
    fn tiny_files_stay_identity_and_unchanged_files_reuse_variants() {
        let site = Site::new(vec![output("x.xml", "<a/>")], BOTH, None);
        assert_eq!(site.get("/x.xml").unwrap().unwrap().variants.len(), 1);
        let body = "<rss>text</rss>".repeat(100);
        let first = Site::new(vec![output("a/rss.xml", &body)], BOTH, None);
        let second = Site::new(vec![output("a/rss.xml", &body)], BOTH, Some(&first));
        let (a, b) = (
            &first.get("/a/rss.xml").unwrap().unwrap().variants[1],
            &second.get("/a/rss.xml").unwrap().unwrap().variants[1],
        );
        assert_eq!(a.bytes.as_ptr(), b.bytes.as_ptr(), "reused, not recompressed");
        let off = Site::new(vec![output("a/rss.xml", &body)], Compression { gzip: false, brotli: false }, Some(&first));
        assert_eq!(off.get("/a/rss.xml").unwrap().unwrap().variants.len(), 1);
    }
}
