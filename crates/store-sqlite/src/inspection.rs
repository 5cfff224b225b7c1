//! Reads no engine path makes, for tests and tools (the missions, projects, climate
//! metadata and journal a task wrote): inherent methods of [`SqliteStore`], on no store
//! trait. The test kit reaches them through `TestBackend`.

use sqlx::SqlitePool;
use zora_core::climate::Mission;
use zora_core::journal::JournalEntry;
use zora_core::shop::{ProductClimateMeta, ShopProject};
use zora_core::{MissionId, Page, Paginated, ProductId, ShopProjectId, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::SqliteStore;
use crate::error::store_error;
use crate::rows;

impl SqliteStore {
    /// `tenant`'s missions among `ids`, in `id` order.
    pub async fn missions(
        &self,
        tenant: TenantId,
        ids: &[MissionId],
    ) -> Result<Vec<Mission>, StoreError> {
        missions(self.reader(), tenant, ids).await
    }

    /// `tenant`'s shop projects among `ids`, in `id` order.
    pub async fn shop_projects(
        &self,
        tenant: TenantId,
        ids: &[ShopProjectId],
    ) -> Result<Vec<ShopProject>, StoreError> {
        shop_projects(self.reader(), tenant, ids).await
    }

    /// `tenant`'s climate metadata of the products among `product_ids`, in `product_id`
    /// order.
    pub async fn product_climate_meta(
        &self,
        tenant: TenantId,
        product_ids: &[ProductId],
    ) -> Result<Vec<ProductClimateMeta>, StoreError> {
        crate::shop::climate_meta(self.reader(), tenant, product_ids).await
    }

    /// A page of `tenant`'s journal, newest first (`created_at DESC, id ASC`).
    pub async fn journal(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paginated<JournalEntry>, StoreError> {
        journal(self.reader(), tenant, page).await
    }
}

async fn missions(
    pool: &SqlitePool,
    tenant: TenantId,
    ids: &[MissionId],
) -> Result<Vec<Mission>, StoreError> {
    rows::tenant_rows_by_ids(
        pool,
        "SELECT id, tenant_id, profile_id, title, description, category, status, estimated_impact_kgco2, \
           due_date, notes, metadata, created_at \
         FROM climate_missions WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::mission,
    )
    .await
}

async fn shop_projects(
    pool: &SqlitePool,
    tenant: TenantId,
    ids: &[ShopProjectId],
) -> Result<Vec<ShopProject>, StoreError> {
    rows::tenant_rows_by_ids(
        pool,
        "SELECT id, tenant_id, title, description, status, primary_brand_id, secondary_brand_id, theme, \
           target_launch_date, created_at FROM zora_shop_projects \
         WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::shop_project,
    )
    .await
}

async fn journal(
    pool: &SqlitePool,
    tenant: TenantId,
    page: Page,
) -> Result<Paginated<JournalEntry>, StoreError> {
    let found = sqlx::query(
        "SELECT id, tenant_id, category, title, body, details, author, created_at \
         FROM journal_entries WHERE tenant_id = ?1 ORDER BY created_at DESC, id ASC LIMIT ?2 OFFSET ?3",
    )
    .bind(tenant.to_string())
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM journal_entries WHERE tenant_id = ?1")
            .bind(tenant.to_string())
            .fetch_one(pool)
            .await
            .map_err(store_error)?;
    Ok(Paginated {
        items: rows::all(&found, mappers::journal_entry)?,
        page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}
