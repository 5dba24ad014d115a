//! Polling: fetch → parse → sanitise → import → store, for every upstream source that is due.
//! The one place that knows the order of the upstream stages.
//!
//! [`Poller::round`] is async and runs on the caller's runtime: `feedpub poll` drives one round
//! with a runtime of its own, `serve` drives one every minute on its single runtime. The store
//! work (reading the definitions and states, parsing, sanitising and writing) is blocking and
//! runs on that runtime's blocking pool, off the threads that answer HTTP.

mod backfill;
mod outcome;
mod push;
mod run;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use url::Url;

pub use self::backfill::{Backfilled, MAX_PAGES as MAX_BACKFILL_PAGES, WalkEnd};
pub use self::outcome::{NotKept, PollStatus, SourceOutcome};
pub(super) use self::push::{Pushed, receive, source_definition};
use super::sync::Role;
use crate::config::Config;
use crate::model::{Slug, UpstreamSource};
use crate::source::upstream::{self, FetchOptions, Fetched, Fetcher};
use crate::source::{self, SourceErrors};
use crate::store::{self, SourceState, Store, StoreError};

/// Sources fetched at once, and from one host at once.
const GLOBAL_CONCURRENCY: usize = 16;
const PER_HOST_CONCURRENCY: usize = 2;

/// Which sources a round polls.
#[derive(Debug, Clone, Default)]
pub struct PollRequest {
    /// Only this feed's sources (every feed's when `None`).
    pub only: Option<Slug>,
    /// Whether sources that are not due yet are polled too.
    pub due: Due,
}

/// Whether a round respects each source's schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Due {
    /// Only the sources whose next poll time has come (cron, `serve`).
    #[default]
    OnlyDue,
    /// Every source now, due or not (`poll --force`).
    All,
}

/// Told how far the fetches of a round have come (a progress bar on a terminal, for
/// instance). Called only when something is fetched; every method defaults to doing nothing.
pub trait Progress: Sync {
    /// `total` sources are about to be fetched.
    fn start(&self, total: usize) {
        let _ = total;
    }
    /// The fetch of `source` (as it may be shown: no credentials) finished, well or not.
    fn advance(&self, source: &Url) {
        let _ = source;
    }
    /// Every fetch finished.
    fn finish(&self) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Why a round could not run (one source's failure is not this: it is that source's
/// [`PollStatus::Failed`]).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The requested feed is not defined.
    #[error("{slug}: no such feed in {}", dir.display())]
    NoSuchFeed {
        /// The feed asked for.
        slug: Slug,
        /// Where the feeds are defined.
        dir: PathBuf,
    },
    /// The feed definitions could not be read.
    #[error(transparent)]
    Definitions(#[from] SourceErrors),
    /// The store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] reqwest::Error),
    /// The round panicked (a bug, whatever the input).
    #[error("the polling round panicked: {0}")]
    Panicked(String),
}

/// What polling keeps from one round to the next: the HTTP client, with its connection pool,
/// made at the first round that fetches anything. `serve` polls every minute with one
/// `Poller`: with a client (and then a runtime) built per round, a 10-minute soak's RSS climbed
/// from 51 to 121 MB; with one it stays within 48–82 MB.
#[derive(Default)]
pub struct Poller {
    fetcher: Option<Fetcher>,
    /// The store of the last round that went well, kept for the next: a PostgreSQL replica
    /// would otherwise connect (and check the schema) every minute.
    store: Option<Box<dyn Store>>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").field("fetcher", &self.fetcher).field("store", &self.store.is_some()).finish()
    }
}

impl Poller {
    /// Polls the sources `request` selects, reusing this poller's client, whose settings
    /// (timeout, the SSRF guard) come from the `config` of the first round that fetches. Needs
    /// a Tokio runtime; returns the outcomes in configuration order.
    ///
    /// A round that panics (a bug, whatever the input) is this call's error: `serve` polls again
    /// at its next tick, with a fresh client, rather than never again. Dropping the future
    /// stops the fetches; sources already written stay written (each is one transaction).
    pub async fn round(
        &mut self,
        config: &Config,
        request: &PollRequest,
        progress: &dyn Progress,
    ) -> Result<Vec<SourceOutcome>, PollError> {
        let result = CatchUnwind(Box::pin(self.round_unguarded(config, request, progress))).await;
        let result = result.unwrap_or_else(|panic| Err(PollError::Panicked(panic)));
        if matches!(result, Err(PollError::Panicked(_))) {
            self.fetcher = None;
        }
        result
    }

