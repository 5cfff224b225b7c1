//! The `Store` and `StoreTx` implementations both SQL stores share: every method forwards
//! to the query function of the same name in the store crate's own modules (`tasks`,
//! `tenants`, `climate`, `shop`, `journal`, `commands`, `workers`), so the glue is written once and
//! each store writes only its SQL.

/// Implements `zora_core::StoreTx` for `$tx`, a struct whose field `tx` is the open
/// `sqlx::Transaction` and which provides `async fn commit_tx(self)` and
/// `fn note_due_in(&mut self, Duration)` and `fn note_finished(&mut self, &[TaskId])`:
/// told when tasks become runnable in the transaction (due in that long) or finish, so
/// the store can say so once it commits. Paths like `crate::tasks::insert` resolve in the invoking crate,
/// which also provides `crate::error::store_error`.
// `crate::` on purpose: the paths name the invoking store's modules.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! delegate_store_tx {
    ($tx:ty) => {
        #[$crate::async_trait]
        impl zora_core::StoreTx for $tx {
            async fn commit(self: Box<Self>) -> Result<(), zora_core::StoreError> {
                self.commit_tx().await
            }
            async fn rollback(self: Box<Self>) -> Result<(), zora_core::StoreError> {
                self.tx.rollback().await.map_err(crate::error::store_error)
            }
            async fn limit(
                &mut self,
                limits: zora_core::TxLimits,
            ) -> Result<(), zora_core::StoreError> {
                crate::tx::limit(&mut self.tx, limits).await
            }
            async fn savepoint(&mut self) -> Result<(), zora_core::StoreError> {
                $crate::run_statement!(self, "SAVEPOINT zora_task")
            }
            async fn rollback_to_savepoint(&mut self) -> Result<(), zora_core::StoreError> {
                $crate::run_statement!(self, "ROLLBACK TO SAVEPOINT zora_task")
            }
            async fn release_savepoint(&mut self) -> Result<(), zora_core::StoreError> {
                $crate::run_statement!(self, "RELEASE SAVEPOINT zora_task")
            }
            fn begin_task(&mut self) {
                self.writes.begin_task();
            }
            async fn end_task(&mut self, keep: bool) -> Result<(), zora_core::StoreError> {
                if self.writes.end_task(keep) {
                    if !keep {
                        $crate::run_statement!(self, "ROLLBACK TO SAVEPOINT zora_task")?;
                    }
                    $crate::run_statement!(self, "RELEASE SAVEPOINT zora_task")?;
                }
                Ok(())
            }
            async fn flush_held_writes(&mut self) -> Result<(), zora_core::StoreError> {
                let held = self.writes.take();
                if !held.missions.is_empty() {
                    crate::climate::insert_missions(&mut self.tx, &held.missions).await?;
                }
                if !held.projects.is_empty() {
                    crate::shop::insert_shop_projects(&mut self.tx, &held.projects).await?;
                }
                for (tenant, links) in $crate::HeldWrites::links_by_tenant(held.links) {
                    crate::climate::link_plan_items(&mut self.tx, tenant, &links).await?;
                }
                if !held.journal.is_empty() {
                    crate::journal::insert(&mut self.tx, &held.journal).await?;
                }
                Ok(())
            }
            async fn insert_task(
                &mut self,
                task: &zora_core::NewTask,
            ) -> Result<zora_core::Task, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                let task = crate::tasks::insert(&mut self.tx, task).await?;
                if let Some(due_in) = $crate::wakeups::due_in(&task) {
                    self.note_due_in(due_in);
                }
                Ok(task)
            }
            async fn reset_failed_task(
                &mut self,
                tenant: zora_core::TenantId,
                id: zora_core::TaskId,
            ) -> Result<Option<zora_core::Task>, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                let task = crate::tasks::reset_failed(&mut self.tx, tenant, id).await?;
                if let Some(due_in) = task.as_ref().and_then($crate::wakeups::due_in) {
                    self.note_due_in(due_in);
                }
                Ok(task)
            }
            async fn make_task_due(
                &mut self,
                tenant: zora_core::TenantId,
                id: zora_core::TaskId,
            ) -> Result<Option<zora_core::Task>, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                let task = crate::tasks::make_due(&mut self.tx, tenant, id).await?;
                if let Some(due_in) = task.as_ref().and_then($crate::wakeups::due_in) {
                    self.note_due_in(due_in);
                }
                Ok(task)
            }
            async fn lock_leased_tasks(
                &mut self,
                leases: &[zora_core::Lease],
            ) -> Result<Vec<zora_core::TaskId>, zora_core::StoreError> {
                crate::tasks::lock_leased(&mut self.tx, leases).await
            }
            async fn complete_tasks(
                &mut self,
                completions: &[zora_core::Completion],
            ) -> Result<Vec<zora_core::TaskId>, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                let completed = crate::tasks::complete(&mut self.tx, completions).await?;
                self.note_finished(&completed);
                Ok(completed)
            }
            async fn release_tasks(
                &mut self,
                leases: &[zora_core::Lease],
            ) -> Result<Vec<zora_core::TaskId>, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                let released = crate::tasks::release(&mut self.tx, leases).await?;
                if !released.is_empty() {
                    self.note_due_in(std::time::Duration::ZERO);
                }
                Ok(released)
            }
            async fn fail_tasks(
                &mut self,
                failures: &[zora_core::Failure],
            ) -> Result<Vec<zora_core::TaskId>, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                let failed = crate::tasks::fail(&mut self.tx, failures).await?;
                for failure in failures
                    .iter()
                    .filter(|f| failed.contains(&f.lease.task_id))
                {
                    match failure.retry_in {
                        Some(retry_in) => self.note_due_in(retry_in),
                        None => self.note_finished(&[failure.lease.task_id]),
                    }
                }
                Ok(failed)
            }
            async fn insert_tenant(
                &mut self,
                tenant: &zora_core::tenant::NewTenant,
            ) -> Result<(), zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::tenants::insert(&mut self.tx, tenant).await
            }
            async fn insert_profile(
                &mut self,
                profile: &zora_core::climate::NewProfile,
            ) -> Result<(), zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::climate::insert_profile(&mut self.tx, profile).await
            }
            async fn insert_plan(
                &mut self,
                plan: &zora_core::climate::NewPlan,
            ) -> Result<(), zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::climate::insert_plan(&mut self.tx, plan).await
            }
            async fn insert_brand(
                &mut self,
                brand: &zora_core::shop::NewBrand,
            ) -> Result<(), zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::shop::insert_brand(&mut self.tx, brand).await
            }
            async fn insert_product(
                &mut self,
                product: &zora_core::shop::NewProduct,
            ) -> Result<(), zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::shop::insert_product(&mut self.tx, product).await
            }
            async fn profiles(
                &mut self,
                tenant: zora_core::TenantId,
                ids: &[zora_core::ProfileId],
            ) -> Result<Vec<zora_core::climate::ClimateProfile>, zora_core::StoreError> {
                crate::climate::profiles(&mut self.tx, tenant, ids).await
            }
            async fn plans(
                &mut self,
                tenant: zora_core::TenantId,
                ids: &[zora_core::PlanId],
            ) -> Result<Vec<zora_core::climate::WeeklyPlan>, zora_core::StoreError> {
                crate::climate::plans(&mut self.tx, tenant, ids).await
            }
            async fn plan_items(
                &mut self,
                tenant: zora_core::TenantId,
                plan_ids: &[zora_core::PlanId],
            ) -> Result<Vec<zora_core::climate::PlanItem>, zora_core::StoreError> {
                crate::climate::plan_items(&mut self.tx, tenant, plan_ids).await
            }
            async fn mark_plan_applied(
                &mut self,
                tenant: zora_core::TenantId,
                plan: zora_core::PlanId,
            ) -> Result<bool, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::climate::mark_plan_applied(&mut self.tx, tenant, plan).await
            }
            async fn insert_missions(
                &mut self,
                missions: &[zora_core::climate::NewMission],
            ) -> Result<(), zora_core::StoreError> {
                if self
                    .writes
                    .hold(|held| held.missions.extend_from_slice(missions))
                {
                    return Ok(());
                }
                crate::climate::insert_missions(&mut self.tx, missions).await
            }
            async fn link_plan_items(
                &mut self,
                tenant: zora_core::TenantId,
                links: &[(zora_core::PlanItemId, zora_core::MissionId)],
            ) -> Result<(), zora_core::StoreError> {
                let tagged = links
                    .iter()
                    .map(|(item, mission)| (tenant, *item, *mission));
                if self.writes.hold(|held| held.links.extend(tagged)) {
                    return Ok(());
                }
                crate::climate::link_plan_items(&mut self.tx, tenant, links).await
            }
            async fn brands(
                &mut self,
                tenant: zora_core::TenantId,
                ids: &[zora_core::BrandId],
            ) -> Result<Vec<zora_core::shop::Brand>, zora_core::StoreError> {
                crate::shop::brands(&mut self.tx, tenant, ids).await
            }
            async fn products(
                &mut self,
                tenant: zora_core::TenantId,
                ids: &[zora_core::ProductId],
            ) -> Result<Vec<zora_core::shop::Product>, zora_core::StoreError> {
                crate::shop::products(&mut self.tx, tenant, ids).await
            }
            async fn upsert_product_climate_meta(
                &mut self,
                upsert: &zora_core::shop::ClimateMetaUpsert,
            ) -> Result<
                (zora_core::ClimateMetaId, zora_core::shop::UpsertAction),
                zora_core::StoreError,
            > {
                $crate::savepoint_before_write!(self);
                crate::shop::upsert_climate_meta(&mut self.tx, upsert).await
            }
            async fn insert_shop_projects(
                &mut self,
                projects: &[zora_core::shop::NewShopProject],
            ) -> Result<(), zora_core::StoreError> {
                if self
                    .writes
                    .hold(|held| held.projects.extend_from_slice(projects))
                {
                    return Ok(());
                }
                crate::shop::insert_shop_projects(&mut self.tx, projects).await
            }
            async fn insert_journal_entries(
                &mut self,
                entries: &[zora_core::journal::NewJournalEntry],
            ) -> Result<(), zora_core::StoreError> {
                if self
                    .writes
                    .hold(|held| held.journal.extend_from_slice(entries))
                {
                    return Ok(());
                }
                crate::journal::insert(&mut self.tx, entries).await
            }
            async fn insert_command(
                &mut self,
                command: &zora_core::command::NewCommand,
            ) -> Result<zora_core::command::Command, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::commands::insert(&mut self.tx, command).await
            }
            async fn update_command(
                &mut self,
                tenant: zora_core::TenantId,
                id: zora_core::CommandId,
                update: &zora_core::command::CommandUpdate,
            ) -> Result<bool, zora_core::StoreError> {
                $crate::savepoint_before_write!(self);
                crate::commands::update(&mut self.tx, tenant, id, update).await
            }
        }
    };
}

