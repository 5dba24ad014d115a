//! Item pages made on demand: readers poll the feeds, people open a page now and then, so a
//! site of 100,000 articles holds only the pages opened lately, within a byte budget.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use super::site::{Resource, Site};
use crate::config::Compression;
use crate::render::Output;

/// Where pages come from (the store, through the renderer).
pub trait PageSource: Send + Sync {
    /// The file answering the request path `path`, rendered; `Ok(None)` when there is none,
    /// `Err` when that cannot be told now (the store is unreachable).
    fn page(&self, path: &str) -> Result<Option<Output>, Unavailable>;

    /// Whether there is a file at `path`, without rendering it if that can be told cheaper.
    fn exists(&self, path: &str) -> bool {
        matches!(self.page(path), Ok(Some(_)))
    }
}

/// A page could not be made now: its source is unreachable (a 503, never a 404, which would
/// tell readers and crawlers the page is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// A page being made, or made (`Ok(None)`: there is no page at its path). Failures are shared
/// by the requests that waited for them, never cached.
type Making = OnceLock<Result<Option<Arc<Resource>>, Unavailable>>;

/// A page source and the cache in front of it.
pub struct Pages {
    source: Arc<dyn PageSource>,
    compress: Compression,
    cache: Mutex<Cache>,
    /// Pages being made: a second request for one waits for the first instead of making it
    /// again (after a re-render dropped a busy feed's pages, many readers ask at once).
    making: Mutex<HashMap<String, Arc<Making>>>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cache = self.cache.lock().map(|c| (c.map.len(), c.bytes)).unwrap_or_default();
        f.debug_struct("Pages").field("cached", &cache.0).field("bytes", &cache.1).finish()
    }
}

/// Pages cached, in a ring; evicted once over the budget by the CLOCK rule (a page asked for
/// since the hand last passed gets another round), which keeps what is opened often while a
/// crawler walks through everything else.
#[derive(Default)]
struct Cache {
    /// Each page and whether it was asked for since the hand last passed it.
    map: HashMap<String, (Arc<Resource>, bool)>,
    order: VecDeque<String>,
    bytes: usize,
    budget: usize,
}

impl Cache {
    fn get(&mut self, path: &str) -> Option<Arc<Resource>> {
        self.map.get_mut(path).map(|(r, used)| {
            *used = true;
            r.clone()
        })
    }

    fn insert(&mut self, path: String, r: Arc<Resource>) {
        let size = r.size() + path.len();
        if size > self.budget {
            // Too large to keep: neither it nor an older copy stays.
            if let Some((old, _)) = self.map.remove(&path) {
                self.bytes -= old.size() + path.len();
                self.order.retain(|p| *p != path);
            }
            return;
        }
        if let Some((old, _)) = self.map.insert(path.clone(), (r, false)) {
            self.bytes -= old.size() + path.len();
        } else {
            self.order.push_back(path.clone());
        }
        self.bytes += size;
        // Each page gets at most one second chance, so this ends within two turns of the ring;
        // the page coming in is spared once (it would otherwise go first when every other page
        // was asked for since the hand passed).
        let mut spared = false;
        while self.bytes > self.budget {
            let Some(oldest) = self.order.pop_front() else { break };
            let newcomer = oldest == path && !spared;
            match self.map.get_mut(&oldest) {
                Some((_, used)) if *used || newcomer => {
                    spared |= newcomer;
                    *used = false;
                    self.order.push_back(oldest);
                }
                Some(_) => {
                    let (gone, _) = self.map.remove(&oldest).expect("present");
                    self.bytes -= gone.size() + oldest.len();
                }
                None => {}
            }
        }
    }
}

impl Pages {
    /// Pages from `source`, in the codings `compress` asks for, holding at most `budget` bytes.
    pub fn new(source: Arc<dyn PageSource>, compress: Compression, budget: usize) -> Self {
        let cache = Mutex::new(Cache { budget, ..Cache::default() });
        Self { source, compress, cache, making: Mutex::default() }
    }

    /// Keeps cached the pages of `previous` that `keep` selects (by request path): those whose
    /// bytes did not change.
    pub fn keeping(self, previous: &Pages, keep: &dyn Fn(&str) -> bool) -> Self {
        {
            let (old, mut cache) = (previous.cache(), self.cache());
            for path in old.order.iter().filter(|p| keep(p)) {
                if let Some((r, _)) = old.map.get(path) {
                    cache.insert(path.clone(), r.clone());
                }
            }
        }
        self
    }

