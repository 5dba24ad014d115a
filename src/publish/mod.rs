//! PUBLISH: hand rendered bytes to readers.
//!
//! [`build`] writes them to disk for cron and static servers (atomically, and only what
//! changed); [`serve`] answers readers over HTTP from the same bytes, held in memory.

pub mod build;
pub mod compress;
pub mod serve;

pub use build::{BuildReport, PublishError, write_site};

/// `f` over `items` on every core, results in input order.
pub(crate) fn parallel_map<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread panicked")).collect()
    })
}
