//! [`insert_tenant`]: a tenant of a test's own. ZORA CORE provisions its tenants itself, so
//! no store trait writes one: the test kit does, through the transaction's connection.

use zora_core::tenant::NewTenant;
use zora_core::{StoreError, StoreTx};
use zora_store_sql::postgres::{self as pg, Db};
use zora_store_sql::{Sql, sqlite};

/// Inserts `tenant` in `tx`.
pub async fn insert_tenant(tx: &mut dyn StoreTx, tenant: &NewTenant) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => pg::query(
            db.keep(),
            "INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $3)",
        )
        .bind(tenant.id.0)
        .bind(&tenant.name)
        .bind(&tenant.slug)
        .execute(db.conn())
        .await
        .map(|_| ())
        .map_err(pg::store_error),
        Sql::Sqlite(conn) => {
            sqlx::query("INSERT INTO tenants (id, name, slug) VALUES (?1, ?2, ?3)")
                .bind(tenant.id.to_string())
                .bind(&tenant.name)
                .bind(&tenant.slug)
                .execute(conn)
                .await
                .map(|_| ())
                .map_err(sqlite::store_error)
        }
    }
}
