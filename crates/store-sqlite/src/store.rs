//! [`SqliteStore`]: the writer and reader pools, and the queue outside a transaction
//! ([`Queue`]); the command reads are in `commands`. Reads go to the readers; claims,
//! rescues and transactions to the writer.

use std::time::Duration;

use sqlx::SqlitePool;
use std::sync::Arc;
use zora_core::journal::JournalEntry;
use zora_core::stats::{MinuteCount, QueueStats, Scope};
use zora_core::{
    ClaimById, ClaimRequest, CommandId, FinishWatch, Lease, Page, Paginated, Queue, ReadTx,
    RescuePolicy, SchemaState, StoreError, StoreTx, Task, TaskFilter, TaskId, TaskState,
    TaskStatus, TaskWakeups, TenantId, TxLimits, WorkerInfo, WorkerRegistration,
};

use zora_store_sql::{EmbeddedMigrations, FinishHub, WakeupHub};

use crate::error::store_error;
use crate::tx::SqliteTx;
use crate::{retention, tasks, tenants, workers};
use zora_core::retention::{Prune, PruneBatch};

/// The SQLite store. Cheap to clone: it is a handle on its two pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    migrated_on_open: Vec<String>,
    /// The queue's migrations and the domains', to compare the file with.
    migrations: Arc<EmbeddedMigrations>,
    /// Wake-ups for this process's workers: SQLite has no LISTEN; transactions that make
    /// tasks runnable say so here as they commit. Other processes poll.
    hub: WakeupHub,
    /// Finished tasks, for whoever waits on one in this process (told as transactions
    /// commit, like `hub`).
    finishes: FinishHub,
}

impl SqliteStore {
    pub(crate) fn new(
        writer: SqlitePool,
        reader: SqlitePool,
        migrated_on_open: Vec<String>,
        migrations: EmbeddedMigrations,
    ) -> Self {
        Self {
            writer,
            reader,
            migrated_on_open,
            migrations: Arc::new(migrations),
            hub: WakeupHub::default(),
            finishes: FinishHub::default(),
        }
    }

    /// The migrations opening the file applied (`0001 schema` for a new file).
    pub fn migrated_on_open(&self) -> &[String] {
        &self.migrated_on_open
    }

    /// The writer pool (one connection), for tests that need raw SQL.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools, checkpointing the WAL into the file.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// The reader pool: where reads outside a transaction run.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    async fn begin_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        // IMMEDIATE: take the write lock now, not at the first write, so a transaction
        // that reads then writes cannot fail halfway on another process's lock.
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    /// A deferred transaction on a read-only reader connection: it never takes the write
    /// lock, so it does not queue behind the workers' transactions.
    async fn begin_read_tx(&self) -> Result<Box<dyn ReadTx>, StoreError> {
        let tx = self.reader.begin().await.map_err(store_error)?;
        Ok(Box::new(SqliteTx::new(
            tx,
            self.hub.clone(),
            self.finishes.clone(),
        )))
    }

    /// A transaction that tells this store's hubs what it did once it commits.
    fn tx_of(&self, tx: sqlx::Transaction<'static, sqlx::Sqlite>) -> Box<dyn StoreTx> {
        Box::new(SqliteTx::new(tx, self.hub.clone(), self.finishes.clone()))
    }

    async fn read_schema_state(&self) -> Result<SchemaState, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(store_error)?;
        crate::migrate::schema_state(&mut conn, &self.migrations).await
    }
}

