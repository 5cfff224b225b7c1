//! Submitting a command: recorded (`received`), planned (`parsing`), its tasks inserted
//! with `command_id` and `payload.source_command_id`, then `tasks_created` or `failed`,
//! each step committed, and the `agent_command_executed` journal entry. A planned chain
//! (`depends_on` by position) becomes the tasks' dependencies, inserted in plan order in
//! one transaction; a task whose parent was not created is not created either.

use serde_json::{Value, json};
use zora_core::command::{Command, CommandStatus, CommandUpdate, NewCommand};
use zora_core::dependency::Dependency;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{
    CommandId, JournalEntryId, NewTask, Store, StoreError, Task, TaskId, TenantId, UserId,
};

use crate::create::{CreateError, blame_tenant, validate_new_task};
use crate::planner::{PlanRequest, PlannedTask, Planner};
use crate::registry::Registry;

/// A command to submit.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub tenant: TenantId,
    pub user: Option<UserId>,
    pub raw_prompt: String,
    /// Upper-cased agent ids the command is for; empty: any.
    pub target_agents: Vec<String>,
}

/// What submitting a command came to.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    pub command: Command,
    pub tasks: Vec<Task>,
    pub summary: String,
}

/// A planned task's parents as the ids the earlier planned tasks were accepted with;
/// `None` when one of them was not accepted (the chain is broken there).
fn parents(planned: &PlannedTask, accepted_ids: &[Option<TaskId>]) -> Option<Vec<Dependency>> {
    planned
        .depends_on
        .iter()
        .map(|parent| {
            Some(Dependency {
                task_id: (*accepted_ids.get(parent.index)?)?,
                inputs: parent.inputs.clone(),
            })
        })
        .collect()
}

/// The message of a command that created no task.
pub const NO_TASKS: &str = "No tasks could be created from the command";

/// Records, plans and executes a command. A tenant without a row is refused
/// ([`CreateError::UnknownTenant`], when its command's insert fails) with nothing
/// written.
pub async fn submit_command(
    store: &dyn Store,
    registry: &Registry,
    planner: &dyn Planner,
    request: &CommandRequest,
) -> Result<CommandOutcome, CreateError> {
    let id = CommandId::new();
    let new = NewCommand {
        id,
        tenant_id: request.tenant,
        created_by_user_id: request.user,
        raw_prompt: request.raw_prompt.clone(),
        target_agents: (!request.target_agents.is_empty()).then(|| request.target_agents.clone()),
    };
    let mut tx = store.begin().await?;
    if let Err(err) = tx.insert_command(&new).await {
        return Err(blame_tenant(store, request.tenant, err.into()).await);
    }
    tx.commit().await?;
    let mut tx = store.begin().await?;
    tx.update_command(
        request.tenant,
        id,
        &CommandUpdate {
            status: CommandStatus::Parsing,
            parsed_summary: None,
            tasks_created_count: 0,
            error_message: None,
            metadata: json!({}),
        },
    )
    .await?;
    tx.commit().await?;

    let plan = planner
        .plan(&PlanRequest {
            raw_prompt: request.raw_prompt.clone(),
            target_agents: request.target_agents.clone(),
        })
        .await;
    let mut dropped: Vec<Value> = Vec::new();
    let mut accepted = Vec::new();
    // The id each planned task was given when it was accepted, by position.
    let mut accepted_ids: Vec<Option<TaskId>> = Vec::with_capacity(plan.tasks.len());
    for planned in &plan.tasks {
        let drop = |reason: String| json!({"task_type": planned.task_type, "title": planned.title, "reason": reason});
        let Some(depends_on) = parents(planned, &accepted_ids) else {
            dropped.push(drop(
                "depends_on: a task it depends on was not created".into(),
            ));
            accepted_ids.push(None);
            continue;
        };
        let mut payload = match &planned.payload {
            Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        payload.insert("source_command_id".into(), Value::from(id.to_string()));
        let mut task = NewTask::new(
            request.tenant,
            planned.agent_id.clone(),
            planned.task_type.clone(),
            planned.title.clone(),
            Value::Object(payload),
        );
        task.command_id = Some(id);
        task.description = Some(planned.description.clone());
        task.priority = planned.priority;
        task.created_by_user_id = new.created_by_user_id;
        task.depends_on = depends_on;
        match validate_new_task(store, registry, &task).await {
            Ok(()) => {
                accepted_ids.push(Some(task.id));
                accepted.push(task);
            }
            Err(CreateError::Invalid(err)) => {
                accepted_ids.push(None);
                dropped.push(drop(err.with_field()));
            }
            Err(err) => return Err(err),
        }
    }

    let mut tx = store.begin().await?;
    let mut tasks = Vec::with_capacity(accepted.len());
    for task in &accepted {
        tasks.push(tx.insert_task(task).await?);
    }
    let metadata = json!({
        "planner": plan.planner,
        "fallback_reason": plan.fallback_reason,
        "dropped_tasks": dropped,
    });
    let (status, error) = if tasks.is_empty() {
        (CommandStatus::Failed, Some(NO_TASKS.to_owned()))
    } else {
        (CommandStatus::TasksCreated, None)
    };
    let count = i32::try_from(tasks.len()).unwrap_or(i32::MAX);
    tx.update_command(
        request.tenant,
        id,
        &CommandUpdate {
            status,
            parsed_summary: Some(plan.summary.clone()),
            tasks_created_count: count,
            error_message: error,
            metadata,
        },
    )
    .await?;
    let prompt: String = request.raw_prompt.chars().take(200).collect();
    tx.insert_journal_entries(&[NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: request.tenant,
        category: JournalCategory::AgentAction,
        title: format!("Command executed: {count} task(s) created"),
        body: Some(format!("Command: {prompt}\n\nSummary: {}", plan.summary)),
        details: json!({
            "event_type": "agent_command_executed",
            "command_id": id,
            "tasks_created": count,
            "task_ids": tasks.iter().map(|t| t.id).collect::<Vec<_>>(),
        }),
        author: Some("LUMINA".into()),
    }])
    .await?;
    tx.commit().await?;
    let command = store
        .get_command(request.tenant, id)
        .await?
        .ok_or_else(|| StoreError::Other("the command vanished".into()))?;
    Ok(CommandOutcome {
        command,
        tasks,
        summary: plan.summary,
    })
}
