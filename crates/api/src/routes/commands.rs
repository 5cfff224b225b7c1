//! The command console's routes: `GET /api/agents/commands`, `GET
//! /api/agents/commands/{id}`, `POST /api/agents/commands` (planned by LUMINA, at most 60
//! a minute per user).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use zora_core::command::{Command, CommandStatus};
use zora_core::{CommandId, agent::AgentId};
use zora_engine::{CommandRequest, submit_command};

use crate::auth::AuthUser;
use crate::body::JsonObject;
use crate::error::ApiError;
use crate::routes::tasks::{TaskListItem, page_from, pagination};
use crate::state::AppState;
use crate::task_object::objects_as;

/// A command as the list shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CommandListItem {
    pub id: CommandId,
    pub raw_prompt: String,
    pub target_agents: Option<Vec<String>>,
    pub status: CommandStatus,
    pub parsed_summary: Option<String>,
    pub tasks_created_count: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Command> for CommandListItem {
    fn from(command: Command) -> Self {
        Self {
            id: command.id,
            raw_prompt: command.raw_prompt,
            target_agents: command.target_agents,
            status: command.status,
            parsed_summary: command.parsed_summary,
            tasks_created_count: command.tasks_created_count,
            created_at: command.created_at,
            updated_at: command.updated_at,
        }
    }
}

pub async fn list(
    user: AuthUser,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let status = query
        .get("status")
        .map(|raw| raw.parse::<CommandStatus>())
        .transpose()
        .map_err(|e| ApiError::field("status", e.message))?;
    let page = page_from(&query)?;
    let found = state
        .store
        .list_commands(user.tenant_id, status, page)
        .await?;
    let has_more = found.has_more();
    let items: Vec<CommandListItem> = found.items.into_iter().map(CommandListItem::from).collect();
    Ok(Json(
        json!({"data": items, "pagination": pagination(page, found.total, has_more)}),
    ))
}

pub async fn get(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::NotFound(format!("Command '{id}' not found"));
    let command_id: CommandId = id.parse().map_err(|_| not_found())?;
    let command = state
        .store
        .get_command(user.tenant_id, command_id)
        .await?
        .ok_or_else(not_found)?;
    let tasks = state
        .store
        .command_tasks(user.tenant_id, command_id)
        .await?;
    let tasks = objects_as(state.store.as_ref(), tasks, TaskListItem::from).await?;
    Ok(Json(json!({"data": command, "tasks": tasks})))
}

pub async fn submit(
    user: AuthUser,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_operator("Only founders and brand admins can submit commands")?;
    let raw_prompt = match body.get("raw_prompt") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::field(
                "raw_prompt",
                "raw_prompt is required and must not be empty",
            ));
        }
        Some(_) => return Err(ApiError::field("raw_prompt", "raw_prompt must be a string")),
    };
    let target_agents = match body.get("target_agents") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(
                |item| match item.as_str().map(|a| AgentId::parse(a, &state.agents)) {
                    Some(Ok(agent)) => Ok(agent.as_str().to_owned()),
                    Some(Err(e)) => Err(ApiError::field("target_agents", e.message)),
                    None => Err(ApiError::field(
                        "target_agents",
                        "target_agents must be a list of agent ids",
                    )),
                },
            )
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::field(
                "target_agents",
                "target_agents must be a list of agent ids",
            ));
        }
    };
    state.command_limit.check(user.user_id)?;
    let outcome = submit_command(
        state.store.as_ref(),
        &state.registry,
        state.planner.as_ref(),
        &CommandRequest {
            tenant: user.tenant_id,
            user: Some(user.user_id),
            raw_prompt,
            target_agents,
        },
    )
    .await?;
    let tasks = objects_as(state.store.as_ref(), outcome.tasks, TaskListItem::from).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"data": {"command": outcome.command, "tasks_created": tasks, "summary": outcome.summary}}),
        ),
    ))
}
