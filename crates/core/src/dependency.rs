//! Task dependencies: a task's parents, the fields of its
//! payload filled from their results, the links a task object shows, and the journal
//! entry of a dependent failed by its parent.
//!
//! How the queue keeps blocked tasks out of the claim's way: a task with a parent not yet
//! `completed` is stored with `run_at` = [`BLOCKED_RUN_AT`] (not claimable before the end
//! of time), which the claim index leaves out, so a claim never walks past it. The
//! transaction that completes its last parent sets `run_at` to now and fills its
//! `inputs`; one that fails a parent for good fails it (and its own dependents); a retry
//! of the parent blocks it again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ids::{JournalEntryId, TaskId, TenantId};
use crate::journal::{JournalCategory, NewJournalEntry};
use crate::status::{TaskState, TaskStatus};

/// At most this many parents per task.
pub const MAX_PARENTS: usize = 20;

/// The `run_at` of a blocked task, in the text form both stores write (SQLite's
/// timestamps; PostgreSQL reads it as a `timestamptz` literal).
pub const BLOCKED_RUN_AT: &str = "9999-12-31T23:59:59.999Z";

/// One parent of a new task, and which fields of the child's payload take which fields of
/// the parent's `result` when the child becomes runnable (`child_field → parent_field`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dependency {
    pub task_id: TaskId,
    pub inputs: BTreeMap<String, String>,
}

impl Dependency {
    /// The `inputs` as the table stores them: `NULL` when there are none.
    pub fn inputs_json(&self) -> Option<Value> {
        (!self.inputs.is_empty()).then(|| json!(self.inputs))
    }
}

/// A would-be parent as a new task's transaction found it (locked against a concurrent
/// finish until that transaction ends).
#[derive(Debug, Clone, PartialEq)]
pub struct ParentRow {
    pub id: TaskId,
    pub status: TaskStatus,
}

/// One edge of `agent_task_dependencies` as the task object shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DependencyEdge {
    pub task_id: TaskId,
    pub depends_on_task_id: TaskId,
    /// The parent's state.
    pub parent_state: TaskState,
    pub inputs: Option<Value>,
}

/// A parent, as `depends_on` on the task object lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParentLink {
    pub task_id: TaskId,
    pub state: TaskState,
    /// `{"child_field": "parent_result_field"}`, or `null`.
    pub inputs: Option<Value>,
}

/// A task's place in its chain: its parents and the tasks that depend on it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskLinks {
    pub depends_on: Vec<ParentLink>,
    pub dependents: Vec<TaskId>,
}

impl TaskLinks {
    /// The links of `task` among `edges` (each edge read once per end it touches).
    pub fn of(task: TaskId, edges: &[DependencyEdge]) -> Self {
        Self {
            depends_on: edges
                .iter()
                .filter(|e| e.task_id == task)
                .map(|e| ParentLink {
                    task_id: e.depends_on_task_id,
                    state: e.parent_state,
                    inputs: e.inputs.clone(),
                })
                .collect(),
            dependents: edges
                .iter()
                .filter(|e| e.depends_on_task_id == task)
                .map(|e| e.task_id)
                .collect(),
        }
    }
}

/// A pending dependent that its parent's failure failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedDependent {
    pub id: TaskId,
    pub tenant_id: TenantId,
    pub title: String,
    pub parent: TaskId,
}

/// The `error_message` of a dependent failed by `parent`.
pub fn dependency_failed_message(parent: TaskId) -> String {
    format!("Dependency {parent} failed")
}

impl FailedDependent {
    /// Its `agent_task_dependency_failed` journal entry.
    pub fn journal_entry(&self) -> NewJournalEntry {
        NewJournalEntry {
            id: JournalEntryId::new(),
            tenant_id: self.tenant_id,
            category: JournalCategory::AgentAction,
            title: format!("Agent task failed: {}", self.title),
            body: Some(dependency_failed_message(self.parent)),
            details: json!({"event_type": "agent_task_dependency_failed", "task_id": self.id,
                            "depends_on_task_id": self.parent}),
            author: Some("system".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_read_both_ends_of_each_edge() {
        let (a, b, c) = (TaskId::new(), TaskId::new(), TaskId::new());
        let edge = |child, parent| DependencyEdge {
            task_id: child,
            depends_on_task_id: parent,
            parent_state: TaskState::Completed,
            inputs: None,
        };
        let edges = [edge(b, a), edge(c, b)];
        let links = TaskLinks::of(b, &edges);
        assert_eq!(links.depends_on.len(), 1);
        assert_eq!(links.depends_on[0].task_id, a);
        assert_eq!(links.dependents, [c]);
    }
}
