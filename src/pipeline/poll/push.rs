//! A document a hub pushed (the WebSub subscriber's), stored as a polled one is.

use url::Url;

use super::{PollError, PollStatus, SourceOutcome, outcome};
use crate::config::Config;
use crate::model::{Slug, UpstreamSource};
use crate::source::upstream::{self, Fetched};
use crate::store::{Claim, SourceState, Store};

/// The definition of `source` of `feed`, as polling reads the definitions; `None` when it is
/// no longer defined.
pub(in crate::pipeline) fn source_definition(
    config: &Config,
    store: &dyn Store,
    feed: &Slug,
    source: &Url,
) -> Result<Option<UpstreamSource>, PollError> {
    let feed = super::definitions_of(config, Some(store))?.into_iter().find(|f| f.slug == *feed);
    Ok(feed.and_then(|f| f.sources.into_iter().find(|s| s.url == *source)))
}

/// A document a hub pushed for a source of `feed`, from `topic`.
#[derive(Debug)]
pub(in crate::pipeline) struct Pushed<'a> {
    pub(in crate::pipeline) feed: &'a Slug,
    pub(in crate::pipeline) topic: &'a Url,
    pub(in crate::pipeline) bytes: &'a [u8],
    pub(in crate::pipeline) charset: Option<&'a str>,
}

/// Stores a pushed document as a poll stores a fetched one (read, leaving out what is stored
/// unchanged; import; record), with two differences: the validators stay those of the last
/// poll (a push carries none), and the next poll comes at the source's longest interval — a
/// push is as fresh as it gets, and the poll only catches what pushes missed.
/// [`PollStatus::Elsewhere`] when a poll of `src` holds it now, [`PollStatus::Retired`] when it
/// is gone upstream.
pub(in crate::pipeline) fn receive(
    store: &mut dyn Store,
    config: &Config,
    src: &UpstreamSource,
    pushed: Pushed<'_>,
) -> Result<SourceOutcome, PollError> {
    let now = store.clock()?;
    // Claimed as a poll claims it: a poll of it in flight (here or on another replica) would
    // otherwise write its older state over the push's.
    let state = match store.claim(pushed.feed, &src.url, now, now + config.poll.lease(), true)? {
        Claim::Taken(state) => state,
        Claim::Retired(state) => {
            return Ok(SourceOutcome::skipped(pushed.feed, &src.url, PollStatus::Retired, &state));
        }
        // Not with `force`; should it come, the state is as good as a claim's.
        Claim::NotDue(state) => state,
        Claim::Elsewhere => {
            let state = SourceState::new(&src.url, now);
            return Ok(SourceOutcome::skipped(pushed.feed, &src.url, PollStatus::Elsewhere, &state));
        }
    };
    let validators = upstream::Validators { etag: state.etag.clone(), last_modified: state.last_modified.clone() };
    let longest = std::time::Duration::from_secs(u64::from(src.max_interval_minutes) * 60);
    let fetched = Fetched::Document {
        bytes: pushed.bytes.to_vec(),
        charset: pushed.charset.map(str::to_owned),
        url: pushed.topic.clone(),
        validators,
        moved_to: None,
        freshness: upstream::Freshness { max_age: Some(longest), expires: None },
        links: Default::default(),
    };
    Ok(outcome::apply(store, pushed.feed, src, state, Ok(fetched), now)?)
}
