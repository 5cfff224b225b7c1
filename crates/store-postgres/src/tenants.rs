//! Tenant queries.

use zora_core::{StoreError, TenantId};

use crate::error::store_error;
use crate::sql::Db;

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
