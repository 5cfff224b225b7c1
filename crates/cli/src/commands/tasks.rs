//! `tasks add | list | show` and `create-task` (an alias of `tasks add`).

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use zora_core::agent::AgentId;
use zora_core::dependency::{Dependency, MAX_PARENTS, TaskLinks};
use zora_core::{NewTask, Page, TaskFilter, TaskId, TaskState, TaskStatus, TenantId};

use crate::cli::{TaskOptions, TasksListArgs};
use crate::config::{DatabaseTarget, agents};
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::{print_json, task_json};
use crate::wiring::registry;
use zora_engine::{RequestedRun, RunRequestError};

/// Creates a task from `tasks add` or `create-task` arguments.
pub async fn add(
    target: &DatabaseTarget,
    tenant: TenantId,
    (agent, task_type, title): (&str, &str, &str),
    options: &TaskOptions,
    json: bool,
) -> Result<ExitCode, CliError> {
    let (agent, payload) = agent_and_payload(agent, options.payload.as_deref())?;
    if title.trim().is_empty() || task_type.trim().is_empty() {
        return Err(CliError::Config(
            "agent, type and title are required".into(),
        ));
    }
    let mut new = NewTask::new(tenant, agent.as_str(), task_type, title, payload);
    new.priority = options.priority;
    new.description = options.description.clone();
    new.run_at = options.run_at.as_deref().map(parse_run_at).transpose()?;
    new.idempotency_key = options.idempotency_key.clone();
    new.max_attempts = options.max_attempts;
    new.requires_approval = options.requires_approval;
    new.depends_on = options
        .depends_on
        .iter()
        .map(|text| parse_dependency(text))
        .collect::<Result<_, _>>()?;
    if new.depends_on.len() > MAX_PARENTS {
        return Err(CliError::Config(format!(
            "--depends-on: at most {MAX_PARENTS} parents"
        )));
    }
    if options.max_attempts.is_some_and(|n| n < 1) {
        return Err(CliError::Config("--max-attempts must be at least 1".into()));
    }

    let store = open_store(target).await?;
    let registry = registry();
    if registry.get(task_type).is_none()
        && zora_engine::external::external_type(store.as_ref(), new.tenant_id, task_type)
            .await?
            .is_none()
    {
        tracing::warn!(%task_type, "not a type this engine runs: the task waits for ZORA CORE's legacy runtime");
    }
    let created = zora_engine::create_task(store.as_ref(), &registry, new).await?;
    if let zora_engine::Created::Replayed(task) = &created {
        tracing::info!(id = %task.id, "the idempotency key names this task already: nothing created");
    }
    let task = created.into_task();
    if json {
        print_json(&task_json(&task))?;
    } else {
        crate::out!("{}", task.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// `ID` or `ID:child_field=parent_field,...` (`--depends-on`).
/// `--agent` and `--payload` read as a task (or a schedule's template) takes them.
pub fn agent_and_payload(agent: &str, payload: Option<&str>) -> Result<(AgentId, Value), CliError> {
    let agent = AgentId::parse(agent, &agents()).map_err(|e| CliError::Config(e.to_string()))?;
    let payload: Value = match payload {
        None => json!({}),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| CliError::Config(format!("--payload is not valid JSON: {e}")))?,
    };
    if !payload.is_object() {
        return Err(CliError::Config("--payload must be a JSON object".into()));
    }
    Ok((agent, payload))
}

fn parse_dependency(text: &str) -> Result<Dependency, CliError> {
    let (id, inputs) = text.split_once(':').unwrap_or((text, ""));
    let task_id = id
        .trim()
        .parse()
        .map_err(|_| CliError::Config(format!("--depends-on '{text}': '{id}' is not a task id")))?;
    let inputs = inputs
        .split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((child, parent)) if !child.trim().is_empty() && !parent.trim().is_empty() => {
                Ok((child.trim().to_owned(), parent.trim().to_owned()))
            }
            _ => Err(CliError::Config(format!(
                "--depends-on '{text}': inputs are child_field=parent_field pairs, like {id}:plan_id=plan_id"
            ))),
        })
        .collect::<Result<_, _>>()?;
    Ok(Dependency { task_id, inputs })
}

fn parse_run_at(text: &str) -> Result<DateTime<Utc>, CliError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    humantime::parse_duration(text)
        .ok()
        .and_then(|delay| chrono::Duration::from_std(delay).ok())
        .map(|delay| Utc::now() + delay)
        .ok_or_else(|| {
            CliError::Config(format!(
                "--run-at '{text}' is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a delay (10m)"
            ))
        })
}

