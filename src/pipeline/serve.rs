//! `feedpub serve`: sync and render once, serve from memory, and re-render when an article
//! under `feeds/` changes, appears or goes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::mpsc;

use crate::cli::pipeline::sync_and_render;
use crate::config::Config;
use crate::pipeline::poll::{PollRequest, PollStatus, Poller, Silent};
use crate::publish::serve::{self, App, Site};
use crate::shutdown::Shutdown;
use crate::store::{self, Store};

type SharedStore = Arc<Mutex<Box<dyn Store>>>;

/// Quiet time after the last file event before re-rendering: an editor's save or an rsync
/// produces a burst of events, and one render should follow the burst.
const SETTLE: Duration = Duration::from_millis(300);

/// Runs the service until SIGINT or SIGTERM.
pub fn serve(config: Config, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let config = Arc::new(config);
        let store: SharedStore = Arc::new(Mutex::new(store::open(&config.database)?));
        let started = Instant::now();
        let site = {
            let (config, store) = (config.clone(), store.clone());
            tokio::task::spawn_blocking(move || render(&config, &store, None)).await??
        };
        let addr = listen.unwrap_or(config.serve.listen);
        let listener = serve::bind(addr).with_context(|| format!("listening on {addr}"))?;
        tracing::info!(
            feeds = site.feeds,
            items = site.items,
            seconds = started.elapsed().as_secs_f64(),
            "rendered the site"
        );
        let probe = store.clone();
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
        );
        let shutdown = Shutdown::new();
        shutdown.trigger_on_signals()?;
        let (trigger, changes) = mpsc::channel(1);
        // Kept alive for as long as the service runs; dropping it stops the events.
        let _watcher = if config.serve.watch { watch(&config.feeds_dir, trigger.clone()) } else { None };
        let poller = poll_on_schedule(config.clone(), trigger, shutdown.clone());
        tokio::spawn(rerender_on_change(changes, config.clone(), store, app.clone(), shutdown.clone()));
        serve::run(listener, app, &config.serve, shutdown).await?;
        poller.join().map_err(|_| anyhow::anyhow!("the poller panicked"))?;
        Ok(())
    })
}

/// Source → Store → Render, then prepared for serving (reusing `previous`'s compression for
/// files whose bytes did not change).
fn render(config: &Config, store: &SharedStore, previous: Option<&Site>) -> anyhow::Result<Site> {
    let mut store = store.lock().map_err(|_| anyhow::anyhow!("a render panicked while holding the store"))?;
    let (sync, outputs) = sync_and_render(config, store.as_mut())?;
    drop(store);
    if sync.added + sync.changed + sync.removed > 0 {
        tracing::info!(added = sync.added, changed = sync.changed, removed = sync.removed, "store synced");
    }
    if sync.unlisted > 0 {
        tracing::info!(items = sync.unlisted, "items removed with the [[source]]s feed.toml no longer lists");
    }
    Ok(Site::new(outputs, config.compress, previous))
}

/// Watches `dir` recursively; every change that is not a mere read sends on `trigger`. Uses
/// the platform's notifications (inotify, FSEvents, …), else polls every two seconds (network
/// file systems, exhausted inotify watches); `None` (after a warning) when both fail.
fn watch(dir: &Path, trigger: mpsc::Sender<()>) -> Option<Box<dyn notify::Watcher + Send>> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    let handler = |trigger: mpsc::Sender<()>| {
        move |event: notify::Result<notify::Event>| match event {
            // Our own reads during a render must not trigger another render.
            Ok(e) if matches!(e.kind, EventKind::Access(_)) => {}
            // A full channel already holds a pending trigger; one render covers both.
            Ok(_) => {
                let _ = trigger.try_send(());
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

/// How often the poller looks for due sources; each source keeps its own schedule.
const POLL_TICK: Duration = Duration::from_secs(60);

/// Runs `feedpub poll` (due sources only) now and every minute on a thread of its own, and asks
/// for a re-render when a poll stored something new or changed. Stops on `shutdown`.
fn poll_on_schedule(config: Arc<Config>, trigger: mpsc::Sender<()>, shutdown: Shutdown) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("feedpub-poller".into())
        .spawn(move || {
            let mut poller = Poller::default();
            // The round's fetches need a runtime; this thread's own, until the poller is a task.
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => return tracing::error!("no runtime for the poller: {e}"),
            };
            while !shutdown.is_triggered() {
                match runtime.block_on(poller.round(&config, &PollRequest::default(), &Silent)) {
                    Ok(outcomes) => {
                        for o in outcomes.iter().filter(|o| o.status != PollStatus::NotDue) {
                            let (feed, url, status) = (&o.feed, &o.url, &o.status);
                            let (added, updated) = (o.report.added, o.report.updated);
                            tracing::info!(%feed, %url, %status, added, updated, "polled");
                        }
                        if outcomes.iter().any(|o| o.report.added + o.report.updated + o.report.removed > 0) {
                            let _ = trigger.try_send(());
                        }
                    }
                    Err(e) => tracing::error!("poll failed: {e:#}"),
                }
                // Sleep in short steps so shutdown is prompt.
                let until = std::time::Instant::now() + POLL_TICK;
                while !shutdown.is_triggered() && std::time::Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
        .expect("spawning the poller thread")
}

/// Re-renders after each settled burst of changes and swaps the new site in. Bad input is
/// logged and counted, and the last good site stays up.
async fn rerender_on_change(
    mut changes: mpsc::Receiver<()>,
    config: Arc<Config>,
    store: SharedStore,
    app: Arc<App>,
    shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            change = changes.recv() => if change.is_none() { return },
            () = shutdown.wait() => return,
        }
        // Let the burst settle.
        loop {
            tokio::select! {
                change = changes.recv() => if change.is_none() { break },
                () = tokio::time::sleep(SETTLE) => break,
                () = shutdown.wait() => return,
            }
        }
        let started = Instant::now();
        let (config, store, previous) = (config.clone(), store.clone(), app.site());
        let result = tokio::task::spawn_blocking(move || render(&config, &store, Some(&previous))).await;
        match result {
            Ok(Ok(site)) => {
                let seconds = started.elapsed().as_secs_f64();
                tracing::info!(feeds = site.feeds, items = site.items, seconds, "re-rendered");
                app.swap(site, seconds);
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
