//! What running a task came to, per task: the executor's report to its caller.

use serde::Serialize;
use zora_core::{TaskId, TaskStatus};

/// How one task's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    /// Its effects and result are committed.
    Completed,
    /// It failed for good (`failed`).
    Failed,
    /// It failed and goes back to `pending` for a later attempt.
    Retrying,
    /// Its lease was taken over before it ran: another worker owns it now.
    Skipped,
}

impl TaskOutcome {
    /// Its name in logs and JSON: `completed`, `failed`, `retrying`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Retrying => "retrying",
            Self::Skipped => "skipped",
        }
    }
}

/// One task's run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskReport {
    pub id: TaskId,
    pub task_type: String,
    pub title: String,
    pub outcome: TaskOutcome,
    /// The task's status after the run.
    pub status: TaskStatus,
    pub result_summary: Option<String>,
    pub error_message: Option<String>,
}
