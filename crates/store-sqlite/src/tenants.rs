//! Tenant queries on SQLite.

use sqlx::{SqliteConnection, SqlitePool};
use zora_core::tenant::NewTenant;
use zora_core::{StoreError, TenantId};

use crate::error::store_error;

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    tenant: &NewTenant,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO tenants (id, name, slug) VALUES (?1, ?2, ?3)")
        .bind(tenant.id.to_string())
        .bind(&tenant.name)
        .bind(&tenant.slug)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn exists(pool: &SqlitePool, tenant: TenantId) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?1)")
        .bind(tenant.to_string())
        .fetch_one(pool)
        .await
        .map_err(store_error)
}

#[zora_store_sql::async_trait]
impl zora_core::TenantTx for crate::tx::SqliteTx {
    async fn insert_tenant(&mut self, tenant: &NewTenant) -> Result<(), StoreError> {
        insert(self.write().await?, tenant).await
    }
}
