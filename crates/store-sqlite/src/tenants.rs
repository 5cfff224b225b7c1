//! Tenant queries on SQLite.

use sqlx::SqlitePool;
use zora_core::{StoreError, TenantId};

use crate::error::store_error;

pub(crate) async fn exists(pool: &SqlitePool, tenant: TenantId) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?1)")
        .bind(tenant.to_string())
        .fetch_one(pool)
        .await
        .map_err(store_error)
}
