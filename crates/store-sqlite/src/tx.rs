//! [`SqliteTx`]: one open transaction, and [`StoreTx`] implemented on it.

use async_trait::async_trait;
use sqlx::{Sqlite, Transaction};
use zora_core::climate::{ClimateProfile, NewMission, NewPlan, NewProfile, PlanItem, WeeklyPlan};
use zora_core::command::{Command, CommandUpdate, NewCommand};
use zora_core::journal::NewJournalEntry;
use zora_core::shop::{
    Brand, ClimateMetaUpsert, NewBrand, NewProduct, NewShopProject, Product, UpsertAction,
};
use zora_core::tenant::NewTenant;
use zora_core::{
    BrandId, ClimateMetaId, CommandId, Completion, Failure, Lease, MissionId, NewTask, PlanId,
    PlanItemId, ProductId, ProfileId, StoreError, StoreTx, Task, TaskId, TenantId,
};

use crate::error::store_error;
use crate::{climate, commands, journal, shop, tasks};

/// One SQLite transaction (`BEGIN IMMEDIATE`: it holds the write lock); dropped without commit, it rolls back.
#[derive(Debug)]
pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteTx {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        Self { tx }
    }

    async fn run(&mut self, sql: &'static str) -> Result<(), StoreError> {
        sqlx::query(sql)
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl StoreTx for SqliteTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(store_error)
    }

    async fn savepoint(&mut self) -> Result<(), StoreError> {
        self.run("SAVEPOINT zora_task").await
    }

    async fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        self.run("ROLLBACK TO SAVEPOINT zora_task").await
    }

    async fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.run("RELEASE SAVEPOINT zora_task").await
    }

    async fn insert_task(&mut self, task: &NewTask) -> Result<Task, StoreError> {
        tasks::insert(&mut self.tx, task).await
    }

    async fn lock_leased_tasks(&mut self, leases: &[Lease]) -> Result<Vec<TaskId>, StoreError> {
        tasks::lock_leased(&mut self.tx, leases).await
    }

    async fn complete_tasks(
        &mut self,
        completions: &[Completion],
    ) -> Result<Vec<TaskId>, StoreError> {
        tasks::complete(&mut self.tx, completions).await
    }

    async fn fail_tasks(&mut self, failures: &[Failure]) -> Result<Vec<TaskId>, StoreError> {
        tasks::fail(&mut self.tx, failures).await
    }

    async fn insert_tenant(&mut self, tenant: &NewTenant) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tenants (id, name, slug) VALUES (?1, ?2, ?3)")
            .bind(tenant.id.to_string())
            .bind(&tenant.name)
            .bind(&tenant.slug)
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn insert_profile(&mut self, profile: &NewProfile) -> Result<(), StoreError> {
        climate::insert_profile(&mut self.tx, profile).await
    }

    async fn insert_plan(&mut self, plan: &NewPlan) -> Result<(), StoreError> {
        climate::insert_plan(&mut self.tx, plan).await
    }

    async fn insert_brand(&mut self, brand: &NewBrand) -> Result<(), StoreError> {
        shop::insert_brand(&mut self.tx, brand).await
    }

    async fn insert_product(&mut self, product: &NewProduct) -> Result<(), StoreError> {
        shop::insert_product(&mut self.tx, product).await
    }

    async fn profiles(
        &mut self,
        tenant: TenantId,
        ids: &[ProfileId],
    ) -> Result<Vec<ClimateProfile>, StoreError> {
        climate::profiles(&mut self.tx, tenant, ids).await
    }

    async fn plans(
        &mut self,
        tenant: TenantId,
        ids: &[PlanId],
    ) -> Result<Vec<WeeklyPlan>, StoreError> {
        climate::plans(&mut self.tx, tenant, ids).await
    }

    async fn plan_items(
        &mut self,
        tenant: TenantId,
        plan_ids: &[PlanId],
    ) -> Result<Vec<PlanItem>, StoreError> {
        climate::plan_items(&mut self.tx, tenant, plan_ids).await
    }

    async fn mark_plan_applied(
        &mut self,
        tenant: TenantId,
        plan: PlanId,
    ) -> Result<bool, StoreError> {
        climate::mark_plan_applied(&mut self.tx, tenant, plan).await
    }

    async fn insert_missions(&mut self, missions: &[NewMission]) -> Result<(), StoreError> {
        climate::insert_missions(&mut self.tx, missions).await
    }

    async fn link_plan_items(
        &mut self,
        tenant: TenantId,
        links: &[(PlanItemId, MissionId)],
    ) -> Result<(), StoreError> {
        climate::link_plan_items(&mut self.tx, tenant, links).await
    }

    async fn brands(
        &mut self,
        tenant: TenantId,
        ids: &[BrandId],
    ) -> Result<Vec<Brand>, StoreError> {
        shop::brands(&mut self.tx, tenant, ids).await
    }

    async fn products(
        &mut self,
        tenant: TenantId,
        ids: &[ProductId],
    ) -> Result<Vec<Product>, StoreError> {
        shop::products(&mut self.tx, tenant, ids).await
    }

    async fn upsert_product_climate_meta(
        &mut self,
        upsert: &ClimateMetaUpsert,
    ) -> Result<(ClimateMetaId, UpsertAction), StoreError> {
        shop::upsert_climate_meta(&mut self.tx, upsert).await
    }

    async fn insert_shop_projects(
        &mut self,
        projects: &[NewShopProject],
    ) -> Result<(), StoreError> {
        shop::insert_shop_projects(&mut self.tx, projects).await
    }

    async fn insert_journal_entries(
        &mut self,
        entries: &[NewJournalEntry],
    ) -> Result<(), StoreError> {
        journal::insert(&mut self.tx, entries).await
    }

    async fn insert_command(&mut self, command: &NewCommand) -> Result<Command, StoreError> {
        commands::insert(&mut self.tx, command).await
    }

    async fn update_command(
        &mut self,
        tenant: TenantId,
        id: CommandId,
        update: &CommandUpdate,
    ) -> Result<bool, StoreError> {
        commands::update(&mut self.tx, tenant, id, update).await
    }
}
