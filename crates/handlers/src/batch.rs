//! Helpers for the batch hook: a batch may hold tasks of several tenants, and every read
//! is made for one tenant.

use std::collections::BTreeMap;

use zora_core::{Task, TenantId};

/// The ids `ids_of` names in each task's payload, grouped by the task's tenant, without
/// repeats.
pub fn ids_by_tenant<P, I: Ord + Copy>(
    batch: &[(&Task, &P)],
    ids_of: impl Fn(&P) -> Vec<I>,
) -> BTreeMap<TenantId, Vec<I>> {
    let mut grouped: BTreeMap<TenantId, Vec<I>> = BTreeMap::new();
    for (task, payload) in batch {
        grouped
            .entry(task.tenant_id)
            .or_default()
            .extend(ids_of(payload));
    }
    for ids in grouped.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    grouped
}
