//! The SQLite migrations, applied on open inside one `BEGIN IMMEDIATE` transaction, so
//! two processes opening a new file at once apply them once (the second waits, then
//! finds nothing pending).

use sqlx::migrate::Migrator;
use sqlx::{SqliteConnection, SqlitePool};
use zora_core::{SchemaState, StoreError};
use zora_store_sql::EmbeddedMigrations;

use crate::error::SqliteError;
use crate::error::store_error;

/// The migrations, in order. Adding one: a new numbered file and one line here.
const MIGRATIONS: EmbeddedMigrations = EmbeddedMigrations(&[
    (1, "schema", include_str!("../migrations/0001_schema.sql")),
    (
        2,
        "worker registry",
        include_str!("../migrations/0002_worker_registry.sql"),
    ),
    (
        3,
        "due claim index",
        include_str!("../migrations/0003_due_claim_index.sql"),
    ),
    (
        4,
        "claimable index",
        include_str!("../migrations/0004_claimable_index.sql"),
    ),
    (
        5,
        "schedules",
        include_str!("../migrations/0005_schedules.sql"),
    ),
    (
        6,
        "profile indexes",
        include_str!("../migrations/0006_profile_indexes.sql"),
    ),
]);

/// Every migration's label (`0001 schema`, ...), as pending on a file that does not exist yet.
pub fn all_labels() -> Vec<String> {
    MIGRATIONS.pending(&[])
}

/// Applies every pending migration and returns their labels; a no-op when none is.
pub(crate) async fn migrate(writer: &SqlitePool) -> Result<Vec<String>, SqliteError> {
    let mut tx = writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| SqliteError::Store(store_error(e)))?;
    let applied = applied_versions(&mut tx).await?;
    let mut migrator = Migrator::new(MIGRATIONS)
        .await
        .map_err(|e| SqliteError::Migration(e.to_string()))?;
    // Versions this binary does not know come from a newer engine: left in place.
    migrator.set_ignore_missing(true);
    migrator.run(&mut *tx).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::ExecuteMigration(sqlx::Error::Database(db), version) => {
            SqliteError::Migration(format!(
                "{}: {}",
                MIGRATIONS.label_of(version),
                db.message()
            ))
        }
        other => SqliteError::Migration(other.to_string()),
    })?;
    tx.commit()
        .await
        .map_err(|e| SqliteError::Store(store_error(e)))?;
    Ok(MIGRATIONS.pending(&applied))
}

/// The versions recorded as applied (none in a new file).
async fn applied_versions(conn: &mut SqliteConnection) -> Result<Vec<i64>, StoreError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(store_error)?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(conn)
        .await
        .map_err(store_error)
}

/// Where the file's schema stands against the embedded migrations.
pub(crate) async fn schema_state(conn: &mut SqliteConnection) -> Result<SchemaState, StoreError> {
    let applied = applied_versions(conn).await?;
    Ok(SchemaState {
        pending: MIGRATIONS.pending(&applied),
        unknown_applied: MIGRATIONS.unknown(&applied),
    })
}
