//! `serve`'s orchestration: sync and render once, serve from memory, re-render when an
//! article under `feeds/` changes, appears or goes, and poll the upstream sources every minute.
//!
//! Everything runs on the caller's one Tokio runtime: the HTTP server, the file watcher, the
//! poller and the re-render loop are its tasks, and [`run`] returns once all of them stopped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::PipelineError;
use super::hot::{HotRenderer, Reason, SharedStore};
use super::poll::{PollRequest, PollStatus, Poller, Silent, SourceOutcome};
use super::subscriber::Subscriber;
use super::sync::Role;
use super::websub::Pushes;
use crate::config::{Compression, Config};
use crate::publish::serve::{self, App, Site, WebSub};
use crate::shutdown::Shutdown;
use crate::store::{self, StoreError};

/// Quiet time after the last file event before re-rendering: an editor's save or an rsync
/// produces a burst of events, and one render should follow the burst.
const SETTLE: Duration = Duration::from_millis(300);

/// Quiet time after a change to the store: a commit is already a whole batch, so this only
/// gathers the commits of one polling round, and keeps a change live on every replica within
/// a second.
const STORE_SETTLE: Duration = Duration::from_millis(100);

/// Why the service could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The first render failed: there is no site to serve.
    #[error(transparent)]
    Render(PipelineError),
    /// The address could not be bound.
    #[error("listening on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error(transparent)]
    Http(std::io::Error),
    /// The client that pings the hub (`[websub] hub`) could not be set up.
    #[error("the WebSub hub's client: {0}")]
    Hub(reqwest::Error),
    /// The built-in hub (`[websub] hub = "builtin"`) could not start.
    #[error(transparent)]
    BuiltinHub(super::hub::HubError),
    /// The WebSub subscriber for upstream sources could not start.
    #[error(transparent)]
    Subscriber(super::subscriber::SubscriberError),
    /// A task of the service panicked (a bug).
    #[error("{task} panicked: {message}")]
    Panicked {
        /// Which task.
        task: &'static str,
        /// What the panic said.
        message: String,
    },
}

