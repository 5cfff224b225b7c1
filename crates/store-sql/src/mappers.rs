//! One mapper per row of the queue's tables, from the columns every store's queries
//! select under the same names (enums as text, numerics as floating point). A domain's
//! mappers are its own, written over the same [`Columns`].

use zora_core::command::Command;
use zora_core::dependency::{DependencyEdge, FailedDependent, ParentRow, TaskLinks};
use zora_core::external::{ExternalType, ExternalTypeDefinition, PushTarget};
use zora_core::journal::JournalEntry;
use zora_core::schedule::Schedule;
use zora_core::{Task, TaskErrorRecord, WorkerInfo};

use crate::columns::{Columns, decode_error};

pub fn task(row: &impl Columns) -> Result<Task, sqlx::Error> {
    let errors: Vec<TaskErrorRecord> = match row.opt_json("errors")? {
        None => Vec::new(),
        Some(value) => serde_json::from_value(value).map_err(|e| decode_error("errors", e))?,
    };
    Ok(Task {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        command_id: row.opt_id("command_id")?,
        agent_id: row.text("agent_id")?,
        task_type: row.text("task_type")?,
        status: row.parsed("status")?,
        state: row.parsed("state")?,
        priority: row.int("priority")?,
        title: row.text("title")?,
        description: row.opt_text("description")?,
        payload: row.object("payload")?,
        result: row.opt_json("result")?,
        result_summary: row.opt_text("result_summary")?,
        error_message: row.opt_text("error_message")?,
        started_at: row.opt_timestamp("started_at")?,
        completed_at: row.opt_timestamp("completed_at")?,
        created_by_user_id: row.opt_id("created_by_user_id")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.opt_timestamp("updated_at")?,
        attempts: row.int("attempts")?,
        max_attempts: row.opt_int("max_attempts")?,
        run_at: row.timestamp("run_at")?,
        lease_owner: row.opt_text("lease_owner")?,
        lease_expires_at: row.opt_timestamp("lease_expires_at")?,
        idempotency_key: row.opt_text("idempotency_key")?,
        errors,
        completed_by: row.opt_text("completed_by")?,
        cancelled_at: row.opt_timestamp("cancelled_at")?,
        requires_approval: row.boolean("requires_approval")?,
        approved_by_user_id: row.opt_id("approved_by_user_id")?,
        approved_at: row.opt_timestamp("approved_at")?,
        rejected_by_user_id: row.opt_id("rejected_by_user_id")?,
        rejected_at: row.opt_timestamp("rejected_at")?,
        decision_reason: row.opt_text("decision_reason")?,
    })
}

/// A task and its links, from a row of the task's columns with `depends_on` and
/// `dependents` as JSON arrays.
pub fn task_with_links(row: &impl Columns) -> Result<(Task, TaskLinks), sqlx::Error> {
    let list = |column: &str| -> Result<serde_json::Value, sqlx::Error> {
        Ok(row
            .opt_json(column)?
            .unwrap_or_else(|| serde_json::json!([])))
    };
    let links = TaskLinks {
        depends_on: serde_json::from_value(list("depends_on")?)
            .map_err(|e| decode_error("depends_on", e))?,
        dependents: serde_json::from_value(list("dependents")?)
            .map_err(|e| decode_error("dependents", e))?,
    };
    Ok((task(row)?, links))
}

pub fn parent_row(row: &impl Columns) -> Result<ParentRow, sqlx::Error> {
    Ok(ParentRow {
        id: row.id("id")?,
        status: row.parsed("status")?,
    })
}

pub fn dependency_edge(row: &impl Columns) -> Result<DependencyEdge, sqlx::Error> {
    Ok(DependencyEdge {
        task_id: row.id("task_id")?,
        depends_on_task_id: row.id("depends_on_task_id")?,
        parent_state: row.parsed("parent_state")?,
        inputs: row.opt_json("inputs")?,
    })
}

pub fn failed_dependent(row: &impl Columns) -> Result<FailedDependent, sqlx::Error> {
    Ok(FailedDependent {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        title: row.text("title")?,
        parent: row.id("parent")?,
    })
}

