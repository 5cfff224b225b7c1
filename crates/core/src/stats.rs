//! Queue statistics: what `zora status` and the metrics report for a tenant.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::TenantId;

/// Counts of one tenant's tasks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStats {
    pub tenant_id: TenantId,
    /// Tasks per status (every status present, 0 when none).
    pub counts: BTreeMap<String, u64>,
    /// Tasks per type, then per status (only the statuses that occur).
    pub by_type: BTreeMap<String, BTreeMap<String, u64>>,
    /// Age of the oldest pending task that is due, in seconds.
    pub oldest_pending_age_seconds: Option<f64>,
    /// `in_progress` rows without a lease: claimed by ZORA CORE's legacy runtime, which
    /// the engine leaves alone.
    pub in_progress_without_lease: u64,
}

impl QueueStats {
    /// Builds the stats from `(task_type, status, count)` groups and the two scalars.
    pub fn from_groups(
        tenant_id: TenantId,
        groups: impl IntoIterator<Item = (String, String, u64)>,
        oldest_pending_age_seconds: Option<f64>,
        in_progress_without_lease: u64,
    ) -> Self {
        let mut counts: BTreeMap<String, u64> = crate::TaskStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        let mut by_type: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (task_type, status, n) in groups {
            *counts.entry(status.clone()).or_default() += n;
            *by_type
                .entry(task_type)
                .or_default()
                .entry(status)
                .or_default() += n;
        }
        Self {
            tenant_id,
            counts,
            by_type,
            oldest_pending_age_seconds,
            in_progress_without_lease,
        }
    }
}
