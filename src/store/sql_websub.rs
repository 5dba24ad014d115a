//! The built-in WebSub hub's state on either backend: subscriptions with their leases, and
//! which version of each topic was distributed (so replicas distribute a change once).

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::sql::{Conn, DbError, Row, params};
use super::sql_store::SqlStore;
use super::{StoreError, later, parse_timestamp, timestamp};

/// A subscriber's `hub.secret`: it keys the signature of every distribution, so it is kept
/// (the hub must sign with it) but never shown: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct HubSecret(String);

impl HubSecret {
    /// Wraps a secret.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret's bytes, to key an HMAC.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The secret as text, to send as `hub.secret`.
    pub fn expose_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for HubSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HubSecret(…)")
    }
}

/// One verified subscription.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The topic's path on the site (`/<slug>/rss.xml`).
    pub topic: String,
    /// Where distributions go.
    pub callback: Url,
    /// Signs distributions when the subscriber gave one.
    pub secret: Option<HubSecret>,
    /// When the lease ends, by the store's clock.
    pub expires: DateTime<Utc>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The callback is a capability URL; the secret hides itself.
        f.debug_struct("Subscription")
            .field("topic", &self.topic)
            .field("callback", &crate::model::redact::capability(&self.callback))
            .field("secret", &self.secret)
            .field("expires", &self.expires)
            .finish()
    }
}

impl SqlStore {
    /// Records a verified subscription for `lease` from now (by the store's clock), replacing
    /// any earlier one of the same topic and callback (its secret and lease too); returns when
    /// it expires. A new callback whose host already has `per_host` live subscriptions to
    /// `topic` is not recorded (`None`): counted and inserted in one transaction, so a burst of
    /// verifications cannot overshoot (on PostgreSQL, replicas racing may, by one each).
    pub fn subscribe(
        &mut self,
        topic: &str,
        callback: &Url,
        secret: Option<&HubSecret>,
        lease: Duration,
        per_host: i64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.write(|c| {
            let now = c.clock()?;
            let known = c
                .query_opt(
                    "SELECT 1 FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2",
                    params![topic, callback.as_str()],
                )?
                .is_some();
            if !known && others_at_host(c, topic, callback, now)? >= per_host {
                return Ok(None);
            }
            let expires = later(now, lease);
            c.execute(
                "INSERT INTO websub_subscriptions (topic, callback, secret, expires_at, renewed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, \
                 expires_at = excluded.expires_at, renewed_at = excluded.renewed_at",
                params![topic, callback.as_str(), secret.map(|s| s.0.clone()), timestamp(expires), timestamp(now)],
            )?;
            Ok(Some(expires))
        })
    }

    /// Ends the subscription of `callback` to `topic`; whether there was one.
    pub fn unsubscribe(&mut self, topic: &str, callback: &Url) -> Result<bool, StoreError> {
        self.write(|c| {
            let n = c.execute(
                "DELETE FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2",
                params![topic, callback.as_str()],
            )?;
            Ok(n > 0)
        })
    }

    /// The subscriptions to `topic` whose lease has not ended, by callback.
    pub fn subscribers(&self, topic: &str) -> Result<Vec<Subscription>, StoreError> {
        let rows = self.read(|c| {
            let now = timestamp(c.clock()?);
            c.query(
                "SELECT topic, callback, secret, expires_at FROM websub_subscriptions \
                 WHERE topic = ?1 AND expires_at > ?2 ORDER BY callback",
                params![topic, now],
            )
        })?;
        rows.iter().map(|r| self.subscription_from(r)).collect()
    }

    /// Live subscriptions to `topic` whose callbacks are on `callback`'s host (whatever the
    /// scheme and port), other than `callback` itself.
    pub fn others_at_host(&self, topic: &str, callback: &Url) -> Result<i64, StoreError> {
        self.read(|c| {
            let now = c.clock()?;
            others_at_host(c, topic, callback, now)
        })
    }

    fn subscription_from(&self, row: &Row) -> Result<Subscription, StoreError> {
        let corrupt = |what: String| self.err()(super::sql::DbError::Type(what));
        let topic = row.text(0).map_err(self.err())?;
        let callback = row.text(1).map_err(self.err())?;
        let callback = Url::parse(&callback).map_err(|e| corrupt(format!("a subscription's callback: {e}")))?;
        let secret = row.opt_text(2).map_err(self.err())?.map(HubSecret);
        let expires = row.text(3).map_err(self.err())?;
        let expires = parse_timestamp(&expires).map_err(|e| corrupt(format!("a subscription's expiry: {e}")))?;
        Ok(Subscription { topic, callback, secret, expires })
    }