pub fn journal_entry(row: &impl Columns) -> Result<JournalEntry, sqlx::Error> {
    Ok(JournalEntry {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        category: row.text("category")?,
        title: row.text("title")?,
        body: row.opt_text("body")?,
        details: row.object("details")?,
        author: row.opt_text("author")?,
        created_at: row.timestamp("created_at")?,
    })
}

pub fn command(row: &impl Columns) -> Result<Command, sqlx::Error> {
    Ok(Command {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        created_by_user_id: row.opt_id("created_by_user_id")?,
        raw_prompt: row.text("raw_prompt")?,
        target_agents: row.opt_text_list("target_agents")?,
        status: row.parsed("status")?,
        parsed_summary: row.opt_text("parsed_summary")?,
        tasks_created_count: row.opt_int("tasks_created_count")?.unwrap_or_default(),
        error_message: row.opt_text("error_message")?,
        metadata: row.object("metadata")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.opt_timestamp("updated_at")?,
    })
}

pub fn schedule(row: &impl Columns) -> Result<Schedule, sqlx::Error> {
    let task = row.object("task")?;
    Ok(Schedule {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        name: row.text("name")?,
        cron: row.text("cron")?,
        timezone: row.text("timezone")?,
        task: serde_json::from_value(task).map_err(|e| decode_error("task", e))?,
        enabled: row.boolean("enabled")?,
        next_run_at: row.opt_timestamp("next_run_at")?,
        last_run_at: row.opt_timestamp("last_run_at")?,
        last_task_id: row.opt_id("last_task_id")?,
        created_by_user_id: row.opt_id("created_by_user_id")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.timestamp("updated_at")?,
    })
}

pub fn external_type(row: &impl Columns) -> Result<ExternalType, sqlx::Error> {
    Ok(ExternalType {
        tenant_id: row.opt_id("tenant_id")?,
        task_type: row.text("task_type")?,
        definition: ExternalTypeDefinition {
            agent_id: row.text("agent_id")?,
            description: row.text("description")?,
            payload_schema: row.object("payload_schema")?,
            result_schema: row.opt_json("result_schema")?,
            timeout_s: row.int("timeout_s")?,
            max_attempts: row.opt_int("max_attempts")?,
            push: match (row.opt_text("push_url")?, row.opt_text("push_secret")?) {
                (Some(url), Some(secret)) => Some(PushTarget {
                    url,
                    timeout_s: row.opt_int("push_timeout_s")?.unwrap_or(30),
                    secret,
                }),
                _ => None,
            },
        },
        registered_by: row.opt_id("registered_by")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.timestamp("updated_at")?,
    })
}

pub fn worker(row: &impl Columns) -> Result<WorkerInfo, sqlx::Error> {
    Ok(WorkerInfo {
        id: row.text("id")?,
        kind: row.parsed("kind")?,
        host: row.text("host")?,
        pid: row.int("pid")?,
        tenant_id: row.opt_id("tenant_id")?,
        task_types: row.opt_text_list("task_types")?.unwrap_or_default(),
        concurrency: row.int("concurrency")?,
        started_at: row.timestamp("started_at")?,
        heartbeat_at: row.timestamp("heartbeat_at")?,
        tasks_in_hand: row.int("tasks_in_hand")?,
    })
}

/// `(state, count)` rows of a grouped count, as typed states.
pub fn state_counts(
    rows: Vec<(String, i64)>,
) -> Result<Vec<(zora_core::TaskState, u64)>, sqlx::Error> {
    rows.into_iter()
        .map(|(state, count)| {
            let state = state.parse().map_err(|e| decode_error("state", e))?;
            Ok((state, u64::try_from(count).unwrap_or_default()))
        })
        .collect()
}

/// A line of summed model usage: `key`, `calls`, `prompt_tokens`, `completion_tokens`,
/// `cost_usd`.
pub fn usage_line(row: &impl Columns) -> Result<zora_core::usage::UsageLine, sqlx::Error> {
    Ok(zora_core::usage::UsageLine {
        key: row.text("key")?,
        calls: row.big("calls")?,
        prompt_tokens: row.big("prompt_tokens")?,
        completion_tokens: row.big("completion_tokens")?,
        cost_usd: row.opt_float("cost_usd")?,
    })
}
