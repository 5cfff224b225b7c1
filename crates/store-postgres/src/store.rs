//! [`PgStore`]: the pool, and [`Store`] implemented by the query modules.

use async_trait::async_trait;
use sqlx::PgPool;
use zora_core::climate::Mission;
use zora_core::command::{Command, CommandStatus};
use zora_core::journal::JournalEntry;
use zora_core::shop::{ProductClimateMeta, ShopProject};
use zora_core::stats::QueueStats;
use zora_core::{
    ClaimRequest, CommandId, MissionId, Page, Paginated, ProductId, SchemaState, ShopProjectId,
    Store, StoreError, StoreTx, Task, TaskFilter, TaskId, TenantId,
};

use crate::error::store_error;
use crate::tx::PgTx;
use crate::{climate, commands, journal, migrate, shop, tasks};

/// The PostgreSQL store. Cheap to clone: it is a handle on a connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Wraps an open pool.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for migrations and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        migrate::schema_state(&self.pool)
            .await
            .map_err(|e| match e {
                crate::PgError::Store(inner) => inner,
                other => StoreError::Schema(other.to_string()),
            })
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self.pool.begin().await.map_err(store_error)?;
        Ok(Box::new(PgTx::new(tx)))
    }

    async fn get_task(&self, tenant: TenantId, id: TaskId) -> Result<Option<Task>, StoreError> {
        tasks::get(&self.pool, tenant, id).await
    }

    async fn list_tasks(
        &self,
        tenant: TenantId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paginated<Task>, StoreError> {
        tasks::list(&self.pool, tenant, filter, page).await
    }

    async fn claim_tasks(&self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError> {
        tasks::claim(&self.pool, request).await
    }

    async fn rescue_expired_leases_all_tenants(
        &self,
        default_max_attempts: i32,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        tasks::rescue_expired(&self.pool, default_max_attempts, limit).await
    }

    async fn queue_stats(&self, tenant: TenantId) -> Result<QueueStats, StoreError> {
        tasks::stats(&self.pool, tenant).await
    }

    async fn get_command(
        &self,
        tenant: TenantId,
        id: CommandId,
    ) -> Result<Option<Command>, StoreError> {
        commands::get(&self.pool, tenant, id).await
    }

    async fn list_commands(
        &self,
        tenant: TenantId,
        status: Option<CommandStatus>,
        page: Page,
    ) -> Result<Paginated<Command>, StoreError> {
        commands::list(&self.pool, tenant, status, page).await
    }

    async fn list_journal_entries(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paginated<JournalEntry>, StoreError> {
        journal::list(&self.pool, tenant, page).await
    }

    async fn missions(
        &self,
        tenant: TenantId,
        ids: &[MissionId],
    ) -> Result<Vec<Mission>, StoreError> {
        climate::missions(&self.pool, tenant, ids).await
    }

    async fn shop_projects(
        &self,
        tenant: TenantId,
        ids: &[ShopProjectId],
    ) -> Result<Vec<ShopProject>, StoreError> {
        shop::shop_projects(&self.pool, tenant, ids).await
    }

    async fn product_climate_meta(
        &self,
        tenant: TenantId,
        product_ids: &[ProductId],
    ) -> Result<Vec<ProductClimateMeta>, StoreError> {
        shop::climate_meta(&self.pool, tenant, product_ids).await
    }
}
