//! The store traits: everything the executor, the API and the workers need from storage.
//!
//! [`Store`] holds reads and the queue's own short transactions (claim, rescue); every
//! write that must commit together with others goes through a [`StoreTx`], so that a
//! handler's domain rows, its journal entries and its task's completion commit as one.
//!
//! Every method that acts for a tenant takes its [`TenantId`] (or rows that carry it) and
//! never sees another tenant's rows; the few system-wide methods say so in their names.
//! Methods that take a slice do a whole batch in one round trip; a single row is the
//! slice of one.

use async_trait::async_trait;

use crate::climate::{
    ClimateProfile, Mission, NewMission, NewPlan, NewProfile, PlanItem, WeeklyPlan,
};
use crate::command::{Command, CommandStatus, CommandUpdate, NewCommand};
use crate::error::StoreError;
use crate::ids::{
    BrandId, ClimateMetaId, CommandId, MissionId, PlanId, PlanItemId, ProductId, ProfileId,
    ShopProjectId, TaskId, TenantId,
};
use crate::journal::{JournalEntry, NewJournalEntry};
use crate::page::{Page, Paginated};
use crate::shop::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Product, ProductClimateMeta,
    ShopProject, UpsertAction,
};
use crate::stats::{QueueStats, Scope};
use crate::task::{
    AttemptLimits, ClaimById, ClaimRequest, Completion, Failure, Lease, NewTask, Task, TaskFilter,
};
use crate::tenant::NewTenant;
use crate::worker::{WorkerInfo, WorkerRegistration};

/// Where a database's schema stands against the migrations this binary embeds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaState {
    /// Embedded migrations not yet applied (version and description).
    pub pending: Vec<String>,
    /// Applied migrations this binary does not know: the schema is newer than it.
    pub unknown_applied: Vec<i64>,
}

impl SchemaState {
    /// Whether every embedded migration is applied.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Word from the store that tasks became runnable (inserted, retried, released, made due),
/// for a worker waiting for work: PostgreSQL's `LISTEN`, SQLite's in-process notifier.
#[async_trait]
pub trait TaskWakeups: Send {
    /// Waits for the next word and returns when the tasks it names are due, soonest first
    /// (zero: now), with everything that arrived meanwhile; `None` once no more can come.
    /// Cancel-safe: dropping the future loses nothing.
    async fn next(&mut self) -> Option<Vec<std::time::Duration>>;
}

/// Word that a watched task finished (completed, or failed for good), for someone waiting
/// on its outcome: PostgreSQL's `LISTEN`, SQLite's in-process notifier.
#[async_trait]
pub trait FinishWatch: Send {
    /// Resolves at word that the task may have finished; the caller reads it to see.
    /// Cancel-safe: dropping the future loses nothing.
    async fn next(&mut self);
}

/// A storage backend: PostgreSQL in production, SQLite as the zero-setup default.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// `postgres` or `sqlite`.
    fn backend(&self) -> &'static str;

    /// How the schema compares with the embedded migrations.
    async fn schema_state(&self) -> Result<SchemaState, StoreError>;

    /// Subscribes to word of tasks becoming runnable (see [`TaskWakeups`]). On PostgreSQL
    /// this holds a `LISTEN` connection while any subscription lives; do not call it behind
    /// a transaction-mode pooler, which cannot forward notifications.
    async fn subscribe_wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError>;

    /// Watches a task for its finish, from now on (subscribe first, then read the task,
    /// tenant-scoped, and no finish can slip between). `None` when this store cannot be
    /// told (PostgreSQL behind a transaction-mode pooler: no `LISTEN`); then poll.
    /// Finishes that happen in other processes reach a SQLite store's watch only as a
    /// poll does.
    async fn watch_finish(&self, id: TaskId) -> Result<Option<Box<dyn FinishWatch>>, StoreError>;

    /// Opens a transaction; dropping it without [`StoreTx::commit`] rolls it back.
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError>;

    /// [`Store::begin`] then [`StoreTx::limit`], in one round trip where the store can.
    async fn begin_limited(&self, limits: TxLimits) -> Result<Box<dyn StoreTx>, StoreError>;

    /// Opens a transaction that only reads (PostgreSQL `READ ONLY`, SQLite a reader
    /// connection): it waits for no writer and holds no write lock, and a write through
    /// it fails. For checks that must see one snapshot, like create-time validation.
    async fn begin_read(&self) -> Result<Box<dyn StoreTx>, StoreError>;

