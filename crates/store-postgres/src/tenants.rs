//! Tenant queries.

use sqlx::PgConnection;
use zora_core::tenant::NewTenant;
use zora_core::{StoreError, TenantId};

use crate::error::store_error;

pub(crate) async fn insert(conn: &mut PgConnection, tenant: &NewTenant) -> Result<(), StoreError> {
    crate::sql::query("INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)")
        .bind(tenant.id.0)
        .bind(&tenant.name)
        .bind(&tenant.slug)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn exists(conn: &mut PgConnection, tenant: TenantId) -> Result<bool, StoreError> {
    crate::sql::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)")
        .bind(tenant.0)
        .fetch_one(conn)
        .await
        .map_err(store_error)
}
