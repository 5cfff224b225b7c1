//! The queue: `agent_tasks` and the engine's own tables (workers, waiters), as the
//! executor, the API and the workers use them. [`Queue`] holds reads and the queue's own
//! short transactions (claim, rescue, heartbeats); [`QueueTx`] the task writes that
//! commit with a batch's domain rows.
//!
//! Every method that acts for a tenant takes its [`TenantId`] (or rows that carry it) and
//! never sees another tenant's rows; the few system-wide methods say so in their names.
//! Methods that take a slice do a whole batch in one round trip; a single row is the
//! slice of one.

use async_trait::async_trait;

use crate::dependency::{DependencyEdge, ParentRow, TaskLinks};
use crate::error::StoreError;
use crate::ids::{CommandId, TaskId, TenantId};
use crate::journal::JournalEntry;
use crate::page::{Page, Paginated};
use crate::retention::{Prune, PruneBatch};
use crate::stats::{MinuteCount, QueueStats, Scope};
use crate::task::{
    ClaimById, ClaimRequest, Completion, Decision, Failure, Lease, NewTask, RescuePolicy, Task,
    TaskFilter, TaskState,
};
use crate::worker::{WorkerInfo, WorkerRegistration};

use super::{FinishWatch, ReadTx, SchemaState, StoreTx, TaskWakeups, TxLimits};

/// The queue outside a transaction, and where transactions begin.
#[async_trait]
pub trait Queue: Send + Sync + std::fmt::Debug {
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

    /// Opens a transaction; dropping it without [`super::TxControl::commit`] rolls it back.
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError>;

    /// [`Queue::begin`] then [`super::TxControl::limit`], in one round trip where the store can.
    async fn begin_limited(&self, limits: TxLimits) -> Result<Box<dyn StoreTx>, StoreError>;

    /// Opens a transaction that only reads (PostgreSQL `READ ONLY`, SQLite a reader
    /// connection): it waits for no writer and holds no write lock, offers no write, and
    /// a write a domain's SQL tries through its connection fails. For checks that must
    /// see one snapshot, like create-time validation.
    async fn begin_read(&self) -> Result<Box<dyn ReadTx>, StoreError>;

    /// Whether `tenant` has a row in `tenants`.
    async fn tenant_exists(&self, tenant: TenantId) -> Result<bool, StoreError>;

    /// One task of `tenant`, or `None` (also when it belongs to another tenant).
    async fn get_task(&self, tenant: TenantId, id: TaskId) -> Result<Option<Task>, StoreError>;

