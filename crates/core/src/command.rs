//! Agent commands: free-text prompts from the command console, planned into tasks.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ParseError;
use crate::ids::{CommandId, TenantId, UserId};

/// `agent_command_status`: `received → parsing → tasks_created | failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    Received,
    Parsing,
    TasksCreated,
    Failed,
}

impl CommandStatus {
    /// Every state, in lifecycle order.
    pub const ALL: [CommandStatus; 4] = [
        Self::Received,
        Self::Parsing,
        Self::TasksCreated,
        Self::Failed,
    ];

    /// The enum label as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Parsing => "parsing",
            Self::TasksCreated => "tasks_created",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CommandStatus {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                ParseError::new(
                    "status",
                    format!(
                        "Invalid status: {s}. Must be one of: received, parsing, tasks_created, failed"
                    ),
                )
            })
    }
}

/// A row of `agent_commands`.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
