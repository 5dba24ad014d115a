//! A round's fetches: every due source claimed, fetched and recorded, with bounded concurrency
//! overall and per host, its history walked after a good poll where asked.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{
    GLOBAL_CONCURRENCY, PER_HOST_CONCURRENCY, PollError, PollStatus, Progress, Round, SourceOutcome, backfill,
    blocking, lock, outcome,
};
use crate::model::{Slug, UpstreamSource, redact};
use crate::source::upstream::{self, Fetcher, Validators};
use crate::store::{Backfill, Claim, SourceState};

/// Polls every source that looks due, at most 16 at once and 2 per host: each is claimed
/// (skipped when another replica holds it or it turned out not due), fetched, and recorded at
/// once, which releases its lease, so the lease only has to outlast one fetch. A fetch that
/// panics is that source's error, not the end of the round; a store that fails is the round's
/// error. Dropping the future aborts the fetches (their leases run out). Outcomes come back in
/// configuration order.
pub(super) async fn poll_all(
    fetcher: &Fetcher,
    round: Round,
    due: Vec<(Slug, UpstreamSource, String)>,
    progress: &dyn Progress,
) -> Result<Vec<SourceOutcome>, PollError> {
    let global = Arc::new(Semaphore::new(GLOBAL_CONCURRENCY));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut index = HashMap::new();
    progress.start(due.len());
    for (i, (feed, src, host)) in due.iter().enumerate() {
        let per_host =
            hosts.entry(host.clone()).or_insert_with(|| Arc::new(Semaphore::new(PER_HOST_CONCURRENCY))).clone();
        let (global, fetcher, round) = (global.clone(), fetcher.clone(), round.clone());
        let shown = redact::for_logs(&src.url);
        let (feed, src) = (feed.clone(), src.clone());
        let task = tasks.spawn(async move {
            let _host = per_host.acquire_owned().await.expect("never closed");
            let _slot = global.acquire_owned().await.expect("never closed");
            poll_one(&fetcher, &round, feed, src).await
        });
        index.insert(task.id(), (i, shown));
    }
    let mut results: Vec<Option<SourceOutcome>> = due.iter().map(|_| None).collect();
    let mut failed = None;
    while let Some(joined) = tasks.join_next_with_id().await {
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            Err(e) => {
                let message = match e.try_into_panic() {
                    Ok(panic) => upstream::parse::panic_text(&panic).to_owned(),
                    Err(e) => e.to_string(),
                };
                failed.get_or_insert(PollError::Panicked(message));
                continue;
            }
        };
        let (i, url) = &index[&id];
        progress.advance(url);
        match result {
            Ok(outcome) => results[*i] = Some(outcome),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    progress.finish();
    match failed {
        Some(e) => Err(e),
        None => Ok(results.into_iter().map(|r| r.expect("every task was joined")).collect()),
    }
}

/// Claims, fetches and records one source.
async fn poll_one(
    fetcher: &Fetcher,
    round: &Round,
    feed: Slug,
    src: UpstreamSource,
) -> Result<SourceOutcome, PollError> {
    // Claimed, and then scheduled, by the store's clock at the claim (not the round's start:
    // a source fetched late in a long round is due again an interval after its fetch).
    let (claim, now) = {
        let (store, feed, url, force, lease) =
            (round.store.clone(), feed.clone(), src.url.clone(), round.force, round.lease);
        blocking(move || {
            let mut store = lock(&store)?;
            let now = store.clock()?;
            Ok::<_, PollError>((store.claim(&feed, &url, now, now + lease, force)?, now))
        })
        .await??
    };
    let state = match claim {
        Claim::Taken(state) => state,
        Claim::NotDue(state) => return Ok(SourceOutcome::skipped(&feed, &src.url, PollStatus::NotDue, &state)),
        Claim::Retired(state) => return Ok(SourceOutcome::skipped(&feed, &src.url, PollStatus::Retired, &state)),
        Claim::Elsewhere => {
            let state = SourceState::new(&src.url, round.now);
            return Ok(SourceOutcome::skipped(&feed, &src.url, PollStatus::Elsewhere, &state));
        }
    };
    // A walk not begun needs the document's link: a source that just asked for one (its
    // validators stored from before) is fetched whole once rather than answered 304.
    let validators = match src.backfill && state.backfill == Backfill::NotBegun {
        true => Validators::default(),
        false => Validators { etag: state.etag.clone(), last_modified: state.last_modified.clone() },
    };
    let fetched = fetcher.fetch(&state.current_url, &validators).await;
    let (store, walked) = (round.store.clone(), state.backfill.clone());
    let (feed_, src_) = (feed.clone(), src.clone());
    let mut outcome = blocking(move || {
        let mut store = lock(&store)?;
        outcome::apply(store.as_mut(), &feed_, &src_, state, fetched, now).map_err(PollError::from)
    })
    .await??;
    // The history is walked after a good poll (a 304 goes on with a walk begun before), once.
    let document = match outcome.status {
        PollStatus::Fetched => Some(outcome.prev_archive.as_ref()),
        PollStatus::NotModified => None,
        _ => return Ok(outcome),
    };
    if let Some(from) = backfill::start(&src, &walked, document) {
        outcome.backfill = Some(backfill::walk(fetcher, &round.store, &feed, &src, from, now).await?);
    }
    Ok(outcome)
}
