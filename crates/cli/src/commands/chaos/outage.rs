//! `zora chaos outage`: the database gone and back under a running `zora serve` and
//! `zora worker`s, both reaching PostgreSQL (a cluster of the run's own) through a proxy.
//! First the server is stopped (fast) for `--outage`, then the proxy stops forwarding for
//! as long (a silent network, not a clean refusal). A client calls the API throughout:
//! `/health`, `/ready`, a create (with an `Idempotency-Key`) and a list every 100 ms. The
//! report says how each phase was answered; what must hold is counted and must be zero.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use zora_api::gate::ANSWER_BOUND;

use super::api_trial::ApiTrial;
use super::checks::{Check, print_checks};
use super::client::{Call, Client, Sample, percentiles, success, tally};
use super::cluster::StopMode;
use super::proxy::Proxy;
use super::scratch::{OwnStore, conclude, in_scratch};
use crate::cli::{ChaosStore, OutageArgs};
use crate::exit::CliError;

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

/// One call the client made, and when.
#[derive(Debug, Clone)]
struct Timed {
    phase: u8,
    /// How long after its phase began.
    into_phase: Duration,
    sample: Sample,
}

/// What the client saw: each call, and the keys of the creates that did not succeed.
#[derive(Debug, Default)]
struct Record {
    samples: Mutex<Vec<Timed>>,
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
    slowest_ms: f64,
    p99_ms: f64,
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
    eprintln!(
        "zora chaos outage: PostgreSQL stopped for {0}, then its network cut for {0}, under \
         zora serve and {1} workers",
        humantime::format_duration(args.outage),
        args.api.workers
    );
    let scratch = &args.api.scratch;
    let report = in_scratch("outage", scratch.keep, async |dir| outage(dir, args).await).await?;
    conclude(&report, report.passed, json, || print_report(&report))
}

async fn outage(dir: &std::path::Path, args: &OutageArgs) -> Result<Report, CliError> {
    let own = OwnStore::open(
        ChaosStore::Postgres,
        dir,
        args.api.scratch.pg_bin.as_deref(),
        "outage",
    )
    .await?;
    let Some(cluster) = own.cluster.as_ref() else {
        return Err(CliError::Failed("the outage trial needs PostgreSQL".into()));
    };
    let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], cluster.port()))).await?;
    let proxied = own.url.replacen(
        &format!("127.0.0.1:{}", cluster.port()),
        &proxy.address.to_string(),
        1,
    );
    let trial = ApiTrial::start(own.store.as_ref(), &proxied, args.api.workers, dir).await?;
    let client = trial.client.clone();

    let phase = Arc::new(AtomicU8::new(0));
    let phase_started = Arc::new(Mutex::new(Instant::now()));
    let record: Arc<Record> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
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

    let keys = std::mem::take(
        &mut *record
            .unanswered_keys
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    let timed = record
        .samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let creates = timed
        .iter()
        .filter(|t| t.sample.call == Call::Create)
        .count();
    let database = &own.database;
    let ending = trial
        .finish(&keys, creates, database, Duration::from_secs(60))
        .await?;
    let mut checks = judge(&timed, args.outage);
    checks.extend(ending.checks);
    checks.push(Check {
        name: "tasks not completed (each create makes a single mission, which completes)",
        found: database
            .count("SELECT count(*) FROM agent_tasks WHERE status <> 'completed'")
            .await?,
    });
    Ok(Report {
        outage_seconds: args.outage.as_secs(),
        phases: phase_reports(&timed),
        ready_again_after,
        creates_sent_again: keys.len() as u64,
        tasks_created: ending.tasks_created,
        passed: checks.iter().all(|c| c.found == 0),
        checks,
    })
}

/// What must hold of the client's calls.
fn judge(timed: &[Timed], outage: Duration) -> Vec<Check> {
    let bound = ANSWER_BOUND + SLACK;
    let outage_phase = |t: &Timed| t.phase == STOPPED || t.phase == CUT;

    let count = |filter: &dyn Fn(&Timed, &Sample) -> bool| {
        timed.iter().filter(|t| filter(t, &t.sample)).count() as i64
    };
    vec![
        Check {
            name: "/health answers other than 200",
            found: count(&|_, s| s.call == Call::Health && s.status != Some(200)),
        },
        Check {
            name: "calls unanswered within 30 s (hung) or refused",
            found: count(&|_, s| s.status.is_none()),
        },
        Check {
            name: "answers 5xx other than 503 SERVICE_UNAVAILABLE",
            found: count(&|_, s| {
                s.status.is_some_and(|c| c >= 500)
                    && (s.status != Some(503)
                        || !matches!(s.code.as_deref(), Some("SERVICE_UNAVAILABLE") | None))
            }),
        },
        Check {
            name: "503 answers without Retry-After",
            found: count(&|_, s| s.status == Some(503) && s.call != Call::Ready && !s.retry_after),
        },
        Check {
            name: "answers 4xx (an outage is never the caller's fault)",
            found: count(&|_, s| s.status.is_some_and(|c| (400..500).contains(&c))),
        },
        Check {
            name: "calls needing the database slower than the bound (3 s + 2 s slack for a loaded machine)",
            found: count(&|_, s| s.call.needs_database() && s.latency > bound),
        },
        Check {
            name: "outage calls past the bound answered other than 503",
            found: count(&|t, s| {
                outage_phase(t)
                    && (s.call.needs_database() || s.call == Call::Ready)
                    && t.into_phase > bound
                    && t.into_phase + bound < outage
                    && s.status != Some(503)
            }),
        },
    ]
}

fn phase_reports(timed: &[Timed]) -> Vec<PhaseReport> {
    PHASES
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let of_phase: Vec<&Timed> =
                timed.iter().filter(|t| usize::from(t.phase) == n).collect();
            let latency = percentiles(
                of_phase
                    .iter()
                    .map(|t| &t.sample)
                    .filter(|s| s.call.needs_database()),
            );
            PhaseReport {
                phase: name,
                seconds: of_phase
                    .iter()
                    .map(|t| t.into_phase.as_secs_f64())
                    .fold(0.0, f64::max),
                answers: tally(of_phase.iter().map(|t| &t.sample)),
                slowest_ms: latency.max_ms,
                p99_ms: latency.p99_ms,
            }
        })
        .collect()
}

/// Calls the API every 100 ms until `stop`, recording each call in the phase it was
/// answered in.
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
            let phase = phase.clone();
            calls.spawn(async move {
                let mut into_phase = began.elapsed();
                let sample = client.call(call, &key).await.sample;
                // A call still in flight when the next phase began (the network cut while
                // it waited on the database) met that phase: it counts there, as made at
                // its start, not in the steady phase it was sent in.
                let mut phase_now = phase_now;
                let answered_in = phase.load(Ordering::Relaxed);
                if answered_in != phase_now {
                    phase_now = answered_in;
                    into_phase = Duration::ZERO;
                }
                if call == Call::Create && !sample.status.is_some_and(success) {
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
                    .push(Timed {
                        phase: phase_now,
                        into_phase,
                        sample,
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
            "| {} | {:.0} | {} | {:.0} | {:.0} |",
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
    print_checks(&report.checks);
}