#[zora_store_sql::async_trait]
impl Queue for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        self.read_schema_state().await
    }
    async fn subscribe_wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError> {
        Ok(self.hub.subscribe())
    }
    async fn watch_finish(&self, id: TaskId) -> Result<Option<Box<dyn FinishWatch>>, StoreError> {
        Ok(Some(Box::new(self.finishes.watch(id))))
    }
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        self.begin_tx().await
    }
    /// SQLite has no limits to set (see `TxControl::limit`): a plain transaction.
    async fn begin_limited(&self, _limits: TxLimits) -> Result<Box<dyn StoreTx>, StoreError> {
        self.begin_tx().await
    }
    async fn begin_read(&self) -> Result<Box<dyn ReadTx>, StoreError> {
        self.begin_read_tx().await
    }
    async fn tenant_exists(&self, tenant: TenantId) -> Result<bool, StoreError> {
        tenants::exists(&self.reader, tenant).await
    }
    async fn get_task(&self, tenant: TenantId, id: TaskId) -> Result<Option<Task>, StoreError> {
        tasks::get(&self.reader, tenant, id).await
    }
    async fn get_task_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<Task>, StoreError> {
        tasks::get_by_idempotency_key(&self.reader, tenant, key).await
    }
    async fn list_tasks(
        &self,
        tenant: TenantId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paginated<Task>, StoreError> {
        tasks::list(&self.reader, tenant, filter, page).await
    }
    async fn finished_per_minute(&self, tenant: TenantId) -> Result<Vec<MinuteCount>, StoreError> {
        tasks::finished_per_minute(&self.reader, tenant).await
    }
    async fn task_journal(&self, task: &Task) -> Result<Vec<JournalEntry>, StoreError> {
        crate::journal::of_task(&self.reader, task).await
    }
    async fn count_states(&self, tenant: TenantId) -> Result<Vec<(TaskState, u64)>, StoreError> {
        tasks::count_states(&self.reader, tenant).await
    }
    async fn claim_tasks(&self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError> {
        tasks::claim(&self.writer, request).await
    }
    async fn claim_task(
        &self,
        tenant: TenantId,
        id: TaskId,
        owner: &str,
        lease_duration: Duration,
    ) -> Result<ClaimById, StoreError> {
        match tasks::claim_by_id(&self.writer, tenant, id, owner, lease_duration).await? {
            Some(task) => Ok(ClaimById::Claimed(task)),
            None => Ok(match tasks::get(&self.writer, tenant, id).await? {
                Some(task) => ClaimById::Refused(task),
                None => ClaimById::NotFound,
            }),
        }
    }
    async fn rescue_expired_leases_all_tenants(
        &self,
        policy: RescuePolicy,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let (rescued, dependents) = tasks::rescue_expired(&mut tx, policy, limit).await?;
        tx.commit().await.map_err(store_error)?;
        if self.finishes.has_subscribers() {
            let failed = rescued.iter().filter(|t| t.status == TaskStatus::Failed);
            for id in failed.map(|t| t.id).chain(dependents) {
                self.finishes.send(id);
            }
        }
        Ok(rescued)
    }
    async fn get_task_with_links(
        &self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<(Task, zora_core::dependency::TaskLinks)>, StoreError> {
        tasks::get_with_links(&self.reader, tenant, id).await
    }
    async fn dependency_edges(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<zora_core::dependency::DependencyEdge>, StoreError> {
        crate::dependencies::edges(&self.reader, tenant, ids).await
    }
    async fn extend_leases(
        &self,
        leases: &[Lease],
        lease_duration: Duration,
    ) -> Result<Vec<TaskId>, StoreError> {
        tasks::extend_leases(&self.writer, leases, lease_duration).await
    }
    async fn queue_stats(&self, scope: Scope) -> Result<QueueStats, StoreError> {
        tasks::stats(&self.reader, scope).await
    }
    async fn register_worker(&self, worker: &WorkerRegistration) -> Result<(), StoreError> {
        workers::register(&self.writer, worker).await
    }
    async fn beat_worker(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        workers::beat(&self.writer, id, ttl).await
    }
    async fn stop_worker(&self, id: &str) -> Result<(), StoreError> {
        workers::stop(&self.writer, id).await
    }
    async fn lost_workers(&self, within: Duration) -> Result<u64, StoreError> {
        workers::lost(&self.reader, within).await
    }
    async fn live_workers(&self, scope: Scope) -> Result<Vec<WorkerInfo>, StoreError> {
        workers::live(&self.reader, scope).await
    }
    async fn database_now(&self) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
        retention::now(&self.reader).await
    }
    async fn prune_finished_tasks_all_tenants(
        &self,
        prune: &Prune,
        after: Option<TaskId>,
        dry_run: bool,
    ) -> Result<PruneBatch, StoreError> {
        retention::prune_window(&self.writer, prune, after, dry_run).await
    }
    async fn command_tasks(
        &self,
        tenant: TenantId,
        command: CommandId,
    ) -> Result<Vec<Task>, StoreError> {
        tasks::of_command(&self.reader, tenant, command).await
    }
}
