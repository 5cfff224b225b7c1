//! The SQLite migrations, applied on open inside one `BEGIN IMMEDIATE` transaction, so
//! two processes opening a new file at once apply them once (the second waits, then
//! finds nothing pending).

use sqlx::migrate::Migrator;
use sqlx::{SqliteConnection, SqlitePool};
use zora_core::{SchemaState, StoreError};
use zora_store_sql::{EmbeddedMigrations, MigrationSet, Superseded};

use crate::error::SqliteError;
use crate::error::store_error;

/// The queue's migrations, in order. Adding one: a new numbered file and one line here.
pub const QUEUE_MIGRATIONS: MigrationSet = MigrationSet {
    owner: "queue",
    files: &[
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
        (
            7,
            "external types",
            include_str!("../migrations/0007_external_types.sql"),
        ),
        (
            8,
            "external workers",
            include_str!("../migrations/0008_external_workers.sql"),
        ),
        (
            9,
            "attempt workers",
            include_str!("../migrations/0009_attempt_workers.sql"),
        ),
        (
            10,
            "model usage",
            include_str!("../migrations/0010_model_usage.sql"),
        ),
    ],
    // The domain's tables and indexes left these two for the domain's own set.
    superseded: &[
        Superseded {
            version: 1,
            checksum_hex: "b0e9424261b607453b6935780e3f37f8d603c1282d503c14d01049682c7577121c58a1c1002f60ee1970f55736d7265d",
        },
        Superseded {
            version: 6,
            checksum_hex: "c3c508216829787bb98b4b9f2878acdf54550867fd5cec66172b923c154c9080cb800794f80457193a050d6351fc3547",
        },
    ],
    indexes: &[],
};

/// The queue's migrations and `domains`', in version order.
pub(crate) fn migrations(domains: &[MigrationSet]) -> EmbeddedMigrations {
    let mut sets = vec![QUEUE_MIGRATIONS];
    sets.extend_from_slice(domains);
    EmbeddedMigrations::of(&sets)
}

/// Every migration's label (`0001 schema`, ...) with `domains`', as pending on a file
/// that does not exist yet.
pub fn all_labels(domains: &[MigrationSet]) -> Vec<String> {
    migrations(domains).pending(&[])
}

/// Applies every pending migration and returns their labels; a no-op when none is.
pub(crate) async fn migrate(
    writer: &SqlitePool,
    migrations: &EmbeddedMigrations,
) -> Result<Vec<String>, SqliteError> {
    let mut tx = writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| SqliteError::Store(store_error(e)))?;
    let applied = applied_versions(&mut tx).await?;
    if !applied.is_empty() {
        update_checksums(&mut tx, migrations).await?;
    }
    let mut migrator = Migrator::new(migrations.clone())
        .await
        .map_err(|e| SqliteError::Migration(e.to_string()))?;
    // Versions this binary does not know come from a newer engine: left in place.
    migrator.set_ignore_missing(true);
    migrator.run(&mut *tx).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::ExecuteMigration(sqlx::Error::Database(db), version) => {
            SqliteError::Migration(format!(
                "{}: {}",
                migrations.label_of(version),
                db.message()
            ))
        }
        other => SqliteError::Migration(other.to_string()),
    })?;
    tx.commit()
        .await
        .map_err(|e| SqliteError::Store(store_error(e)))?;
    Ok(migrations.pending(&applied))
}

/// Records, for each superseded migration this file applied in its old text, the
/// checksum of its text now (see [`Superseded`]).
async fn update_checksums(
    conn: &mut SqliteConnection,
    migrations: &EmbeddedMigrations,
) -> Result<(), SqliteError> {
    for (version, old, now) in migrations.checksum_updates() {
        sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = ?1 WHERE version = ?2 AND checksum = ?3",
        )
        .bind(now)
        .bind(version)
        .bind(old)
        .execute(&mut *conn)
        .await
        .map_err(|e| SqliteError::Store(store_error(e)))?;
    }
    Ok(())
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
pub(crate) async fn schema_state(
    conn: &mut SqliteConnection,
    migrations: &EmbeddedMigrations,
) -> Result<SchemaState, StoreError> {
    let applied = applied_versions(conn).await?;
    Ok(SchemaState {
        pending: migrations.pending(&applied),
        unknown_applied: migrations.unknown(&applied),
    })
}