    async fn round_unguarded(
        &mut self,
        config: &Config,
        request: &PollRequest,
        progress: &dyn Progress,
    ) -> Result<Vec<SourceOutcome>, PollError> {
        let (config_, request_, kept) = (config.clone(), request.clone(), self.store.take());
        let Plan { store, now, due, mut outcomes } = blocking(move || plan(&config_, &request_, kept)).await??;
        let store = match store {
            Some(store) if !due.is_empty() => store,
            kept => {
                self.store = kept;
                return Ok(outcomes);
            }
        };
        let store = Arc::new(Mutex::new(store));
        let round = Round { store: store.clone(), now, lease: config.poll.lease(), force: request.due == Due::All };
        outcomes.extend(run::poll_all(self.fetcher(config)?, round, due, progress).await?);
        // Every task is done: the round's is the last reference. A store that failed is
        // dropped, and the next round connects afresh.
        self.store = blocking(move || {
            let mut store = Arc::into_inner(store).and_then(|m| m.into_inner().ok());
            if let Some(s) = &mut store {
                s.checkpoint()?;
            }
            Ok::<_, PollError>(store)
        })
        .await??;
        Ok(outcomes)
    }

    fn fetcher(&mut self, config: &Config) -> Result<&Fetcher, PollError> {
        if self.fetcher.is_none() {
            let mut options = FetchOptions::new(&config.base_url);
            options.allow_private_networks |= config.poll.allow_private_networks;
            options.timeout = std::time::Duration::from_secs(config.poll.timeout_seconds);
            self.fetcher = Some(Fetcher::new(options)?);
        }
        Ok(self.fetcher.as_ref().expect("set above"))
    }
}

/// What a round found before fetching: the sources that look due, and the outcomes of the
/// others.
struct Plan {
    /// `None` when nothing needed it: no selected feed has a source (`serve` plans every
    /// minute; the writer reads its definitions from `feeds/`).
    store: Option<Box<dyn Store>>,
    now: DateTime<Utc>,
    /// Each with the host it is fetched from now (after permanent redirects).
    due: Vec<(Slug, UpstreamSource, String)>,
    outcomes: Vec<SourceOutcome>,
}

/// Reads the definitions (from `feeds/`, or the store on a replica) and each selected source's
/// state, with `kept` (the last round's store) or a store opened now. Whether a source that
/// looks due is really polled here is decided when it is claimed ([`Store::claim`]): another
/// replica may be polling it.
fn plan(config: &Config, request: &PollRequest, mut kept: Option<Box<dyn Store>>) -> Result<Plan, PollError> {
    let open = |kept: Option<Box<dyn Store>>| kept.map_or_else(|| store::open(&config.database), Ok);
    let feeds = match Role::of(config) {
        Role::Writer => definitions_of(config, None)?,
        Role::Replica => {
            let store = open(kept.take())?;
            let feeds = definitions_of(config, Some(store.as_ref()));
            kept = Some(store);
            feeds?
        }
    };
    if let Some(slug) = &request.only
        && !feeds.iter().any(|f| f.slug == *slug)
    {
        return Err(PollError::NoSuchFeed { slug: slug.clone(), dir: config.feeds_dir.clone() });
    }
    let selected: Vec<_> = feeds.iter().filter(|f| request.only.as_ref().is_none_or(|s| f.slug == *s)).collect();
    if selected.iter().all(|f| f.sources.is_empty()) {
        return Ok(Plan { store: kept, now: Utc::now(), due: Vec::new(), outcomes: Vec::new() });
    }
    let store = open(kept)?;
    // The store's clock: with replicas, every schedule is written by the database's.
    let now = store.clock()?;
    let (mut due, mut outcomes) = (Vec::new(), Vec::new());
    for feed in selected {
        // One query per feed, not per source: a replica plans every tick.
        let mut states = if feed.sources.is_empty() { Default::default() } else { store.source_states(&feed.slug)? };
        for src in &feed.sources {
            let state = states.remove(&src.url).unwrap_or_else(|| SourceState::new(&src.url, now));
            let skipped = if state.retired {
                PollStatus::Retired
            } else if request.due == Due::OnlyDue && state.next_poll > now {
                PollStatus::NotDue
            } else {
                let host = state.current_url.host_str().unwrap_or("").to_owned();
                due.push((feed.slug.clone(), src.clone(), host));
                continue;
            };
            outcomes.push(SourceOutcome::skipped(&feed.slug, &src.url, skipped, &state));
        }
    }
    Ok(Plan { store: Some(store), now, due, outcomes })
}

/// The feed definitions polling goes by: `feeds/` on the writer, the store on a replica
/// (`store`, which a writer need not pass).
pub(super) fn definitions_of(
    config: &Config,
    store: Option<&dyn Store>,
) -> Result<Vec<crate::model::FeedMeta>, PollError> {
    Ok(match (Role::of(config), store) {
        (Role::Replica, Some(store)) => source::stored_definitions(store.definitions()?)?,
        _ => source::definitions(&config.feeds_dir)?,
    })
}

/// The store, shared by the sources of a round: each claims, then records, through it.
type SharedStore = Arc<Mutex<Box<dyn Store>>>;

fn lock(store: &SharedStore) -> Result<std::sync::MutexGuard<'_, Box<dyn Store>>, PollError> {
    store.lock().map_err(|_| PollError::Panicked("a source's write panicked while holding the store".into()))
}

