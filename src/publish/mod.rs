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
    parallel_map_owned(items.iter().collect(), f)
}

/// `f` over `items`, taken by value, on every core; results in input order. For work that
/// consumes its input (rendered bytes moved into the served site instead of copied).
pub(crate) fn parallel_map_owned<T: Send, R: Send>(mut items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    let mut parts = Vec::with_capacity(threads);
    while items.len() > chunk {
        parts.push(items.split_off(items.len() - chunk));
    }
    parts.push(items);
    parts.reverse();
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            parts.into_iter().map(|part| scope.spawn(|| part.into_iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker thread panicked")).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_maps_keep_the_input_order() {
        for n in [0, 1, 2, 7, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let want: Vec<usize> = items.iter().map(|i| i * 3).collect();
            assert_eq!(super::parallel_map(&items, |i| i * 3), want);
            assert_eq!(super::parallel_map_owned(items, |i| i * 3), want);
        }
    }
}
