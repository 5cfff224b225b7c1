//! Tenant queries.

use zora_core::tenant::NewTenant;
use zora_core::{StoreError, TenantId};

use crate::error::store_error;
use crate::sql::Db;

pub(crate) async fn insert(db: &mut impl Db, tenant: &NewTenant) -> Result<(), StoreError> {
    crate::sql::query(
        db.keep(),
        "INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)",
    )
    .bind(tenant.id.0)
    .bind(&tenant.name)
    .bind(&tenant.slug)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn exists(db: &mut impl Db, tenant: TenantId) -> Result<bool, StoreError> {
    crate::sql::query_scalar(
        db.keep(),
        "SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)",
    )
    .bind(tenant.0)
    .fetch_one(db.conn())
    .await
    .map_err(store_error)
}

#[zora_store_sql::async_trait]
impl zora_core::TenantTx for crate::tx::PgTx {
    async fn insert_tenant(&mut self, tenant: &NewTenant) -> Result<(), StoreError> {
        insert(self.write().await?, tenant).await
    }
}
