//! Tenants: the unit of isolation. Every other row belongs to one.

use serde::Serialize;

use crate::ids::TenantId;

/// A row of `tenants`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub slug: Option<String>,
}

/// A tenant to create: ZORA CORE provisions its own, the engine's tests make theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    pub id: TenantId,
    pub name: String,
    pub slug: Option<String>,
}
