//! [`SqliteStore`]: the writer and reader pools, and [`Store`] implemented by the query
//! modules. Reads go to the readers; claims, rescues and transactions to the writer.

use async_trait::async_trait;
use sqlx::SqlitePool;
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
use crate::tx::SqliteTx;
use crate::{climate, commands, journal, migrate, shop, tasks};

/// The SQLite store. Cheap to clone: it is a handle on its two pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    migrated_on_open: Vec<String>,
}

impl SqliteStore {
    pub(crate) fn new(
        writer: SqlitePool,
        reader: SqlitePool,
        migrated_on_open: Vec<String>,
    ) -> Self {
        Self {
            writer,
            reader,
            migrated_on_open,
        }
    }

    /// The migrations opening the file applied (`0001 schema` for a new file).
    pub fn migrated_on_open(&self) -> &[String] {
        &self.migrated_on_open
    }

    /// The writer pool (one connection), for tests that need raw SQL.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools, checkpointing the WAL into the file.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(store_error)?;
        migrate::schema_state(&mut conn).await
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        // IMMEDIATE: take the write lock now, not at the first write, so a transaction
        // that reads then writes cannot fail halfway on another process's lock.
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        Ok(Box::new(SqliteTx::new(tx)))
    }

    async fn get_task(&self, tenant: TenantId, id: TaskId) -> Result<Option<Task>, StoreError> {
        tasks::get(&self.reader, tenant, id).await
    }

    async fn list_tasks(
        &self,
        tenant: TenantId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paginated<Task>, StoreError> {
        tasks::list(&self.reader, tenant, filter, page).await
    }

    async fn claim_tasks(&self, request: &ClaimRequest) -> Result<Vec<Task>, StoreError> {
        tasks::claim(&self.writer, request).await
    }

    async fn rescue_expired_leases_all_tenants(
        &self,
        default_max_attempts: i32,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        tasks::rescue_expired(&self.writer, default_max_attempts, limit).await
    }

    async fn queue_stats(&self, tenant: TenantId) -> Result<QueueStats, StoreError> {
        tasks::stats(&self.reader, tenant).await
    }

    async fn get_command(
        &self,
        tenant: TenantId,
        id: CommandId,
    ) -> Result<Option<Command>, StoreError> {
        commands::get(&self.reader, tenant, id).await
    }

    async fn list_commands(
        &self,
        tenant: TenantId,
        status: Option<CommandStatus>,
        page: Page,
    ) -> Result<Paginated<Command>, StoreError> {
        commands::list(&self.reader, tenant, status, page).await
    }

    async fn list_journal_entries(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paginated<JournalEntry>, StoreError> {
        journal::list(&self.reader, tenant, page).await
    }

    async fn missions(
        &self,
        tenant: TenantId,
        ids: &[MissionId],
    ) -> Result<Vec<Mission>, StoreError> {
        climate::missions(&self.reader, tenant, ids).await
    }

    async fn shop_projects(
        &self,
        tenant: TenantId,
        ids: &[ShopProjectId],
    ) -> Result<Vec<ShopProject>, StoreError> {
        shop::shop_projects(&self.reader, tenant, ids).await
    }

    async fn product_climate_meta(
        &self,
        tenant: TenantId,
        product_ids: &[ProductId],
    ) -> Result<Vec<ProductClimateMeta>, StoreError> {
        shop::climate_meta(&self.reader, tenant, product_ids).await
    }
}
