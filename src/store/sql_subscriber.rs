//! WebSub subscriptions of upstream sources, on either backend: one per (feed, source), found
//! by its callback id when the hub calls back.

use chrono::{DateTime, Utc};
use url::Url;

use super::sql::{Row, params};
use super::sql_store::SqlStore;
use super::sql_websub::HubSecret;
use super::{StoreError, later, parse_timestamp, timestamp};
use crate::model::Slug;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamState {
    /// Asked for; the hub has not verified it yet.
    Requested,
    /// Verified: pushes are taken.
    Active,
    /// Asked to end; the hub has not verified that yet.
    Unsubscribing,
    /// The hub denied it (WebSub 5.2): not asked again for a while.
    Denied,
}

impl UpstreamState {
    fn as_str(self) -> &'static str {
        match self {
            UpstreamState::Requested => "requested",
            UpstreamState::Active => "active",
            UpstreamState::Unsubscribing => "unsubscribing",
            UpstreamState::Denied => "denied",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [UpstreamState::Requested, UpstreamState::Active, UpstreamState::Unsubscribing, UpstreamState::Denied]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A subscription of one upstream source at its hub.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamSubscription {
    /// The feed the source belongs to.
    pub feed: Slug,
    /// The source's URL as configured.
    pub source: Url,
    /// The random id in the callback URL: whoever knows it can call back, so it is not logged.
    pub callback_id: String,
    /// The hub.
    pub hub: Url,
    /// The topic subscribed to.
    pub topic: Url,
    /// Keys the signature of every push.
    pub secret: HubSecret,
    /// Where it stands.
    pub state: UpstreamState,
    /// When it was last asked for (or to end).
    pub requested_at: DateTime<Utc>,
    /// Active: when to ask again, before the lease ends.
    pub renew_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UpstreamSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The callback id is a capability; the secret hides itself.
        f.debug_struct("UpstreamSubscription")
            .field("feed", &self.feed)
            .field("source", &crate::model::redact::for_logs(&self.source))
            .field("hub", &crate::model::redact::for_logs(&self.hub))
            .field("state", &self.state)
            .field("renew_at", &self.renew_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "feed, source, callback_id, hub, topic, secret, state, requested_at, renew_at";

impl SqlStore {
    /// The subscription of `source` of `feed`, if any.
    pub fn upstream_subscription(&self, feed: &Slug, source: &Url) -> Result<Option<UpstreamSubscription>, StoreError> {
        let rows = self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM websub_upstream WHERE feed = ?1 AND source = ?2"),
                params![feed.as_str(), source.as_str()],
            )
        })?;
        rows.first().map(|r| self.upstream_from(r)).transpose()
    }

    /// The subscription whose callback id is `id`, if any.
    pub fn upstream_by_callback(&self, id: &str) -> Result<Option<UpstreamSubscription>, StoreError> {
        let rows = self
            .read(|c| c.query(&format!("SELECT {COLUMNS} FROM websub_upstream WHERE callback_id = ?1"), params![id]))?;
        rows.first().map(|r| self.upstream_from(r)).transpose()
    }

    /// Records that `s` was asked for (or to end) now, by the store's clock, replacing the
    /// source's earlier subscription; returns that time.
    pub fn request_upstream(&mut self, s: &UpstreamSubscription) -> Result<DateTime<Utc>, StoreError> {
        self.write(|c| {
            let now = c.clock()?;
            c.execute(
                &format!(
                    "INSERT INTO websub_upstream ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                     ON CONFLICT (feed, source) DO UPDATE SET callback_id = excluded.callback_id, \
                     hub = excluded.hub, topic = excluded.topic, secret = excluded.secret, \
                     state = excluded.state, requested_at = excluded.requested_at, \
                     renew_at = excluded.renew_at"
                ),
                params![
                    s.feed.as_str(),
                    s.source.as_str(),
                    s.callback_id.as_str(),
                    s.hub.as_str(),
                    s.topic.as_str(),
                    s.secret.expose_str(),
                    s.state.as_str(),
                    timestamp(now),
                    s.renew_at.map(timestamp),
                ],
            )?;
            Ok(now)
        })
    }

    /// The hub verified the subscription `id`: active, asked again after `renew` from now (by
    /// the store's clock, before its lease ends). When it is due for renewal, or `None` when
    /// there was no such subscription to verify (none, or one being ended or denied meanwhile:
    /// the state is checked in the same statement, so a replica's unsubscription is not undone).
    pub fn activate_upstream(
        &mut self,
        id: &str,
        renew: std::time::Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.write(|c| {
            let renew_at = later(c.clock()?, renew);
            let n = c.execute(
                "UPDATE websub_upstream SET state = ?2, renew_at = ?3 WHERE callback_id = ?1 AND state IN (?4, ?2)",
                params![id, UpstreamState::Active.as_str(), timestamp(renew_at), UpstreamState::Requested.as_str()],
            )?;
            Ok((n > 0).then_some(renew_at))
        })
    }

    /// Forgets the subscription `id`; whether there was one.
    pub fn end_upstream(&mut self, id: &str) -> Result<bool, StoreError> {
        self.write(|c| Ok(c.execute("DELETE FROM websub_upstream WHERE callback_id = ?1", params![id])? > 0))
    }

    /// The hub denied the subscription `id` (WebSub 5.2): kept as denied, from now, so the
    /// same hub is not asked again at every poll. Whether there was one.
    pub fn deny_upstream(&mut self, id: &str) -> Result<bool, StoreError> {
        self.write(|c| {
            let now = timestamp(c.clock()?);
            let n = c.execute(
                "UPDATE websub_upstream SET state = ?2, requested_at = ?3, renew_at = NULL \
                 WHERE callback_id = ?1",
                params![id, UpstreamState::Denied.as_str(), now],
            )?;
            Ok(n > 0)
        })
    }

    fn upstream_from(&self, row: &Row) -> Result<UpstreamSubscription, StoreError> {
        let corrupt = |what: String| self.err()(super::sql::DbError::Type(what));
        let text = |i| row.text(i).map_err(self.err());
        let url = |i, what: &str| {
            let t = row.text(i).map_err(self.err())?;
            Url::parse(&t).map_err(|e| corrupt(format!("an upstream subscription's {what}: {e}")))
        };
        let time = |i, what: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
            let t = row.opt_text(i).map_err(self.err())?;
            t.map(|t| parse_timestamp(&t).map_err(|e| corrupt(format!("an upstream subscription's {what}: {e}"))))
                .transpose()
        };
        let feed = text(0)?;
        let feed = Slug::new(&feed).map_err(|e| corrupt(format!("an upstream subscription's feed: {e}")))?;
        let state = text(6)?;
        let state =
            UpstreamState::parse(&state).ok_or_else(|| corrupt(format!("upstream subscription state {state:?}")))?;
        Ok(UpstreamSubscription {
            feed,
            source: url(1, "source")?,
            callback_id: text(2)?,
            hub: url(3, "hub")?,
            topic: url(4, "topic")?,
            secret: HubSecret::new(text(5)?),
            state,
            requested_at: time(7, "request time")?
                .ok_or_else(|| corrupt("an upstream subscription's request time".into()))?,
            renew_at: time(8, "renewal time")?,
        })
    }
}
