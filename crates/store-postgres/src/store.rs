//! [`PgStore`]: the pool, and the queue outside a transaction ([`Queue`]); the command
//! reads are in `commands`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use sqlx::PgPool;
use zora_core::journal::JournalEntry;
use zora_core::stats::{MinuteCount, QueueStats, Scope};
use zora_core::{
    ClaimById, ClaimRequest, CommandId, FinishWatch, Lease, Page, Paginated, Queue, ReadTx,
    RescuePolicy, SchemaState, StoreError, StoreTx, Task, TaskFilter, TaskId, TaskState,
    TaskWakeups, TenantId, TxLimits, WorkerInfo, WorkerRegistration,
};
use zora_store_sql::{EmbeddedMigrations, MigrationSet};

use crate::error::store_error;
use crate::session::Session;
use crate::tx::PgTx;
use crate::wakeups::Listening;
use crate::{retention, tasks, tenants, workers};
use zora_core::retention::{Prune, PruneBatch};

/// The PostgreSQL store. Cheap to clone: it is a handle on a connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    behind_pooler: bool,
    listening: Listening,
    /// Whether the database has ZORA CORE 3.x's `agent_task_policies`, found out by the
    /// first transaction that asks (a table created later is seen after a restart).
    policies: Arc<OnceCell<bool>>,
    /// The queue's migrations and the domains', to compare the database with.
    migrations: Arc<EmbeddedMigrations>,
}

impl PgStore {
    /// Wraps an open pool, connected directly to the server, whose schema is the queue's
    /// and that of the domains whose migrations are `domains`.
    pub fn new(pool: PgPool, domains: &[MigrationSet]) -> Self {
        Self {
            pool,
            behind_pooler: false,
            listening: Listening::default(),
            policies: Arc::default(),
            migrations: Arc::new(crate::migrate::migrations(domains)),
        }
    }

    /// Wraps an open pool on a transaction-mode pooler: every method runs in a
    /// transaction (see [`PgStoreOptions::behind_pooler`](crate::PgStoreOptions)).
    pub fn behind_pooler(pool: PgPool, domains: &[MigrationSet]) -> Self {
        Self {
            behind_pooler: true,
            ..Self::new(pool, domains)
        }
    }

    /// The pool, for migrations and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `call` on a session of its own (see [`Session`]) and ends it with the outcome.
    pub(crate) async fn in_session<T>(
        &self,
        call: impl AsyncFnOnce(&mut Session) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut session = Session::open(&self.pool, self.behind_pooler).await?;
        let outcome = call(&mut session).await;
        session.end(outcome).await
    }

