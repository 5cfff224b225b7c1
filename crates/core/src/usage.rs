//! Model usage: the tokens and the cost of every model call a task makes, recorded once,
//! in the transaction that records the task's outcome, and read back summed per day,
//! model, task type or agent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::StoreError;
use crate::ids::{CommandId, TaskId, TenantId};

/// One model call to record.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
    pub tenant_id: TenantId,
    pub task_id: Option<TaskId>,
    pub command_id: Option<CommandId>,
    /// The task's type and agent, kept with the call: the task may be pruned, its spend
    /// is not.
    pub task_type: Option<String>,
    pub agent_id: Option<String>,
    pub attempt: Option<i32>,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// `None`: the model has no known price.
    pub cost_usd: Option<f64>,
}

crate::label_enum! {
    /// What usage is summed by.
    pub enum UsageGrouping (field = "group_by") {
        /// The UTC day of the call, `YYYY-MM-DD`.
        Day => "day",
        Model => "model",
        TaskType => "task_type",
        Agent => "agent",
    }
}

/// Which calls to sum: a tenant's, from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct UsageQuery {
    pub tenant: TenantId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: UsageGrouping,
}

/// The calls of one group, summed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct UsageLine {
    /// The group: a day, a model, a task type or an agent (`(none)` for a call of no
    /// task).
    pub key: String,
    pub calls: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// `None` when no call of the group has a price.
    pub cost_usd: Option<f64>,
}

impl UsageLine {
    /// The lines summed into one, keyed `total`.
    pub fn total(lines: &[UsageLine]) -> UsageLine {
        lines.iter().fold(
            UsageLine {
                key: "total".into(),
                ..UsageLine::default()
            },
            |sum, line| UsageLine {
                key: sum.key,
                calls: sum.calls + line.calls,
                prompt_tokens: sum.prompt_tokens + line.prompt_tokens,
                completion_tokens: sum.completion_tokens + line.completion_tokens,
                cost_usd: match (sum.cost_usd, line.cost_usd) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
                },
            },
        )
    }
}

/// A task's model calls, summed: the task object's `usage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TaskUsage {
    pub calls: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// `None` when none of its calls has a price.
    pub cost_usd: Option<f64>,
}

/// The usage records, read.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// The calls `query` names, summed per group, in the groups' order.
    async fn model_usage(&self, query: &UsageQuery) -> Result<Vec<UsageLine>, StoreError>;

    /// The calls of each of `tenant`'s tasks `ids` that made any, summed per task.
    async fn task_usage(
        &self,
        tenant: TenantId,
        ids: &[TaskId],
    ) -> Result<Vec<(TaskId, TaskUsage)>, StoreError>;
}

impl UsageLine {
    /// A task's line (keyed by its id) as the task object shows it.
    pub fn of_task(self) -> Option<(TaskId, TaskUsage)> {
        let id = self.key.parse().ok()?;
        Some((
            TaskId(id),
            TaskUsage {
                calls: self.calls,
                prompt_tokens: self.prompt_tokens,
                completion_tokens: self.completion_tokens,
                cost_usd: self.cost_usd,
            },
        ))
    }
}

/// The usage records a transaction writes, with the outcome they belong to.
#[async_trait]
pub trait UsageTx: Send {
    /// Records `calls`, in one statement.
    async fn insert_model_calls(&mut self, calls: &[ModelCall]) -> Result<(), StoreError>;
}
