//! `commands submit`: a command planned into tasks, as the console's `POST
//! /api/agents/commands` does it.

use std::process::ExitCode;

use serde_json::json;
use zora_core::TenantId;
use zora_core::agent::AgentId;
use zora_core::command::CommandStatus;
use zora_engine::{CommandRequest, submit_command};

use crate::config::{DatabaseTarget, agents};
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::{print_json, task_json};
use crate::wiring::{planner, registry};

pub async fn submit(
    target: &DatabaseTarget,
    tenant: TenantId,
    prompt: &str,
    target_agents: &[String],
    json: bool,
) -> Result<ExitCode, CliError> {
    if prompt.trim().is_empty() {
        return Err(CliError::Config("the command must not be empty".into()));
    }
    let roster = agents();
    let target_agents = target_agents
        .iter()
        .map(|a| AgentId::parse(a, &roster).map(|agent| agent.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Config(format!("--agents: {}", e.message)))?;
    let store = open_store(target).await?;
    let registry = std::sync::Arc::new(registry());
    let planner = planner(registry.clone());
    let outcome = submit_command(
        store.as_ref(),
        &registry,
        planner.as_ref(),
        &CommandRequest {
            tenant,
            user: None,
            raw_prompt: prompt.to_owned(),
            target_agents,
        },
    )
    .await?;
    let created = outcome.command.status == CommandStatus::TasksCreated;
    if json {
        print_json(&json!({
            "command": outcome.command,
            "tasks_created": outcome.tasks.iter().map(task_json).collect::<Vec<_>>(),
            "summary": outcome.summary,
        }))?;
    } else {
        crate::out!("Command {}: {}", outcome.command.id, outcome.command.status);
        crate::out!("  Summary: {}", outcome.summary);
        for task in &outcome.tasks {
            crate::out!(
                "  [+] {}  {:<7} {:<30} {}",
                task.id,
                task.agent_id,
                task.task_type,
                task.title
            );
        }
        if let Some(error) = &outcome.command.error_message {
            crate::out!("  Error: {error}");
        }
    }
    Ok(if created {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
