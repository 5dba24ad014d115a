//! `feedpub poll`: fetch → parse → sanitise → import → store, for every source that is due.
//! The one place that knows the order of the upstream stages.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::Config;
use crate::model::{Slug, UpstreamSource, redact};
use crate::source::upstream::{self, FetchOptions, Fetched, Fetcher, Validators, schedule};
use crate::source::{self};
use crate::store::{self, PollReport, SourceState, Store};

/// Sources fetched at once, and from one host at once.
const GLOBAL_CONCURRENCY: usize = 16;
const PER_HOST_CONCURRENCY: usize = 2;

/// What happened to one source.
#[derive(Debug)]
pub struct SourceOutcome {
    /// The feed it belongs to.
    pub feed: Slug,
    /// Its configured URL, as it may be shown ([`redact::for_logs`]: no credentials).
    pub url: Url,
    /// `200`, `304`, `410 gone`, `not due`, `retired`, or the error.
    pub status: String,
    /// Whether this counts as a failure (for the exit code).
    pub failed: bool,
    /// What the store changed.
    pub report: PollReport,
    /// When it is due again.
    pub next_poll: Option<DateTime<Utc>>,
}

/// Polls the sources of every feed (or of `only`) that are due (all with `force`); with
/// `progress`, a progress bar on stderr while fetching (for a terminal). Once, for cron.
pub fn poll(config: &Config, only: Option<&str>, force: bool, progress: bool) -> anyhow::Result<Vec<SourceOutcome>> {
    Poller::default().poll(config, only, force, progress)
}

/// What polling keeps from one round to the next: the HTTP client (with its connection pool)
/// and the runtime its fetches run on, both made at the first round that fetches anything.
/// `serve` polls every minute with one `Poller`: with a runtime and client built per round,
/// a 10-minute soak's RSS climbed from 51 to 121 MB (new threads every minute, each with its
/// own malloc arena, are the likely cause); with one it stays within 48–82 MB.
#[derive(Default)]
pub struct Poller {
    net: Option<(Fetcher, tokio::runtime::Runtime)>,
}

impl Poller {
    /// [`poll`], reusing this poller's client and runtime. Their settings (timeout, the SSRF
    /// guard) come from the `config` of the first round that fetches. A round that panics (a
    /// bug, whatever the input) is this call's error: `serve` polls again at its next tick, with a
    /// fresh client and runtime, rather than never again.
    pub fn poll(
        &mut self,
        config: &Config,
        only: Option<&str>,
        force: bool,
        progress: bool,
    ) -> anyhow::Result<Vec<SourceOutcome>> {
        caught(|| self.round(config, only, force, progress)).unwrap_or_else(|panic| {
            self.net = None;
            Err(anyhow::anyhow!("the polling round panicked: {panic}"))
        })
    }

    fn round(
        &mut self,
        config: &Config,
        only: Option<&str>,
        force: bool,
        progress: bool,
    ) -> anyhow::Result<Vec<SourceOutcome>> {
        let feeds = source::definitions(&config.feeds_dir)?;
        if let Some(slug) = only
            && !feeds.iter().any(|f| f.slug.as_str() == slug)
        {
            anyhow::bail!("--feed {slug}: no such feed in {}", config.feeds_dir.display());
        }
        let selected: Vec<_> = feeds.iter().filter(|f| only.is_none_or(|s| f.slug.as_str() == s)).collect();
        // No sources, nothing to open (serve calls this every minute).
        if selected.iter().all(|f| f.sources.is_empty()) {
            return Ok(Vec::new());
        }
        let mut store = store::open(&config.database)?;
        let now = Utc::now().trunc_subsecs(0);
        let mut due = Vec::new();
        let mut outcomes = Vec::new();
        for feed in selected {
            for src in &feed.sources {
                let state =
                    store.source_state(&feed.slug, &src.url)?.unwrap_or_else(|| SourceState::new(&src.url, now));
                let skip = |status: &str| SourceOutcome {
                    feed: feed.slug.clone(),
                    url: redact::for_logs(&src.url),
                    status: status.into(),
                    failed: false,
                    report: PollReport::default(),
                    next_poll: (!state.retired).then_some(state.next_poll),
                };
                if state.retired {
                    outcomes.push(skip("retired (410 Gone)"));
                } else if !force && state.next_poll > now {
                    outcomes.push(skip("not due"));
                } else {
                    due.push((feed.slug.clone(), src.clone(), state));
                }
            }
        }
        if due.is_empty() {
            return Ok(outcomes);
        }
        let (fetcher, runtime) = self.net(config)?;
        let bar = if progress && !due.is_empty() {
            let bar = indicatif::ProgressBar::new(due.len() as u64);
            let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} sources  {msg}")
                .expect("a valid template");
            bar.set_style(style);
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        let fetched = runtime.block_on(fetch_all(fetcher, due, &bar));
        bar.finish_and_clear();
        // Writes are sequential: one transaction per source, each all-or-nothing.
        for (feed, src, state, result) in fetched {
            outcomes.push(apply(store.as_mut(), &feed, &src, state, result, now)?);
        }
        store.checkpoint()?;
        Ok(outcomes)
    }

