//! Item pages made on demand: readers poll the feeds, people open a page now and then, so a
//! site of 100,000 articles holds only the pages opened lately, within a byte budget.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::site::{Resource, Site};
use crate::config::Compression;
use crate::render::Output;

/// Where pages come from (the store, through the renderer).
pub trait PageSource: Send + Sync {
    /// The file answering the request path `path`, rendered, or `None` when there is none.
    fn page(&self, path: &str) -> Option<Output>;
}

/// A page source and the cache in front of it.
pub struct Pages {
    source: Arc<dyn PageSource>,
    compress: Compression,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cache = self.cache.lock().map(|c| (c.map.len(), c.bytes)).unwrap_or_default();
        f.debug_struct("Pages").field("cached", &cache.0).field("bytes", &cache.1).finish()
    }
}

/// Pages cached, oldest first; evicted in that order once over the budget.
#[derive(Default)]
struct Cache {
    map: HashMap<String, Arc<Resource>>,
    order: VecDeque<String>,
    bytes: usize,
    budget: usize,
}

impl Cache {
    fn insert(&mut self, path: String, r: Arc<Resource>) {
        let size = r.size() + path.len();
        if size > self.budget {
            return;
        }
        if let Some(old) = self.map.insert(path.clone(), r) {
            self.bytes -= old.size() + path.len();
        } else {
            self.order.push_back(path);
        }
        self.bytes += size;
        while self.bytes > self.budget {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(gone) = self.map.remove(&oldest) {
                self.bytes -= gone.size() + oldest.len();
            }
        }
    }
}

impl Pages {
    /// Pages from `source`, in the codings `compress` asks for, holding at most `budget` bytes.
    pub fn new(source: Arc<dyn PageSource>, compress: Compression, budget: usize) -> Self {
        Self { source, compress, cache: Mutex::new(Cache { budget, ..Cache::default() }) }
    }

    /// Keeps cached the pages of `previous` that `keep` selects (by request path): those whose
    /// bytes did not change.
    pub fn keeping(self, previous: &Pages, keep: &dyn Fn(&str) -> bool) -> Self {
        if let (Ok(old), Ok(mut cache)) = (previous.cache.lock(), self.cache.lock()) {
            for path in old.order.iter().filter(|p| keep(p)) {
                if let Some(r) = old.map.get(path) {
                    cache.insert(path.clone(), r.clone());
                }
            }
        }
        self
    }

    /// The page at `path`, from the cache or made now.
    pub fn get(&self, path: &str) -> Option<Arc<Resource>> {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.map.get(path).cloned()) {
            return Some(hit);
        }
        // Made outside the lock: two requests for one page may both make it, and get the
        // same bytes.
        let made = Site::prepare_one(self.source.page(path)?, self.compress);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(path.to_owned(), made.clone());
        }
        Some(made)
    }

    /// Pages cached and the bytes they hold.
    pub fn cached(&self) -> (usize, usize) {
        self.cache.lock().map(|c| (c.map.len(), c.bytes)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::OutputKind;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl PageSource for Counting {
        fn page(&self, path: &str) -> Option<Output> {
            self.0.fetch_add(1, Ordering::SeqCst);
            path.ends_with(".html").then(|| Output {
                path: path.trim_start_matches('/').into(),
                bytes: format!("<p>{path}</p>").repeat(10).into_bytes(),
                kind: OutputKind::ItemPage,
                updated: chrono::DateTime::UNIX_EPOCH,
                ttl_minutes: 15,
            })
        }
    }

    const NONE: Compression = Compression { gzip: false, brotli: false };

    #[test]
    fn caches_within_the_budget_and_evicts_the_oldest() {
        let source = Arc::new(Counting(AtomicUsize::new(0)));
        let pages = Pages::new(source.clone(), NONE, 1_000);
        assert!(pages.get("/f/missing").is_none());
        let a = pages.get("/f/a.html").unwrap();
        assert!(Arc::ptr_eq(&a, &pages.get("/f/a.html").unwrap()), "the second answer is the cached one");
        assert_eq!(source.0.load(Ordering::SeqCst), 2);
        for i in 0..20 {
            pages.get(&format!("/f/{i}.html")).unwrap();
        }
        let (n, bytes) = pages.cached();
        assert!(bytes <= 1_000 && n < 20, "{n} pages, {bytes} bytes");
        pages.get("/f/a.html").unwrap();
        assert_eq!(source.0.load(Ordering::SeqCst), 23, "the oldest page was evicted and made again");
        let kept = Pages::new(source.clone(), NONE, 1_000).keeping(&pages, &|p| p != "/f/a.html");
        assert_eq!(kept.cached().0, n - 1);
    }
}
