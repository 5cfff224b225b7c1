//! `run-pending-tasks` and `run-task`: ZORA CORE's commands, run by the engine's executor.

use std::process::ExitCode;

use zora_core::{TaskId, TenantId};
use zora_engine::{RunSummary, RunTaskError, TaskOutcome, TaskReport};

use crate::cli::{RunPendingArgs, RunTaskArgs, TasksRunArgs};
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::{print_json, task_json};
use crate::progress::Progress;
use crate::wiring::executor;

pub async fn run_pending(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &RunPendingArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let executor = executor(store, args.lease.lease_duration);
    let only = (!args.task_types.is_empty()).then_some(args.task_types.as_slice());
    for kind in &args.task_types {
        if executor.registry().get(kind).is_none() {
            tracing::warn!(task_type = %kind, "not a type this engine runs: its tasks stay pending");
        }
    }
    let progress = Progress::new(u64::from(args.limit), "running");
    let summary = executor
        .run_pending(tenant, args.limit, only, &|report| {
            progress.task_done(report)
        })
        .await?;
    progress.finish();
    if json {
        print_json(&summary)?;
    } else {
        print_summary(&summary);
    }
    Ok(summary_exit(&summary))
}

/// ZORA CORE's summary block, then one line per task.
pub fn print_summary(summary: &RunSummary) {
    crate::out!("=== Task Execution Summary ===");
    crate::out!("Tasks fetched:   {}", summary.fetched);
    crate::out!("Tasks executed:  {}", summary.executed);
    crate::out!("  Completed:     {}", summary.completed);
    crate::out!("  Failed:        {}", summary.failed);
    crate::out!("  Retried:       {}", summary.retried);
    crate::out!("  Skipped:       {}", summary.skipped);
    if !summary.tasks.is_empty() {
        crate::out!();
    }
    for task in &summary.tasks {
        crate::out!("{}", task_line(task));
    }
}

fn task_line(task: &TaskReport) -> String {
    let (marker, detail) = match task.outcome {
        TaskOutcome::Completed => ("[+]", task.result_summary.clone().unwrap_or_default()),
        TaskOutcome::Failed => ("[-]", task.error_message.clone().unwrap_or_default()),
        TaskOutcome::Retrying => (
            "[-]",
            format!(
                "{} (will retry)",
                task.error_message.clone().unwrap_or_default()
            ),
        ),
        TaskOutcome::Skipped => ("[~]", "taken over by another worker".to_owned()),
    };
    format!("{marker} {} {}: {detail}", task.id, task.task_type)
}

/// Exit 1 only when nothing completed and something failed (for good, or this attempt).
pub fn summary_exit(summary: &RunSummary) -> ExitCode {
    if summary.completed == 0 && summary.failed + summary.retried > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `tasks run ID [--wait]`: a run requested (queued, or reset when failed), and with
/// `--wait` executed here and now like `run-task`.
pub async fn request(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &TasksRunArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let Ok(id) = args.id.parse::<TaskId>() else {
        return Err(CliError::Failed(format!("Task {} not found", args.id)));
    };
    let store = open_store(target).await?;
    let (task, requested) =
        crate::commands::tasks::request_run_or_refuse(store.as_ref(), tenant, id).await?;
    if !args.wait {
        if json {
            print_json(&task_json(&task))?;
        } else {
            crate::out!(
                "Task {id}: {}; a worker or `zora run-task {id}` runs it",
                requested.as_str()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    run_now(store, tenant, id, args.lease.lease_duration, json).await
}

pub async fn run_task(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &RunTaskArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let Ok(id) = args.id.parse::<TaskId>() else {
        return Err(CliError::Failed(format!("Task {} not found", args.id)));
    };
    let store = open_store(target).await?;
    run_now(store, tenant, id, args.lease.lease_duration, json).await
}

/// Runs a task by id on an open store and prints how it ended, as `run-task` does.
async fn run_now(
    store: std::sync::Arc<dyn zora_core::Store>,
    tenant: TenantId,
    id: TaskId,
    lease: std::time::Duration,
    json: bool,
) -> Result<ExitCode, CliError> {
    let report = match executor(store.clone(), lease).run_task(tenant, id).await {
        Ok(report) => report,
        Err(RunTaskError::Store(err)) => return Err(err.into()),
        Err(refused) => return Err(CliError::Failed(refused.to_string())),
    };
    let task = store
        .get_task(tenant, id)
        .await?
        .ok_or_else(|| CliError::Failed(format!("Task {id} not found")))?;
    if json {
        print_json(&task_json(&task))?;
    } else {
        match report.outcome {
            TaskOutcome::Completed => {
                crate::out!("Task {id} completed successfully");
                crate::out!(
                    "  Summary: {}",
                    task.result_summary.as_deref().unwrap_or_default()
                );
                crate::out!(
                    "  Result: {}",
                    task.result
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                );
            }
            TaskOutcome::Failed | TaskOutcome::Retrying => {
                crate::out!("Task {id} failed");
                crate::out!(
                    "  Error: {}",
                    task.error_message.as_deref().unwrap_or_default()
                );
                if report.outcome == TaskOutcome::Retrying {
                    crate::out!("  It will be retried at {}", task.run_at.to_rfc3339());
                }
            }
            TaskOutcome::Skipped => crate::out!("Task {id} was taken over by another worker"),
        }
    }
    Ok(if report.outcome == TaskOutcome::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