    fn net(&mut self, config: &Config) -> anyhow::Result<&(Fetcher, tokio::runtime::Runtime)> {
        if self.net.is_none() {
            let mut options = FetchOptions::new(&config.base_url);
            options.allow_private_networks |= config.poll.allow_private_networks;
            options.timeout = std::time::Duration::from_secs(config.poll.timeout_seconds);
            let runtime =
                tokio::runtime::Builder::new_multi_thread().thread_name("feedpub-fetch").enable_all().build()?;
            self.net = Some((Fetcher::new(options)?, runtime));
        }
        Ok(self.net.as_ref().expect("set above"))
    }
}

type Fetch = Result<Fetched, upstream::FetchError>;

/// `f()`, or the message of the panic it raised.
fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|panic| upstream::parse::panic_text(&panic).to_owned())
}

/// Longest error kept and printed for one source, in characters.
const MAX_ERROR_CHARS: usize = 500;

/// An error as one bounded line: its text can quote the upstream (a parser's excerpt of the
/// document, a `Location`), which may hold line breaks — a forged log line — or megabytes.
fn one_line(text: &str) -> String {
    let mut line: String = text.chars().take(MAX_ERROR_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(MAX_ERROR_CHARS).is_some() {
        line.push('…');
    }
    line
}

/// Fetches every due source, at most 16 at once and 2 per host. A fetch that panics is that
/// source's error, not the end of the round.
async fn fetch_all(
    fetcher: &Fetcher,
    due: Vec<(Slug, UpstreamSource, SourceState)>,
    bar: &indicatif::ProgressBar,
) -> Vec<(Slug, UpstreamSource, SourceState, Fetch)> {
    let global = Arc::new(Semaphore::new(GLOBAL_CONCURRENCY));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut index = HashMap::new();
    for (i, (_, src, state)) in due.iter().enumerate() {
        let host = state.current_url.host_str().unwrap_or("").to_owned();
        let per_host = hosts.entry(host).or_insert_with(|| Arc::new(Semaphore::new(PER_HOST_CONCURRENCY))).clone();
        let (global, fetcher) = (global.clone(), fetcher.clone());
        let url = state.current_url.clone();
        let validators = Validators { etag: state.etag.clone(), last_modified: state.last_modified.clone() };
        let task = tasks.spawn(async move {
            let _host = per_host.acquire_owned().await.expect("never closed");
            let _slot = global.acquire_owned().await.expect("never closed");
            fetcher.fetch(&url, &validators).await
        });
        index.insert(task.id(), (i, redact::for_logs(&src.url)));
    }
    let mut results: Vec<Option<Fetch>> = due.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next_with_id().await {
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            Err(e) => {
                let (i, _) = &index[&e.id()];
                let url = due[*i].2.current_url.clone();
                (e.id(), Err(upstream::FetchError::Network { url, message: format!("the fetch failed: {e}") }))
            }
        };
        let (i, url) = &index[&id];
        bar.set_message(url.to_string());
        bar.inc(1);
        results[*i] = Some(result);
    }
    // In configuration order, so the report and the writes are deterministic.
    due.into_iter()
        .zip(results)
        .map(|((feed, src, state), result)| (feed, src, state, result.expect("every task was joined")))
        .collect()
}

