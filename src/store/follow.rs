//! Following the store: how a process learns that another one changed it (a replica's poll,
//! the writer's sync, a cron job), so it re-renders within a second.

use std::time::Duration;

use super::postgres::ChangeListener;
use super::{Head, Store, StoreError, open};
use crate::config::DatabaseUrl;

/// Waits for the store's head to move. PostgreSQL announces every change at commit (LISTEN/
/// NOTIFY), which wakes the follower at once; the head (the change sequence) stays the truth,
/// so a notification missed while disconnected costs nothing: the head read after reconnecting
/// shows the change. SQLite has no notifications across processes: its head is read at every
/// timeout.
pub struct Follower {
    listener: Option<ChangeListener>,
    store: Box<dyn Store>,
    name: String,
}

/// A follower of the store `url` names, on connections of its own.
pub fn follow(url: &DatabaseUrl) -> Result<Follower, StoreError> {
    let listener = match url {
        DatabaseUrl::Postgres(url) => Some(ChangeListener::new(url)?),
        DatabaseUrl::Sqlite(_) => None,
    };
    Ok(Follower { listener, store: open(url)?, name: url.to_string() })
}

impl Follower {
    /// The head now.
    pub fn head(&self) -> Result<Head, StoreError> {
        self.store.head()
    }

    /// Waits up to `timeout` for a change (the whole timeout without notifications), then
    /// reads the head. An error means the database is unreachable; call again to retry.
    pub fn wait(&mut self, timeout: Duration) -> Result<Head, StoreError> {
        match &mut self.listener {
            Some(listener) => {
                listener.wait(timeout).map_err(|source| StoreError::Query { store: self.name.clone(), source })?;
            }
            None => std::thread::sleep(timeout),
        }
        self.store.head()
    }
}
