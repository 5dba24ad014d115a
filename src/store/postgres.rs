//! The shared store for many replicas: PostgreSQL, through the blocking `postgres` client (the
//! store is called from blocking threads, as SQLite is). One connection per store; a lost one
//! is made again at the next statement outside a transaction, so a replica resumes by itself
//! when the database comes back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::sql::{Conn, DbError, Engine, Lock, Row, Tx, Value};
use super::sqlite::Migrate;
use super::{SqlStore, StoreError};
use crate::config::PostgresUrl;

/// Versioned migrations, applied in order under an advisory lock; `feedpub_schema.version`
/// records the last one applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_schema.sql"),
    include_str!("migrations/postgres/0002_raw_hash.sql"),
    include_str!("migrations/postgres/0003_backfill.sql"),
    include_str!("migrations/postgres/0004_websub.sql"),
    include_str!("migrations/postgres/0005_websub_upstream.sql"),
    include_str!("migrations/postgres/0006_websub_owed.sql"),
];

/// A connection to a PostgreSQL database, made again when lost.
pub(super) struct PgConn {
    config: postgres::Config,
    tls: MakeRustlsConnect,
    client: Option<Client>,
    /// Prepared statements of this connection, by their `?N` text.
    statements: HashMap<String, Statement>,
    /// Inside a transaction a lost connection is an error, never a silent reconnect: the
    /// statements after it would run outside the transaction.
    in_transaction: bool,
}

/// Opens the database `url` names and migrates it.
pub(super) fn open(url: &PostgresUrl) -> Result<SqlStore, StoreError> {
    let name = url.to_string();
    let mut conn = connect(url)?;
    migrate(&mut conn).map_err(|e| e.for_store(&name))?;
    Ok(SqlStore::new(Box::new(conn), name))
}

/// A connection to `url`, connected now (a bad URL or an unreachable server is an error here,
/// not at the first query).
pub(super) fn connect(url: &PostgresUrl) -> Result<PgConn, StoreError> {
    let name = url.to_string();
    let open_err = |message: String| StoreError::Open { store: name.clone(), message };
    // The client's own message for a bad URL can quote it: say only what is wrong.
    let mut config: postgres::Config = url
        .expose()
        .parse()
        .map_err(|e: postgres::Error| open_err(crate::model::redact::in_text(&e.to_string()).into_owned()))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    // A database host that vanishes without a reset is noticed within a minute, not in hours:
    // keep-alive probes on an idle connection, and a cap on unacknowledged data for a
    // statement in flight (settings the URL gives are kept).
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(Duration::from_secs(30));
    }
    if config.get_keepalives_interval().is_none() {
        config.keepalives_interval(Duration::from_secs(10));
    }
    if config.get_keepalives_retries().is_none() {
        config.keepalives_retries(3);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(Duration::from_secs(60));
    }
    if config.get_application_name().is_none() {
        config.application_name("feedpub");
    }
    let tls = tls(config.get_ssl_mode()).map_err(open_err)?;
    let mut conn = PgConn { config, tls, client: None, statements: HashMap::new(), in_transaction: false };
    conn.client().map_err(|e| open_err(e.to_string()))?;
    Ok(conn)
}

/// TLS as `sslmode` asks, with rustls and the aws-lc-rs provider (the one reqwest uses: two
/// providers in one process panic):
/// - `require`: the server's certificate must chain to a root the system trusts, for its host
///   name (libpq's `verify-full`: a database password is worth authenticating the server for);
/// - `prefer` (the default): encrypted if the server offers TLS, its certificate not checked,
///   as libpq does (a stock Debian server's self-signed certificate works; the traffic is
///   private from passive listeners, not from a man in the middle);
/// - `disable`: plain text.
fn tls(mode: postgres::config::SslMode) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match mode {
        postgres::config::SslMode::Require => {
            Arc::new(rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| format!("TLS: {e}"))?)
        }
        _ => Arc::new(EncryptOnly(provider.clone())),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// `sslmode=prefer`: any certificate, but the handshake's signatures are still checked (the
