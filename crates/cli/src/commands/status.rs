//! `zora status`: the tenant's queue at a glance.

use std::process::ExitCode;

use serde::Serialize;
use zora_core::stats::QueueStats;
use zora_core::{Page, TaskFilter, TaskStatus, TenantId, WorkerInfo};

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
}

/// How many of the next pending tasks the text output lists.
const NEXT_PENDING: u32 = 5;

pub async fn run(
    target: &DatabaseTarget,
    tenant: TenantId,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let stats = store.queue_stats(tenant).await?;
    let workers = store.live_workers(tenant).await?;
    if json {
        print_json(&StatusJson {
            stats: &stats,
            workers: &workers,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::out!("Tenant: {tenant}");
    for &status in TaskStatus::ALL {
        let n = stats
            .counts
            .get(status.as_str())
            .copied()
            .unwrap_or_default();
        crate::out!("  {:<12} {n}", status.as_str());
    }
    if let Some(age) = stats.oldest_pending_age_seconds {
        crate::out!("Oldest due pending task: {age:.0}s old");
    }
    if stats.in_progress_without_lease > 0 {
        crate::out!(
            "{} in_progress task(s) have no lease: claimed by ZORA CORE's legacy runtime, left alone.",
            stats.in_progress_without_lease
        );
    }
    print_workers(&workers);
    let filter = TaskFilter {
        status: Some(TaskStatus::Pending),
        ..TaskFilter::default()
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
        crate::out!(
            "  {}  on {} (pid {}), concurrency {}, {serves}, last beat {beat}s ago",
            worker.id,
            worker.host,
            worker.pid,
            worker.concurrency
        );
    }
}
