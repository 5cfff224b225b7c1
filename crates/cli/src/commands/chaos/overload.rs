//! `zora chaos overload`: `--clients` concurrent API clients for `--duration` against a
//! `zora serve` while `zora worker`s drain what they create, on a store of the run's own.
//! Each client loops without pause: creates (with an `Idempotency-Key`), reads of a task
//! it made, lists. The report gives the answers by status, the latency percentiles and the
//! server's memory; what must hold is counted and must be zero: every answer a success or
//! a 429/503 with `Retry-After`, none hung, the server alive, its memory bounded, every
//! create made exactly once (those refused sent again by key) and drained.

use std::collections::BTreeMap;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use zora_core::{DEFAULT_TENANT_ID, PlanId, ProfileId, Store};
use zora_store_postgres::PgStoreOptions;

use super::checks::{Check, Database};
use super::client::{Call, Client, success};
use super::cluster::Cluster;
use super::fleet::{Fleet, random_below};
use crate::cli::{ChaosStore, OverloadArgs};
use crate::commands::demo;
use crate::commands::served::Server;
use crate::exit::CliError;
use crate::output::print_json;

/// The server's resident memory may not pass this.
const MEMORY_BOUND_MIB: u64 = 1024;

/// One answer.
#[derive(Debug)]
struct Sample {
    call: Call,
    status: Option<u16>,
    retry_after: bool,
    latency: Duration,
}

#[derive(Debug, Serialize)]
struct Latency {
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    store: &'static str,
    clients: u16,
    seconds: f64,
    requests: usize,
    requests_per_second: f64,
    /// `call status` → how many.
    answers: BTreeMap<String, u64>,
    latency: Latency,
    /// p99 of each call, in ms.
    p99_by_call: BTreeMap<&'static str, f64>,
    memory_mib: MemoryReport,
    creates_sent_again: usize,
    tasks_created: i64,
    /// From the end of the load until every task finished.
    drained_after_seconds: f64,
    checks: Vec<Check>,
    passed: bool,
}

#[derive(Debug, Serialize)]
struct MemoryReport {
    start: u64,
    max: u64,
    end: u64,
}