/// session is encrypted with the key the server proved it holds).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn migrate(conn: &mut PgConn) -> Result<(), Migrate> {
    let known = MIGRATIONS.len() as i64;
    let mut tx = Tx::begin(conn)?;
    // Replicas starting together: the first migrates, the others wait here and find it done.
    tx.lock(Lock::Migrate)?;
    // Without the notice that the table exists, logged at every start.
    tx.batch("SET LOCAL client_min_messages = warning")?;
    tx.batch("CREATE TABLE IF NOT EXISTS feedpub_schema (version BIGINT NOT NULL)")?;
    let version = match tx.query_opt("SELECT version FROM feedpub_schema", &[])? {
        Some(row) => row.int(0)?,
        None => {
            tx.execute("INSERT INTO feedpub_schema (version) VALUES (0)", &[])?;
            0
        }
    };
    if version > known {
        return Err(Migrate::TooNew { found: version, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.batch(sql)?;
        tx.execute("UPDATE feedpub_schema SET version = ?1", &[Value::Int(i as i64 + 1)])?;
    }
    Ok(tx.commit()?)
}

impl PgConn {
    /// The client, connected again if the connection was lost (outside a transaction only).
    fn client(&mut self) -> Result<&mut Client, DbError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            if self.in_transaction {
                return Err(DbError::Unavailable("the connection to the database was lost".into()));
            }
            self.forget();
            self.client = Some(self.config.connect(self.tls.clone())?);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    /// Begins a transaction with `sql`. A server restarted since the last statement shows
    /// only now: outside a transaction, begin again on a new connection (nothing ran on the
    /// lost one).
    fn start(&mut self, sql: &str) -> Result<(), DbError> {
        match self.batch(sql) {
            Err(e) if e.is_disconnect() => self.batch(sql)?,
            other => other?,
        }
        self.in_transaction = true;
        Ok(())
    }

    /// Ends the transaction with `sql` (COMMIT or ROLLBACK). After a lost connection the
    /// transaction is gone with it: nothing to roll back, and a commit that failed.
    fn end(&mut self, sql: &str) -> Result<(), DbError> {
        self.in_transaction = false;
        if self.client.as_ref().is_none_or(Client::is_closed) {
            return match sql {
                "COMMIT" => Err(DbError::Unavailable("the connection to the database was lost".into())),
                _ => Ok(()),
            };
        }
        self.batch(sql)
    }

    /// Drops the connection and what was prepared on it.
    fn forget(&mut self) {
        self.client = None;
        self.statements.clear();
    }

    /// The prepared form of `sql`, with its `?N` parameters written as PostgreSQL's `$N`.
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        // Connected first: a statement prepared on a lost connection is no use on the next.
        self.client()?;
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client()?.prepare(&dollar_params(sql));
        let statement = self.seen(prepared)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// `result`, after forgetting a connection it shows lost.
    fn seen<T>(&mut self, result: Result<T, postgres::Error>) -> Result<T, DbError> {
        result.map_err(|e| {
            if lost(&e) {
                self.forget();
            }
            DbError::from(e)
        })
    }

    /// Runs `sql` with `f`. Outside a transaction, a statement that finds the connection
    /// lost (the server restarted, or an administrator ended the session) is tried once more
    /// on a new one: only reads and `BEGIN` run there, so trying again is safe.
    fn run<T>(
        &mut self,
        sql: &str,
        f: impl Fn(&mut Client, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, DbError> {
        match self.attempt(sql, &f) {
            Err(e) if e.is_disconnect() && !self.in_transaction => {
                self.forget();
                self.attempt(sql, &f)
            }
            other => other,
        }
    }

    fn attempt<T>(
        &mut self,
        sql: &str,
        f: &impl Fn(&mut Client, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, DbError> {
        let statement = self.statement(sql)?;
        // The connection `statement` was prepared on (not `client()`, which could connect anew
        // and run it where it does not exist).
        let client = self.client.as_mut().ok_or_else(|| DbError::Unavailable("the connection was lost".into()))?;
        let result = f(client, &statement);
        self.seen(result)
    }
}

impl Drop for PgConn {
    /// Closing the client blocks on its own runtime, which panics on a thread that drives a
    /// Tokio runtime (a store dropped in an async function): closed on a thread of its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            std::thread::spawn(move || drop(client));
        }
    }
}

/// Whether `e` means the connection is gone: closed, broken, or ended by the server (SQLSTATE
/// class 57P: shutdown, crash, administrator).
pub(super) fn lost(e: &postgres::Error) -> bool {
    e.is_closed()
        || e.code().is_some_and(|c| c.code().starts_with("57P"))
        || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// `?1` → `$1`: the store's SQL is written once, in SQLite's spelling. No statement of the
/// store has a `?` inside a string literal.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl Conn for PgConn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.run(sql, |client, statement| client.execute(statement, &params))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.run(sql, |client, statement| client.query(statement, &params))?;
        rows.iter().map(row_values).collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        let result = self.client()?.batch_execute(sql);
        self.seen(result)
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.start("BEGIN")
    }

    fn begin_read(&mut self) -> Result<(), DbError> {
        // Read committed would give each statement its own snapshot.
        self.start("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.end("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.end("ROLLBACK")
    }

    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn clock(&mut self) -> Result<chrono::DateTime<chrono::Utc>, DbError> {
        let row = self.query_opt("SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)", &[])?;
        let seconds = row.ok_or_else(|| DbError::Type("no time".into()))?.int(0)?;
        chrono::DateTime::from_timestamp(seconds, 0).ok_or_else(|| DbError::Type(format!("time {seconds}")))
    }
}

/// A result row as [`Value`]s, by the type of each column.
fn row_values(row: &postgres::Row) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?.map(|n| Value::Int(n.into()))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?.map(|n| Value::Int(n.into()))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map(|b| Value::Int(b.into()))
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        } else {
            return Err(DbError::Type(format!("column {} has type {ty}", column.name())));
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let text = [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME, Type::UNKNOWN].contains(ty);
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) if *ty == Type::INT8 => n.to_sql(ty, out),
            Value::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) if *ty == Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) if *ty == Type::BOOL => (*n != 0).to_sql(ty, out),
            Value::Int(n) if text => n.to_string().to_sql(ty, out),
            Value::Text(s) if text => s.as_str().to_sql(ty, out),
            Value::Int(_) | Value::Text(_) => Err(format!("a {self:?} cannot be sent as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Waits for changes announced on [`super::CHANGES_CHANNEL`], on a connection of its own
/// (made again when lost).
pub(super) struct ChangeListener {
    conn: PgConn,
    listening: bool,
}

impl ChangeListener {
    /// A listener on `url` (connected at its first wait).
    pub(super) fn new(url: &PostgresUrl) -> Result<Self, StoreError> {
        Ok(Self { conn: connect(url)?, listening: false })
    }

    /// Waits up to `timeout` for a change notification; `Ok(true)` when one came. An error
    /// means the database is unreachable; the next call tries again.
    pub(super) fn wait(&mut self, timeout: Duration) -> Result<bool, DbError> {
        if !self.listening || self.conn.client.as_ref().is_none_or(Client::is_closed) {
            self.listening = false;
            self.conn.batch(&format!("LISTEN {}", super::CHANGES_CHANNEL))?;
            self.listening = true;
            // Changes made while not listening are found by the caller's check of the head.
            return Ok(true);
        }
        let first = {
            let mut notifications = self.conn.client()?.notifications();
            let first = notifications.timeout_iter(timeout).next();
            if matches!(first, Ok(Some(_))) {
                // One re-render covers every change announced so far: drop those already here.
                let mut pending = notifications.iter();
                while let Ok(Some(_)) = pending.next() {}
            }
            first
        };
        match first {
            Ok(got) => Ok(got.is_some()),
            Err(e) => {
                self.listening = false;
                Err(self.conn.seen::<()>(Err(e)).unwrap_err())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_respelled_and_nothing_else() {
        assert_eq!(
            dollar_params("SELECT a FROM t WHERE x = ?1 AND y = ?12 OR z IS NULL -- ?"),
            "SELECT a FROM t WHERE x = $1 AND y = $12 OR z IS NULL -- ?"
        );
        assert_eq!(dollar_params("CASE WHEN ?3 = 1 THEN ?2 ELSE 0 END"), "CASE WHEN $3 = 1 THEN $2 ELSE 0 END");
    }

    #[test]
    fn values_are_sent_as_the_server_types_them() {
        let mut out = BytesMut::new();
        assert!(Value::Int(7).to_sql(&Type::INT4, &mut out).is_ok());
        assert!(Value::Int(1 << 40).to_sql(&Type::INT4, &mut out).is_err(), "never truncated");
        assert!(Value::Text("x".into()).to_sql(&Type::INT8, &mut out).is_err(), "never sent as the wrong type");
        assert!(matches!(Value::Null.to_sql(&Type::TEXT, &mut out), Ok(IsNull::Yes)));
    }
}