/// Serves `config`'s site on `listen` (default: `[serve] listen`) until `shutdown` is
/// triggered, then lets requests in flight finish, stops the watcher, the poller and the
/// re-render loop, and returns once every one of them has. Needs a multi-threaded runtime.
pub async fn run(config: Config, listen: Option<SocketAddr>, shutdown: Shutdown) -> Result<(), ServeError> {
    let config = Arc::new(config);
    // Opening blocks (a PostgreSQL store connects and migrates): off the async threads.
    let database = config.database.clone();
    let (store, reader) =
        tokio::task::spawn_blocking(move || Ok::<_, StoreError>((store::open(&database)?, store::open(&database)?)))
            .await
            .map_err(|e| panicked("opening the store", e))??;
    let (store, reader): (SharedStore, SharedStore) = (Arc::new(Mutex::new(store)), Arc::new(Mutex::new(reader)));
    let renderer = Arc::new(HotRenderer::new(config.clone(), store.clone(), reader));
    let started = Instant::now();
    // Answer first, compress after: brotli at its best on every feed document of a large site
    // takes many seconds, and a reader is better served uncompressed than not at all.
    let site = {
        let renderer = renderer.clone();
        tokio::task::spawn_blocking(move || {
            render(&renderer, None, Compression { gzip: false, brotli: false }, Reason::Files)
        })
        .await
        .map_err(|e| panicked("the first render", e))?
        .map_err(ServeError::Render)?
    };
    let addr = listen.unwrap_or(config.serve.listen);
    let listener = serve::bind(addr).map_err(|source| ServeError::Listen { addr, source })?;
    tracing::info!(
        feeds = site.feeds,
        items = site.items,
        seconds = started.elapsed().as_secs_f64(),
        "rendered the site"
    );
    let hub = {
        let (config, shutdown) = (config.clone(), shutdown.clone());
        tokio::task::spawn_blocking(move || super::hub::open(&config, &shutdown))
            .await
            .map_err(|e| panicked("opening the hub", e))?
            .map_err(ServeError::BuiltinHub)?
            .map(Arc::new)
    };
    let (tx, changes) = mpsc::channel(1);
    let files = Arc::new(AtomicBool::new(false));
    let trigger = Wake { files: files.clone(), tx };
    let subscriber = {
        let (config, wake, shutdown) = (config.clone(), trigger.clone(), shutdown.clone());
        let wake = Box::new(move || wake.send(Reason::Store));
        tokio::task::spawn_blocking(move || super::subscriber::open(&config, wake, &shutdown))
            .await
            .map_err(|e| panicked("opening the WebSub subscriber", e))?
            .map_err(ServeError::Subscriber)?
            .map(Arc::new)
    };
    let probe = store.clone();
    let websub = WebSub {
        hub: hub.clone(),
        callbacks: subscriber.clone().map(|s| s as Arc<dyn crate::publish::serve::callback::Callbacks>),
    };
    let app = App::new(
        site,
        started.elapsed().as_secs_f64(),
        config.serve.min_refetch,
        config.serve.trusted_proxies.clone(),
        Box::new(move || match probe.try_lock() {
            Ok(store) => store.ping().map_err(|e| e.to_string()),
            // A render holds the store right now, so it is reachable.
            Err(TryLockError::WouldBlock) => Ok(()),
            Err(TryLockError::Poisoned(_)) => Err("a render panicked while holding the store".into()),
        }),
        websub,
    );
    let mut tasks = JoinSet::new();
    let role = Role::of(&config);
    if role == Role::Replica {
        tracing::info!(feeds_dir = %config.feeds_dir.display(), "no feeds folder: serving from the shared store (replica)");
    } else if config.serve.watch {
        tasks.spawn(watch_until(config.feeds_dir.clone(), trigger.clone(), shutdown.clone()));
    }
    tasks.spawn(follow_store(config.clone(), renderer.clone(), trigger.clone(), shutdown.clone()));
    tasks.spawn(poll_on_schedule(config.clone(), trigger, app.clone(), subscriber, shutdown.clone()));
    let pushes = match (hub, super::websub::pinger(&config).map_err(ServeError::Hub)?) {
        (Some(hub), _) => {
            let served = super::hub::ServedSite { app: app.clone(), renderer: renderer.clone() };
            tasks.spawn(hub.clone().maintain(served));
            Pushes::Builtin(hub)
        }
        (None, Some(pinger)) => Pushes::Outside(pinger, config.base_url.clone()),
        (None, None) => Pushes::Off,
    };
    tasks.spawn(rerender_on_change((changes, files), renderer, config.compress, pushes, app.clone(), shutdown.clone()));
    let served = serve::run(listener, app, &config.serve, shutdown.clone()).await;
    // Whatever stopped the server (the signal or an error) stops the other tasks too.
    shutdown.trigger();
    let mut failed = None;
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined {
            let e = panicked("a task of the service", e);
            tracing::error!("{e}");
            failed.get_or_insert(e);
        }
    }
    served.map_err(ServeError::Http)?;
    failed.map_or(Ok(()), Err)
}

/// The store change the last render showed (0 before any).
fn seq(renderer: &HotRenderer) -> i64 {
    renderer.seen().map_or(0, |head| head.seq)
}

/// A task's panic as the service's error.
fn panicked(task: &'static str, e: tokio::task::JoinError) -> ServeError {
    let message = match e.try_into_panic() {
        Ok(panic) => crate::source::upstream::parse::panic_text(&panic).to_owned(),
        Err(e) => e.to_string(),
    };
    ServeError::Panicked { task, message }
}

/// The render step, the service's one call into rendering: Source → Store → Render of what
/// changed since `previous`, ready to serve.
fn render(
    renderer: &HotRenderer,
    previous: Option<&Site>,
    compress: Compression,
    reason: Reason,
) -> Result<Site, PipelineError> {
    let (site, sync) = renderer.render(previous, compress, reason)?;
    if sync.added + sync.changed + sync.removed > 0 {
        tracing::info!(added = sync.added, changed = sync.changed, removed = sync.removed, "store synced");
    }
    if sync.unlisted > 0 {
        tracing::info!(items = sync.unlisted, "items removed with the [[source]]s feed.toml no longer lists");
    }
    Ok(site)
}

/// Wakes the re-render loop. A file change is a flag beside the wake-up, so it is never lost
/// behind a store change already waiting (the channel holds one wake-up, and one render covers
/// every change before it).
#[derive(Clone)]
struct Wake {
    files: Arc<AtomicBool>,
    tx: mpsc::Sender<()>,
}

impl Wake {
    fn send(&self, reason: Reason) {
        if reason == Reason::Files {
            self.files.store(true, Ordering::SeqCst);
        }
        // Full: a wake-up is already waiting, and its render will see the flag.
        let _ = self.tx.try_send(());
    }
}

