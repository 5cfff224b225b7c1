//! The task routes: `GET /api/agents/tasks` and `GET /api/agents/tasks/{id}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use serde_json::{Value, json};
use zora_core::{MAX_PAGE_SIZE, Page, Task, TaskFilter, TaskId, TaskState, TaskStatus};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::task_object::{TaskObject, has_run, objects_as};

/// A task as the list shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskListItem {
    pub id: TaskId,
    pub agent_id: String,
    pub task_type: String,
    pub status: TaskStatus,
    /// The fine-grained state.
    pub state: TaskState,
    pub priority: i32,
    pub title: String,
    /// Attempts made so far, and the most it may make.
    pub attempts: i32,
    /// The task's own limit; `null`: its type's.
    pub max_attempts: Option<i32>,
    pub command_id: Option<zora_core::CommandId>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Task> for TaskListItem {
    fn from(task: Task) -> Self {
        Self {
            id: task.id,
            agent_id: task.agent_id,
            task_type: task.task_type,
            status: task.status,
            state: task.state,
            priority: task.priority,
            title: task.title,
            attempts: task.attempts,
            max_attempts: task.max_attempts,
            command_id: task.command_id,
            created_at: task.created_at,
            started_at: task.started_at,
            completed_at: task.completed_at,
        }
    }
}

/// A positive page size, served at most at [`MAX_PAGE_SIZE`], and a non-negative offset.
pub fn page_from(query: &HashMap<String, String>) -> Result<Page, ApiError> {
    let limit = match query.get("limit") {
        None => 50,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n > 0 => {
                u32::try_from(n.min(i64::from(MAX_PAGE_SIZE))).unwrap_or(MAX_PAGE_SIZE)
            }
            _ => {
                return Err(ApiError::field(
                    "limit",
                    format!("limit must be a positive integer, got '{raw}'"),
                ));
            }
        },
    };
    let offset = match query.get("offset") {
        None => 0,
        Some(raw) => raw.trim().parse::<u64>().map_err(|_| {
            ApiError::field(
                "offset",
                format!("offset must be a non-negative integer, got '{raw}'"),
            )
        })?,
    };
    Ok(Page::new(limit, offset))
}

/// `state=a,b`: a comma-separated list of states, each checked.
pub fn parse_states(raw: &str) -> Result<Vec<TaskState>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<TaskState>())
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::field("state", e.message))
}

/// ZORA CORE's pagination object.
pub fn pagination(page: Page, total: u64, has_more: bool) -> Value {
    json!({"limit": page.limit, "offset": page.offset, "total": total, "has_more": has_more})
}

pub async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let status = query
        .get("status")
        .map(|raw| raw.parse::<TaskStatus>())
        .transpose()
        .map_err(|e| ApiError::field("status", e.message))?;
    let states = query
        .get("state")
        .map(|raw| parse_states(raw))
        .transpose()?
        .unwrap_or_default();
    let page = page_from(&query)?;
    let filter = TaskFilter {
        status,
        states,
        agent_id: query.get("agent_id").cloned(),
        task_type: query.get("task_type").cloned(),
        command_id: None,
        title_contains: query
            .get("q")
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        order: query
            .get("order")
            .map(|raw| raw.parse::<zora_core::TaskOrder>())
            .transpose()
            .map_err(|e| ApiError::field("order", e.message))?
            .unwrap_or_default(),
    };
    let found = state
        .store
        .list_tasks(user.tenant_id, &filter, page)
        .await?;
    let has_more = found.has_more();
    let items = objects_as(state.store.as_ref(), found.items, TaskListItem::from).await?;
    Ok(Json(
        json!({"data": items, "pagination": pagination(page, found.total, has_more)}),
    ))
}

/// `GET /api/agents/tasks/{id}/journal`: the journal entries about the task, oldest first.
pub async fn journal(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || super::task_not_found(&id);
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    let task = state
        .store
        .get_task(user.tenant_id, task_id)
        .await?
        .ok_or_else(not_found)?;
    let entries = state.store.task_journal(&task).await?;
    Ok(Json(json!({"data": entries})))
}

pub async fn get(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || super::task_not_found(&id);
    let task_id: TaskId = id.parse().map_err(|_| not_found())?;
    let (task, links) = state
        .store
        .get_task_with_links(user.tenant_id, task_id)
        .await?
        .ok_or_else(not_found)?;
    let usage = if has_run(&task) {
        state
            .store
            .task_usage(user.tenant_id, &[task_id])
            .await?
            .pop()
            .map(|(_, usage)| usage)
    } else {
        None
    };
    Ok(Json(json!({"data": TaskObject { task, links, usage }})))
}
