//! [`BenchSql`]: what `zora bench` needs of a store beyond [`zora_core::Store`]: the
//! hand-written SQL it measures the engine against (the limit), and bulk fills that set a
//! table up in one statement, so the setup does not dominate the run.

use async_trait::async_trait;
use uuid::Uuid;
use zora_core::{StoreError, TenantId};

/// The task type the limit and the engine lines both run.
pub const BENCH_KIND: &str = "climate.create_single_mission";

/// See the module documentation.
#[async_trait]
pub trait BenchSql: Send + Sync {
    /// The limit: one transaction that claims up to `batch` of `tenant`'s due
    /// `climate.create_single_mission` tasks (walking the claim index, as the engine
    /// does), writes a mission and a journal entry for each (its profile checked) and
    /// marks it completed, all by hand-written SQL. Returns how many it did.
    async fn limit_batch(&self, tenant: TenantId, batch: u32) -> Result<u64, StoreError>;

    /// The create limit: one `climate.create_single_mission` task for `profile` and its
    /// `agent_task_created` journal entry, inserted by hand-written SQL in one transaction
    /// (the rows `POST /api/agents/tasks` writes, without its checks).
    async fn insert_one_task(&self, tenant: TenantId, profile: Uuid) -> Result<(), StoreError>;

    /// Queues `n` valid `climate.create_single_mission` tasks for `profile`, in one statement.
    async fn fill_pending_missions(
        &self,
        tenant: TenantId,
        profile: Uuid,
        n: u64,
    ) -> Result<(), StoreError>;

    /// Adds `finished` completed tasks and `not_due` pending ones due in a day: the
    /// ballast beside the runnable tasks when claims are measured at size.
    async fn fill_ballast(
        &self,
        tenant: TenantId,
        finished: u64,
        not_due: u64,
    ) -> Result<(), StoreError>;

    /// Adds `n` blocked tasks (of the bench's type, each waiting on one parent due in a
    /// day), created before whatever is filled next, so that a claim in creation order
    /// would meet them first.
    async fn fill_blocked(&self, tenant: TenantId, n: u64) -> Result<(), StoreError>;

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

    /// Empties the tables the bench writes (tasks, missions, journal entries), so that
    /// each line starts from the same table.
    async fn clear(&self) -> Result<(), StoreError>;
}
