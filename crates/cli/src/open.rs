//! Opening the configured store: PostgreSQL (which must be migrated with `zora migrate`)
//! or SQLite (migrated on open).

use std::sync::Arc;
use std::time::{Duration, Instant};

use zora_core::{SchemaState, Store};
use zora_store_postgres::{PgStore, PgStoreOptions};
use zora_store_sql::MigrationSet;
use zora_store_sqlite::{SqliteError, SqliteStore, SqliteStoreOptions};

use crate::config::DatabaseTarget;
use crate::exit::CliError;

impl From<SqliteError> for CliError {
    fn from(err: SqliteError) -> Self {
        match err {
            SqliteError::Store(inner) => inner.into(),
            SqliteError::Migration(_) => Self::Failed(err.to_string()),
            SqliteError::InvalidUrl(_) | SqliteError::Open { .. } => Self::Config(err.to_string()),
        }
    }
}

/// The domains whose tables a PostgreSQL store migrates after the queue's: ZORA's.
pub const POSTGRES_DOMAINS: &[MigrationSet] = &[zora_domain::migrations::POSTGRES];
/// The same on SQLite.
pub const SQLITE_DOMAINS: &[MigrationSet] = &[zora_domain::migrations::SQLITE];

/// The PostgreSQL options every command starts from: the defaults, and ZORA's domain.
pub fn postgres_options() -> PgStoreOptions {
    PgStoreOptions {
        domains: POSTGRES_DOMAINS.to_vec(),
        ..PgStoreOptions::default()
    }
}

/// The SQLite options every command opens a file with: the defaults, and ZORA's domain.
pub fn sqlite_options() -> SqliteStoreOptions {
    SqliteStoreOptions {
        domains: SQLITE_DOMAINS.to_vec(),
        ..SqliteStoreOptions::default()
    }
}

/// Connects to a PostgreSQL database, checking that it answers.
pub async fn connect_postgres(url: &str, options: &PgStoreOptions) -> Result<PgStore, CliError> {
    Ok(zora_store_postgres::connect(url, options).await?)
}

/// Opens (creating and migrating) a SQLite database file.
pub async fn open_sqlite(url: &str) -> Result<SqliteStore, CliError> {
    Ok(zora_store_sqlite::open(url, &sqlite_options()).await?)
}

/// Opens the store for a command that reads or writes tasks. A PostgreSQL schema must be
/// current; a newer one is used with a warning, since migrations are additive.
pub async fn open_store(target: &DatabaseTarget) -> Result<Arc<dyn Store>, CliError> {
    open_store_with(target, &postgres_options()).await
}

/// [`open_store`] with PostgreSQL options of its own (`behind_pooler`, say).
pub async fn open_store_with(
    target: &DatabaseTarget,
    options: &PgStoreOptions,
) -> Result<Arc<dyn Store>, CliError> {
    open_store_patiently(target, options, Duration::ZERO).await
}

/// [`open_store_with`], waiting up to `patience` for a database that cannot be opened
/// yet: a PostgreSQL server that does not answer (down, restarting, starting up), a
/// SQLite file another process holds locked past the busy timeout. It warns at each try:
/// for the long-running commands, which a supervisor may start before the database or
/// beside busy workers.
pub async fn open_store_patiently(
    target: &DatabaseTarget,
    options: &PgStoreOptions,
    patience: Duration,
) -> Result<Arc<dyn Store>, CliError> {
    let started = Instant::now();
    loop {
        match open_once(target, options).await {
            Err(Retry(error)) if started.elapsed() < patience => {
                tracing::warn!(%error, "waiting for the database; trying again in 1s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(Retry(error) | Refused(error)) => return Err(error),
            Ok((store, state)) => {
                refuse_pending(&state)?;
                return Ok(store);
            }
        }
    }
}

/// Why opening failed: worth another try, or not.
enum OpenFailure {
    Retry(CliError),
    Refused(CliError),
}
use OpenFailure::{Refused, Retry};

async fn open_once(
    target: &DatabaseTarget,
    options: &PgStoreOptions,
) -> Result<(Arc<dyn Store>, SchemaState), OpenFailure> {
    let retry_if = |passing: bool, error: CliError| {
        if passing {
            Retry(error)
        } else {
            Refused(error)
        }
    };
    let store: Arc<dyn Store> = match target {
        DatabaseTarget::Postgres(url) => match zora_store_postgres::connect(url, options).await {
            Err(error) => return Err(retry_if(error.is_unreachable(), error.into())),
            Ok(store) => Arc::new(store),
        },
        DatabaseTarget::Sqlite(url) => {
            match zora_store_sqlite::open(url, &sqlite_options()).await {
                Err(error) => {
                    let busy = matches!(
                        error,
                        SqliteError::Store(zora_core::StoreError::Transient(_))
                    );
                    return Err(retry_if(busy, error.into()));
                }
                Ok(store) => Arc::new(store),
            }
        }
    };
    // The schema read itself may meet the outage or the lock.
    match store.schema_state().await {
        Ok(state) => Ok((store, state)),
        Err(
            error @ (zora_core::StoreError::Transient(_) | zora_core::StoreError::Unavailable(_)),
        ) => Err(Retry(error.into())),
        Err(error) => Err(Refused(error.into())),
    }
}

fn refuse_pending(state: &SchemaState) -> Result<(), CliError> {
    if !state.is_current() {
        return Err(CliError::Config(format!(
            "the database has pending migrations ({}): run `zora migrate` first",
            state.pending.join(", ")
        )));
    }
    if !state.unknown_applied.is_empty() {
        tracing::warn!(
            versions = ?state.unknown_applied,
            "the database schema is newer than this binary; continuing, since migrations are additive"
        );
    }
    Ok(())
}
