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
