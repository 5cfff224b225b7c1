//! Queue statistics: what `zora status` and the metrics report, for one tenant or all.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::TenantId;

/// Whose tasks (or workers) a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One tenant's (`zora status`).
    Tenant(TenantId),
    /// Every tenant's (the operator's `/metrics`).
    AllTenants,
}

impl Scope {
    /// The tenant, when the scope is one.
    pub fn tenant(self) -> Option<TenantId> {
        match self {
            Self::Tenant(tenant) => Some(tenant),
            Self::AllTenants => None,
        }
    }
}

/// One `(task_type, status)` group of the queue, as a store counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusGroup {
    pub task_type: String,
    pub status: String,
    /// Tasks of the group.
    pub count: u64,
    /// Those among them that finished (`completed_at`) in the last hour.
    pub finished_last_hour: u64,
}

impl StatusGroup {
    /// A group from a store's row: `(task_type, status, count, finished_last_hour)`.
    pub fn from_row((task_type, status, count, finished): (String, String, i64, i64)) -> Self {
        Self {
            task_type,
            status,
            count: u64::try_from(count).unwrap_or_default(),
            finished_last_hour: u64::try_from(finished).unwrap_or_default(),
        }
    }
}

/// Counts of the tasks in a scope.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct QueueStats {
    /// The tenant counted; `null` for every tenant.
    pub tenant_id: Option<TenantId>,
    /// Tasks per status (every status present, 0 when none).
    pub counts: BTreeMap<String, u64>,
    /// Tasks per type, then per status (only the statuses that occur).
    pub by_type: BTreeMap<String, BTreeMap<String, u64>>,
    /// Age of the oldest pending task that is due, in seconds.
    pub oldest_pending_age_seconds: Option<f64>,
    /// `in_progress` rows without a lease: claimed by ZORA CORE's legacy runtime, which
    /// the engine leaves alone.
    pub in_progress_without_lease: u64,
    /// Tasks that finished in the last hour, and how many of them failed.
    pub last_hour: LastHour,
}

/// The tasks that finished in one minute: completed, and failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct MinuteCount {
    /// The minute's start.
    pub minute: chrono::DateTime<chrono::Utc>,
    pub completed: u64,
    pub failed: u64,
}

impl MinuteCount {
    /// From a grouped read's `(minute, completed, failed)`.
    pub fn from_row(
        (minute, completed, failed): (chrono::DateTime<chrono::Utc>, i64, i64),
    ) -> Self {
        Self {
            minute,
            completed: u64::try_from(completed).unwrap_or_default(),
            failed: u64::try_from(failed).unwrap_or_default(),
        }
    }
}

/// Tasks finished in the last hour: completed or failed for good (a failure that will
/// be retried is not finished).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LastHour {
    pub completed: u64,
    pub failed: u64,
    /// `failed / (completed + failed)`; `null` when none finished.
    pub failure_rate: Option<f64>,
}

impl LastHour {
    fn new(completed: u64, failed: u64) -> Self {
        let finished = completed + failed;
        Self {
            completed,
            failed,
            failure_rate: (finished > 0).then(|| failed as f64 / finished as f64),
        }
    }
}

impl QueueStats {
    /// Builds the stats from the `(task_type, status)` groups and the two scalars.
    pub fn from_groups(
        scope: Scope,
        groups: impl IntoIterator<Item = StatusGroup>,
        oldest_pending_age_seconds: Option<f64>,
        in_progress_without_lease: u64,
    ) -> Self {
        let mut counts: BTreeMap<String, u64> = crate::TaskStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        let mut by_type: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let (mut completed, mut failed) = (0, 0);
        for group in groups {
            match group.status.as_str() {
                "completed" => completed += group.finished_last_hour,
                "failed" => failed += group.finished_last_hour,
                _ => {}
            }
            *counts.entry(group.status.clone()).or_default() += group.count;
            *by_type
                .entry(group.task_type)
                .or_default()
                .entry(group.status)
                .or_default() += group.count;
        }
        Self {
            tenant_id: scope.tenant(),
            counts,
            by_type,
            oldest_pending_age_seconds,
            in_progress_without_lease,
            last_hour: LastHour::new(completed, failed),
        }
    }
}