    /// Whether `tenant` has a row in `tenants`.
    async fn tenant_exists(&self, tenant: TenantId) -> Result<bool, StoreError>;

    /// One task of `tenant`, or `None` (also when it belongs to another tenant).
    async fn get_task(&self, tenant: TenantId, id: TaskId) -> Result<Option<Task>, StoreError>;

    /// `tenant`'s task created with `key` as its idempotency key.
    async fn get_task_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<Task>, StoreError>;

    /// A page of `tenant`'s tasks, ordered `priority DESC, created_at ASC, id ASC`,
    /// with the total that match `filter`.
    async fn list_tasks(
        &self,
        tenant: TenantId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paginated<Task>, StoreError>;

    /// Claims up to `request.limit` runnable tasks in one short transaction: pending,
    /// due, of a requested type, not cancelled, rejected or awaiting approval, with
    /// every dependency completed; in `priority DESC, created_at ASC, id ASC` order.
    /// They come back `in_progress` with `started_at`, `attempts + 1` and a lease.
    async fn claim_tasks(&self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError>;

    /// Claims one task of `tenant` by id, whatever its type and `run_at`: a pending task
    /// that is not cancelled, rejected, awaiting approval or waiting for dependencies, or
    /// an `in_progress` one whose lease expired (the lapse is recorded in `errors`).
    /// Anything else is returned as it is, unclaimed.
    async fn claim_task(
        &self,
        tenant: TenantId,
        id: TaskId,
        owner: &str,
        lease_duration: std::time::Duration,
    ) -> Result<ClaimById, StoreError>;

    /// System-wide: takes back up to `limit` tasks whose lease expired, to `pending`
    /// (due now) or, when `attempts` reached the task's limit (see [`AttemptLimits`]),
    /// to `failed`, recording the lapse in `errors`. Each update is conditional on the
    /// lease still being expired, so a worker that completes in the meantime wins.
    async fn rescue_expired_leases_all_tenants(
        &self,
        limits: &AttemptLimits,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError>;

    /// The heartbeat of a long run: moves the expiry of each lease still held (same
    /// owner and attempt, still `in_progress`) to `lease_duration` from now on the
    /// database clock. Returns the ids extended; a task missing from them was taken over.
    async fn extend_leases(
        &self,
        leases: &[Lease],
        lease_duration: std::time::Duration,
    ) -> Result<Vec<TaskId>, StoreError>;

    /// Counts of the scope's tasks per status and type, the oldest due pending task's
    /// age, and the tasks finished in the last hour.
    async fn queue_stats(&self, scope: Scope) -> Result<QueueStats, StoreError>;

    /// Adds (or renews) a worker's row in the registry, alive for `worker.ttl`; prunes
    /// rows stopped or expired longer than [`crate::worker::WORKER_ROW_RETENTION`] ago.
    /// System-wide.
    async fn register_worker(&self, worker: &WorkerRegistration) -> Result<(), StoreError>;

    /// Beats a running worker's row: alive for `ttl` more. `false` when the row is gone
    /// or marked stopped (the worker registers again).
    async fn beat_worker(&self, id: &str, ttl: std::time::Duration) -> Result<bool, StoreError>;

    /// Marks a worker stopped.
    async fn stop_worker(&self, id: &str) -> Result<(), StoreError>;

    /// The workers alive now that serve the scope's tenant (those serving every tenant
    /// included; every worker for [`Scope::AllTenants`]), oldest first.
    async fn live_workers(&self, scope: Scope) -> Result<Vec<WorkerInfo>, StoreError>;

    /// One command of `tenant`.
    async fn get_command(
        &self,
        tenant: TenantId,
        id: CommandId,
    ) -> Result<Option<Command>, StoreError>;

    /// The tasks of `tenant` linked to a command (by `command_id`, or by
    /// `payload.source_command_id` as ZORA CORE's own code links them), oldest first.
    async fn command_tasks(
        &self,
        tenant: TenantId,
        command: CommandId,
    ) -> Result<Vec<Task>, StoreError>;

    /// A page of `tenant`'s commands, newest first (`created_at DESC, id ASC`).
    async fn list_commands(
        &self,
        tenant: TenantId,
        status: Option<CommandStatus>,
        page: Page,
    ) -> Result<Paginated<Command>, StoreError>;

    /// A page of `tenant`'s journal, newest first (`created_at DESC, id ASC`).
    async fn list_journal_entries(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paginated<JournalEntry>, StoreError>;

    /// `tenant`'s missions among `ids`, in `id` order.
    async fn missions(
        &self,
        tenant: TenantId,
        ids: &[MissionId],
    ) -> Result<Vec<Mission>, StoreError>;

    /// `tenant`'s shop projects among `ids`, in `id` order.
    async fn shop_projects(
        &self,
        tenant: TenantId,
        ids: &[ShopProjectId],
    ) -> Result<Vec<ShopProject>, StoreError>;

    /// `tenant`'s climate metadata of the products among `product_ids`, in `product_id`
    /// order.
    async fn product_climate_meta(
        &self,
        tenant: TenantId,
        product_ids: &[ProductId],
    ) -> Result<Vec<ProductClimateMeta>, StoreError>;
}

/// Limits on one transaction, so that a slow statement or a stalled worker cannot hold
/// its row locks past its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLimits {
    /// The longest one statement may run, lock waits included.
    pub statement: std::time::Duration,
    /// The longest the transaction may sit idle between statements (a frozen or cut-off
    /// worker); the server then ends the session, and its locks with it.
    pub idle: std::time::Duration,
}

/// One open transaction. Writes are visible to others only after [`StoreTx::commit`].
#[async_trait]
pub trait StoreTx: Send {
    /// Bounds the rest of this transaction (PostgreSQL: `SET LOCAL statement_timeout`,
    /// `lock_timeout`, `idle_in_transaction_session_timeout`); a statement over a limit
    /// fails with [`StoreError::Transient`]. SQLite has no such limits: its one writer
    /// waits at most its busy timeout, and nothing else holds locks.
    async fn limit(&mut self, limits: TxLimits) -> Result<(), StoreError>;
    /// Commits every write made through this handle.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Discards every write made through this handle.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
    /// Marks a point [`StoreTx::rollback_to_savepoint`] returns to (one level).
    async fn savepoint(&mut self) -> Result<(), StoreError>;
    /// Discards the writes made since [`StoreTx::savepoint`]; the transaction goes on.
    async fn rollback_to_savepoint(&mut self) -> Result<(), StoreError>;
    /// Keeps the writes made since [`StoreTx::savepoint`] and forgets the mark.
    async fn release_savepoint(&mut self) -> Result<(), StoreError>;

    /// Starts one task's part of a batch. Until [`StoreTx::end_task`], its inserts of
    /// missions, shop projects, plan-item links and journal entries are held, to be written
    /// for the whole batch by [`StoreTx::flush_held_writes`] in one statement per table;
    /// before its first other write a savepoint is taken, so that [`StoreTx::end_task`]
    /// can undo the task alone. A task that only inserts costs no round trip of its own.
    fn begin_task(&mut self);
    /// Ends the task's part: `keep`, or undo it (its held rows dropped, its savepoint, if
    /// it took one, rolled back to).
    async fn end_task(&mut self, keep: bool) -> Result<(), StoreError>;
    /// Writes every held row: missions, shop projects, plan-item links, journal entries.
    async fn flush_held_writes(&mut self) -> Result<(), StoreError>;

    // --- tasks -------------------------------------------------------------------

    /// Inserts a pending task and returns the stored row.
    async fn insert_task(&mut self, task: &NewTask) -> Result<Task, StoreError>;

    /// Resets one of `tenant`'s `failed` tasks to `pending` for a retry: due now, attempts
    /// back to 0, error, times, lease and cancellation cleared. `None` when it is not
    /// failed (any more).
    async fn reset_failed_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError>;

    /// Makes one of `tenant`'s `pending` tasks due now when its `run_at` is later (one
    /// already due is not written); returns it, or `None` when it is not pending (any more).
    async fn make_task_due(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError>;

    /// Locks the tasks among `leases` that are still `in_progress` under exactly that
    /// lease (owner and attempt), in `id` order, and returns their ids; the others were
    /// rescued or finished elsewhere and must not be applied.
    async fn lock_leased_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError>;

    /// Marks tasks `completed` with their result and summary, each only if its lease
    /// still holds; returns the ids written.
    async fn complete_tasks(
        &mut self,
        completions: &[Completion],
    ) -> Result<Vec<TaskId>, StoreError>;

    /// Gives tasks back unrun, each only if its lease still holds: `pending`, lease
    /// cleared, the attempt not charged (a worker shutting down with work in hand).
    async fn release_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError>;

    /// Records failed attempts, each only if its lease still holds: back to `pending`
    /// with a later `run_at` when `retry_in` is set, else `failed`. Appends to `errors`.
    async fn fail_tasks(&mut self, failures: &[Failure]) -> Result<Vec<TaskId>, StoreError>;

    // --- tenants and seed rows ---------------------------------------------------

    /// Creates a tenant.
    async fn insert_tenant(&mut self, tenant: &NewTenant) -> Result<(), StoreError>;
    /// Creates a climate profile.
    async fn insert_profile(&mut self, profile: &NewProfile) -> Result<(), StoreError>;
    /// Creates a weekly plan (`proposed`) with its items.
    async fn insert_plan(&mut self, plan: &NewPlan) -> Result<(), StoreError>;
    /// Creates a brand.
    async fn insert_brand(&mut self, brand: &NewBrand) -> Result<(), StoreError>;
    /// Creates a product.
    async fn insert_product(&mut self, product: &NewProduct) -> Result<(), StoreError>;

    // --- Climate OS --------------------------------------------------------------

    /// `tenant`'s profiles among `ids`, in `id` order.
    async fn profiles(
        &mut self,
        tenant: TenantId,
        ids: &[ProfileId],
    ) -> Result<Vec<ClimateProfile>, StoreError>;
    /// `tenant`'s weekly plans among `ids`, in `id` order.
    async fn plans(
        &mut self,
        tenant: TenantId,
        ids: &[PlanId],
    ) -> Result<Vec<WeeklyPlan>, StoreError>;
    /// The items of `tenant`'s plans among `plan_ids`, by plan, then `created_at`, `id`.
    async fn plan_items(
        &mut self,
        tenant: TenantId,
        plan_ids: &[PlanId],
    ) -> Result<Vec<PlanItem>, StoreError>;
    /// Claims a plan for applying: `proposed → applied`, atomically. `false` when the
    /// plan is not `proposed` (another task applied it first).
    async fn mark_plan_applied(
        &mut self,
        tenant: TenantId,
        plan: PlanId,
    ) -> Result<bool, StoreError>;
    /// Creates missions (status `planned`).
    async fn insert_missions(&mut self, missions: &[NewMission]) -> Result<(), StoreError>;
    /// Links plan items of `tenant`'s plans to the missions created from them.
    async fn link_plan_items(
        &mut self,
        tenant: TenantId,
        links: &[(PlanItemId, MissionId)],
    ) -> Result<(), StoreError>;

    // --- ZORA SHOP ---------------------------------------------------------------

    /// `tenant`'s brands among `ids`, in `id` order.
    async fn brands(&mut self, tenant: TenantId, ids: &[BrandId])
    -> Result<Vec<Brand>, StoreError>;
    /// `tenant`'s products among `ids`, in `id` order.
    async fn products(
        &mut self,
        tenant: TenantId,
        ids: &[ProductId],
    ) -> Result<Vec<Product>, StoreError>;
    /// Creates or updates a product's climate metadata in one statement, keyed by the
    /// unique `product_id`; returns the row's id and which it was.
    async fn upsert_product_climate_meta(
        &mut self,
        upsert: &ClimateMetaUpsert,
    ) -> Result<(ClimateMetaId, UpsertAction), StoreError>;
    /// Creates shop projects.
    async fn insert_shop_projects(&mut self, projects: &[NewShopProject])
    -> Result<(), StoreError>;

    // --- journal and commands ----------------------------------------------------

    /// Writes journal entries.
    async fn insert_journal_entries(
        &mut self,
        entries: &[NewJournalEntry],
    ) -> Result<(), StoreError>;
    /// Records a command in state `received`.
    async fn insert_command(&mut self, command: &NewCommand) -> Result<Command, StoreError>;
    /// Moves one of `tenant`'s commands to its next state; `false` when there is none.
    async fn update_command(
        &mut self,
        tenant: TenantId,
        id: CommandId,
        update: &CommandUpdate,
    ) -> Result<bool, StoreError>;
}
