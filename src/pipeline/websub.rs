//! When feeds change, the hub is told (`[websub] hub`): `serve` after a re-render, for the
//! subscription documents whose bytes changed; `build` for those it wrote.

use std::collections::HashMap;
use std::sync::Arc;

use hyper::header::HeaderValue;
use url::Url;

use crate::config::{Config, Hub};
use crate::publish::serve::{Resource, Site};
use crate::publish::websub::{PingReport, Pinger};
use crate::shutdown::Shutdown;

/// The pinger for the configured outside hub, if there is one. (The built-in hub needs no
/// ping: `serve` distributes what it re-rendered, whoever changed the store.)
pub(super) fn pinger(config: &Config) -> Result<Option<Arc<Pinger>>, reqwest::Error> {
    let Some(Hub::External(hub)) = &config.hub else { return Ok(None) };
    Ok(Some(Arc::new(Pinger::new(hub.clone(), &config.base_url, config.poll.allow_private_networks)?)))
}

/// The subscription documents of `after` that `before` did not have with the same bytes, by
/// path, in path order.
pub(super) fn changed<'a>(before: &Site, after: &'a Site) -> Vec<(&'a str, &'a Arc<Resource>)> {
    let old: HashMap<&str, &HeaderValue> = before
        .resources()
        .iter()
        .filter(|(_, r)| r.kind.is_topic(r.archived))
        .map(|(path, r)| (path.as_str(), &r.variants[0].etag_header))
        .collect();
    let mut changed: Vec<_> = after
        .resources()
        .iter()
        .filter(|(path, r)| r.kind.is_topic(r.archived) && old.get(path.as_str()) != Some(&&r.variants[0].etag_header))
        .map(|(path, r)| (path.as_str(), r))
        .collect();
    changed.sort_by_key(|(path, _)| *path);
    changed
}

/// The topics of `after` that `before` did not have with the same bytes, as URLs under `base`.
pub(super) fn changed_topics(before: &Site, after: &Site, base: &Url) -> Vec<Url> {
    let mut topics: Vec<Url> = changed(before, after)
        .into_iter()
        .filter_map(|(path, _)| base.join(path.trim_start_matches('/')).ok())
        .collect();
    topics.sort();
    topics
}

/// Who is told when feeds change.
pub(super) enum Pushes {
    /// Nobody: no `[websub] hub`.
    Off,
    /// The outside hub, pinged with the changed documents' URLs under `base`.
    Outside(Arc<Pinger>, Url),
    /// The built-in hub, which distributes the changed documents itself.
    Builtin(Arc<crate::publish::hub::Hub>),
}

impl Pushes {
    /// Tells whoever it is that `after` (rendered at store change `seq`, and now served)
    /// changed from `before`.
    pub(super) fn changed(&self, before: &Site, after: &Site, seq: i64, shutdown: &Shutdown) {
        match self {
            Pushes::Off => {}
            Pushes::Outside(pinger, base) => ping_in_background(pinger, changed_topics(before, after, base), shutdown),
            Pushes::Builtin(hub) => hub.distribute(super::hub::documents(before, after), seq),
        }
    }
}

/// Pings `topics` in the background; a shutdown stops the retries.
pub(super) fn ping_in_background(pinger: &Arc<Pinger>, topics: Vec<Url>, shutdown: &Shutdown) {
    if topics.is_empty() {
        return;
    }
    let (pinger, shutdown) = (pinger.clone(), shutdown.clone());
    tokio::spawn(async move {
        tokio::select! {
            report = pinger.ping(&topics) => log(&report),
            () = shutdown.wait() => {}
        }
    });
}

/// Pings `topics` and waits for the answers (`build`: the process ends after). On a thread of
/// its own, so a caller inside a tokio runtime (a test, an embedding) does not panic.
pub(super) fn ping_now(pinger: &Pinger, topics: &[Url]) -> std::io::Result<PingReport> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let report = runtime.block_on(pinger.ping(topics));
                log(&report);
                Ok(report)
            })
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("pinging the hub panicked")))
    })
}

fn log(report: &PingReport) {
    tracing::info!(sent = report.sent, failed = report.failed.len(), "told the hub which feeds changed");
}
