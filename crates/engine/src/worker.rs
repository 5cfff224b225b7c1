//! [`Worker`]: a long-running loop that claims runnable tasks as they come and runs them,
//! up to `concurrency` batches at once, fair across tenants; takes back expired leases
//! on its own clock; and on shutdown stops claiming, lets in-flight batches finish up to
//! `shutdown_timeout`, and gives back what remains (unrun, attempt not charged).
//!
//! It wakes when the store says tasks became runnable ([`Store::subscribe_wakeups`]:
//! PostgreSQL's LISTEN/NOTIFY, SQLite's in-process notifier), at the time a retry or a
//! later task said it would be due, on a finished batch, and on `poll_interval` as the
//! safety net (the only one with `listen` off, as behind a transaction-mode pooler).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use zora_core::{
    ClaimRequest, ClaimScope, Lease, RescuePolicy, Store, Task, TaskWakeups, TenantId,
    WorkerRegistration,
};

use crate::claim_plan::ClaimPlan;
use crate::due_times::DueTimes;
use crate::executor::Executor;
use crate::registry::Registry;
use crate::report::TaskReport;
use crate::settings::ExecutorSettings;

/// How long after a worker was lost (its row expired, never stopped) the others claim
/// every task visibly: a task that kills its process mid-batch then loses an attempt under
/// a lease each time it does (in one transaction the claim would roll back, unrecorded),
/// so it reaches [`RescuePolicy::max_lost_attempts`] instead of killing worker after worker.
pub const LOST_WORKER_CAUTION: Duration = Duration::from_secs(300);

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// One tenant's tasks, or every tenant's (the default).
    pub tenant: Option<TenantId>,
    /// Only these types (among the registered ones). Defaults to every registered type.
    pub task_types: Option<Vec<String>>,
    /// Batches applied at once. Defaults to the machine's cores.
    pub concurrency: usize,
    /// Tasks per claim and per transaction. Defaults to 100.
    pub batch_size: u32,
    /// The most tasks of one tenant per claim while other tenants have work too (unless
    /// an even share of the batch is larger). Defaults to 10.
    pub per_tenant_cap: u32,
    /// How often to look for work when nothing wakes the worker. Defaults to 1s.
    pub poll_interval: Duration,
    /// Wait for the store's word that tasks became runnable (PostgreSQL: a `LISTEN`
    /// connection). Off behind a transaction-mode pooler: then only the poll wakes it.
    /// Defaults to on.
    pub listen: bool,
    /// How long a claim holds a task. Defaults to 30s.
    pub lease_duration: Duration,
    /// How often the leases of tasks in `prepare` are extended. Defaults to a third of
    /// `lease_duration`.
    pub heartbeat_interval: Option<Duration>,
    /// How often to take back expired leases. Defaults to 5s.
    pub rescue_interval: Duration,
    /// How long in-flight batches may finish after a shutdown signal. Defaults to 30s.
    pub shutdown_timeout: Duration,
    /// How the rescue judges a task whose lease expired. Defaults to 50 lost attempts.
    pub rescue: RescuePolicy,
    /// The most tasks of a type held at once, by type; a type not named here takes its
    /// handler's `concurrency_limit`, if any. Defaults to none.
    pub type_concurrency: BTreeMap<String, usize>,
    /// Where its executor counts and its rescues are counted. Defaults to a handle of
    /// its own.
    pub metrics: crate::metrics::Metrics,
    /// Claim the types without a `prepare` step inside the transaction that applies them
    /// (`Executor::run_locked`): one row version per task, and such a task is never seen
    /// `in_progress`. Off, every task is claimed visibly under a lease first. Defaults to
    /// on.
    pub one_transaction: bool,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            tenant: None,
            task_types: None,
            concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            batch_size: 100,
            per_tenant_cap: 10,
            poll_interval: Duration::from_secs(1),
            listen: true,
            lease_duration: Duration::from_secs(30),
            heartbeat_interval: None,
            rescue_interval: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(30),
            rescue: RescuePolicy::default(),
            type_concurrency: BTreeMap::new(),
            metrics: crate::metrics::Metrics::default(),
            one_transaction: true,
        }
    }
}

/// What a worker did before it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub completed: usize,
    pub failed: usize,
    pub rescued: usize,
    /// Tasks given back unrun at shutdown.
    pub released: usize,
}

/// A worker; see the module documentation.
#[derive(Debug)]
pub struct Worker {
    store: Arc<dyn Store>,
    executor: Executor,
    settings: WorkerSettings,
    plan: ClaimPlan,
}

