//! `zora chaos`: the engine through crashes, on a store of the run's own. Tasks of every
//! deterministic type (chains, a fan-in, approvals decided mid-run, injected transient and
//! permanent faults) are enqueued while `zora worker` processes drain them; a worker is
//! SIGKILLed every few hundred milliseconds and started again; on PostgreSQL (a cluster
//! of its own) the server is stopped twice mid-run, once fast and once immediately. At
//! the end, SQL counts what must be zero (see [`checks`]); exit 1 when any is not.

mod api_trial;
mod checks;
mod client;
mod cluster;
mod fleet;
mod outage;
mod overload;
mod proxy;
mod scratch;
mod workload;

use std::collections::VecDeque;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use zora_core::{DEFAULT_TENANT_ID, Decision, RescuePolicy, Store};
use zora_engine::faults::FaultPlan;
use zora_engine::{DecisionError, Registry};

use crate::cli::{ChaosArgs, ChaosCommand, ChaosScenario, ChaosStore};
use crate::exit::CliError;
use crate::progress::phase_bar;
use checks::{Check, Database, Outcomes, print_checks};
use cluster::{Cluster, StopMode};
use fleet::{Fleet, random_below};
use scratch::{OwnStore, conclude, in_scratch};
use workload::{GROUP, Pending, Workload};

/// Groups enqueued per batch (one `create_batch` call: the tasks of a group depend on one
/// another, so a group is never split).
const GROUPS_PER_BATCH: usize = 25;
/// How long a task needing approval waits before its decision.
const DECISION_DELAY: Duration = Duration::from_millis(800);
/// How long PostgreSQL stays down at each restart.
const DOWNTIME: Duration = Duration::from_secs(2);
/// The shares of the run finished at which PostgreSQL is restarted, and how.
const RESTARTS: [(f64, StopMode); 2] = [(0.35, StopMode::Fast), (0.7, StopMode::Immediate)];

/// One store's run.
#[derive(Debug, Serialize)]
struct Report {
    store: &'static str,
    tasks: u64,
    workers: u16,
    seconds: f64,
    worker_kills: u64,
    /// PostgreSQL restarts, by stop mode.
    database_restarts: Vec<&'static str>,
    /// Workers that exited by themselves (each started again): none is expected.
    worker_exits: Vec<String>,
    /// Tries of enqueuing or deciding that met a database error and were tried again.
    driver_retries: u64,
    outcomes: Outcomes,
    checks: Vec<Check>,
    /// Why some healthy tasks failed, when any did.
    unexpected_failures: Vec<String>,
    passed: bool,
}

pub async fn dispatch(command: &ChaosCommand, json: bool) -> Result<ExitCode, CliError> {
    match &command.scenario {
        None => run(&command.crashes, json).await,
        Some(ChaosScenario::Outage(args)) => outage::run(args, json).await,
        Some(ChaosScenario::Overload(args)) => overload::run(args, json).await,
    }
}

async fn run(args: &ChaosArgs, json: bool) -> Result<ExitCode, CliError> {
    let tasks = if args.quick { 2_000 } else { args.tasks };
    let groups = (tasks as usize).div_ceil(GROUP).max(1);
    let stores = match args.store {
        None => vec![ChaosStore::Sqlite, ChaosStore::Postgres],
        Some(one) => vec![one],
    };
    let mut reports = Vec::new();
    for store in stores {
        eprintln!(
            "zora chaos: {}, {} tasks, {} workers, a SIGKILL every ~{}{}",
            store.name(),
            groups * GROUP,
            args.workers,
            humantime::format_duration(args.kill_every),
            if store == ChaosStore::Postgres {
                ", PostgreSQL stopped fast at 35% and immediately at 70%"
            } else {
                ""
            }
        );
        let on = async |dir: &Path| on_store(store, dir, groups, args).await;
        reports.push(in_scratch(store.name(), args.scratch.keep, on).await?);
    }
    let passed = reports.iter().all(|r| r.passed);
    conclude(&reports, passed, json, || {
        reports.iter().for_each(print_report)
    })
}