/// Parses and stores one fetch result with the source's new state.
fn apply(
    store: &mut dyn Store,
    feed: &Slug,
    src: &UpstreamSource,
    mut state: SourceState,
    result: Fetch,
    now: DateTime<Utc>,
) -> anyhow::Result<SourceOutcome> {
    state.last_polled = Some(now);
    let mut items = Vec::new();
    let failure = match result {
        Ok(Fetched::Document { bytes, charset, url, validators, moved_to, freshness }) => {
            // A panic while reading one document (a bug, whatever the input) is that source's
            // error: its state is written and it backs off, and the sources after it are stored.
            let read = caught(|| {
                let parsed = upstream::parse(&bytes, charset.as_deref(), &url)?;
                let items = upstream::import::import(&src.url, &url, &parsed, Some(src.item_limit()));
                Ok::<_, upstream::ParseError>((parsed, items))
            });
            let read = read.unwrap_or_else(|panic| {
                let message = format!("reading it failed (a bug in feedpub): {panic}");
                Err(upstream::ParseError { url: url.clone(), message })
            });
            match read {
                Ok((parsed, imported)) => {
                    items = imported;
                    if let Some(to) = moved_to {
                        let (from, to_shown) = (redact::for_logs(&state.current_url), redact::for_logs(&to));
                        tracing::info!(feed = %feed, %from, to = %to_shown, "source moved permanently");
                        state.current_url = to;
                    }
                    state.etag = validators.etag;
                    state.last_modified = validators.last_modified;
                    // Adaptive: a source that publishes rarely is polled less often (a quarter of
                    // its median gap between items, like our own <ttl>), within its bounds.
                    let published: Vec<_> = parsed.items.iter().filter_map(|i| i.published).collect();
                    let bounds = crate::config::TtlBounds {
                        min_minutes: src.min_interval_minutes,
                        max_minutes: src.max_interval_minutes,
                    };
                    let cadence =
                        (published.len() >= 2).then(|| crate::render::cadence::ttl_minutes(&published, bounds));
                    let hint = parsed.ttl_minutes.into_iter().chain(cadence).max();
                    state.next_poll = schedule::after_success(src, freshness, hint, now);
                    state.last_status = Some("200".into());
                    None
                }
                // A malformed document changes nothing stored; validators stay as they were, so
                // the next poll fetches it again.
                Err(e) => Some((e.to_string(), None)),
            }
        }
        Ok(Fetched::NotModified { moved_to, freshness }) => {
            if let Some(to) = moved_to {
                state.current_url = to;
            }
            state.next_poll = schedule::after_success(src, freshness, None, now);
            state.last_status = Some("304".into());
            None
        }
        Ok(Fetched::Gone) => {
            tracing::warn!(feed = %feed, url = %redact::for_logs(&src.url), "source is gone (410): retired");
            state.retired = true;
            state.last_status = Some("410 gone".into());
            None
        }
        Err(e) => {
            let retry_after = match &e {
                upstream::FetchError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            Some((e.to_string(), retry_after))
        }
    };
    let failed = failure.is_some();
    match failure {
        Some((error, retry_after)) => {
            state.failures += 1;
            state.next_poll = schedule::after_failure(src, state.failures, retry_after, now);
            state.last_status = Some("error".into());
            state.last_error = Some(one_line(&error));
        }
        None => {
            state.failures = 0;
            state.last_error = None;
        }
    }
    let report = store.record_poll(feed, &src.url, &state, &items, src.kept(), now)?;
    let shown = redact::for_logs(&src.url);
    let status = match (&state.last_error, failed) {
        // The line already names the source; an error about that same URL need not repeat it
        // (one about where a redirect led keeps its URL).
        (Some(e), true) => e.strip_prefix(&format!("{shown}: ")).unwrap_or(e).to_owned(),
        _ => state.last_status.clone().unwrap_or_default(),
    };
    Ok(SourceOutcome {
        feed: feed.clone(),
        url: shown,
        status,
        failed,
        report,
        next_poll: (!state.retired).then_some(state.next_poll),
    })
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

    #[test]
    fn an_error_is_one_bounded_line() {
        assert_eq!(one_line("a\nforged: line\r\u{1b}[31m"), "a forged: line  [31m");
        let long = one_line(&"x".repeat(1_000_000));
        assert_eq!(long.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
