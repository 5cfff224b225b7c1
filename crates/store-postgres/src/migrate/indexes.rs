//! The indexes of the queue's tables and of the domains', built with `CREATE INDEX
//! CONCURRENTLY` after the locked migrations, so that building one on a live table never
//! blocks its writers.
//!
//! `IF NOT EXISTS` alone is not enough: a concurrent build that failed (or was killed)
//! leaves an INVALID index of that name behind, which `IF NOT EXISTS` would then skip.
//! Such an index is dropped (concurrently) and built again.

use zora_store_sql::{IndexDef, index, unique};

use super::MigrationStep;
use crate::error::{PgError, store_error};
use crate::sql::Db;

/// ZORA CORE 2.2's indexes of the queue's tables, then the engine's own.
pub(super) const QUEUE_INDEXES: &[IndexDef] = &[
    index("idx_journal_entries_tenant", "journal_entries (tenant_id)"),
    index(
        "idx_journal_entries_tenant_category",
        "journal_entries (tenant_id, category)",
    ),
    index(
        "idx_journal_entries_tenant_created",
        "journal_entries (tenant_id, created_at DESC)",
    ),
    index("idx_journal_entries_category", "journal_entries (category)"),
    index("idx_journal_entries_author", "journal_entries (author)"),
    index(
        "idx_journal_entries_created_at",
        "journal_entries (created_at DESC)",
    ),
    index(
        "idx_journal_entries_title_trgm",
        "journal_entries USING gin (title gin_trgm_ops)",
    ),
    index("idx_agent_tasks_tenant", "agent_tasks (tenant_id)"),
    index("idx_agent_tasks_agent", "agent_tasks (agent_id)"),
    index("idx_agent_tasks_status", "agent_tasks (status)"),
    index("idx_agent_tasks_task_type", "agent_tasks (task_type)"),
    index(
        "idx_agent_tasks_tenant_status",
        "agent_tasks (tenant_id, status)",
    ),
    index("idx_agent_tasks_priority", "agent_tasks (priority DESC)"),
    index(
        "idx_agent_tasks_tenant_agent",
        "agent_tasks (tenant_id, agent_id)",
    ),
    index(
        "idx_agent_tasks_created_at",
        "agent_tasks (created_at DESC)",
    ),
    index(
        "idx_agent_tasks_command_id",
        "agent_tasks (command_id) WHERE command_id IS NOT NULL",
    ),
    index(
        "idx_agent_tasks_pending_priority",
        "agent_tasks (tenant_id, status, priority DESC, created_at) WHERE status = 'pending'",
    ),
    // The engine's. A tenant's claim walks this one in claim order (pending rows only, so
    // its cost does not grow with the finished rows), and tests `run_at <= now()` on the
    // index entry (its last key), so tasks not yet due are passed over without a heap read.
    // Blocked tasks (the marker `run_at` of `zora_core::dependency`) and those awaiting a
    // decision are not in it at all: however many there are, a claim never walks past them.
    index(
        "idx_agent_tasks_claimable",
        "agent_tasks (tenant_id, priority DESC, created_at, id, run_at) WHERE status = 'pending' \
         AND run_at < '9999-12-31T23:59:59.999Z'::timestamptz \
         AND (NOT requires_approval OR approved_at IS NOT NULL)",
    ),
    unique(
        "idx_agent_tasks_idempotency",
        "agent_tasks (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL",
    ),
    index(
        "idx_agent_task_dependencies_depends_on",
        "agent_task_dependencies (depends_on_task_id)",
    ),
    // One registration of an external type per scope (a tenant, or every tenant).
    unique(
        "idx_agent_task_types_scope",
        "agent_task_types ((COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)), task_type)",
    ),
];

/// The queue's indexes beyond ZORA CORE 2.2's, for tests comparing the two catalogs.
pub const ENGINE_INDEXES: &[&str] = &[
    "idx_agent_tasks_claimable",
    "idx_agent_tasks_idempotency",
    "idx_agent_task_dependencies_depends_on",
    "idx_agent_task_types_scope",
];

/// Names of the indexes among `indexes` that are absent or invalid.
pub(super) async fn missing(
    db: &mut impl Db,
    indexes: &[IndexDef],
) -> Result<Vec<String>, PgError> {
    let names: Vec<&str> = indexes.iter().map(|i| i.name).collect();
    let valid: Vec<String> = crate::sql::query_scalar(
        db.keep(),
        "SELECT c.relname::text FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relname = ANY($1) AND i.indisvalid",
    )
    .bind(&names)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(names
        .into_iter()
        .filter(|name| !valid.iter().any(|v| v == name))
        .map(str::to_owned)
        .collect())
}

/// Builds every absent index of `indexes` and rebuilds every invalid one; returns their
/// names.
pub(super) async fn build_missing(
    db: &mut impl Db,
    indexes: &[IndexDef],
    progress: &(dyn Fn(&MigrationStep) + Sync),
) -> Result<Vec<String>, PgError> {
    let missing = missing(db.conn(), indexes).await?;
    for name in &missing {
        let Some(def) = indexes.iter().find(|i| i.name == name) else {
            continue;
        };
        tracing::info!(index = def.name, "building index concurrently");
        progress(&MigrationStep::BuildingIndex(def.name.to_owned()));
        // Drops only a leftover invalid index: a valid one is not in `missing`.
        sqlx::raw_sql(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", def.name))
            .execute(db.conn())
            .await
            .map_err(|e| PgError::Migration(format!("index {}: {e}", def.name)))?;
        let kind = if def.unique { "UNIQUE INDEX" } else { "INDEX" };
        sqlx::raw_sql(&format!(
            "CREATE {kind} CONCURRENTLY {} ON {}",
            def.name, def.on
        ))
        .execute(db.conn())
        .await
        .map_err(|e| PgError::Migration(format!("index {}: {}", def.name, db_message(&e))))?;
    }
    Ok(missing)
}

fn db_message(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}