/// A batch in flight: its tasks' leases (given back if it cannot finish) and types; none
/// for a batch claimed in its own transaction, which a rollback gives back.
#[derive(Debug)]
struct HeldBatch {
    id: tokio::task::Id,
    leases: Vec<Lease>,
    types: Vec<String>,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, registry: Arc<Registry>, settings: WorkerSettings) -> Self {
        let mut executor_settings = ExecutorSettings::new("worker");
        executor_settings.lease_duration = settings.lease_duration;
        executor_settings.heartbeat_interval = settings.heartbeat_interval;
        executor_settings.batch_size = settings.batch_size;
        executor_settings.metrics = settings.metrics.clone();
        let types = registry
            .kinds()
            .into_iter()
            .filter(|kind| {
                settings
                    .task_types
                    .as_ref()
                    .is_none_or(|only| only.contains(kind))
            })
            .collect();
        let plan = ClaimPlan::new(
            types,
            |kind| {
                settings
                    .type_concurrency
                    .get(kind)
                    .copied()
                    .or_else(|| registry.get(kind)?.concurrency_limit())
            },
            |kind| registry.get(kind).is_some_and(|h| h.prepares()),
        );
        Self {
            executor: Executor::new(store.clone(), registry, executor_settings),
            store,
            settings,
            plan,
        }
    }

    /// This worker's id: the lease owner on the tasks it holds.
    pub fn id(&self) -> &str {
        &self.executor.settings().owner
    }

    fn claim_request(&self, task_types: Vec<String>, limit: u32) -> ClaimRequest {
        ClaimRequest {
            scope: match self.settings.tenant {
                Some(tenant) => ClaimScope::Tenant(tenant),
                None => ClaimScope::AllTenants {
                    per_tenant_cap: self.settings.per_tenant_cap,
                },
            },
            task_types,
            limit,
            owner: self.id().to_owned(),
            lease_duration: self.settings.lease_duration,
        }
    }

    /// Runs until `shutdown` resolves, then drains and returns what it did.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> WorkerReport {
        tokio::pin!(shutdown);
        let mut report = WorkerReport::default();
        let mut in_flight: JoinSet<Vec<TaskReport>> = JoinSet::new();
        let mut held: Vec<HeldBatch> = Vec::new();
        let mut rescue = tokio::time::interval(self.settings.rescue_interval);
        rescue.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let registration = self.registration();
        self.register(&registration).await;
        let mut beat = tokio::time::interval(self.executor.settings().heartbeat_interval());
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beat.tick().await;
        let mut wakeups = self.subscribe().await;
        let mut cautious = self.lost_a_worker().await;
        let mut due_at = DueTimes::default();
        let mut look_now = true;
        loop {
            // Claim while there is room and, last time, work.
            let concurrency = self.settings.concurrency.max(1);
            while look_now && in_flight.len() < concurrency {
                look_now = false;
                let held_of = |kind: &str| {
                    held.iter()
                        .flat_map(|batch| &batch.types)
                        .filter(|t| *t == kind)
                        .count()
                };
                let claims = self.plan.claims(
                    self.settings.batch_size,
                    held_of,
                    self.settings.one_transaction && !cautious,
                );
                for claim in claims {
                    if in_flight.len() >= concurrency {
                        break;
                    }
                    let request = self.claim_request(claim.types, claim.limit);
                    if claim.in_one_transaction {
                        match self.executor.claim_locked(&request).await {
                            Ok(None) => {}
                            Ok(Some(locked)) => {
                                look_now = true;
                                let executor = self.executor.clone();
                                let handle = in_flight
                                    .spawn(async move { executor.run_locked(locked).await });
                                // Nothing to give back: a rollback does.
                                held.push(HeldBatch {
                                    id: handle.id(),
                                    leases: Vec::new(),
                                    types: Vec::new(),
                                });
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "claim failed; retrying at the next poll");
                            }
                        }
                        continue;
                    }
                    match self.store.claim_tasks(&request).await {
                        Ok(claimed) if claimed.is_empty() => {}
                        Ok(claimed) => {
                            look_now = true;
                            let leases = claimed.iter().filter_map(Task::lease).collect();
                            let types = claimed.iter().map(|t| t.task_type.clone()).collect();
                            let executor = self.executor.clone();
                            let handle =
                                in_flight.spawn(async move { executor.execute(claimed).await });
                            held.push(HeldBatch {
                                id: handle.id(),
                                leases,
                                types,
                            });
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "claim failed; retrying at the next poll");
                        }
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                Some(due) = next_wakeup(&mut wakeups) => look_now |= due_at.add(&due),
                () = due_at.first(), if !due_at.is_empty() => {
                    due_at.pop_passed();
                    look_now = true;
                }
                () = tokio::time::sleep(self.settings.poll_interval) => look_now = true,
                _ = rescue.tick() => {
                    let rescued = crate::rescuer::rescue_once(
                        self.store.as_ref(),
                        self.settings.rescue,
                        &self.executor.settings().metrics,
                    )
                    .await;
                    report.rescued += rescued;
                    look_now |= rescued > 0;
                }
                Some(done) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                    Self::count(&mut report, &mut held, done);
                    look_now = true;
                }
                _ = beat.tick() => {
                    self.beat(&registration).await;
                    let lost = self.lost_a_worker().await;
                    if lost != cautious {
                        if lost {
                            tracing::info!("a worker was lost lately: claiming every task visibly");
                        } else {
                            tracing::info!("no worker lost lately: claiming in one transaction again");
                        }
                    }
                    cautious = lost;
                }
            }
        }
        // Shutdown: no more claims; let in-flight batches finish, then give back the rest.
        tracing::info!(
            in_flight = in_flight.len(),
            "stopping: finishing in-flight tasks"
        );
        let deadline = tokio::time::sleep(self.settings.shutdown_timeout);
        tokio::pin!(deadline);
        while !in_flight.is_empty() {
            tokio::select! {
                () = &mut deadline => break,
                Some(done) = in_flight.join_next_with_id() => {
                    Self::count(&mut report, &mut held, done);
                }
            }
        }
        in_flight.abort_all();
        while in_flight.join_next().await.is_some() {}
        let leases: Vec<Lease> = held.into_iter().flat_map(|batch| batch.leases).collect();
        if !leases.is_empty() {
            report.released = self.release(&leases).await;
        }
        if let Err(err) = self.store.stop_worker(self.id()).await {
            tracing::warn!(error = %err, "could not mark this worker stopped; its row will expire");
        }
        report
    }

    /// Word of runnable tasks from the store, unless `listen` is off; without it (the
    /// store could not subscribe) the worker polls.
    async fn subscribe(&self) -> Option<Box<dyn TaskWakeups>> {
        if !self.settings.listen {
            return None;
        }
        match self.store.subscribe_wakeups().await {
            Ok(wakeups) => Some(wakeups),
            Err(err) => {
                tracing::warn!(error = %err, poll = ?self.settings.poll_interval,
                    "cannot listen for new tasks; polling instead");
                None
            }
        }
    }

    /// This worker's row in the registry: alive for one lease without a beat.
    fn registration(&self) -> WorkerRegistration {
        WorkerRegistration {
            kind: zora_core::worker::WorkerKind::Engine,
            id: self.id().to_owned(),
            host: host_name(),
            pid: i32::try_from(std::process::id()).unwrap_or(i32::MAX),
            tenant: self.settings.tenant,
            task_types: self.plan.types(),
            concurrency: i32::try_from(self.settings.concurrency).unwrap_or(i32::MAX),
            ttl: self.settings.lease_duration,
        }
    }

    async fn register(&self, registration: &WorkerRegistration) {
        if let Err(err) = self.store.register_worker(registration).await {
            tracing::warn!(error = %err, "could not register this worker; it runs unlisted");
        }
    }

    /// Beats the registry row; registers again when the row was pruned or marked stopped.
    async fn beat(&self, registration: &WorkerRegistration) {
        match self.store.beat_worker(self.id(), registration.ttl).await {
            Ok(true) => {}
            Ok(false) => self.register(registration).await,
            Err(err) => tracing::warn!(error = %err, "worker heartbeat failed"),
        }
    }

    /// Whether a worker was lost within [`LOST_WORKER_CAUTION`] (then this one claims
    /// visibly); only asked when this one claims in one transaction at all.
    async fn lost_a_worker(&self) -> bool {
        if !self.settings.one_transaction {
            return false;
        }
        match self.store.lost_workers(LOST_WORKER_CAUTION).await {
            Ok(0) => false,
            Ok(_) => true,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the worker registry; claiming visibly");
                true
            }
        }
    }

    fn count(
        report: &mut WorkerReport,
        held: &mut Vec<HeldBatch>,
        done: Result<(tokio::task::Id, Vec<TaskReport>), tokio::task::JoinError>,
    ) {
        let id = match &done {
            Ok((id, _)) => *id,
            Err(err) => err.id(),
        };
        held.retain(|batch| batch.id != id);
        if let Ok((_, reports)) = done {
            for task in reports {
                match task.outcome {
                    crate::TaskOutcome::Completed => report.completed += 1,
                    crate::TaskOutcome::Failed | crate::TaskOutcome::Retrying => report.failed += 1,
                    crate::TaskOutcome::Skipped => {}
                }
            }
        }
    }

    /// Gives back tasks still held, unrun: those whose batch did not finish in time.
    async fn release(&self, leases: &[Lease]) -> usize {
        let released = async {
            let mut tx = self.store.begin().await?;
            let ids = tx.release_tasks(leases).await?;
            tx.commit().await?;
            Ok::<_, zora_core::StoreError>(ids.len())
        }
        .await;
        match released {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(error = %err, "could not give tasks back; their leases will expire");
                0
            }
        }
    }
}

/// The next word from the store; never, without a subscription.
pub(crate) async fn next_wakeup(
    wakeups: &mut Option<Box<dyn TaskWakeups>>,
) -> Option<Vec<Duration>> {
    match wakeups {
        Some(wakeups) => wakeups.next().await,
        None => std::future::pending().await,
    }
}

/// The machine's name, for the registry (`HOSTNAME`, else the kernel's, else `unknown`).
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