    /// [`Queue::get_task`] with the task's links (`depends_on` and `dependents`), read in
    /// the same statement: the task object of `GET /api/agents/tasks/{id}`.
    async fn get_task_with_links(
        &self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<(Task, TaskLinks)>, StoreError>;

    /// `tenant`'s task created with `key` as its idempotency key.
    async fn get_task_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<Task>, StoreError>;

    /// The dependency edges of `tenant`'s tasks `ids`, both ways (their parents, each with
    /// its state, and their dependents), for the task objects' `depends_on` and
    /// `dependents`.
    async fn dependency_edges(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<DependencyEdge>, StoreError>;

    /// A page of `tenant`'s tasks, ordered `priority DESC, created_at ASC, id ASC`,
    /// with the total that match `filter`.
    async fn list_tasks(
        &self,
        tenant: TenantId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paginated<Task>, StoreError>;

    /// The journal entries about `task` (their `details.task_id` names it), oldest first,
    /// at most 200: those written from its creation on, until a minute after it finished.
    async fn task_journal(&self, task: &Task) -> Result<Vec<JournalEntry>, StoreError>;

    /// How many of `tenant`'s tasks are in each state (states without any are absent),
    /// in one read.
    async fn count_states(&self, tenant: TenantId) -> Result<Vec<(TaskState, u64)>, StoreError>;

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

    /// System-wide: takes back up to `limit` tasks whose lease expired, recording the
    /// lost attempt in `errors` (`kind: lease_expired`): to `pending` (due now), or, when
    /// the task has now lost `policy.max_lost_attempts` (see [`RescuePolicy`]) or was
    /// cancelled, to `failed` (and its dependents with it, in the same transaction). Each
    /// update is conditional on the lease still being expired, so a worker that completes
    /// in the meantime wins.
    async fn rescue_expired_leases_all_tenants(
        &self,
        policy: RescuePolicy,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError>;

    /// The heartbeat of a long run: moves the expiry of each lease still held (same
    /// owner and attempt, still `in_progress`, not cancelled) to `lease_duration` from now
    /// on the database clock. Returns the ids extended; a task missing from them was taken
    /// over or cancelled.
    async fn extend_leases(
        &self,
        leases: &[Lease],
        lease_duration: std::time::Duration,
    ) -> Result<Vec<TaskId>, StoreError>;

    /// Counts of the scope's tasks per status and type, the oldest due pending task's
    /// age, and the tasks finished in the last hour.
    async fn queue_stats(&self, scope: Scope) -> Result<QueueStats, StoreError>;

    /// `tenant`'s tasks finished in each minute of the last hour that had any, oldest
    /// first.
    async fn finished_per_minute(&self, tenant: TenantId) -> Result<Vec<MinuteCount>, StoreError>;

    /// Adds (or renews) a worker's row in the registry, alive for `worker.ttl`; prunes
    /// rows stopped or expired longer than [`crate::worker::WORKER_ROW_RETENTION`] ago.
    /// System-wide.
    async fn register_worker(&self, worker: &WorkerRegistration) -> Result<(), StoreError>;

    /// Beats a running worker's row: alive for `ttl` more. `false` when the row is gone
    /// or marked stopped (the worker registers again).
    async fn beat_worker(&self, id: &str, ttl: std::time::Duration) -> Result<bool, StoreError>;

    /// Marks a worker stopped.
    async fn stop_worker(&self, id: &str) -> Result<(), StoreError>;

    /// The database's clock: the authority on time for schedules and leases.
    async fn database_now(&self) -> Result<chrono::DateTime<chrono::Utc>, StoreError>;

    /// System-wide: one window of `prune` (see [`Prune`]), the tasks after `after` by
    /// id; with `dry_run` it counts what it would delete and deletes nothing.
    async fn prune_finished_tasks_all_tenants(
        &self,
        prune: &Prune,
        after: Option<TaskId>,
        dry_run: bool,
    ) -> Result<PruneBatch, StoreError>;

    /// System-wide: how many workers died within `within` (their rows expired unbeaten,
    /// never marked stopped): a crash, or a kill. A worker claims visibly while any did,
    /// so that a task that kills its process is charged an attempt each time it does.
    async fn lost_workers(&self, within: std::time::Duration) -> Result<u64, StoreError>;

    /// The workers alive now that serve the scope's tenant (those serving every tenant
    /// included; every worker for [`Scope::AllTenants`]), oldest first.
    async fn live_workers(&self, scope: Scope) -> Result<Vec<WorkerInfo>, StoreError>;

    /// The tasks of `tenant` linked to a command (by `command_id`, or by
    /// `payload.source_command_id` as ZORA CORE's own code links them), oldest first.
    async fn command_tasks(
        &self,
        tenant: TenantId,
        command: CommandId,
    ) -> Result<Vec<Task>, StoreError>;
}

/// The task writes of a transaction.
#[async_trait]
pub trait QueueTx: Send {
    /// Locks the tasks of `tenant` among `ids` against a concurrent finish until this
    /// transaction ends (PostgreSQL `FOR SHARE`) and returns them: a new task's parents,
    /// checked before it is inserted. Ids of no task of `tenant` are missing from the answer.
    async fn lock_parents(
        &mut self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<ParentRow>, StoreError>;

    /// Inserts a pending task and returns the stored row. A `created_by_user_id` without a
    /// row in `users` (a token's user ZORA CORE never stored) is written as NULL, in the
    /// same statement. With `depends_on` (parents locked by [`QueueTx::lock_parents`]), its
    /// edges are written and it is blocked unless every parent is completed already (then
    /// its `inputs` are filled at once).
    async fn insert_task(&mut self, task: &NewTask) -> Result<Task, StoreError>;

    /// Resets one of `tenant`'s `failed` tasks to `pending` for a retry: due now (blocked
    /// if a parent is not completed), attempts back to 0, error, times, lease and
    /// cancellation cleared; with it, every dependent that failed only because of it,
    /// transitively, blocked again. `None` when it is not failed (any more).
    async fn reset_failed_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError>;

    /// Cancels one of `tenant`'s unfinished tasks (`cancelled_at` set, `error_message` =
    /// `message`): a `pending` one fails at once, and its dependents with it; one
    /// `in_progress` under a lease stays so until its worker's next lease check, which
    /// finishes it failed instead of applying it (see [`QueueTx::lock_leased_tasks`]).
    /// `None` when it is not `pending` or leased `in_progress`, or already cancelled.
    async fn cancel_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
        message: &str,
    ) -> Result<Option<Task>, StoreError>;

    /// Records `decision` on one of `tenant`'s pending tasks awaiting one: approved, it
    /// becomes runnable (workers are woken); rejected, it fails (`rejected_at`,
    /// `decision_reason`, `error_message` = [`Decision::rejected_message`]) and its
    /// dependents with it. `None` when it awaits no decision (any more).
    async fn decide_task(
        &mut self,
        tenant: TenantId,
        id: TaskId,
        decision: &Decision,
    ) -> Result<Option<Task>, StoreError>;

    /// Whether ZORA CORE 3.x's `agent_task_policies` lets tasks of `task_type` run without a
    /// decision for `tenant`: its row for the tenant, else its global row (`tenant_id IS
    /// NULL`); `None` where there is no such row or no such table (a database that is not
    /// 3.x, and every SQLite file).
    async fn auto_execute_policy(
        &mut self,
        tenant: TenantId,
        task_type: &str,
    ) -> Result<Option<bool>, StoreError>;

    /// Makes one of `tenant`'s `pending` tasks due now when its `run_at` is later (one
    /// already due is not written); returns it, or `None` when it is not pending (any more).
    async fn make_task_due(
        &mut self,
        tenant: TenantId,
        id: TaskId,
    ) -> Result<Option<Task>, StoreError>;

    /// Claims up to `request.limit` runnable tasks as [`Queue::claim_tasks`] chooses them,
    /// but only by locking their rows in this transaction (`FOR UPDATE SKIP LOCKED` on
    /// PostgreSQL; SQLite's one writer holds them all): nothing is written, the tasks come
    /// back as the table has them (`pending`), and their outcomes, written through this
    /// transaction with [`Lease::locked`], are each task's one row version. A rollback or
    /// a crash leaves them pending, their attempt uncharged. `request.lease_duration` is
    /// not used.
    async fn claim_locked(&mut self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError>;

    /// Locks the tasks among `leases` that are still `in_progress` under exactly that
    /// lease (owner and attempt), in `id` order, and returns their ids; the others were
    /// rescued or finished elsewhere and must not be applied. A held task that was
    /// cancelled meanwhile is finished here, failed (its dependents with it), and not
    /// returned: nothing of its attempt is applied.
    async fn lock_leased_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError>;

    /// Marks tasks `completed` with their result and summary, each only if its lease
    /// still holds (a locked one: if it is still `pending` at the attempt before its
    /// own, which is then charged), and releases the dependents whose last parent that
    /// was; returns the ids written.
    async fn complete_tasks(
        &mut self,
        completions: &[Completion],
    ) -> Result<Vec<TaskId>, StoreError>;

    /// Gives tasks back unrun, each only if its lease still holds: `pending`, lease
    /// cleared, the attempt not charged (a worker shutting down with work in hand).
    async fn release_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError>;

    /// Records failed attempts, each only if its lease still holds (a locked one as in
    /// [`QueueTx::complete_tasks`], its attempt charged): back to `pending`
    /// with a later `run_at` when `retry_in` is set, else `failed`, and then every task
    /// that depends on it, transitively, fails too (with its journal entry). Appends to
    /// `errors`.
    async fn fail_tasks(&mut self, failures: &[Failure]) -> Result<Vec<TaskId>, StoreError>;
}
