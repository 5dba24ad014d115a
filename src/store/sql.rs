//! The one SQL both backends speak. Every query of the store is written once, with `?1`-style
//! parameters and the subset of SQL that SQLite and PostgreSQL share (`ON CONFLICT … DO UPDATE`,
//! `RETURNING`, `COALESCE`, `UNION`); a [`Conn`] runs it on its engine. What truly differs (how a
//! write transaction starts, row locks, the change notification, checkpoints) is a method of
//! the connection, not a second copy of the store.

use std::fmt;

/// A parameter or a column value. Times are RFC 3339 text and flags are integers in both
/// backends, so three kinds are enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Self::Int(i.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Int(b.into())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// `[Value]` from a list of anything that converts.
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::store::sql::Value::from($v)),*] as &[$crate::store::sql::Value] };
}
pub(super) use params;

/// One result row.
#[derive(Debug)]
pub(super) struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, DbError> {
        self.0.get(i).ok_or_else(|| DbError::Type(format!("no column {i}")))
    }

    /// Column `i` as text (`NULL` is an error).
    pub fn text(&self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?.ok_or_else(|| DbError::Type(format!("column {i} is NULL")))
    }

    /// Column `i` as text, or `None` for `NULL`.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            Value::Int(n) => Ok(Some(n.to_string())),
        }
    }

    /// Column `i` as an integer (`NULL` is an error).
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.at(i)? {
            Value::Int(n) => Ok(*n),
            Value::Text(s) => s.parse().map_err(|_| DbError::Type(format!("column {i}: {s:?} is not a number"))),
            Value::Null => Err(DbError::Type(format!("column {i} is NULL"))),
        }
    }
}

/// Why a statement failed, from whichever engine ran it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite's error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL's error, with the server's message (the client's `Display` alone says only
    /// "db error").
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    /// A value of an unexpected type (a store written by something else).
    #[error("unexpected value: {0}")]
    Type(String),
    /// The database could not be reached.
    #[error("{0}")]
    Unavailable(String),
}

impl DbError {
    /// Whether the error says the connection is gone (the next statement reconnects).
    pub fn is_disconnect(&self) -> bool {
        match self {
            Self::Postgres(e) => super::postgres::lost(e),
            Self::Unavailable(_) => true,
            _ => false,
        }
    }
}

/// The server's message, redacted: a connection error may quote the connection string.
fn postgres_message(e: &postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    };
    crate::model::redact::in_text(&text).into_owned()
}

/// Which engine a connection talks to, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The embedded default.
    Sqlite,
    /// The shared store of many replicas.
    Postgres,
}

/// A connection the store runs its SQL on.
pub(super) trait Conn: Send {
    /// Runs a statement; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Runs statements without parameters (migrations, session settings).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// The engine.
    fn engine(&self) -> Engine;
    /// Starts a transaction that will write (SQLite takes its write lock now: a transaction
    /// that read first would fail at its first write if another committed in between).
    fn begin(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN IMMEDIATE")
    }
    /// Starts a transaction that only reads, on one snapshot (SQLite's deferred transaction
    /// in WAL mode keeps the snapshot of its first read).
    fn begin_read(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN")
    }
    /// Commits the transaction [`Conn::begin`] started.
    fn commit(&mut self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }
    /// Rolls it back.
    fn rollback(&mut self) -> Result<(), DbError> {
        self.batch("ROLLBACK")
    }
    /// Makes a batch of writes cheap to read back (SQLite's WAL checkpoint).
    fn checkpoint(&mut self) -> Result<(), DbError> {
        Ok(())
    }

    /// The time by the database's clock, in whole seconds: leases and schedules that replicas
    /// compare are all written by one clock, whatever each replica's says. (SQLite's database
    /// is on this machine: its clock.)
    fn clock(&mut self) -> Result<chrono::DateTime<chrono::Utc>, DbError> {
        Ok(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0))
    }

    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// An open transaction on a connection: rolled back when dropped without [`Tx::commit`], so
/// an error anywhere (bad input, a lost connection) leaves the store as it was.
pub(super) struct Tx<'a> {
    conn: &'a mut dyn Conn,
    open: bool,
}

impl<'a> Tx<'a> {
    /// Begins a write transaction on `conn`.
    pub fn begin(conn: &'a mut dyn Conn) -> Result<Self, DbError> {
        conn.begin()?;
        Ok(Self { conn, open: true })
    }

    /// Serialises this transaction with every other one that takes `lock` (a PostgreSQL
    /// advisory lock held until commit; SQLite's write lock already serialises every writer).
    pub fn lock(&mut self, lock: Lock) -> Result<(), DbError> {
        if self.conn.engine() == Engine::Postgres {
            self.conn.execute("SELECT pg_advisory_xact_lock(?1)", params![lock as i64])?;
        }
        Ok(())
    }

    /// Commits.
    pub fn commit(mut self) -> Result<(), DbError> {
        self.open = false;
        self.conn.commit()
    }
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = dyn Conn + 'a;
    fn deref(&self) -> &Self::Target {
        self.conn
    }
}

impl std::ops::DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A failed rollback means the connection is gone, which ends the transaction too.
            let _ = self.conn.rollback();
        }
    }
}

/// Advisory locks: transactions that must not interleave across replicas.
#[derive(Debug, Clone, Copy)]
#[repr(i64)]
pub(super) enum Lock {
    /// Migrations run once, whatever number of replicas start at once.
    Migrate = 0x6665_6564_7075_0001,
    /// One local sync at a time: it reads the recorded files, then writes what moved.
    LocalSync = 0x6665_6564_7075_0002,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}
