//! Reads no task type makes, for tests and tools: the missions, shop projects and climate
//! metadata tasks wrote, each in a read-only transaction of the store.

use zora_core::{Store, StoreError, TenantId};
use zora_store_sql::{Sql, postgres, sqlite};

use crate::climate::mappers::mission;
use crate::climate::tables::Mission;
use crate::ids::{MissionId, ProductId, ShopProjectId};
use crate::zora_shop::mappers::shop_project;
use crate::zora_shop::tables::{ProductClimateMeta, ShopProject};

/// `tenant`'s missions among `ids`, in `id` order.
pub async fn missions(
    store: &dyn Store,
    tenant: TenantId,
    ids: &[MissionId],
) -> Result<Vec<Mission>, StoreError> {
    let mut tx = store.begin_read().await?;
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => {
            postgres::tenant_rows_by_ids(
                &mut db,
                "SELECT id, tenant_id, profile_id, title, description, category, status::text AS status, \
                   estimated_impact_kgco2::float8 AS estimated_impact_kgco2, due_date, notes, \
                   COALESCE(metadata, '{}'::jsonb) AS metadata, created_at \
                 FROM climate_missions WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id",
                tenant,
                ids,
                mission,
            )
            .await
        }
        Sql::Sqlite(conn) => {
            sqlite::tenant_rows_by_ids(
                conn,
                "SELECT id, tenant_id, profile_id, title, description, category, status, estimated_impact_kgco2, \
                   due_date, notes, metadata, created_at \
                 FROM climate_missions WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
                tenant,
                ids,
                mission,
            )
            .await
        }
    }
}

/// `tenant`'s shop projects among `ids`, in `id` order.
pub async fn shop_projects(
    store: &dyn Store,
    tenant: TenantId,
    ids: &[ShopProjectId],
) -> Result<Vec<ShopProject>, StoreError> {
    let mut tx = store.begin_read().await?;
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => {
            postgres::tenant_rows_by_ids(
                &mut db,
                "SELECT id, tenant_id, title, description, status, primary_brand_id, secondary_brand_id, theme, \
                   target_launch_date, created_at FROM zora_shop_projects \
                 WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id",
                tenant,
                ids,
                shop_project,
            )
            .await
        }
        Sql::Sqlite(conn) => {
            sqlite::tenant_rows_by_ids(
                conn,
                "SELECT id, tenant_id, title, description, status, primary_brand_id, secondary_brand_id, theme, \
                   target_launch_date, created_at FROM zora_shop_projects \
                 WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
                tenant,
                ids,
                shop_project,
            )
            .await
        }
    }
}

/// `tenant`'s climate metadata of the products among `product_ids`, in `product_id` order.
pub async fn product_climate_meta(
    store: &dyn Store,
    tenant: TenantId,
    product_ids: &[ProductId],
) -> Result<Vec<ProductClimateMeta>, StoreError> {
    let mut tx = store.begin_read().await?;
    crate::zora_shop::store::climate_meta(tx.as_mut(), tenant, product_ids).await
}