async fn on_store(
    kind: ChaosStore,
    dir: &Path,
    groups: usize,
    args: &ChaosArgs,
) -> Result<Report, CliError> {
    let own = OwnStore::open(kind, dir, args.scratch.pg_bin.as_deref(), "chaos").await?;
    // Checked by the command line already.
    let faults: FaultPlan = args.faults.parse().unwrap_or_default();
    let workload = workload::seed(own.store.as_ref(), groups, &faults).await?;
    let started = Instant::now();
    let mut fleet = Fleet::start(
        usize::from(args.workers),
        &own.url,
        Some(&args.faults),
        &dir.join("workers.log"),
    )?;
    let driver = Driver::start(own.store.clone(), &workload);
    let outcome = drive(
        &workload,
        &driver,
        &mut fleet,
        &own.database,
        own.cluster.as_ref(),
        args.kill_every,
    )
    .await;
    fleet.stop();
    let restarts = outcome?;
    let database = &own.database;
    let checks = database.checks(&workload.must_fail, groups as i64).await?;
    let unexpected_failures = database.unexpected_reasons(&workload.must_fail, 5).await?;
    let passed = checks.iter().all(|c| c.found == 0) && fleet.exits.is_empty();
    Ok(Report {
        store: kind.name(),
        tasks: workload.total,
        workers: args.workers,
        seconds: started.elapsed().as_secs_f64(),
        worker_kills: fleet.kills,
        database_restarts: restarts,
        worker_exits: std::mem::take(&mut fleet.exits),
        driver_retries: driver.retries.load(Ordering::Relaxed),
        outcomes: database.outcomes().await?,
        checks,
        unexpected_failures,
        passed,
    })
}

/// The enqueuing and the deciding, each a task of its own that tries again through
/// database errors.
struct Driver {
    enqueued: Arc<AtomicBool>,
    decided: Arc<AtomicBool>,
    retries: Arc<AtomicU64>,
}

impl Driver {
    fn start(store: Arc<dyn Store>, workload: &Workload) -> Self {
        let driver = Self {
            enqueued: Arc::new(AtomicBool::new(false)),
            decided: Arc::new(AtomicBool::new(false)),
            retries: Arc::new(AtomicU64::new(0)),
        };
        let registry = Arc::new(crate::wiring::registry());
        let to_decide: Arc<Mutex<VecDeque<(Instant, Pending)>>> = Arc::default();
        let batches: Vec<(Vec<_>, Vec<Pending>)> = workload
            .groups
            .chunks(GROUPS_PER_BATCH)
            .zip(workload.decisions.chunks(GROUPS_PER_BATCH))
            .map(|(tasks, decisions)| (tasks.concat(), decisions.concat()))
            .collect();
        tokio::spawn(enqueue(
            (store.clone(), registry),
            batches,
            to_decide.clone(),
            (driver.enqueued.clone(), driver.retries.clone()),
        ));
        tokio::spawn(decide(
            store,
            to_decide,
            driver.enqueued.clone(),
            (driver.decided.clone(), driver.retries.clone()),
        ));
        driver
    }

    fn done(&self) -> bool {
        self.enqueued.load(Ordering::Relaxed) && self.decided.load(Ordering::Relaxed)
    }
}