    /// Removes the subscriptions whose lease ended; how many.
    pub fn expire_subscriptions(&mut self) -> Result<u64, StoreError> {
        self.write(|c| {
            let clock = c.clock()?;
            let now = timestamp(clock);
            // Owed for longer than every retry takes (about 80 minutes): a version no replica
            // serves any more (the topic moved on or went); not looked at again.
            let stale = timestamp(clock - chrono::Duration::hours(2));
            c.execute(
                "UPDATE websub_subscriptions SET owed_etag = NULL, owed_seq = NULL, owed_by = NULL, owed_until = NULL \
                 WHERE owed_until IS NOT NULL AND owed_until < ?1",
                params![stale],
            )?;
            c.execute("DELETE FROM websub_subscriptions WHERE expires_at <= ?1", params![now])
        })
    }

    /// Live subscriptions per topic.
    pub fn subscriber_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.read(|c| {
            let now = timestamp(c.clock()?);
            c.query(
                "SELECT topic, COUNT(*) FROM websub_subscriptions WHERE expires_at > ?1 \
                 GROUP BY topic ORDER BY topic",
                params![now],
            )
        })?;
        rows.iter().map(|r| Ok((r.text(0).map_err(self.err())?, r.int(1).map_err(self.err())?))).collect()
    }

    /// Takes the distribution of `topic` at `etag`, rendered at store change `seq`. Only the
    /// caller that moves a known topic to a new version distributes it ([`Claim::Newer`]): a
    /// topic seen for the first time has no subscriber who missed anything. A claim marks every
    /// live subscriber as owed that version, sent by `holder` and held for `hold` (see
    /// [`Self::hold_owed`]), in the same transaction: a caller that dies after it loses nothing.
    pub fn claim_distribution(
        &mut self,
        topic: &str,
        etag: &str,
        seq: i64,
        holder: &str,
        hold: Duration,
    ) -> Result<Claim, StoreError> {
        self.write(|c| {
            let first = c.execute(
                "INSERT INTO websub_topics (topic, etag, seq) VALUES (?1, ?2, ?3) ON CONFLICT (topic) DO NOTHING",
                params![topic, etag, seq],
            )?;
            if first > 0 {
                return Ok(Claim::First);
            }
            // PostgreSQL: a second replica's UPDATE waits for the first's row lock, then finds
            // the version already taken.
            let newer = c.execute(
                "UPDATE websub_topics SET etag = ?2, seq = ?3 WHERE topic = ?1 AND etag <> ?2 AND seq <= ?3",
                params![topic, etag, seq],
            )?;
            if newer == 0 {
                return Ok(Claim::Taken);
            }
            let now = c.clock()?;
            c.execute(
                "UPDATE websub_subscriptions SET owed_etag = ?2, owed_seq = ?3, owed_by = ?4, owed_until = ?5 \
                 WHERE topic = ?1 AND expires_at > ?6",
                params![topic, etag, seq, holder, timestamp(later(now, hold)), timestamp(now)],
            )?;
            Ok(Claim::Newer)
        })
    }

    /// Holds `owed` for `hold` more (by the store's clock), for `holder`, and returns the
    /// subscription as it is now (its secret may have been renewed); `None` when it is not
    /// `holder`'s to send any more: a newer version superseded it, it ended, or another
    /// replica took it over.
    pub fn hold_owed(&mut self, owed: &Owed, holder: &str, hold: Duration) -> Result<Option<Subscription>, StoreError> {
        let row = self.write(|c| {
            if hold_or_take(c, owed, holder, hold, Hold::Mine)? == 0 {
                return Ok(None);
            }
            let sql = "SELECT topic, callback, secret, expires_at FROM websub_subscriptions \
                       WHERE topic = ?1 AND callback = ?2";
            c.query_opt(sql, params![owed.topic.as_str(), owed.callback.as_str()])
        })?;
        row.map(|r| self.subscription_from(&r)).transpose()
    }

    /// Takes `owed` over for `holder` when its sender's hold ran out (it died, or the store
    /// did not take its settlement); whether `holder` now sends it, for `hold`.
    pub fn take_overdue(&mut self, owed: &Owed, holder: &str, hold: Duration) -> Result<bool, StoreError> {
        self.write(|c| Ok(hold_or_take(c, owed, holder, hold, Hold::Overdue)? > 0))
    }

    /// Deliveries whose sender's hold ran out, with their subscriptions.
    pub fn overdue(&self) -> Result<Vec<(Subscription, Owed)>, StoreError> {
        let rows = self.read(|c| {
            let now = timestamp(c.clock()?);
            c.query(
                "SELECT topic, callback, secret, expires_at, owed_etag, owed_seq FROM websub_subscriptions \
                 WHERE owed_until IS NOT NULL AND owed_until <= ?1 AND expires_at > ?1 ORDER BY topic, callback",
                params![now],
            )
        })?;
        rows.iter()
            .map(|r| {
                let sub = self.subscription_from(r)?;
                let (etag, seq) = (r.text(4).map_err(self.err())?, r.int(5).map_err(self.err())?);
                let owed = Owed { topic: sub.topic.clone(), callback: sub.callback.clone(), etag, seq };
                Ok((sub, owed))
            })
            .collect()
    }

    /// These deliveries by `holder` are over (sent, gone, or given up): nothing is owed, unless
    /// a newer version is (or another replica took one over). One transaction for the lot.
    pub fn settle_owed(&mut self, done: &[Owed], holder: &str) -> Result<(), StoreError> {
        self.write(|c| {
            for owed in done {
                c.execute(
                    "UPDATE websub_subscriptions SET owed_etag = NULL, owed_seq = NULL, owed_by = NULL, \
                     owed_until = NULL WHERE topic = ?1 AND callback = ?2 AND owed_etag = ?3 AND owed_seq = ?4 \
                     AND owed_by = ?5",
                    params![owed.topic.as_str(), owed.callback.as_str(), owed.etag.as_str(), owed.seq, holder],
                )?;
            }
            Ok(())
        })
    }

    /// The version of each topic claimed last, by topic.
    pub fn claimed_versions(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows = self.read(|c| c.query("SELECT topic, etag FROM websub_topics", &[]))?;
        rows.iter().map(|r| Ok((r.text(0).map_err(self.err())?, r.text(1).map_err(self.err())?))).collect()
    }
}

