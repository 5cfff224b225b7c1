//! Tenants: the unit of isolation. Every other row belongs to one.

use serde::Serialize;

use crate::error::StoreError;
use crate::ids::TenantId;

/// A row of `tenants`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub slug: Option<String>,
}

/// A tenant to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    pub id: TenantId,
    pub name: String,
    pub slug: Option<String>,
}

/// The tenants a transaction writes: the bootstrap of a tenant (ZORA CORE provisions its
/// own; the engine's tests and tools create theirs).
#[async_trait::async_trait]
pub trait TenantTx: Send {
    /// Creates a tenant.
    async fn insert_tenant(&mut self, tenant: &NewTenant) -> Result<(), StoreError>;
}