    /// The page at `path`, from the cache or made now (this blocks: call it off the async
    /// threads).
    pub fn get(&self, path: &str) -> Result<Option<Arc<Resource>>, Unavailable> {
        if let Some(hit) = self.cache().get(path) {
            return Ok(Some(hit));
        }
        let making = self.making().entry(path.to_owned()).or_default().clone();
        // Whatever happens below (a panic in a renderer included), the cell goes.
        let _done = Done { pages: self, path, cell: &making };
        making
            .get_or_init(|| {
                let Some(page) = self.source.page(path)? else { return Ok(None) };
                let made = Site::prepare_one(page, self.compress);
                self.cache().insert(path.to_owned(), made.clone());
                Ok(Some(made))
            })
            .clone()
    }

    /// The cache; a panic elsewhere while it was held leaves it usable (every change to it
    /// keeps it consistent before anything can panic).
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn making(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Making>>> {
        self.making.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether there is a page at `path`.
    pub fn exists(&self, path: &str) -> bool {
        self.cache().map.contains_key(path) || self.source.exists(path)
    }

    /// Pages cached and the bytes they hold.
    pub fn cached(&self) -> (usize, usize) {
        let c = self.cache();
        (c.map.len(), c.bytes)
    }
}

/// Removes a page's cell from [`Pages::making`] once its maker is done, unless another took
/// its place.
struct Done<'a> {
    pages: &'a Pages,
    path: &'a str,
    cell: &'a Arc<Making>,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        let mut m = self.pages.making();
        if m.get(self.path).is_some_and(|c| Arc::ptr_eq(c, self.cell)) {
            m.remove(self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::OutputKind;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl PageSource for Counting {
        fn page(&self, path: &str) -> Result<Option<Output>, Unavailable> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(path.ends_with(".html").then(|| Output {
                path: path.trim_start_matches('/').into(),
                bytes: format!("<p>{path}</p>").repeat(10).into_bytes(),
                kind: OutputKind::ItemPage,
                updated: chrono::DateTime::UNIX_EPOCH,
                ttl_minutes: 15,
                archived: Default::default(),
            }))
        }
    }

    const NONE: Compression = Compression { gzip: false, brotli: false };

    #[test]
    fn caches_within_the_budget_and_evicts_the_oldest() {
        let source = Arc::new(Counting(AtomicUsize::new(0)));
        let pages = Pages::new(source.clone(), NONE, 1_000);
        assert_eq!(pages.get("/f/missing").map(|p| p.is_none()), Ok(true));
        let a = pages.get("/f/a.html").unwrap().unwrap();
        assert!(Arc::ptr_eq(&a, &pages.get("/f/a.html").unwrap().unwrap()), "the second answer is the cached one");
        assert_eq!(source.0.load(Ordering::SeqCst), 2);
        for i in 0..20 {
            pages.get(&format!("/f/{i}.html")).unwrap().unwrap();
        }
        let (n, bytes) = pages.cached();
        assert!(bytes <= 1_000 && n < 20, "{n} pages, {bytes} bytes");
        pages.get("/f/a.html").unwrap().unwrap();
        assert_eq!(source.0.load(Ordering::SeqCst), 23, "the oldest page was evicted and made again");
        let kept = Pages::new(source.clone(), NONE, 1_000).keeping(&pages, &|p| p != "/f/a.html");
        assert_eq!(kept.cached().0, n - 1);
    }

    #[test]
    fn a_page_asked_for_often_outlives_a_crawl() {
        let source = Arc::new(Counting(AtomicUsize::new(0)));
        let pages = Pages::new(source.clone(), NONE, 1_000);
        pages.get("/f/hot.html").unwrap().unwrap();
        for i in 0..100 {
            pages.get(&format!("/f/crawl-{i}.html")).unwrap().unwrap();
            pages.get("/f/hot.html").unwrap().unwrap();
        }
        assert_eq!(source.0.load(Ordering::SeqCst), 101, "the hot page was made once");
        assert!(pages.cached().1 <= 1_000);
    }
}