/// Runs `$call` with `$db` bound to a session opened by `$open` (a store's
/// `read_session()` or `write_session()`: a connection, or a transaction of its own), then
/// ends the session with the outcome (a transaction commits on success).
#[doc(hidden)]
#[macro_export]
macro_rules! in_session {
    ($open:expr, |$db:ident| $call:expr) => {{
        let mut session = $open.await?;
        let $db = &mut session;
        let outcome = $call.await;
        session.end(outcome).await
    }};
}

/// Runs one parameterless statement on the transaction `$this.tx` with the simple query
/// protocol: one round trip, nothing prepared (which suits a pooler too).
#[doc(hidden)]
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! run_statement {
    ($this:ident, $sql:literal) => {
        sqlx::Executor::execute(&mut *$this.tx, $sql)
            .await
            .map(|_| ())
            .map_err(crate::error::store_error)
    };
}

/// Before a write that cannot be held: takes the task's savepoint if it has none yet.
#[doc(hidden)]
#[macro_export]
macro_rules! savepoint_before_write {
    ($this:ident) => {
        if $this.writes.savepoint_needed() {
            $crate::run_statement!($this, "SAVEPOINT zora_task")?;
        }
    };
}

/// Implements `zora_core::Store` for `$store`, which provides
/// `async fn read_session(&self)` and `async fn write_session(&self)` (where a method
/// outside a transaction runs: see [`in_session!`]), `async fn begin_tx(&self)`,
/// `async fn begin_limited_tx(&self, TxLimits)`, `async fn begin_read_tx(&self)`,
/// `async fn read_schema_state(&self)`, `async fn wakeups(&self)`,
/// `async fn watch_finish_of(&self, TaskId)` and `fn tell_finished(&self, &[TaskId])`
/// (told of the tasks a statement outside a transaction finished); `$backend` is its name.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! delegate_store {
    ($store:ty, $backend:literal) => {
        #[$crate::async_trait]
        impl zora_core::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }
            async fn schema_state(&self) -> Result<zora_core::SchemaState, zora_core::StoreError> {
                self.read_schema_state().await
            }
            async fn watch_finish(&self, id: zora_core::TaskId) -> Result<Option<Box<dyn zora_core::FinishWatch>>, zora_core::StoreError> {
                self.watch_finish_of(id).await
            }
            async fn begin(&self) -> Result<Box<dyn zora_core::StoreTx>, zora_core::StoreError> {
                self.begin_tx().await
            }
            async fn begin_limited(&self, limits: zora_core::TxLimits) -> Result<Box<dyn zora_core::StoreTx>, zora_core::StoreError> {
                self.begin_limited_tx(limits).await
            }
            async fn subscribe_wakeups(&self) -> Result<Box<dyn zora_core::TaskWakeups>, zora_core::StoreError> {
                self.wakeups().await
            }
            async fn begin_read(&self) -> Result<Box<dyn zora_core::StoreTx>, zora_core::StoreError> {
                self.begin_read_tx().await
            }
            async fn tenant_exists(&self, tenant: zora_core::TenantId) -> Result<bool, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::tenants::exists(db, tenant))
            }
            async fn get_task(&self, tenant: zora_core::TenantId, id: zora_core::TaskId) -> Result<Option<zora_core::Task>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::tasks::get(db, tenant, id))
            }
            async fn get_task_by_idempotency_key(&self, tenant: zora_core::TenantId, key: &str) -> Result<Option<zora_core::Task>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::tasks::get_by_idempotency_key(db, tenant, key))
            }
            async fn list_tasks(&self, tenant: zora_core::TenantId, filter: &zora_core::TaskFilter, page: zora_core::Page) -> Result<zora_core::Paginated<zora_core::Task>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::tasks::list(db, tenant, filter, page))
            }
            async fn claim_tasks(&self, request: &zora_core::ClaimRequest) -> Result<Vec<zora_core::Task>, zora_core::StoreError> {
                $crate::in_session!(self.write_session(), |db| crate::tasks::claim(db, request))
            }
            async fn claim_task(&self, tenant: zora_core::TenantId, id: zora_core::TaskId, owner: &str, lease_duration: std::time::Duration) -> Result<zora_core::ClaimById, zora_core::StoreError> {
                $crate::in_session!(self.write_session(), |db| async {
                    match crate::tasks::claim_by_id(&mut *db, tenant, id, owner, lease_duration).await? {
                        Some(task) => Ok(zora_core::ClaimById::Claimed(task)),
                        None => Ok(match crate::tasks::get(&mut *db, tenant, id).await? {
                            Some(task) => zora_core::ClaimById::Refused(task),
                            None => zora_core::ClaimById::NotFound,
                        }),
                    }
                })
            }
            async fn rescue_expired_leases_all_tenants(&self, limits: &zora_core::AttemptLimits, limit: u32) -> Result<Vec<zora_core::Task>, zora_core::StoreError> {
                let rescued = $crate::in_session!(self.write_session(), |db| crate::tasks::rescue_expired(db, limits, limit))?;
                let failed: Vec<zora_core::TaskId> = rescued.iter().filter(|t| t.status == zora_core::TaskStatus::Failed).map(|t| t.id).collect();
                self.tell_finished(&failed);
                Ok(rescued)
            }
            async fn extend_leases(&self, leases: &[zora_core::Lease], lease_duration: std::time::Duration) -> Result<Vec<zora_core::TaskId>, zora_core::StoreError> {
                $crate::in_session!(self.write_session(), |db| crate::tasks::extend_leases(db, leases, lease_duration))
            }
            async fn register_worker(&self, worker: &zora_core::WorkerRegistration) -> Result<(), zora_core::StoreError> {
                $crate::in_session!(self.write_session(), |db| crate::workers::register(db, worker))
            }
            async fn beat_worker(&self, id: &str, ttl: std::time::Duration) -> Result<bool, zora_core::StoreError> {
                $crate::in_session!(self.write_session(), |db| crate::workers::beat(db, id, ttl))
            }
            async fn stop_worker(&self, id: &str) -> Result<(), zora_core::StoreError> {
                $crate::in_session!(self.write_session(), |db| crate::workers::stop(db, id))
            }
            async fn live_workers(&self, scope: zora_core::stats::Scope) -> Result<Vec<zora_core::WorkerInfo>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::workers::live(db, scope))
            }
            async fn queue_stats(&self, scope: zora_core::stats::Scope) -> Result<zora_core::stats::QueueStats, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::tasks::stats(db, scope))
            }
            async fn get_command(&self, tenant: zora_core::TenantId, id: zora_core::CommandId) -> Result<Option<zora_core::command::Command>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::commands::get(db, tenant, id))
            }
            async fn command_tasks(&self, tenant: zora_core::TenantId, command: zora_core::CommandId) -> Result<Vec<zora_core::Task>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::tasks::of_command(db, tenant, command))
            }
            async fn list_commands(&self, tenant: zora_core::TenantId, status: Option<zora_core::command::CommandStatus>, page: zora_core::Page) -> Result<zora_core::Paginated<zora_core::command::Command>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::commands::list(db, tenant, status, page))
            }
            async fn list_journal_entries(&self, tenant: zora_core::TenantId, page: zora_core::Page) -> Result<zora_core::Paginated<zora_core::journal::JournalEntry>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::journal::list(db, tenant, page))
            }
            async fn missions(&self, tenant: zora_core::TenantId, ids: &[zora_core::MissionId]) -> Result<Vec<zora_core::climate::Mission>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::climate::missions(db, tenant, ids))
            }
            async fn shop_projects(&self, tenant: zora_core::TenantId, ids: &[zora_core::ShopProjectId]) -> Result<Vec<zora_core::shop::ShopProject>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::shop::shop_projects(db, tenant, ids))
            }
            async fn product_climate_meta(&self, tenant: zora_core::TenantId, product_ids: &[zora_core::ProductId]) -> Result<Vec<zora_core::shop::ProductClimateMeta>, zora_core::StoreError> {
                $crate::in_session!(self.read_session(), |db| crate::shop::climate_meta(db, tenant, product_ids))
            }
        }
    };
}
