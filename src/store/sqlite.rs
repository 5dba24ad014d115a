//! The embedded default: one SQLite file, WAL mode, versioned migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::sql::{Conn, DbError, Engine, Row, Value};
use super::{SqlStore, StoreError};

/// Versioned migrations, applied in order; `PRAGMA user_version` records the last one applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_items.sql"),
    include_str!("migrations/sqlite/0002_sources.sql"),
    include_str!("migrations/sqlite/0003_upstream_bounds.sql"),
    include_str!("migrations/sqlite/0004_incremental.sql"),
    include_str!("migrations/sqlite/0005_shared.sql"),
    include_str!("migrations/sqlite/0006_raw_hash.sql"),
    include_str!("migrations/sqlite/0007_raw_hash_index.sql"),
    include_str!("migrations/sqlite/0008_backfill.sql"),
    include_str!("migrations/sqlite/0009_websub.sql"),
    include_str!("migrations/sqlite/0010_websub_upstream.sql"),
    include_str!("migrations/sqlite/0011_websub_owed.sql"),
];

/// A connection to one SQLite file.
pub(super) struct SqliteConn(rusqlite::Connection);

/// Opens `path`, creating the file and its folder on first use, and migrates it.
pub(super) fn open(path: &Path) -> Result<SqlStore, StoreError> {
    let name = path.display().to_string();
    let open_err = |message: String| StoreError::Open { store: name.clone(), message };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| open_err(format!("cannot create {}: {e}", dir.display())))?;
    }
    let conn = rusqlite::Connection::open(path).map_err(|e| open_err(e.to_string()))?;
    configure(&conn).map_err(|e| open_err(e.to_string()))?;
    let mut conn = SqliteConn(conn);
    migrate(&mut conn).map_err(|e| e.for_store(&name))?;
    Ok(SqlStore::new(Box::new(conn), name))
}

fn configure(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    // WAL lets `serve` read while `build` or `poll` writes; the busy timeout makes writers
    // wait for each other instead of failing.
    conn.busy_timeout(Duration::from_secs(10))?;
    // An item's row is its content, 2–10 KB of HTML: in 4 KiB pages most rows spill into an
    // overflow page, and each page is its own WAL frame and write. 16 KiB pages hold a row
    // whole; a 1,000-item poll stored 15 % faster. Only a new store takes it (an existing
    // one keeps the page size it was made with; WAL mode fixes it).
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // SQLite folds the WAL back into the database (copy + fsync) inside whichever commit
    // pushes it past the threshold: at the default 1,000 pages (4 MB) one 1,000-item poll
    // paid ~65 ms for it, more than all of its inserts. Callers checkpoint after a batch
    // instead ([`super::Store::checkpoint`], and on close); this bound only caps the WAL if
    // nobody does.
    conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
    conn.pragma_update(None, "journal_size_limit", 64 << 20)?;
    Ok(())
}

/// Why migrating failed.
pub(super) enum Migrate {
    /// A newer feedpub migrated this store.
    TooNew { found: i64, known: i64 },
    /// A statement failed.
    Db(DbError),
}

impl Migrate {
    /// The store's error for this failure of the store `store`.
    pub(super) fn for_store(self, store: &str) -> StoreError {
        match self {
            Self::TooNew { found, known } => StoreError::TooNew { store: store.to_owned(), found, known },
            Self::Db(source) => StoreError::Query { store: store.to_owned(), source },
        }
    }
}

impl From<DbError> for Migrate {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

fn migrate(conn: &mut SqliteConn) -> Result<(), Migrate> {
    let known = MIGRATIONS.len() as i64;
    let tx = conn.0.transaction().map_err(DbError::from)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(DbError::from)?;
    if version > known {
        return Err(Migrate::TooNew { found: version, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(DbError::from)?;
        tx.pragma_update(None, "user_version", i as i64 + 1).map_err(DbError::from)?;
    }
    Ok(tx.commit().map_err(DbError::from)?)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

impl Conn for SqliteConn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        // Cached: a poll or a sync runs the same few statements thousands of times.
        let n = self.0.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    other => return Err(DbError::Type(format!("column {i} holds a {:?}", other.data_type()))),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn checkpoint(&mut self) -> Result<(), DbError> {
        // PASSIVE: never waits for (or blocks) `serve`'s readers; what they still use is
        // copied next time.
        Ok(self.0.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?)
    }
}
