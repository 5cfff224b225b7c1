//! Tenant queries on SQLite.

use sqlx::SqliteConnection;
use zora_core::StoreError;
use zora_core::tenant::NewTenant;

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
