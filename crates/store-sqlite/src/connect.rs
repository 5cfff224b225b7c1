//! Opening the database file: one writer connection and a pool of readers, WAL mode,
//! foreign keys on, a busy timeout, and the migrations applied.
//!
//! Why one writer: SQLite allows one writer at a time. With several writing connections
//! each would wait for the file lock by sleeping and retrying (`busy_timeout`); with one,
//! writers queue for the connection in the pool instead, in order and without sleeping,
//! while readers (WAL) never wait for the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};
use zora_core::SchemaState;
use zora_store_sql::MigrationSet;

pub use crate::error::SqliteError;
use crate::store::SqliteStore;

/// How to open the database.
#[derive(Debug, Clone)]
pub struct SqliteStoreOptions {
    /// Reader connections. Defaults to 4.
    pub readers: u32,
    /// How long a writer waits for another process's lock. Defaults to 5s.
    pub busy_timeout: Duration,
    /// The domains' migrations, applied after the queue's. Defaults to none.
    pub domains: Vec<MigrationSet>,
}

impl Default for SqliteStoreOptions {
    fn default() -> Self {
        Self {
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            domains: Vec::new(),
        }
    }
}

/// Opens (creating it if needed) the database at `url` (`sqlite://path`, `sqlite:path`)
/// and applies pending migrations.
pub async fn open(url: &str, options: &SqliteStoreOptions) -> Result<SqliteStore, SqliteError> {
    let base = SqliteConnectOptions::from_str(url)
        .map_err(|e| SqliteError::InvalidUrl(one_line(&e.to_string())))?;
    let path = base.get_filename().display().to_string();
    if path.is_empty() || path == ":memory:" || url.contains(":memory:") {
        return Err(SqliteError::InvalidUrl(
            "in-memory databases are not supported (each connection would see its own); name a file"
                .into(),
        ));
    }
    let base = base
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout);
    let open_error = |e: sqlx::Error| SqliteError::Open {
        path: path.clone(),
        reason: reason(&e),
    };
    let writer_options = base.clone().create_if_missing(true);
    let writer = retry_while_busy(options.busy_timeout, || {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(writer_options.clone())
    })
    .await
    .map_err(open_error)?;
    let migrations = crate::migrate::migrations(&options.domains);
    let migrated = crate::migrate::migrate(&writer, &migrations).await?;
    if !migrated.is_empty() {
        tracing::info!(path = %path, migrations = ?migrated, "migrated the SQLite database");
    }
    let reader_options = base.read_only(true);
    let reader = retry_while_busy(options.busy_timeout, || {
        SqlitePoolOptions::new()
            .max_connections(options.readers.max(1))
            .connect_with(reader_options.clone())
    })
    .await
    .map_err(open_error)?;
    Ok(SqliteStore::new(writer, reader, migrated, migrations))
}

/// Where the database at `url` stands against the queue's migrations and `domains'`,
/// without creating or migrating it: a file that does not exist yet has every migration
/// pending.
pub async fn inspect(url: &str, domains: &[MigrationSet]) -> Result<SchemaState, SqliteError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| SqliteError::InvalidUrl(one_line(&e.to_string())))?;
    let path = options.get_filename().to_path_buf();
    if !path.exists() {
        return Ok(SchemaState {
            pending: crate::migrate::all_labels(domains),
            unknown_applied: Vec::new(),
        });
    }
    let mut conn = SqliteConnection::connect_with(&options.read_only(true))
        .await
        .map_err(|e| SqliteError::Open {
            path: path.display().to_string(),
            reason: reason(&e),
        })?;
    let migrations = crate::migrate::migrations(domains);
    Ok(crate::migrate::schema_state(&mut conn, &migrations).await?)
}

/// Retries `connect` while the file is locked, up to `patience`. Switching a new file to
/// WAL mode takes a lock that SQLite does not wait for with `busy_timeout`: two processes
/// opening a new file at once would otherwise fail on it.
async fn retry_while_busy<T, F, Fut>(patience: Duration, connect: F) -> Result<T, sqlx::Error>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let started = std::time::Instant::now();
    loop {
        match connect().await {
            Err(sqlx::Error::Database(db))
                if db.code().is_some_and(|c| c == "5" || c == "6")
                    && started.elapsed() < patience =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

fn reason(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => one_line(db.message()),
        other => one_line(&other.to_string()),
    }
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
