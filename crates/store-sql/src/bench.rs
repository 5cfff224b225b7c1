//! [`BenchSql`]: what `zora bench` needs of a store beyond [`zora_core::Store`]: the
//! create limit (a task inserted by hand-written SQL), bulk fills that set the queue up in
//! one statement, so the setup does not dominate the run, and the table's size. The
//! limit of a task type's work is its domain's (it names the type's tables).

use async_trait::async_trait;
use serde_json::Value;
use zora_core::{StoreError, TenantId};

/// See the module documentation.
#[async_trait]
pub trait BenchSql: Send + Sync {
    /// The create limit: one task of `kind` with `payload` and its `agent_task_created`
    /// journal entry, inserted by hand-written SQL in one transaction (the rows `POST
    /// /api/agents/tasks` writes, without its checks).
    async fn insert_one_task(
        &self,
        tenant: TenantId,
        kind: &str,
        payload: &Value,
    ) -> Result<(), StoreError>;

    /// Queues `n` due tasks of `kind`, each with `payload`, in one statement.
    async fn fill_pending(
        &self,
        tenant: TenantId,
        kind: &str,
        payload: &Value,
        n: u64,
    ) -> Result<(), StoreError>;

    /// Adds `finished` completed tasks and `not_due` pending ones due in a day: the
    /// ballast beside the runnable tasks when claims are measured at size.
    async fn fill_ballast(
        &self,
        tenant: TenantId,
        kind: &str,
        finished: u64,
        not_due: u64,
    ) -> Result<(), StoreError>;

    /// Adds `n` blocked tasks of `kind` (each waiting on one parent due in a day), created
    /// before whatever is filled next, so that a claim in creation order would meet them
    /// first.
    async fn fill_blocked(&self, tenant: TenantId, kind: &str, n: u64) -> Result<(), StoreError>;

    /// Tasks not yet finished (pending or in progress), due or not.
    async fn unfinished(&self) -> Result<u64, StoreError>;

    /// The bytes `agent_tasks` takes with its indexes and TOAST (PostgreSQL); on SQLite,
    /// the pages of the whole file in use (free pages not counted: they are reused).
    async fn table_bytes(&self) -> Result<u64, StoreError>;

    /// What autovacuum does to `agent_tasks` after deletions (PostgreSQL: a plain
    /// `VACUUM`, no rewrite); SQLite reuses freed pages and has nothing to do.
    async fn vacuum_tasks(&self) -> Result<(), StoreError>;

    /// Sets `agent_tasks`' fillfactor (PostgreSQL; SQLite has none): the soak's knob for
    /// choosing it by measurement.
    async fn set_fillfactor(&self, percent: u8) -> Result<(), StoreError>;

    /// Empties the queue's tables the bench writes (tasks and journal entries), so that
    /// each line starts from the same table; a task type's own rows are its domain's to
    /// empty.
    async fn clear(&self) -> Result<(), StoreError>;
}