    /// A transaction that keeps its statements prepared unless this store is behind a
    /// pooler.
    fn tx_of(&self, tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Box<dyn StoreTx> {
        Box::new(PgTx::new(tx, !self.behind_pooler, self.policies.clone()))
    }

    async fn begin_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self.pool.begin().await.map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    async fn begin_read_tx(&self) -> Result<Box<dyn ReadTx>, StoreError> {
        let tx = self
            .pool
            .begin_with("BEGIN READ ONLY")
            .await
            .map_err(store_error)?;
        Ok(Box::new(PgTx::new(
            tx,
            !self.behind_pooler,
            self.policies.clone(),
        )))
    }

    async fn begin_limited_tx(&self, limits: TxLimits) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self
            .pool
            .begin_with(crate::tx::begin_limited_sql(limits))
            .await
            .map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    async fn wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError> {
        if self.behind_pooler {
            // A LISTEN would stay on whichever server connection ran it, and its
            // notifications would reach other clients of the pooler mid-query.
            return Err(StoreError::Unavailable(
                "LISTEN does not work behind a transaction-mode pooler; poll instead \
                 (`zora worker --no-listen`)"
                    .into(),
            ));
        }
        self.listening
            .subscribe(&self.pool, |hubs| hubs.wakeups.subscribe())
            .await
    }

    async fn watch_finish_of(
        &self,
        id: zora_core::TaskId,
    ) -> Result<Option<Box<dyn zora_core::FinishWatch>>, StoreError> {
        if self.behind_pooler {
            return Ok(None);
        }
        let watch = self
            .listening
            .subscribe(&self.pool, |hubs| hubs.finishes.watch(id))
            .await?;
        let watch = crate::waiters::PgFinishWatch::register(&self.pool, id, watch).await?;
        Ok(Some(Box::new(watch)))
    }

    async fn read_schema_state(&self) -> Result<SchemaState, StoreError> {
        self.in_session(async |db| {
            crate::migrate::schema_state_on(db, &self.migrations)
                .await
                .map_err(|e| match e {
                    crate::PgError::Store(inner) => inner,
                    other => StoreError::Schema(other.to_string()),
                })
        })
        .await
    }
}

#[zora_store_sql::async_trait]
impl Queue for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
    async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        self.read_schema_state().await
    }
    async fn subscribe_wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError> {
        self.wakeups().await
    }
    async fn watch_finish(&self, id: TaskId) -> Result<Option<Box<dyn FinishWatch>>, StoreError> {
        self.watch_finish_of(id).await
    }
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        self.begin_tx().await
    }
    async fn begin_limited(&self, limits: TxLimits) -> Result<Box<dyn StoreTx>, StoreError> {
        self.begin_limited_tx(limits).await
    }
    async fn begin_read(&self) -> Result<Box<dyn ReadTx>, StoreError> {
        self.begin_read_tx().await
    }
    async fn tenant_exists(&self, tenant: TenantId) -> Result<bool, StoreError> {
        self.in_session(async |db| tenants::exists(db, tenant).await)
            .await
    }
    async fn get_task(&self, tenant: TenantId, id: TaskId) -> Result<Option<Task>, StoreError> {
        self.in_session(async |db| tasks::get(db, tenant, id).await)
            .await
    }
    async fn get_task_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<Task>, StoreError> {
        self.in_session(async |db| tasks::get_by_idempotency_key(db, tenant, key).await)
            .await
    }
    async fn list_tasks(
        &self,
        tenant: TenantId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paginated<Task>, StoreError> {
        self.in_session(async |db| tasks::list(db, tenant, filter, page).await)
            .await
    }
    async fn finished_per_minute(&self, tenant: TenantId) -> Result<Vec<MinuteCount>, StoreError> {
        self.in_session(async |db| tasks::finished_per_minute(db, tenant).await)
            .await
    }
    async fn task_journal(&self, task: &Task) -> Result<Vec<JournalEntry>, StoreError> {
        self.in_session(async |db| crate::journal::of_task(db, task).await)
            .await
    }
    async fn count_states(&self, tenant: TenantId) -> Result<Vec<(TaskState, u64)>, StoreError> {
        self.in_session(async |db| tasks::count_states(db, tenant).await)
            .await
    }
    async fn claim_tasks(&self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError> {
        self.in_session(async |db| tasks::claim(db, request).await)
            .await
    }
    async fn claim_task(
        &self,
        tenant: TenantId,
        id: TaskId,
        owner: &str,
        lease_duration: Duration,
    ) -> Result<ClaimById, StoreError> {
        self.in_session(async |db| {
            match tasks::claim_by_id(db, tenant, id, owner, lease_duration).await? {
                Some(task) => Ok(ClaimById::Claimed(task)),
                None => Ok(match tasks::get(db, tenant, id).await? {
                    Some(task) => ClaimById::Refused(task),
                    None => ClaimById::NotFound,
                }),
            }
        })
        .await
    }
    async fn rescue_expired_leases_all_tenants(
        &self,
        policy: RescuePolicy,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        // The rescue statement notifies the waiters of the tasks it fails itself; the
        // dependents of those commit failed with them.
        crate::tx::in_transaction(&self.pool, !self.behind_pooler, async |db| {
            tasks::rescue_expired(db, policy, limit).await
        })
        .await
    }
    async fn get_task_with_links(
        &self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<(Task, zora_core::dependency::TaskLinks)>, StoreError> {
        self.in_session(async |db| tasks::get_with_links(db, tenant, id).await)
            .await
    }
    async fn dependency_edges(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<zora_core::dependency::DependencyEdge>, StoreError> {
        self.in_session(async |db| crate::dependencies::edges(db, tenant, ids).await)
            .await
    }
    async fn extend_leases(
        &self,
        leases: &[Lease],
        lease_duration: Duration,
    ) -> Result<Vec<TaskId>, StoreError> {
        self.in_session(async |db| tasks::extend_leases(db, leases, lease_duration).await)
            .await
    }
    async fn queue_stats(&self, scope: Scope) -> Result<QueueStats, StoreError> {
        self.in_session(async |db| tasks::stats(db, scope).await)
            .await
    }
    async fn register_worker(&self, worker: &WorkerRegistration) -> Result<(), StoreError> {
        self.in_session(async |db| workers::register(db, worker).await)
            .await
    }
    async fn beat_worker(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.in_session(async |db| workers::beat(db, id, ttl).await)
            .await
    }
    async fn stop_worker(&self, id: &str) -> Result<(), StoreError> {
        self.in_session(async |db| workers::stop(db, id).await)
            .await
    }
    async fn lost_workers(&self, within: Duration) -> Result<u64, StoreError> {
        self.in_session(async |db| workers::lost(db, within).await)
            .await
    }
    async fn live_workers(&self, scope: Scope) -> Result<Vec<WorkerInfo>, StoreError> {
        self.in_session(async |db| workers::live(db, scope).await)
            .await
    }
    async fn database_now(&self) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
        self.in_session(async |db| retention::now(db).await).await
    }
    async fn prune_finished_tasks_all_tenants(
        &self,
        prune: &Prune,
        after: Option<TaskId>,
        dry_run: bool,
    ) -> Result<PruneBatch, StoreError> {
        self.in_session(async |db| retention::prune_window(db, prune, after, dry_run).await)
            .await
    }
    async fn command_tasks(
        &self,
        tenant: TenantId,
        command: CommandId,
    ) -> Result<Vec<Task>, StoreError> {
        self.in_session(async |db| tasks::of_command(db, tenant, command).await)
            .await
    }
}