/// What every source of a round shares.
#[derive(Clone)]
struct Round {
    store: SharedStore,
    /// When the round started: the time its polls are recorded at.
    now: DateTime<Utc>,
    /// How long a claimed source stays this replica's (the fetch, and the write after it).
    lease: chrono::TimeDelta,
    /// `poll --force`: due or not.
    force: bool,
}

type Fetch = Result<Fetched, upstream::FetchError>;

/// Stores what one document fetched for `src` of `feed` brings, exactly as a poll does — read
/// (leaving out what is stored unchanged), import, record with the source's new state — for
/// benches and tests that hold the bytes already. No lease is taken.
pub fn ingest(
    store: &mut dyn Store,
    feed: &Slug,
    src: &UpstreamSource,
    fetched: Fetched,
    now: DateTime<Utc>,
) -> Result<SourceOutcome, StoreError> {
    let state = store.source_state(feed, &src.url)?.unwrap_or_else(|| SourceState::new(&src.url, now));
    outcome::apply(store, feed, src, state, Ok(fetched), now)
}

/// `f()` on the blocking pool; its panic is the round's error.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, PollError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => PollError::Panicked(upstream::parse::panic_text(&panic).to_owned()),
        Err(e) => PollError::Panicked(e.to_string()),
    })
}

/// `f()`, or the message of the panic it raised.
fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|panic| upstream::parse::panic_text(&panic).to_owned())
}

/// A future whose panic is its output's error, as [`caught`] for a closure. Boxed, so pinning
/// it needs no unsafe projection.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match caught(|| self.0.as_mut().poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error() {
        assert_eq!(caught(|| 7), Ok(7));
        assert_eq!(caught(|| -> u8 { panic!("boom {}", 1) }), Err("boom 1".to_owned()));
        let r: Result<(), String> = caught(|| std::panic::panic_any(42_u8));
        assert_eq!(r, Err("a panic".to_owned()));
    }

    #[tokio::test]
    async fn a_panicking_future_is_an_error() {
        assert_eq!(CatchUnwind(Box::pin(async { 7 })).await, Ok(7));
        let boom = CatchUnwind(Box::pin(async {
            tokio::task::yield_now().await;
            panic!("boom after a yield")
        }));
        assert_eq!(boom.await, Err::<(), _>("boom after a yield".to_owned()));
    }
}
