//! `tasks cancel`: a task's flow changed by hand, as the API's cancel route changes it.

use std::process::ExitCode;

use zora_core::{TaskId, TenantId};
use zora_engine::{CancelError, Cancelled};

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
