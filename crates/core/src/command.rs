//! Agent commands: free-text prompts from the command console, planned into tasks.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::{CommandId, TenantId, UserId};
use crate::page::{Page, Paginated};

crate::label_enum! {
    /// `agent_command_status`: `received → parsing → tasks_created | failed`.
    pub enum CommandStatus (field = "status") {
        Received => "received",
        Parsing => "parsing",
        TasksCreated => "tasks_created",
        Failed => "failed",
    }
}

/// A row of `agent_commands`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Command {
    pub id: CommandId,
    pub tenant_id: TenantId,
    pub created_by_user_id: Option<UserId>,
    pub raw_prompt: String,
    pub target_agents: Option<Vec<String>>,
    pub status: CommandStatus,
    pub parsed_summary: Option<String>,
    /// Never null: a NULL column reads as 0.
    pub tasks_created_count: i32,
    pub error_message: Option<String>,
    /// Never null: a NULL column reads as `{}`.
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A command to record, in state `received`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommand {
    pub id: CommandId,
    pub tenant_id: TenantId,
    pub created_by_user_id: Option<UserId>,
    pub raw_prompt: String,
    pub target_agents: Option<Vec<String>>,
}

/// A step of a command's life: its new state and what the planner said.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandUpdate {
    pub status: CommandStatus,
    pub parsed_summary: Option<String>,
    pub tasks_created_count: i32,
    pub error_message: Option<String>,
    pub metadata: Value,
}

/// The commands a transaction writes.
#[async_trait::async_trait]
pub trait CommandTx: Send {
    /// Records a command in state `received`. A `created_by_user_id` without a row in
    /// `users` is written as NULL, in the same statement.
    async fn insert_command(&mut self, command: &NewCommand) -> Result<Command, StoreError>;
    /// Moves one of `tenant`'s commands to its next state; `false` when there is none.
    async fn update_command(
        &mut self,
        tenant: TenantId,
        id: CommandId,
        update: &CommandUpdate,
    ) -> Result<bool, StoreError>;
}

/// The commands read outside a transaction (the API's command routes).
#[async_trait::async_trait]
pub trait CommandStore: Send + Sync {
    /// One command of `tenant`.
    async fn get_command(
        &self,
        tenant: TenantId,
        id: CommandId,
    ) -> Result<Option<Command>, StoreError>;

    /// A page of `tenant`'s commands, newest first (`created_at DESC, id ASC`).
    async fn list_commands(
        &self,
        tenant: TenantId,
        status: Option<CommandStatus>,
        page: Page,
    ) -> Result<Paginated<Command>, StoreError>;
}