pub async fn list(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &TasksListArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let status = args
        .status
        .as_deref()
        .map(str::parse::<TaskStatus>)
        .transpose()
        .map_err(|e| CliError::Config(e.to_string()))?;
    let states = args
        .state
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse::<TaskState>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Config(e.to_string()))?;
    if args.limit == 0 {
        return Err(CliError::Config("--limit must be at least 1".into()));
    }
    let store = open_store(target).await?;
    let filter = TaskFilter {
        status,
        states,
        agent_id: args.agent.clone(),
        task_type: args.task_type.clone(),
        command_id: None,
        title_contains: args.title.clone().filter(|t| !t.trim().is_empty()),
        order: args
            .order
            .parse()
            .map_err(|e: zora_core::ParseError| CliError::Config(e.to_string()))?,
    };
    let page = store
        .list_tasks(tenant, &filter, Page::new(args.limit, args.offset))
        .await?;
    if json {
        print_json(&json!({
            "data": page.items.iter().map(task_json).collect::<Vec<_>>(),
            "pagination": {
                "limit": page.page.limit,
                "offset": page.page.offset,
                "total": page.total,
                "has_more": page.has_more(),
            },
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for task in &page.items {
        crate::out!(
            "{}  {:<17} p{:<3} {:<7} {:<38} {}",
            task.id,
            task.state,
            task.priority,
            task.agent_id,
            task.task_type,
            task.title
        );
    }
    crate::out!("{} of {} task(s)", page.items.len(), page.total);
    Ok(ExitCode::SUCCESS)
}

pub async fn show(
    target: &DatabaseTarget,
    tenant: TenantId,
    id: &str,
    json: bool,
) -> Result<ExitCode, CliError> {
    let not_found = || CliError::Failed(format!("Task {id} not found"));
    let id: TaskId = id.parse().map_err(|_| not_found())?;
    let store = open_store(target).await?;
    let task = store.get_task(tenant, id).await?.ok_or_else(not_found)?;
    let links = TaskLinks::of(task.id, &store.dependency_edges(tenant, &[task.id]).await?);
    if json {
        let mut object = task_json(&task);
        object["depends_on"] = json!(links.depends_on);
        object["dependents"] = json!(links.dependents);
        print_json(&object)?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::out!("Task {}", task.id);
    crate::out!("  type:        {}", task.task_type);
    crate::out!("  agent:       {}", task.agent_id);
    crate::out!("  title:       {}", task.title);
    crate::out!("  status:      {} ({})", task.status, task.state);
    crate::out!("  priority:    {}", task.priority);
    crate::out!("  attempts:    {}", task.attempts);
    crate::out!("  created:     {}", task.created_at.to_rfc3339());
    crate::out!("  run at:      {}", task.run_at.to_rfc3339());
    crate::out!("  payload:     {}", task.payload);
    if let Some(summary) = &task.result_summary {
        crate::out!("  summary:     {summary}");
    }
    if let Some(result) = &task.result {
        crate::out!("  result:      {result}");
    }
    if let Some(error) = &task.error_message {
        crate::out!("  error:       {error}");
    }
    for parent in &links.depends_on {
        let inputs = parent.inputs.as_ref().map(|i| format!(", inputs {i}"));
        crate::out!(
            "  depends on:  {} ({}{})",
            parent.task_id,
            parent.state,
            inputs.unwrap_or_default()
        );
    }
    for child in &links.dependents {
        crate::out!("  dependent:   {child}");
    }
    for record in &task.errors {
        let worker = record.worker.as_deref().map(|w| format!(" on {w}"));
        crate::out!(
            "  attempt {}:   {}{} at {}: {}",
            record.attempt,
            record.kind,
            worker.unwrap_or_default(),
            record.at.to_rfc3339(),
            record.error
        );
    }
    if let Some(worker) = task.lease_owner.as_ref().or(task.completed_by.as_ref()) {
        crate::out!("  worker:      {worker}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `tasks retry ID`: a failed task back to pending (a pending one made due now).
pub async fn retry(
    target: &DatabaseTarget,
    tenant: TenantId,
    id: &str,
    json: bool,
) -> Result<ExitCode, CliError> {
    let not_found = || CliError::Failed(format!("Task {id} not found"));
    let id: TaskId = id.parse().map_err(|_| not_found())?;
    let store = open_store(target).await?;
    let (task, requested) = request_run_or_refuse(store.as_ref(), tenant, id).await?;
    if json {
        print_json(&task_json(&task))?;
    } else {
        match requested {
            RequestedRun::ResetToPending => crate::out!("Task {id} reset to pending for retry"),
            RequestedRun::Queued => crate::out!("Task {id} is pending; it is queued to run"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Queues or resets a task, with ZORA CORE's refusals as one-line failures.
pub async fn request_run_or_refuse(
    store: &dyn zora_core::Store,
    tenant: TenantId,
    id: TaskId,
) -> Result<(zora_core::Task, RequestedRun), CliError> {
    zora_engine::request_run(store, &registry(), tenant, id, None)
        .await
        .map_err(|err| match err {
            RunRequestError::NotFound(_) => CliError::Failed(format!("Task {id} not found")),
            RunRequestError::InvalidState(message) => {
                CliError::Failed(format!("Task {id}: {message}"))
            }
            RunRequestError::Store(err) => err.into(),
        })
}
