//! Migrations: numbered `.sql` files embedded in the binary, run by sqlx's migrator under
//! an advisory lock taken with `pg_try_advisory_lock` in a loop, then the indexes built
//! `CONCURRENTLY` (see [`indexes`]).
//!
//! Why not sqlx's own lock: it waits in `pg_advisory_lock`, a statement that holds a
//! snapshot while it waits, and `CREATE INDEX CONCURRENTLY` in the process holding the
//! lock waits for every such snapshot to end: two migrators starting at once deadlock.
//! A waiter here holds nothing between two tries.

mod indexes;

pub use indexes::ENGINE_INDEXES;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use zora_core::SchemaState;
use zora_store_sql::{EmbeddedMigrations, MigrationSet, Superseded};

use crate::error::{PgError, store_error};
use crate::sql::Db;

/// The queue's migrations, in order, and its indexes. Adding one: a new numbered file
/// here and one line below.
pub const QUEUE_MIGRATIONS: MigrationSet = MigrationSet {
    owner: "queue",
    files: &[
        (
            1,
            "zora core baseline",
            include_str!("../../migrations/0001_zora_core_baseline.sql"),
        ),
        (
            2,
            "journal categories",
            include_str!("../../migrations/0002_journal_categories.sql"),
        ),
        (
            3,
            "engine columns",
            include_str!("../../migrations/0003_engine_columns.sql"),
        ),
        (
            4,
            "validate foreign keys",
            include_str!("../../migrations/0004_validate_foreign_keys.sql"),
        ),
        (
            5,
            "worker registry",
            include_str!("../../migrations/0005_worker_registry.sql"),
        ),
        (
            6,
            "task wakeups",
            include_str!("../../migrations/0006_task_wakeups.sql"),
        ),
        (
            7,
            "due claim index",
            include_str!("../../migrations/0007_due_claim_index.sql"),
        ),
        (
            8,
            "task waiters",
            include_str!("../../migrations/0008_task_waiters.sql"),
        ),
        (
            9,
            "claimable index",
            include_str!("../../migrations/0009_claimable_index.sql"),
        ),
        (
            10,
            "schedules",
            include_str!("../../migrations/0010_schedules.sql"),
        ),
        (
            11,
            "external types",
            include_str!("../../migrations/0011_external_types.sql"),
        ),
        (
            12,
            "external workers",
            include_str!("../../migrations/0012_external_workers.sql"),
        ),
        (
            13,
            "attempt workers",
            include_str!("../../migrations/0013_attempt_workers.sql"),
        ),
        (
            14,
            "model usage",
            include_str!("../../migrations/0014_model_usage.sql"),
        ),
    ],
    // The domain's tables (0001) and a column of one of them (0003) left these
    // two for the domain's own set.
    superseded: &[
        Superseded {
            version: 1,
            checksum_hex: "c6e7a0a66361ebd5204df6ac896c619e93bfbe78dab20e648b0a8f623b4b6eab726171eb1a2e85b520966eede7dc6095",
        },
        Superseded {
            version: 3,
            checksum_hex: "d3a26992dc953d026fcc075691e22afd9090380fe0cb765dcac6c56656e9144bf381b3513fc56c4343a6559fce852af5",
        },
    ],
    indexes: indexes::QUEUE_INDEXES,
};

/// The queue's migrations and `domains`', in version order.
pub(crate) fn migrations(domains: &[MigrationSet]) -> EmbeddedMigrations {
    let mut sets = vec![QUEUE_MIGRATIONS];
    sets.extend_from_slice(domains);
    EmbeddedMigrations::of(&sets)
}

/// Every migration's label (`0001 zora core baseline`, ...) with `domains`', in order.
pub fn migration_labels(domains: &[MigrationSet]) -> Vec<String> {
    migrations(domains).pending(&[])
}

/// The advisory lock key all engine migrators take ("zoramigr").
const MIGRATION_LOCK_KEY: i64 = 0x7a6f_7261_6d69_6772;

/// A step of a migration run, reported as it starts, for progress output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStep {
    /// Another process holds the migration lock; this one waits for it.
    WaitingForLock,
    /// A migration is about to be applied (`0003 engine columns`).
    Applying(String),
    /// An index is about to be built concurrently (on a large live table, the long part).
    BuildingIndex(String),
}

/// What a migration run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Migrations applied by this run (`0003 engine columns`).
    pub applied: Vec<String>,
    /// Indexes this run built (or rebuilt, when a failed build had left them invalid).
    pub indexes_built: Vec<String>,
}

impl MigrationReport {
    /// Whether the run changed nothing.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty() && self.indexes_built.is_empty()
    }
}

/// Applies every pending migration of the queue and of `domains` and builds every
/// missing index, safely beside other migrators and beside live traffic. Running it again
/// is a no-op.
pub async fn migrate(pool: &PgPool, domains: &[MigrationSet]) -> Result<MigrationReport, PgError> {
    migrate_with_progress(pool, domains, &|_| {}).await
}

