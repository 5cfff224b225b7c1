//! [`KnownTenants`]: the tenants a token may act for are those with a row in `tenants`. A
//! token naming another is refused with 403 `FORBIDDEN` `Unknown tenant {id}` on every
//! authenticated route, before anything is read or written. A tenant found is remembered
//! for [`REMEMBER_FOR`], so a request costs a lookup only when its tenant is new or was
//! last seen long ago; one not found is looked up again at its next request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zora_core::{Store, TenantId};

use crate::error::ApiError;

/// How long a tenant found stays known without a new lookup.
pub const REMEMBER_FOR: Duration = Duration::from_secs(60);

/// The tenants found lately, and when. Clones share the memory.
#[derive(Debug, Clone, Default)]
pub struct KnownTenants(Arc<Mutex<HashMap<TenantId, Instant>>>);

impl KnownTenants {
    /// Refuses a tenant without a row.
    pub async fn require(&self, store: &dyn Store, tenant: TenantId) -> Result<(), ApiError> {
        if self.remembers(tenant) {
            return Ok(());
        }
        if !store.tenant_exists(tenant).await? {
            return Err(zora_engine::CreateError::UnknownTenant(tenant).into());
        }
        self.lock().insert(tenant, Instant::now());
        Ok(())
    }

    fn remembers(&self, tenant: TenantId) -> bool {
        self.lock()
            .get(&tenant)
            .is_some_and(|seen| seen.elapsed() < REMEMBER_FOR)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Instant>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
