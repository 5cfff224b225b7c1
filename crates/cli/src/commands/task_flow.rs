//! `tasks cancel | approve | reject`: a task's flow changed by hand, as the API's cancel
//! and decision routes change it.

use std::process::ExitCode;

use zora_core::{Decision, TaskId, TenantId};
use zora_engine::{CancelError, Cancelled, DecisionError};

use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::{print_json, task_json};

/// `tasks cancel ID [--reason TEXT]`.
pub async fn cancel(
    target: &DatabaseTarget,
    tenant: TenantId,
    id: &str,
    reason: Option<&str>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let not_found = || CliError::Failed(format!("Task {id} not found"));
    let id: TaskId = id.parse().map_err(|_| not_found())?;
    let store = open_store(target).await?;
    let cancelled = zora_engine::cancel_task(store.as_ref(), tenant, id, None, reason)
        .await
        .map_err(|err| match err {
            CancelError::NotFound(_) => not_found(),
            CancelError::InvalidState(message) => CliError::Failed(format!("Task {id}: {message}")),
            CancelError::Store(err) => err.into(),
        })?;
    if json {
        print_json(&task_json(cancelled.task()))?;
    } else {
        match cancelled {
            Cancelled::Now(_) => crate::out!("Task {id} cancelled"),
            Cancelled::Cancelling(_) => {
                crate::out!("Task {id} is running: its worker stops it at its next lease check")
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tasks approve ID` / `tasks reject ID [--reason TEXT]`: the operator at the command
/// line decides (no user is recorded).
pub async fn decide(
    target: &DatabaseTarget,
    tenant: TenantId,
    id: &str,
    approve: bool,
    reason: Option<String>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let not_found = || CliError::Failed(format!("Task {id} not found"));
    let id: TaskId = id.parse().map_err(|_| not_found())?;
    let store = open_store(target).await?;
    let decision = Decision {
        approve,
        by: None,
        reason,
    };
    let task = zora_engine::decide_task(store.as_ref(), tenant, id, &decision)
        .await
        .map_err(|err| match err {
            DecisionError::NotFound(_) => not_found(),
            DecisionError::InvalidState(message) => {
                CliError::Failed(format!("Task {id}: {message}"))
            }
            DecisionError::Store(err) => err.into(),
        })?;
    if json {
        print_json(&task_json(&task))?;
    } else if approve {
        crate::out!("Task {id} approved; it is {}", task.state);
    } else {
        crate::out!("Task {id} rejected");
    }
    Ok(ExitCode::SUCCESS)
}