/// Watches `dir` recursively; every change that is not a mere read sends on `trigger`. Uses
/// the platform's notifications (inotify, FSEvents, …), else polls every two seconds (network
/// file systems, exhausted inotify watches); `None` (after a warning) when both fail.
fn watch(dir: &Path, trigger: Wake) -> Option<Box<dyn notify::Watcher + Send>> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    let handler = |trigger: Wake| {
        move |event: notify::Result<notify::Event>| match event {
            // Our own reads during a render must not trigger another render.
            Ok(e) if matches!(e.kind, EventKind::Access(_)) => {}
            Ok(_) => {
                trigger.send(Reason::Files);
            }
            Err(e) => tracing::warn!(error = %e, "file watcher"),
        }
    };
    let native = notify::recommended_watcher(handler(trigger.clone())).and_then(|mut w| {
        w.watch(dir, RecursiveMode::Recursive).map(|()| Box::new(w) as Box<dyn notify::Watcher + Send>)
    });
    let result = native.or_else(|e| {
        tracing::warn!(dir = %dir.display(), error = %e, "no change notifications; polling every 2 s");
        let config = notify::Config::default().with_poll_interval(Duration::from_secs(2));
        notify::PollWatcher::new(handler(trigger), config).and_then(|mut w| {
            w.watch(dir, RecursiveMode::Recursive).map(|()| Box::new(w) as Box<dyn notify::Watcher + Send>)
        })
    });
    match result {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch for changes; restart to pick them up");
            None
        }
    }
}

/// Keeps a watcher on `dir` (see [`watch`]) until `shutdown`: dropping it stops the events.
async fn watch_until(dir: PathBuf, trigger: Wake, shutdown: Shutdown) {
    let _watcher = watch(&dir, trigger);
    shutdown.wait().await;
}

/// How often a follower reads the head of a store without notifications (SQLite), and at
/// most how long a PostgreSQL follower waits for one before reading it anyway.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// Longest pause between polling rounds while the store is unreachable.
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(600);

/// Asks for a re-render whenever the store's head moves past what the site shows: a change
/// made by another process (a replica's poll, the writer's sync, a cron job). Runs on a thread
/// of its own (it blocks on the database); an unreachable store is retried every second,
/// logged once per outage.
async fn follow_store(config: Arc<Config>, renderer: Arc<HotRenderer>, trigger: Wake, shutdown: Shutdown) {
    let stop = shutdown.clone();
    let follow = tokio::task::spawn_blocking(move || {
        let mut follower: Option<store::Follower> = None;
        let mut down = false;
        while !stop.is_triggered() {
            let result = match &mut follower {
                Some(f) => f.wait(FOLLOW_EVERY),
                None => store::follow(&config.database).and_then(|f| follower.insert(f).head()),
            };
            match result {
                Ok(head) => {
                    if down {
                        tracing::info!("the store answers again");
                        down = false;
                    }
                    if renderer.seen().is_some_and(|seen| seen != head) {
                        trigger.send(Reason::Store);
                    }
                }
                Err(e) => {
                    if !down {
                        tracing::warn!("cannot follow the store (retrying every second): {e}");
                        down = true;
                    }
                    std::thread::sleep(FOLLOW_EVERY);
                }
            }
        }
    });
    tokio::select! {
        _ = follow => {}
        () = shutdown.wait() => {}
    }
}

