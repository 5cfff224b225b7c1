//! `zora chaos overload`: `--clients` concurrent API clients for `--duration` against a
//! `zora serve` while `zora worker`s drain what they create, on a store of the run's own.
//! Each client loops without pause: creates (with an `Idempotency-Key`), reads of a task
//! it made, lists. The report gives the answers by status, the latency percentiles and the
//! server's memory; what must hold is counted and must be zero: every answer a success or
//! a 429/503 with `Retry-After`, none hung, the server alive, its memory bounded, every
//! create made exactly once (those refused sent again by key) and drained.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::api_trial::ApiTrial;
use super::checks::{Check, print_checks};
use super::client::{Call, Client, Latency, Sample, percentiles, success, tally};
use super::fleet::random_below;
use super::scratch::{OwnStore, conclude, in_scratch};
use crate::cli::OverloadArgs;
use crate::commands::served::memory_mib;
use crate::exit::CliError;

/// The server's resident memory may not pass this.
const MEMORY_BOUND_MIB: f64 = 1024.0;

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

/// The server's resident memory: before the load, at its peak, after.
#[derive(Debug, Serialize)]
struct MemoryReport {
    start: f64,
    max: f64,
    end: f64,
}

pub async fn run(args: &OverloadArgs, json: bool) -> Result<ExitCode, CliError> {
    eprintln!(
        "zora chaos overload: {} clients for {} against zora serve and {} workers on {}",
        args.clients,
        humantime::format_duration(args.duration),
        args.api.workers,
        args.store.name()
    );
    let scratch = &args.api.scratch;
    let report = in_scratch("overload", scratch.keep, async |dir| {
        overload(dir, args).await
    })
    .await?;
    conclude(&report, report.passed, json, || print_report(&report))
}

async fn overload(dir: &std::path::Path, args: &OverloadArgs) -> Result<Report, CliError> {
    let own = OwnStore::open(
        args.store,
        dir,
        args.api.scratch.pg_bin.as_deref(),
        "overload",
    )
    .await?;
    let trial = ApiTrial::start(own.store.as_ref(), &own.url, args.api.workers, dir).await?;
    let pid = trial.server.child.id();
    let memory_at_start = memory_mib(pid, "VmRSS").unwrap_or_default();
    let started = Instant::now();
    let deadline = started + args.duration;
    let mut clients = tokio::task::JoinSet::new();
    for index in 0..args.clients {
        clients.spawn(load(trial.client.clone(), index, deadline));
    }
    let mut samples = Vec::new();
    let mut refused_keys = Vec::new();
    while let Some(Ok((made, refused))) = clients.join_next().await {
        samples.extend(made);
        refused_keys.extend(refused);
    }
    let seconds = started.elapsed().as_secs_f64();
    let memory = MemoryReport {
        start: memory_at_start,
        max: memory_mib(pid, "VmHWM").unwrap_or_default(),
        end: memory_mib(pid, "VmRSS").unwrap_or_default(),
    };
    let creates = samples.iter().filter(|s| s.call == Call::Create).count();
    let ending = trial
        .finish(
            &refused_keys,
            creates,
            &own.database,
            Duration::from_secs(300),
        )
        .await?;
    let count = |filter: &dyn Fn(&Sample) -> bool| samples.iter().filter(|s| filter(s)).count();
    let mut checks = vec![
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
            name: "MiB of server memory past the bound (1 GiB)",
            found: (memory.max - MEMORY_BOUND_MIB).max(0.0).ceil() as i64,
        },
    ];
    checks.extend(ending.checks);
    let p99_by_call = [Call::Create, Call::Get, Call::List]
        .into_iter()
        .map(|call| {
            let of_call = samples.iter().filter(|s| s.call == call);
            (call.name(), percentiles(of_call).p99_ms)
        })
        .collect();
    Ok(Report {
        store: args.store.name(),
        clients: args.clients,
        seconds,
        requests: samples.len(),
        requests_per_second: samples.len() as f64 / seconds,
        answers: tally(&samples),
        latency: percentiles(&samples),
        p99_by_call,
        memory_mib: memory,
        creates_sent_again: refused_keys.len(),
        tasks_created: ending.tasks_created,
        drained_after_seconds: ending.drained_after_seconds,
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
        match (call, answer.sample.status) {
            (Call::Create, Some(status)) if success(status) => {
                if let Some(id) = answer.body["data"]["id"].as_str() {
                    made.push(id.to_owned());
                }
            }
            (Call::Create, _) => refused.push(key),
            _ => {}
        }
        samples.push(answer.sample);
    }
    (samples, refused)
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
         (p99 by call: {}). Server memory {:.0} MiB at the start, at most {:.0}, {:.0} at the end. \
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
    print_checks(&report.checks);
}
