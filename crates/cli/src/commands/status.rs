//! `zora status`: the tenant's (or every tenant's) queue at a glance: counts per type and status, the oldest
//! due task's age, the last hour's failure rate, the workers alive (the engine's and external
//! ones, with the tasks each holds), the external types registered.

use std::process::ExitCode;

use serde::Serialize;
use zora_core::external::ExternalType;
use zora_core::stats::{QueueStats, Scope};
use zora_core::worker::WorkerKind;
use zora_core::{Page, TaskFilter, TaskStatus, WorkerInfo};
use zora_engine::external::workers_serving;

use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;

/// `status --json`: the queue's figures and the workers alive.
#[derive(Serialize)]
struct StatusJson<'a> {
    #[serde(flatten)]
    stats: &'a QueueStats,
    workers: &'a [WorkerInfo],
    /// The external types registered for the scope (every tenant's registrations for
    /// every tenant).
    external_types: &'a [ExternalType],
}

/// How many of the next pending tasks the text output lists.
const NEXT_PENDING: u32 = 5;

pub async fn run(target: &DatabaseTarget, scope: Scope, json: bool) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let stats = store.queue_stats(scope).await?;
    let workers = store.live_workers(scope).await?;
    let external_types = store.external_types(scope.tenant()).await?;
    if json {
        print_json(&StatusJson {
            stats: &stats,
            workers: &workers,
            external_types: &external_types,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    match scope {
        Scope::Tenant(tenant) => crate::out!("Tenant: {tenant}"),
        Scope::AllTenants => crate::out!("All tenants"),
    }
    print_counts(&stats);
    match stats.oldest_pending_age_seconds {
        Some(age) => crate::out!("Oldest due pending task: {age:.0}s old"),
        None => crate::out!("Oldest due pending task: none due"),
    }
    let hour = &stats.last_hour;
    match hour.failure_rate {
        Some(rate) => crate::out!(
            "Last hour: {} finished, {} failed ({:.1}% failure rate)",
            hour.completed + hour.failed,
            hour.failed,
            rate * 100.0
        ),
        None => crate::out!("Last hour: no task finished"),
    }
    if stats.in_progress_without_lease > 0 {
        crate::out!(
            "{} in_progress task(s) have no lease: claimed by ZORA CORE's legacy runtime, left alone.",
            stats.in_progress_without_lease
        );
    }
    print_workers(&workers);
    print_external_types(&external_types, &workers);
    let filter = TaskFilter {
        status: Some(TaskStatus::Pending),
        ..TaskFilter::default()
    };
    let Scope::Tenant(tenant) = scope else {
        return Ok(ExitCode::SUCCESS);
    };
    let next = store
        .list_tasks(tenant, &filter, Page::new(NEXT_PENDING, 0))
        .await?;
    if !next.items.is_empty() {
        crate::out!("Next pending:");
        for task in &next.items {
            crate::out!(
                "  {}  p{}  {}  {}",
                task.id,
                task.priority,
                task.task_type,
                task.title
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A table of counts: one row per task type, one column per status, and the totals.
fn print_counts(stats: &QueueStats) {
    let width = stats
        .by_type
        .keys()
        .map(String::len)
        .chain(["task type".len(), "total".len()])
        .max()
        .unwrap_or_default();
    let header: Vec<String> = TaskStatus::ALL
        .iter()
        .map(|s| format!("{:>11}", s.as_str()))
        .collect();
    crate::out!("  {:<width$} {}", "task type", header.join(" "));
    let row = |name: &str, counts: &dyn Fn(&str) -> u64| {
        let cells: Vec<String> = TaskStatus::ALL
            .iter()
            .map(|s| format!("{:>11}", counts(s.as_str())))
            .collect();
        crate::out!("  {name:<width$} {}", cells.join(" "));
    };
    for (task_type, by_status) in &stats.by_type {
        row(task_type, &|status| {
            by_status.get(status).copied().unwrap_or_default()
        });
    }
    row("total", &|status| {
        stats.counts.get(status).copied().unwrap_or_default()
    });
}

fn print_workers(workers: &[WorkerInfo]) {
    if workers.is_empty() {
        crate::out!("Workers alive: none (start one with `zora worker`)");
        return;
    }
    crate::out!("Workers alive: {}", workers.len());
    let now = chrono::Utc::now();
    for worker in workers {
        let serves = match worker.tenant_id {
            Some(tenant) => format!("tenant {tenant}"),
            None => "all tenants".to_owned(),
        };
        let beat = (now - worker.heartbeat_at).num_seconds().max(0);
        let in_hand = worker.tasks_in_hand;
        match worker.kind {
            WorkerKind::Engine => crate::out!(
                "  {}  on {} (pid {}), concurrency {}, {serves}, last beat {beat}s ago, {in_hand} in hand",
                worker.id,
                worker.host,
                worker.pid,
                worker.concurrency
            ),
            WorkerKind::External => crate::out!(
                "  {}  external, serves {}, {serves}, last beat {beat}s ago, {in_hand} in hand",
                worker.id,
                worker.task_types.join(", ")
            ),
        }
    }
}

/// The external types registered for the scope, each with its workers alive.
fn print_external_types(types: &[ExternalType], workers: &[WorkerInfo]) {
    if types.is_empty() {
        return;
    }
    crate::out!("External types: {}", types.len());
    for kind in types {
        let serving: Vec<&str> = workers_serving(kind, workers)
            .iter()
            .map(|w| w.id.as_str())
            .collect();
        let alive = if serving.is_empty() {
            "no worker alive".to_owned()
        } else {
            format!("served by {}", serving.join(", "))
        };
        crate::out!(
            "  {}  ({}), {alive}",
            kind.task_type,
            kind.definition.agent_id
        );
    }
}