/// Polls the due sources now and every `[poll] tick_seconds`, and asks for a re-render when a
/// poll stored, changed or removed something. While the store is unreachable the pause between
/// rounds doubles, up to ten minutes, and returns to the tick once a round succeeds. Stops at
/// once on `shutdown`, between ticks or in the middle of a round (the sources already written
/// stay written; the others are polled next time).
async fn poll_on_schedule(
    config: Arc<Config>,
    trigger: Wake,
    app: Arc<App>,
    subscriber: Option<Arc<Subscriber>>,
    shutdown: Shutdown,
) {
    let mut poller = Poller::default();
    let request = PollRequest::default();
    let tick = Duration::from_secs(config.poll.tick_seconds);
    let mut failures = 0_u32;
    let mut ticks = tokio::time::interval(tick);
    // A round longer than a tick delays the next one instead of starting a burst of catch-ups.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.wait() => return,
        }
        let outcomes = tokio::select! {
            outcomes = poller.round(&config, &request, &Silent) => outcomes,
            () = shutdown.wait() => return,
        };
        match outcomes {
            Ok(outcomes) => {
                for o in outcomes.iter().filter(|o| o.status != PollStatus::NotDue) {
                    let (feed, url, status) = (&o.feed, &o.url, &o.status);
                    let (added, updated) = (o.report.added, o.report.updated);
                    let reading = o.reading.as_ref().map(ToString::to_string).unwrap_or_default();
                    let not_kept = o.not_kept.to_string();
                    let backfill = o.backfill.as_ref().map(ToString::to_string).unwrap_or_default();
                    tracing::info!(%feed, %url, %status, added, updated, not_kept, reading, backfill, "polled");
                    let recovered = o.reading.as_ref().is_some_and(|r| r.recovered.is_some());
                    app.metrics().upstream_read(&o.not_kept.by_reason(), recovered);
                    if let Some(b) = &o.backfill {
                        app.metrics().upstream_read(&b.not_kept.by_reason(), false);
                    }
                }
                if outcomes.iter().any(SourceOutcome::changed) {
                    trigger.send(Reason::Store);
                }
                failures = 0;
                if let Some(subscriber) = &subscriber {
                    subscriber.after_round(&outcomes);
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = tick.saturating_mul(1 << failures.min(10)).min(MAX_POLL_BACKOFF).saturating_sub(tick);
                tracing::error!(retry_in_seconds = (pause + tick).as_secs(), "poll failed: {e:#}");
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = shutdown.wait() => return,
                }
            }
        }
    }
}

/// Re-renders after each settled burst of changes and swaps the new site in. Bad input is
/// logged and counted, and the last good site stays up.
async fn rerender_on_change(
    (mut changes, files): (mpsc::Receiver<()>, Arc<AtomicBool>),
    renderer: Arc<HotRenderer>,
    compress: Compression,
    pushes: Pushes,
    app: Arc<App>,
    shutdown: Shutdown,
) {
    // The first site went up uncompressed; its compressed variants come first.
    let started = Instant::now();
    let site = app.site();
    let compressed = tokio::task::spawn_blocking(move || {
        let resources = site.compressed(compress);
        Site::from_parts(resources, site.pages().cloned(), site.feeds, site.items)
    });
    tokio::select! {
        site = compressed => match site {
            Ok(site) => app.swap(site, started.elapsed().as_secs_f64()),
            Err(e) => tracing::error!(error = %e, "compressing the site panicked; serving it uncompressed"),
        },
        () = shutdown.wait() => return,
    }
    // What changed while no `serve` ran (edits, a cron `poll`) is not known: an outside hub is
    // told of every feed once (a repeated ping costs it one fetch); the built-in hub
    // distributes each feed whose version differs from the one it distributed last.
    pushes.changed(&Site::default(), &app.site(), seq(&renderer), &shutdown);
    loop {
        // A burst of file events settles longer than a burst of commits.
        tokio::select! {
            change = changes.recv() => if change.is_none() { return },
            () = shutdown.wait() => return,
        }
        loop {
            let settle = if files.load(Ordering::SeqCst) { SETTLE } else { STORE_SETTLE };
            tokio::select! {
                change = changes.recv() => if change.is_none() { break },
                () = tokio::time::sleep(settle) => break,
                () = shutdown.wait() => return,
            }
        }
        // Files changed anywhere in the burst (or during the last render): sync them.
        let reason = if files.swap(false, Ordering::SeqCst) { Reason::Files } else { Reason::Store };
        let started = Instant::now();
        let (rendering, previous) = (renderer.clone(), app.site());
        let before = previous.clone();
        let result = tokio::task::spawn_blocking(move || render(&rendering, Some(&previous), compress, reason)).await;
        match result {
            Ok(Ok(site)) => {
                let seconds = started.elapsed().as_secs_f64();
                tracing::info!(feeds = site.feeds, items = site.items, seconds, "re-rendered");
                // Readers get the new bytes first; then the hub is told which feeds changed.
                app.swap(site, seconds);
                pushes.changed(&before, &app.site(), seq(&renderer), &shutdown);
            }
            Ok(Err(e)) => {
                app.metrics().render_failed();
                tracing::error!("re-render refused, still serving the last good site: {e:#}");
            }
            Err(e) => {
                app.metrics().render_failed();
                tracing::error!(error = %e, "re-render panicked");
            }
        }
    }
}