pub async fn run(args: &OverloadArgs, json: bool) -> Result<ExitCode, CliError> {
    let dir = std::env::temp_dir().join(format!("zora-chaos-{}-overload", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    eprintln!(
        "zora chaos overload: {} clients for {} against zora serve and {} workers on {}",
        args.clients,
        humantime::format_duration(args.duration),
        args.workers,
        store_name(args.store)
    );
    let report = overload(&dir, args).await;
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

fn store_name(store: ChaosStore) -> &'static str {
    match store {
        ChaosStore::Sqlite => "sqlite",
        _ => "postgres",
    }
}

async fn overload(dir: &std::path::Path, args: &OverloadArgs) -> Result<Report, CliError> {
    let (_cluster, url, store, database): (Option<Cluster>, String, Arc<dyn Store>, Database) =
        match args.store {
            ChaosStore::Sqlite => {
                let url = format!("sqlite://{}", dir.join("overload.db").display());
                let store = crate::open::open_sqlite(&url).await?;
                let database = Database::Sqlite(store.writer().clone());
                (None, url, Arc::new(store), database)
            }
            _ => {
                let cluster = Cluster::start(&dir.join("pg"), args.pg_bin.as_deref())?;
                let url = zora_store_postgres::create_database(&cluster.url(), "overload").await?;
                let store = zora_store_postgres::connect(&url, &PgStoreOptions::default()).await?;
                zora_store_postgres::migrate(store.pool()).await?;
                let database = Database::Postgres(store.pool().clone());
                (Some(cluster), url, Arc::new(store), database)
            }
        };
    let profile = ProfileId::new();
    let mut tx = store.begin().await?;
    demo::seed_climate(
        tx.as_mut(),
        DEFAULT_TENANT_ID,
        profile,
        PlanId::new(),
        "overload",
    )
    .await?;
    tx.commit().await?;

    let log = std::fs::File::create(dir.join("serve.log"))
        .map(Stdio::from)
        .map_err(|e| CliError::Failed(format!("cannot write serve.log: {e}")))?;
    let mut server = Server::start(&url, &[], log)?;
    let mut fleet = Fleet::start(
        usize::from(args.workers),
        &url,
        "",
        &dir.join("workers.log"),
    )?;
    let client = Client::new(&server, profile)?;

    let done = Arc::new(AtomicBool::new(false));
    let memory = tokio::spawn(sample_memory(server.child.id(), done.clone()));
    let started = Instant::now();
    let deadline = started + args.duration;
    let mut clients = tokio::task::JoinSet::new();
    for index in 0..args.clients {
        clients.spawn(load(client.clone(), index, deadline));
    }
    let mut samples = Vec::new();
    let mut refused_keys = Vec::new();
    while let Some(Ok((made, refused))) = clients.join_next().await {
        samples.extend(made);
        refused_keys.extend(refused);
    }
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let memory = memory.await.unwrap_or_default();

    for key in &refused_keys {
        client.create_until_done(key).await?;
    }
    let load_ended = Instant::now();
    let unfinished = database.wait_finished(Duration::from_secs(300)).await?;
    let drained_after_seconds = load_ended.elapsed().as_secs_f64();
    let server_exited = !server.running();
    fleet.restart_exited()?;
    let worker_exits = fleet.exits.len();
    fleet.stop();

    let creates = samples.iter().filter(|s| s.call == Call::Create).count() as i64;
    let tasks_created = database.count("SELECT count(*) FROM agent_tasks").await?;
    let memory = MemoryReport {
        start: memory.first().copied().unwrap_or_default() / 1024,
        max: memory.iter().copied().max().unwrap_or_default() / 1024,
        end: memory.last().copied().unwrap_or_default() / 1024,
    };
    let count = |filter: &dyn Fn(&Sample) -> bool| samples.iter().filter(|s| filter(s)).count();
    let checks = vec![
        Check {
            name: "answers other than a success, 429 or 503",
            found: count(&|s| {
                s.status
                    .is_some_and(|c| !success(c) && c != 429 && c != 503)
            }) as i64,
        },
        Check {
            name: "429 or 503 answers without Retry-After",
            found: count(&|s| matches!(s.status, Some(429 | 503)) && !s.retry_after) as i64,
        },
        Check {
            name: "calls unanswered within 30 s (hung) or refused",
            found: count(&|s| s.status.is_none()) as i64,
        },
        Check {
            name: "zora serve and zora worker exits",
            found: i64::from(server_exited) + worker_exits as i64,
        },
        Check {
            name: "MiB of server memory past the bound (1 GiB)",
            found: memory.max.saturating_sub(MEMORY_BOUND_MIB) as i64,
        },
        Check {
            name: "creates made (each a new key) and tasks differ",
            found: (creates - tasks_created).abs(),
        },
        Check {
            name: "tasks not finished five minutes after the load",
            found: unfinished,
        },
    ];
    let mut answers = BTreeMap::new();
    for sample in &samples {
        let status = sample
            .status
            .map_or("no answer".to_owned(), |s| s.to_string());
        *answers
            .entry(format!("{} {status}", sample.call.name()))
            .or_insert(0) += 1;
    }
    let p99_by_call = [Call::Create, Call::Get, Call::List]
        .into_iter()
        .map(|call| {
            let of_call: Vec<&Sample> = samples.iter().filter(|s| s.call == call).collect();
            (call.name(), percentiles(&of_call).p99_ms)
        })
        .collect();
    Ok(Report {
        store: store_name(args.store),
        clients: args.clients,
        seconds,
        requests: samples.len(),
        requests_per_second: samples.len() as f64 / seconds,
        answers,
        latency: percentiles(&samples.iter().collect::<Vec<_>>()),
        p99_by_call,
        memory_mib: memory,
        creates_sent_again: refused_keys.len(),
        tasks_created,
        drained_after_seconds,
        passed: checks.iter().all(|c| c.found == 0),
        checks,
    })
}

/// One client until `deadline`: four creates, three reads of its own tasks and three
/// lists in ten; returns its answers and the keys of the creates not answered a success.
async fn load(client: Client, index: u16, deadline: Instant) -> (Vec<Sample>, Vec<String>) {
    let mut samples = Vec::new();
    let mut refused = Vec::new();
    let mut made: Vec<String> = Vec::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let (call, key) = match n % 10 {
            0..=3 => (Call::Create, format!("overload-{index}-{n}")),
            4..=6 if !made.is_empty() => (Call::Get, made[random_below(made.len())].clone()),
            _ => (Call::List, String::new()),
        };
        let answer = client.call(call, &key).await;
        match (call, answer.status) {
            (Call::Create, Some(status)) if success(status) => {
                if let Some(id) = answer.body["data"]["id"].as_str() {
                    made.push(id.to_owned());
                }
            }
            (Call::Create, _) => refused.push(key),
            _ => {}
        }
        samples.push(Sample {
            call,
            status: answer.status,
            retry_after: answer.retry_after,
            latency: answer.latency,
        });
    }
    (samples, refused)
}

/// The server's resident memory (KiB) every half second until `done`.
async fn sample_memory(pid: u32, done: Arc<AtomicBool>) -> Vec<u64> {
    let mut found = Vec::new();
    while !done.load(Ordering::Relaxed) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if let Some(kib) = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        {
            found.push(kib);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    found
}

fn percentiles(samples: &[&Sample]) -> Latency {
    let mut ms: Vec<f64> = samples
        .iter()
        .map(|s| s.latency.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |share: f64| {
        ms.get(((ms.len() as f64 * share) as usize).min(ms.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Latency {
        p50_ms: at(0.5),
        p90_ms: at(0.9),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or_default(),
    }
}

fn print_report(report: &Report) {
    crate::out!(
        "## zora chaos overload on {}: {} ({} clients, {:.0} s)",
        report.store,
        if report.passed { "passed" } else { "FAILED" },
        report.clients,
        report.seconds
    );
    crate::out!();
    crate::out!(
        "{} requests, {:.0}/s. Latency p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms \
         (p99 by call: {}). Server memory {} MiB at the start, at most {}, {} at the end. \
         {} tasks created ({} creates sent again by key), all finished {:.0} s after the load.",
        report.requests,
        report.requests_per_second,
        report.latency.p50_ms,
        report.latency.p90_ms,
        report.latency.p99_ms,
        report.latency.max_ms,
        report
            .p99_by_call
            .iter()
            .map(|(call, ms)| format!("{call} {ms:.0} ms"))
            .collect::<Vec<_>>()
            .join(", "),
        report.memory_mib.start,
        report.memory_mib.max,
        report.memory_mib.end,
        report.tasks_created,
        report.creates_sent_again,
        report.drained_after_seconds
    );
    crate::out!();
    crate::out!("| answer | count |");
    crate::out!("|---|---:|");
    for (what, n) in &report.answers {
        crate::out!("| {what} | {n} |");
    }
    crate::out!();
    crate::out!("| must be 0 | count |");
    crate::out!("|---|---:|");
    for check in &report.checks {
        crate::out!("| {} | {} |", check.name, check.found);
    }
}
