//! `zora chaos outage`: the database gone and back under a running `zora serve` and
//! `zora worker`s, both reaching PostgreSQL (a cluster of the run's own) through a proxy.
//! First the server is stopped (fast) for `--outage`, then the proxy stops forwarding for
//! as long (a silent network, not a clean refusal). A client calls the API throughout:
//! `/health`, `/ready`, a create (with an `Idempotency-Key`) and a list every 100 ms. The
//! report says how each phase was answered; what must hold is counted and must be zero.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use zora_api::gate::ANSWER_BOUND;
use zora_core::{DEFAULT_TENANT_ID, PlanId, ProfileId};
use zora_store_postgres::PgStoreOptions;

use super::checks::{Check, Database};
use super::client::{Answer, Call, Client, success};
use super::cluster::{Cluster, StopMode};
use super::fleet::Fleet;
use super::proxy::Proxy;
use crate::cli::OutageArgs;
use crate::commands::demo;
use crate::commands::served::Server;
use crate::exit::CliError;
use crate::output::print_json;

/// The phases of the run, in order.
const PHASES: [&str; 7] = [
    "before",
    "database stopped",
    "recovering",
    "between",
    "network cut",
    "recovering after the cut",
    "after",
];
const STOPPED: u8 = 1;
const CUT: u8 = 4;
/// Slack on [`ANSWER_BOUND`] for a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

/// One call the client made.
#[derive(Debug, Clone)]
struct Sample {
    phase: u8,
    /// How long after its phase began.
    into_phase: Duration,
    call: Call,
    /// `None`: no answer within the client's timeout, or the connection failed.
    status: Option<u16>,
    code: Option<String>,
    retry_after: bool,
    latency: Duration,
}

/// What the client saw: each call, and the keys of the creates that did not succeed.
#[derive(Debug, Default)]
struct Record {
    samples: Mutex<Vec<Sample>>,
    unanswered_keys: Mutex<Vec<String>>,
}

/// How one phase was answered.
#[derive(Debug, Serialize)]
struct PhaseReport {
    phase: &'static str,
    seconds: f64,
    /// `call status` → how many.
    answers: BTreeMap<String, u64>,
    /// The slowest answer of a call that needs the database, in ms.
    slowest_ms: u128,
    p99_ms: u128,
}

#[derive(Debug, Serialize)]
struct Report {
    outage_seconds: u64,
    phases: Vec<PhaseReport>,
    /// From the database answering again to `/ready` answering 200, in seconds.
    ready_again_after: Vec<f64>,
    creates_sent_again: u64,
    tasks_created: i64,
    checks: Vec<Check>,
    passed: bool,
}

