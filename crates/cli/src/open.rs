//! Opening the configured store, and refusing to work on an unmigrated schema.

use std::sync::Arc;

use zora_core::Store;
use zora_store_postgres::{PgStore, PgStoreOptions};

use crate::config::DatabaseTarget;
use crate::exit::CliError;

/// Connects to a PostgreSQL database (SQLite arrives with the SQLite store).
pub async fn connect_postgres(target: &DatabaseTarget) -> Result<PgStore, CliError> {
    match target {
        DatabaseTarget::Postgres(url) => {
            Ok(zora_store_postgres::connect(url, &PgStoreOptions::default()).await?)
        }
        DatabaseTarget::Sqlite(_) => Err(CliError::Config(
            "the SQLite store is not built yet (it lands with the next release): \
             set DATABASE_URL to a postgres:// URL"
                .into(),
        )),
    }
}

/// Opens the store for a command that reads or writes tasks: the schema must be
/// current (a newer one is used with a warning, since migrations are additive).
pub async fn open_store(target: &DatabaseTarget) -> Result<Arc<dyn Store>, CliError> {
    let store = connect_postgres(target).await?;
    let state = store.schema_state().await?;
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
    Ok(Arc::new(store))
}