/// See [`SqlStore::others_at_host`]. Four ranges on the key — `http://host/`, `http://host:`
/// and the same for https, each up to the prefix followed by DEL (serialised URLs are ASCII) —
/// so the count costs the rows it counts, not the topic's.
fn others_at_host(c: &mut dyn Conn, topic: &str, callback: &Url, now: DateTime<Utc>) -> Result<i64, DbError> {
    let host = callback.host_str().unwrap_or("");
    let mut ranges = Vec::new();
    for scheme in ["http", "https"] {
        for end in ["/", ":"] {
            let from = format!("{scheme}://{host}{end}");
            ranges.push((format!("{from}\u{7f}"), from));
        }
    }
    let [(t1, f1), (t2, f2), (t3, f3), (t4, f4)] = <[(String, String); 4]>::try_from(ranges).expect("four");
    let row = c.query_opt(
        "SELECT COUNT(*) FROM websub_subscriptions WHERE topic = ?1 AND callback <> ?2 AND expires_at > ?3 AND (\
         (callback >= ?4 AND callback < ?5) OR (callback >= ?6 AND callback < ?7) OR \
         (callback >= ?8 AND callback < ?9) OR (callback >= ?10 AND callback < ?11))",
        params![topic, callback.as_str(), timestamp(now), f1, t1, f2, t2, f3, t3, f4, t4],
    )?;
    row.map_or(Ok(0), |r| r.int(0))
}

/// Whose hold on an owed delivery [`hold_or_take`] moves on.
#[derive(Clone, Copy)]
enum Hold {
    /// The holder's own.
    Mine,
    /// Anyone's that ran out: the holder takes it over.
    Overdue,
}

/// Holds `owed` for `holder` until `hold` from now, if it is `holder`'s (or, taking over,
/// anyone's whose hold ran out) and its subscription is live; the rows changed (0 or 1).
fn hold_or_take(c: &mut dyn Conn, owed: &Owed, holder: &str, hold: Duration, whose: Hold) -> Result<u64, DbError> {
    let now = c.clock()?;
    let whose = match whose {
        Hold::Mine => "owed_by = ?5",
        Hold::Overdue => "owed_until <= ?7",
    };
    c.execute(
        &format!(
            "UPDATE websub_subscriptions SET owed_by = ?5, owed_until = ?6 WHERE topic = ?1 AND callback = ?2 \
             AND owed_etag = ?3 AND owed_seq = ?4 AND {whose} AND expires_at > ?7"
        ),
        params![
            owed.topic.as_str(),
            owed.callback.as_str(),
            owed.etag.as_str(),
            owed.seq,
            holder,
            timestamp(later(now, hold)),
            timestamp(now)
        ],
    )
}

/// A delivery owed: this version of `topic` to `callback`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Owed {
    /// The topic's path.
    pub topic: String,
    /// The subscriber's callback (a capability URL).
    pub callback: Url,
    /// The version's ETag.
    pub etag: String,
    /// The store change it was rendered at: the same bytes claimed again later (a revert) are
    /// another delivery.
    pub seq: i64,
}

impl std::fmt::Debug for Owed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owed")
            .field("topic", &self.topic)
            .field("callback", &crate::model::redact::capability(&self.callback))
            .field("etag", &self.etag)
            .field("seq", &self.seq)
            .finish()
    }
}

/// What [`SqlStore::claim_distribution`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The topic was not known: recorded, nothing to distribute.
    First,
    /// A new version, claimed by this caller: it distributes it.
    Newer,
    /// This version (or a newer one) was already claimed.
    Taken,
}
