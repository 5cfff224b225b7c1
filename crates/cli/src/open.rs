//! Opening the configured store: PostgreSQL (which must be migrated with `zora migrate`)
//! or SQLite (migrated on open).

use std::sync::Arc;
use std::time::{Duration, Instant};

use zora_core::{SchemaState, Store};
use zora_store_postgres::{PgStore, PgStoreOptions};
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

/// Connects to a PostgreSQL database, checking that it answers.
pub async fn connect_postgres(url: &str, options: &PgStoreOptions) -> Result<PgStore, CliError> {
    Ok(zora_store_postgres::connect(url, options).await?)
}

/// Opens (creating and migrating) a SQLite database file.
pub async fn open_sqlite(url: &str) -> Result<SqliteStore, CliError> {
    Ok(zora_store_sqlite::open(url, &SqliteStoreOptions::default()).await?)
}

/// Opens the store for a command that reads or writes tasks. A PostgreSQL schema must be
/// current; a newer one is used with a warning, since migrations are additive.
pub async fn open_store(target: &DatabaseTarget) -> Result<Arc<dyn Store>, CliError> {
    open_store_with(target, &PgStoreOptions::default()).await
}

/// [`open_store`] with PostgreSQL options of its own (`behind_pooler`, say).
pub async fn open_store_with(
    target: &DatabaseTarget,
    options: &PgStoreOptions,
) -> Result<Arc<dyn Store>, CliError> {
    open_store_patiently(target, options, Duration::ZERO).await
}

/// [`open_store_with`], waiting up to `patience` for a PostgreSQL server that does not
/// answer yet (down, restarting, starting up), with a warning at each try: for the
/// long-running commands, which a supervisor may start before the database.
pub async fn open_store_patiently(
    target: &DatabaseTarget,
    options: &PgStoreOptions,
    patience: Duration,
) -> Result<Arc<dyn Store>, CliError> {
    let store: Arc<dyn Store> = match target {
        DatabaseTarget::Postgres(url) => {
            let started = Instant::now();
            loop {
                match zora_store_postgres::connect(url, options).await {
                    Err(error) if error.is_unreachable() && started.elapsed() < patience => {
                        tracing::warn!(%error, "waiting for the database; trying again in 1s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    connected => break Arc::new(connected?),
                }
            }
        }
        DatabaseTarget::Sqlite(url) => Arc::new(open_sqlite(url).await?),
    };
    let state = store.schema_state().await?;
    refuse_pending(&state)?;
    Ok(store)
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
