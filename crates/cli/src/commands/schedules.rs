//! `zora schedules add | list | pause | resume | delete`: the tenant's periodic schedules,
//! through the engine's one path (the API's routes take the same), on the database clock.

use std::process::ExitCode;
use std::sync::Arc;

use zora_core::schedule::{Schedule, TaskTemplate};
use zora_core::{ScheduleId, Store, TenantId};
use zora_engine::schedule::{
    DatabaseClock, ScheduleDraft, ScheduleError, SchedulePatch, create_schedule, delete_schedule,
    update_schedule,
};

use crate::cli::{SchedulesAddArgs, SchedulesCommand};
use crate::commands::tasks::agent_and_payload;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;
use crate::wiring::registry;

impl From<ScheduleError> for CliError {
    fn from(err: ScheduleError) -> Self {
        match err {
            ScheduleError::Store(store) => store.into(),
            ScheduleError::Invalid(faults) => CliError::Config(
                faults
                    .iter()
                    .map(|f| format!("--{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => CliError::Failed(other.to_string()),
        }
    }
}

pub async fn run(
    target: &DatabaseTarget,
    tenant: TenantId,
    command: &SchedulesCommand,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    match command {
        SchedulesCommand::Add(args) => add(store, tenant, args, json).await,
        SchedulesCommand::List => list(store.as_ref(), tenant, json).await,
        SchedulesCommand::Pause { id } => set_enabled(store, tenant, id, false, json).await,
        SchedulesCommand::Resume { id } => set_enabled(store, tenant, id, true, json).await,
        SchedulesCommand::Delete { id } => {
            delete_schedule(store.as_ref(), tenant, parse_id(id)?).await?;
            if json {
                print_json(&serde_json::json!({"deleted": id}))?;
            } else {
                crate::out!("Schedule {id} deleted; the tasks it made stay");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse_id(id: &str) -> Result<ScheduleId, CliError> {
    id.parse()
        .map_err(|_| CliError::Failed(format!("Schedule {id} not found")))
}

async fn add(
    store: Arc<dyn Store>,
    tenant: TenantId,
    args: &SchedulesAddArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let (agent, payload) = agent_and_payload(&args.agent, args.payload.as_deref())?;
    if args.max_attempts.is_some_and(|n| n < 1) {
        return Err(CliError::Config("--max-attempts must be at least 1".into()));
    }
    let draft = ScheduleDraft {
        name: args.name.clone(),
        cron: args.cron.clone(),
        timezone: args.timezone.clone(),
        task: TaskTemplate {
            agent_id: agent.as_str().to_owned(),
            task_type: args.task_type.trim().to_owned(),
            title: args.title.clone(),
            description: None,
            payload,
            priority: args.priority,
            max_attempts: args.max_attempts,
            requires_approval: args.requires_approval,
        },
        enabled: !args.paused,
        created_by_user_id: None,
    };
    let clock = DatabaseClock(store.clone());
    let schedule = create_schedule(store.as_ref(), &registry(), &clock, tenant, draft).await?;
    if json {
        print_json(&schedule)?;
    } else {
        crate::out!("Schedule {} created: {}", schedule.id, describe(&schedule));
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(store: &dyn Store, tenant: TenantId, json: bool) -> Result<ExitCode, CliError> {
    let schedules = store.list_schedules(tenant).await?;
    if json {
        print_json(&schedules)?;
        return Ok(ExitCode::SUCCESS);
    }
    if schedules.is_empty() {
        crate::out!("No schedules");
    }
    for schedule in &schedules {
        crate::out!("{}  {}  {}", schedule.id, schedule.name, describe(schedule));
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_enabled(
    store: Arc<dyn Store>,
    tenant: TenantId,
    id: &str,
    enabled: bool,
    json: bool,
) -> Result<ExitCode, CliError> {
    let patch = SchedulePatch {
        enabled: Some(enabled),
        ..SchedulePatch::default()
    };
    let clock = DatabaseClock(store.clone());
    let schedule = update_schedule(
        store.as_ref(),
        &registry(),
        &clock,
        tenant,
        parse_id(id)?,
        patch,
    )
    .await?;
    if json {
        print_json(&schedule)?;
    } else {
        let done = if enabled { "resumed" } else { "paused" };
        crate::out!("Schedule {id} {done}: {}", describe(&schedule));
    }
    Ok(ExitCode::SUCCESS)
}

/// `"0 9 * * MON" Europe/Copenhagen, SAM climate.x "Title", next 2026-12-07T08:00:00Z`.
fn describe(schedule: &Schedule) -> String {
    let next = match (schedule.enabled, schedule.next_run_at) {
        (false, _) => "paused".to_owned(),
        (true, Some(next)) => format!("next {}", next.to_rfc3339()),
        (true, None) => "no next slot".to_owned(),
    };
    let last = schedule
        .last_run_at
        .map(|last| format!(", last {}", last.to_rfc3339()))
        .unwrap_or_default();
    format!(
        "\"{}\" {}, {} {} \"{}\", {next}{last}",
        schedule.cron,
        schedule.timezone,
        schedule.task.agent_id,
        schedule.task.task_type,
        schedule.task.title
    )
}