pub async fn run(args: &OutageArgs, json: bool) -> Result<ExitCode, CliError> {
    let dir = std::env::temp_dir().join(format!("zora-chaos-{}-outage", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    eprintln!(
        "zora chaos outage: PostgreSQL stopped for {0}, then its network cut for {0}, under \
         zora serve and {1} workers",
        humantime::format_duration(args.outage),
        args.workers
    );
    let report = outage(&dir, args).await;
    if args.keep {
        eprintln!("zora chaos: kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = report?;
    if json {
        print_json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn outage(dir: &std::path::Path, args: &OutageArgs) -> Result<Report, CliError> {
    let cluster = Cluster::start(&dir.join("pg"), args.pg_bin.as_deref())?;
    let url = zora_store_postgres::create_database(&cluster.url(), "outage").await?;
    let store = zora_store_postgres::connect(&url, &PgStoreOptions::default()).await?;
    zora_store_postgres::migrate(store.pool()).await?;
    let database = Database::Postgres(store.pool().clone());
    let profile = ProfileId::new();
    let mut tx = zora_core::Queue::begin(&store).await?;
    demo::seed_climate(
        tx.as_mut(),
        DEFAULT_TENANT_ID,
        profile,
        PlanId::new(),
        "outage",
    )
    .await?;
    tx.commit().await?;

    let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], cluster.port()))).await?;
    let proxied = url.replacen(
        &format!("127.0.0.1:{}", cluster.port()),
        &proxy.address.to_string(),
        1,
    );
    let log = |name: &str| {
        std::fs::File::create(dir.join(name))
            .map(Stdio::from)
            .map_err(|e| CliError::Failed(format!("cannot write {name}: {e}")))
    };
    let mut server = Server::start(&proxied, &[], log("serve.log")?)?;
    let mut fleet = Fleet::start(
        usize::from(args.workers),
        &proxied,
        "",
        &dir.join("workers.log"),
    )?;

    let phase = Arc::new(AtomicU8::new(0));
    let phase_started = Arc::new(Mutex::new(Instant::now()));
    let record: Arc<Record> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let client = Client::new(&server, profile)?;
    let calling = tokio::spawn(call_throughout(
        client.clone(),
        (phase.clone(), phase_started.clone()),
        record.clone(),
        stop.clone(),
    ));

    let mut ready_again_after = Vec::new();
    let next_phase = |n: u8| {
        phase.store(n, Ordering::Relaxed);
        if let Ok(mut started) = phase_started.lock() {
            *started = Instant::now();
        }
        eprintln!("zora chaos outage: {}", PHASES[usize::from(n)]);
    };
    let steady = Duration::from_secs(5);
    tokio::time::sleep(steady).await;
    next_phase(STOPPED);
    cluster.down(StopMode::Fast)?;
    tokio::time::sleep(args.outage).await;
    cluster.up()?;
    next_phase(2);
    ready_again_after.push(client.until_ready().await?);
    next_phase(3);
    tokio::time::sleep(steady).await;
    next_phase(CUT);
    proxy.cut();
    tokio::time::sleep(args.outage).await;
    proxy.heal();
    next_phase(5);
    ready_again_after.push(client.until_ready().await?);
    next_phase(6);
    tokio::time::sleep(steady).await;
    stop.store(true, Ordering::Relaxed);
    let _ = calling.await;

    // The client sends again each create that got no success, with its key.
    let keys = std::mem::take(
        &mut *record
            .unanswered_keys
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    for key in &keys {
        client.create_until_done(key).await?;
    }
    let all_finished = database.wait_finished(Duration::from_secs(60)).await?;
    let exited = usize::from(!server.running());
    fleet.restart_exited()?;
    let worker_exits = fleet.exits.len();
    fleet.stop();

    let samples = record
        .samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut checks = judge(&samples, args.outage);
    checks.extend([
        Check {
            name: "zora serve exits",
            found: exited as i64,
        },
        Check {
            name: "zora worker exits",
            found: worker_exits as i64,
        },
        Check {
            name: "tasks not finished a minute after the end",
            found: all_finished,
        },
        Check {
            name: "tasks not completed (each create makes a single mission, which completes)",
            found: database
                .count("SELECT count(*) FROM agent_tasks WHERE status <> 'completed'")
                .await?,
        },
    ]);
    let created_keys = samples.iter().filter(|s| s.call == Call::Create).count() as i64;
    let tasks_created = database.count("SELECT count(*) FROM agent_tasks").await?;
    checks.push(Check {
        name: "creates made (each a new key) and tasks differ",
        found: (created_keys - tasks_created).abs(),
    });
    Ok(Report {
        outage_seconds: args.outage.as_secs(),
        phases: phase_reports(&samples),
        ready_again_after,
        creates_sent_again: keys.len() as u64,
        tasks_created,
        passed: checks.iter().all(|c| c.found == 0),
        checks,
    })
}

/// What must hold of the client's calls.
fn judge(samples: &[Sample], outage: Duration) -> Vec<Check> {
    let bound = ANSWER_BOUND + SLACK;
    let outage_phase = |s: &&Sample| s.phase == STOPPED || s.phase == CUT;
    let needs_database = |s: &&Sample| s.call.needs_database();
    let count = |filter: &dyn Fn(&&Sample) -> bool| samples.iter().filter(filter).count() as i64;
    vec![
        Check {
            name: "/health answers other than 200",
            found: count(&|s| s.call == Call::Health && s.status != Some(200)),
        },
        Check {
            name: "calls unanswered within 30 s (hung) or refused",
            found: count(&|s| s.status.is_none()),
        },
        Check {
            name: "answers 5xx other than 503 SERVICE_UNAVAILABLE",
            found: count(&|s| {
                s.status.is_some_and(|c| c >= 500)
                    && (s.status != Some(503)
                        || !matches!(s.code.as_deref(), Some("SERVICE_UNAVAILABLE") | None))
            }),
        },
        Check {
            name: "503 answers without Retry-After",
            found: count(&|s| s.status == Some(503) && s.call != Call::Ready && !s.retry_after),
        },
        Check {
            name: "answers 4xx (an outage is never the caller's fault)",
            found: count(&|s| s.status.is_some_and(|c| (400..500).contains(&c))),
        },
        Check {
            name: "calls needing the database slower than the bound (3 s + 2 s slack for a loaded machine)",
            found: count(&|s| needs_database(s) && s.latency > bound),
        },
        Check {
            name: "outage calls past the bound answered other than 503",
            found: count(&|s| {
                outage_phase(s)
                    && (needs_database(s) || s.call == Call::Ready)
                    && s.into_phase > bound
                    && s.into_phase + bound < outage
                    && s.status != Some(503)
            }),
        },
    ]
}

fn phase_reports(samples: &[Sample]) -> Vec<PhaseReport> {
    PHASES
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let of_phase: Vec<&Sample> = samples
                .iter()
                .filter(|s| usize::from(s.phase) == n)
                .collect();
            let mut answers = BTreeMap::new();
            for sample in &of_phase {
                let status = sample
                    .status
                    .map_or("no answer".to_owned(), |s| s.to_string());
                *answers
                    .entry(format!("{} {status}", sample.call.name()))
                    .or_insert(0) += 1;
            }
            let mut latencies: Vec<u128> = of_phase
                .iter()
                .filter(|s| s.call.needs_database())
                .map(|s| s.latency.as_millis())
                .collect();
            latencies.sort_unstable();
            let p99 = latencies
                .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default();
            PhaseReport {
                phase: name,
                seconds: of_phase
                    .iter()
                    .map(|s| s.into_phase.as_secs_f64())
                    .fold(0.0, f64::max),
                answers,
                slowest_ms: latencies.last().copied().unwrap_or_default(),
                p99_ms: p99,
            }
        })
        .collect()
}

/// Calls the API every 100 ms until `stop`, recording each call.
async fn call_throughout(
    client: Client,
    (phase, phase_started): (Arc<AtomicU8>, Arc<Mutex<Instant>>),
    record: Arc<Record>,
    stop: Arc<AtomicBool>,
) {
    let mut calls = tokio::task::JoinSet::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for call in [Call::Health, Call::Ready, Call::Create, Call::List] {
            n += 1;
            let client = client.clone();
            let phase_now = phase.load(Ordering::Relaxed);
            let key = format!("outage-{n}");
            let began = *phase_started.lock().unwrap_or_else(|e| e.into_inner());
            let record = record.clone();
            calls.spawn(async move {
                let into_phase = began.elapsed();
                let Answer {
                    status,
                    code,
                    retry_after,
                    latency,
                    ..
                } = client.call(call, &key).await;
                if call == Call::Create && !status.is_some_and(success) {
                    record
                        .unanswered_keys
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(key);
                }
                record
                    .samples
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Sample {
                        phase: phase_now,
                        into_phase,
                        call,
                        status,
                        code,
                        retry_after,
                        latency,
                    });
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while calls.join_next().await.is_some() {}
}

fn print_report(report: &Report) {
    crate::out!(
        "## zora chaos outage: {} (PostgreSQL stopped {1} s, then its network cut {1} s)",
        if report.passed { "passed" } else { "FAILED" },
        report.outage_seconds
    );
    crate::out!();
    crate::out!("| phase | s | answers | slowest (ms) | p99 (ms) |");
    crate::out!("|---|---:|---|---:|---:|");
    for phase in &report.phases {
        let answers: Vec<String> = phase
            .answers
            .iter()
            .map(|(what, n)| format!("{what}: {n}"))
            .collect();
        crate::out!(
            "| {} | {:.0} | {} | {} | {} |",
            phase.phase,
            phase.seconds,
            answers.join(", "),
            phase.slowest_ms,
            phase.p99_ms
        );
    }
    crate::out!();
    crate::out!(
        "Ready again after: {} s. Creates sent again with their key: {}. Tasks: {}.",
        report
            .ready_again_after
            .iter()
            .map(|s| format!("{s:.1}"))
            .collect::<Vec<_>>()
            .join(" and "),
        report.creates_sent_again,
        report.tasks_created
    );
    crate::out!();
    crate::out!("| must be 0 | count |");
    crate::out!("|---|---:|");
    for check in &report.checks {
        crate::out!("| {} | {} |", check.name, check.found);
    }
}