/// Creates each batch through the engine's create path, trying again after an error: the
/// idempotency keys make a batch that did commit a replay.
async fn enqueue(
    (store, registry): (Arc<dyn Store>, Arc<Registry>),
    batches: Vec<(Vec<zora_core::NewTask>, Vec<Pending>)>,
    to_decide: Arc<Mutex<VecDeque<(Instant, Pending)>>>,
    (enqueued, retries): (Arc<AtomicBool>, Arc<AtomicU64>),
) {
    for (tasks, decisions) in batches {
        while let Err(error) = zora_engine::create_batch(store.as_ref(), &registry, &tasks).await {
            tracing::debug!(%error, "enqueue failed; trying again");
            retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let now = Instant::now();
        if let Ok(mut queue) = to_decide.lock() {
            queue.extend(decisions.into_iter().map(|d| (now, d)));
        }
    }
    enqueued.store(true, Ordering::Relaxed);
}

/// Decides each task that needs it once it has waited [`DECISION_DELAY`].
async fn decide(
    store: Arc<dyn Store>,
    to_decide: Arc<Mutex<VecDeque<(Instant, Pending)>>>,
    enqueued: Arc<AtomicBool>,
    (decided, retries): (Arc<AtomicBool>, Arc<AtomicU64>),
) {
    loop {
        let finished_enqueuing = enqueued.load(Ordering::Relaxed);
        let next = to_decide
            .lock()
            .ok()
            .and_then(|mut queue| match queue.front() {
                Some((at, _)) if at.elapsed() >= DECISION_DELAY => queue.pop_front(),
                _ => None,
            });
        let Some((at, pending)) = next else {
            let empty = to_decide.lock().map(|q| q.is_empty()).unwrap_or(true);
            if finished_enqueuing && empty {
                decided.store(true, Ordering::Relaxed);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let decision = Decision {
            approve: pending.approve,
            by: None,
            reason: Some(
                if pending.approve {
                    "chaos: approved"
                } else {
                    "chaos: rejected"
                }
                .into(),
            ),
        };
        match zora_engine::decide_task(store.as_ref(), DEFAULT_TENANT_ID, pending.id, &decision)
            .await
        {
            // Decided by an earlier try whose answer was lost: done.
            Ok(_) | Err(DecisionError::InvalidState(_)) => {}
            Err(error) => {
                tracing::debug!(%error, "decision failed; trying again");
                retries.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut queue) = to_decide.lock() {
                    queue.push_front((at, pending));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Kills workers and restarts the database until every task has finished; returns the
/// restarts made.
async fn drive(
    workload: &Workload,
    driver: &Driver,
    fleet: &mut Fleet,
    database: &Database,
    cluster: Option<&Cluster>,
    kill_every: Duration,
) -> Result<Vec<&'static str>, CliError> {
    let bar = phase_bar(workload.total, "tasks finished");
    // Generous: the slowest store drains a few hundred tasks a second through the kills.
    let deadline = Instant::now()
        + Duration::from_secs(120)
        + workload.total as u32 * Duration::from_millis(20);
    let mut restarts = Vec::new();
    let mut next_kill = Instant::now() + kill_every;
    let mut finished = 0;
    let mut last_count = Instant::now() - Duration::from_secs(1);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if Instant::now() >= next_kill {
            fleet.kill_one()?;
            // Between half and one and a half times the interval.
            let jitter = random_below(1_000) as u32;
            next_kill = Instant::now() + kill_every / 2 + kill_every * jitter / 1_000;
        }
        fleet.restart_exited()?;
        // A count a second: on SQLite every worker's commit empties the driver's page
        // cache, so a count reads the index afresh.
        if last_count.elapsed() >= Duration::from_secs(1)
            && let Ok(count) = database
                .count("SELECT count(*) FROM agent_tasks WHERE status IN ('completed', 'failed')")
                .await
        {
            last_count = Instant::now();
            finished = count as u64;
            bar.set_position(finished);
        }
        if let Some(cluster) = cluster
            && let Some((_, mode)) = RESTARTS
                .get(restarts.len())
                .filter(|(share, _)| finished as f64 >= share * workload.total as f64)
        {
            bar.suspend(|| eprintln!("zora chaos: stopping PostgreSQL ({})", mode.name()));
            cluster.down(*mode)?;
            tokio::time::sleep(DOWNTIME).await;
            cluster.up()?;
            restarts.push(mode.name());
        }
        let restarts_done = cluster.is_none() || restarts.len() == RESTARTS.len();
        if driver.done() && restarts_done && finished >= workload.total {
            bar.finish_and_clear();
            return Ok(restarts);
        }
        if Instant::now() > deadline {
            bar.finish_and_clear();
            return Err(CliError::Failed(format!(
                "the run did not finish in time: {finished} of {} tasks finished",
                workload.total
            )));
        }
    }
}

fn print_report(report: &Report) {
    crate::out!(
        "## zora chaos on {}: {} ({} tasks, {} workers, {:.0} s)",
        report.store,
        if report.passed { "passed" } else { "FAILED" },
        report.tasks,
        report.workers,
        report.seconds
    );
    crate::out!();
    crate::out!("| what | count |");
    crate::out!("|---|---:|");
    crate::out!(
        "| workers SIGKILLed and started again | {} |",
        report.worker_kills
    );
    crate::out!(
        "| PostgreSQL restarts | {} |",
        if report.database_restarts.is_empty() {
            "none (SQLite)".to_owned()
        } else {
            format!(
                "{} ({})",
                report.database_restarts.len(),
                report.database_restarts.join(", ")
            )
        }
    );
    crate::out!(
        "| workers that exited by themselves | {} |",
        report.worker_exits.len()
    );
    crate::out!(
        "| enqueue/decide tries met by a database error | {} |",
        report.driver_retries
    );
    let outcomes = &report.outcomes;
    crate::out!("| tasks completed | {} |", outcomes.completed);
    crate::out!(
        "| tasks failed, as the run meant (rejected, faulted for good, or a parent did) | {} |",
        outcomes.failed
    );
    crate::out!(
        "| tasks run more than once (a transient fault, or a killed worker's lease) | {} |",
        outcomes.run_more_than_once
    );
    crate::out!(
        "| attempts lost to a killed worker or a restart (charged none) | {} |",
        outcomes.lost_attempts
    );
    crate::out!(
        "| the most one task lost (the rescue fails a task at {}) | {} |",
        RescuePolicy::DEFAULT_MAX_LOST_ATTEMPTS,
        outcomes.most_lost_by_one_task
    );
    crate::out!();
    print_checks(&report.checks);
    crate::out!();
    for line in report
        .worker_exits
        .iter()
        .chain(&report.unexpected_failures)
    {
        crate::out!("- {line}");
    }
}

impl ChaosStore {
    fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}
