//! The queue's reports, for the handlers that report on it: a tenant's tasks and journal
//! over a window ([`TaskActivity`]) and the queue's health ([`HealthCounts`]). Each is a
//! few grouped counts, one statement per table, whatever the tenant's size.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::StoreError;
use crate::ids::TenantId;

/// A tenant's tasks and journal entries created between two instants.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskActivity {
    /// Tasks created in the window, by their status now.
    pub tasks_by_status: BTreeMap<String, u64>,
    /// Tasks created in the window, by type.
    pub tasks_by_type: BTreeMap<String, u64>,
    /// Journal entries written in the window, by category.
    pub journal_by_category: BTreeMap<String, u64>,
}

/// A count as a store reads it (`count(*)`), as the reports carry it.
pub fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

impl TaskActivity {
    /// Adds the `(status, task_type, count)` groups of the window's tasks.
    pub fn add_task_groups(&mut self, groups: Vec<(String, String, i64)>) {
        for (status, task_type, n) in groups {
            *self.tasks_by_status.entry(status).or_default() += count(n);
            *self.tasks_by_type.entry(task_type).or_default() += count(n);
        }
    }
}

/// One failure message and how often tasks failed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorCount {
    pub message: String,
    pub count: u64,
}

/// The queue's health for one tenant (workers: every tenant's), as the store counts it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HealthCounts {
    /// `pending` and `in_progress` tasks by type: `{type: {status: n}}`, only the two
    /// statuses, only the types that have some.
    pub open_by_type: BTreeMap<String, BTreeMap<String, u64>>,
    /// Age of the oldest due `pending` task, seconds.
    pub oldest_pending_age_seconds: Option<f64>,
    /// Tasks completed, and failed for good, since the window's start.
    pub completed: u64,
    pub failed: u64,
    /// The most frequent failure messages since the window's start, at most five, most
    /// frequent first.
    pub top_errors: Vec<ErrorCount>,
    /// `in_progress` tasks whose lease has expired (their worker is gone).
    pub expired_leases: u64,
    /// `pending` tasks waiting for a parent.
    pub blocked: u64,
    /// `pending` tasks waiting for a decision.
    pub awaiting_approval: u64,
    /// Workers whose registry row is alive, of every tenant.
    pub workers_alive: u64,
}

impl HealthCounts {
    /// Sets the open tasks from `(task_type, status, count)` groups and the top errors
    /// from `(message, count)` rows.
    pub fn with_groups(
        mut self,
        open: Vec<(String, String, i64)>,
        errors: Vec<(String, i64)>,
    ) -> Self {
        for (task_type, status, n) in open {
            self.open_by_type
                .entry(task_type)
                .or_default()
                .insert(status, count(n));
        }
        self.top_errors = errors
            .into_iter()
            .map(|(message, n)| ErrorCount {
                message,
                count: count(n),
            })
            .collect();
        self
    }
}

/// The queue's reports, in a transaction.
#[async_trait::async_trait]
pub trait InsightTx: Send {
    /// `tenant`'s tasks and journal entries created between `from` and `to`.
    async fn task_activity(
        &mut self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<TaskActivity, StoreError>;
    /// `tenant`'s queue health, finished tasks counted from `since`.
    async fn health_counts(
        &mut self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<HealthCounts, StoreError>;
}