/// [`migrate`], calling `progress` as each step starts.
#[tracing::instrument(skip_all)]
pub async fn migrate_with_progress(
    pool: &PgPool,
    domains: &[MigrationSet],
    progress: &(dyn Fn(&MigrationStep) + Sync),
) -> Result<MigrationReport, PgError> {
    let migrations = migrations(domains);
    let mut conn = pool.acquire().await.map_err(store_error)?;
    acquire_lock(&mut *conn, progress).await?;
    let outcome = migrate_locked(&mut *conn, &migrations, progress).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await;
    let report = outcome?;
    unlocked.map_err(store_error)?;
    Ok(report)
}

async fn acquire_lock(
    db: &mut impl Db,
    progress: &(dyn Fn(&MigrationStep) + Sync),
) -> Result<(), PgError> {
    let mut waited = false;
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .fetch_one(db.conn())
            .await
            .map_err(store_error)?;
        if locked {
            return Ok(());
        }
        if !waited {
            tracing::info!("another process is migrating this database; waiting for it");
            progress(&MigrationStep::WaitingForLock);
            waited = true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn migrate_locked(
    db: &mut impl Db,
    migrations: &EmbeddedMigrations,
    progress: &(dyn Fn(&MigrationStep) + Sync),
) -> Result<MigrationReport, PgError> {
    let before = applied_versions(db.conn()).await?;
    if !before.is_empty() {
        update_checksums(db.conn(), migrations).await?;
    }
    let mut migrator = Migrator::new(migrations.clone())
        .await
        .map_err(|e| PgError::Migration(e.to_string()))?;
    migrator.set_locking(false);
    // Versions this binary does not know come from a newer engine: migrations are
    // additive, so they are left in place rather than refused.
    migrator.set_ignore_missing(true);
    let applied = migrations.pending(&before);
    for migration in &applied {
        tracing::info!(%migration, "applying");
        progress(&MigrationStep::Applying(migration.clone()));
    }
    migrator
        .run(db.conn())
        .await
        .map_err(|e| PgError::Migration(migration_error(e, migrations)))?;
    let indexes_built = indexes::build_missing(db, migrations.indexes(), progress).await?;
    Ok(MigrationReport {
        applied,
        indexes_built,
    })
}

fn migration_error(err: sqlx::migrate::MigrateError, migrations: &EmbeddedMigrations) -> String {
    match err {
        sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(db)) => db.message().to_owned(),
        sqlx::migrate::MigrateError::ExecuteMigration(sqlx::Error::Database(db), version) => {
            format!("{}: {}", migrations.label_of(version), db.message())
        }
        other => other.to_string(),
    }
}

/// Records, for each superseded migration the database applied in its old text, the
/// checksum of its text now (see [`Superseded`]).
async fn update_checksums(
    db: &mut impl Db,
    migrations: &EmbeddedMigrations,
) -> Result<(), PgError> {
    for (version, old, now) in migrations.checksum_updates() {
        crate::sql::query(
            db.keep(),
            "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2 AND checksum = $3",
        )
        .bind(now)
        .bind(version)
        .bind(old)
        .execute(db.conn())
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

/// Read at every store's open, behind a pooler too: through `crate::sql`, so that it
/// leaves no prepared statement on a server connection another client may be handed.
async fn applied_versions(db: &mut impl Db) -> Result<Vec<i64>, PgError> {
    let exists: bool = crate::sql::query_scalar(
        db.keep(),
        "SELECT to_regclass('_sqlx_migrations') IS NOT NULL",
    )
    .fetch_one(db.conn())
    .await
    .map_err(store_error)?;
    if !exists {
        return Ok(Vec::new());
    }
    crate::sql::query_scalar(
        db.keep(),
        "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(db.conn())
    .await
    .map_err(|e| PgError::Store(store_error(e)))
}

/// Where the database stands against the queue's migrations and `domains`': migrations
/// and indexes still to apply, and migrations applied by a newer engine.
pub async fn schema_state(pool: &PgPool, domains: &[MigrationSet]) -> Result<SchemaState, PgError> {
    let mut conn = pool.acquire().await.map_err(store_error)?;
    schema_state_on(&mut *conn, &migrations(domains)).await
}

/// [`schema_state`] on one connection (a transaction, behind a pooler).
pub(crate) async fn schema_state_on(
    db: &mut impl Db,
    migrations: &EmbeddedMigrations,
) -> Result<SchemaState, PgError> {
    let applied = applied_versions(db.conn()).await?;
    let mut pending = migrations.pending(&applied);
    if pending.is_empty() {
        pending.extend(
            indexes::missing(db.conn(), migrations.indexes())
                .await?
                .into_iter()
                .map(|name| format!("index {name}")),
        );
    }
    let unknown_applied = migrations.unknown(&applied);
    Ok(SchemaState {
        pending,
        unknown_applied,
    })
}
