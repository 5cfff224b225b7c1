//! Helpers for the batch hook: a batch may hold tasks of several tenants, and every read
//! is made for one tenant.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use uuid::Uuid;
use zora_core::{Task, TenantId};

use crate::payload::Reference;

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

/// The tenants of the batch's tasks, each once, sorted.
pub fn tenants<P>(batch: &[(&Task, &P)]) -> Vec<TenantId> {
    let mut tenants: Vec<TenantId> = batch.iter().map(|(task, _)| task.tenant_id).collect();
    tenants.sort_unstable();
    tenants.dedup();
    tenants
}

/// Rows a batch hook loaded, by tenant and id: a handler's context.
#[derive(Debug)]
pub struct Rows<K, T>(HashMap<(TenantId, K), T>);

impl<K, T> Default for Rows<K, T> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<K: Hash + Eq + From<Uuid>, T> Rows<K, T> {
    /// Adds `tenant`'s rows, keyed by `key`.
    pub fn insert_all(&mut self, tenant: TenantId, rows: Vec<T>, key: impl Fn(&T) -> K) {
        for row in rows {
            self.0.insert((tenant, key(&row)), row);
        }
    }

    /// The row a payload reference names for `tenant`; `None` for another tenant's row,
    /// a missing one, or a reference that is not a UUID.
    pub fn get(&self, tenant: TenantId, reference: Option<&Reference>) -> Option<&T> {
        reference
            .and_then(Reference::id)
            .and_then(|id: K| self.0.get(&(tenant, id)))
    }
}
