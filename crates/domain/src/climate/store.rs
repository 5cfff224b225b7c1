//! The Climate OS rows a task's transaction reads and writes, each function one query on
//! the transaction's connection, in the backend's own SQL ([`super::postgres`],
//! [`super::sqlite`]). Reads are tenant-scoped and take a batch of ids (one round trip
//! for a whole batch); writes take rows that carry their tenant, and take the task's
//! savepoint first when its part is undoable ([`HandlerTx::writer`]).

use zora_core::{HandlerTx, ReadTx, StoreError, TenantId};
use zora_store_sql::Sql;

use super::tables::{ClimateProfile, NewMission, NewPlan, NewProfile, PlanItem, WeeklyPlan};
use super::{postgres, sqlite};
use crate::ids::{MissionId, PlanId, PlanItemId, ProfileId};

/// Creates a climate profile.
pub async fn insert_profile(
    tx: &mut dyn HandlerTx,
    profile: &NewProfile,
) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_profile(&mut db, profile).await,
        Sql::Sqlite(conn) => sqlite::insert_profile(conn, profile).await,
    }
}

/// Creates a weekly plan (`proposed`) with its items.
pub async fn insert_plan(tx: &mut dyn HandlerTx, plan: &NewPlan) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_plan(&mut db, plan).await,
        Sql::Sqlite(conn) => sqlite::insert_plan(conn, plan).await,
    }
}

/// Creates suggested weekly plans (`proposed`) with their items, in one statement per
/// table, each unless its profile already has a `proposed` weekly plan starting the
/// same day (PostgreSQL serializes the check per profile and week with a transaction
/// lock; SQLite's writes are serialized anyway). Returns the ids created.
pub async fn insert_suggested_plans(
    tx: &mut dyn HandlerTx,
    plans: &[NewPlan],
) -> Result<Vec<PlanId>, StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_suggested_plans(&mut db, plans).await,
        Sql::Sqlite(conn) => sqlite::insert_suggested_plans(conn, plans).await,
    }
}

/// `tenant`'s default profile: its primary one (`is_primary`), else its oldest.
pub async fn default_profile(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
) -> Result<Option<ClimateProfile>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::default_profile(&mut db, tenant).await,
        Sql::Sqlite(conn) => sqlite::default_profile(conn, tenant).await,
    }
}

/// The categories in which `tenant`'s `profiles` have `planned` or `in_progress`
/// missions, as `(profile, category)` pairs without repeats.
pub async fn open_mission_categories(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    profiles: &[ProfileId],
) -> Result<Vec<(ProfileId, String)>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::open_mission_categories(&mut db, tenant, profiles).await,
        Sql::Sqlite(conn) => sqlite::open_mission_categories(conn, tenant, profiles).await,
    }
}

/// `tenant`'s `proposed` weekly plans of `profiles`, oldest first.
pub async fn proposed_weekly_plans(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    profiles: &[ProfileId],
) -> Result<Vec<WeeklyPlan>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::proposed_weekly_plans(&mut db, tenant, profiles).await,
        Sql::Sqlite(conn) => sqlite::proposed_weekly_plans(conn, tenant, profiles).await,
    }
}

/// `tenant`'s profiles among `ids`, in `id` order.
pub async fn profiles(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    ids: &[ProfileId],
) -> Result<Vec<ClimateProfile>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::profiles(&mut db, tenant, ids).await,
        Sql::Sqlite(conn) => sqlite::profiles(conn, tenant, ids).await,
    }
}

/// `tenant`'s weekly plans among `ids`, in `id` order.
pub async fn plans(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    ids: &[PlanId],
) -> Result<Vec<WeeklyPlan>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::plans(&mut db, tenant, ids).await,
        Sql::Sqlite(conn) => sqlite::plans(conn, tenant, ids).await,
    }
}

/// The items of `tenant`'s plans among `plan_ids`, by plan, then `created_at`, `id`.
pub async fn plan_items(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    plan_ids: &[PlanId],
) -> Result<Vec<PlanItem>, StoreError> {
    match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres::plan_items(&mut db, tenant, plan_ids).await,
        Sql::Sqlite(conn) => sqlite::plan_items(conn, tenant, plan_ids).await,
    }
}

/// Claims `tenant`'s plans among `plans` for applying: `proposed → applied`, in one
/// statement. Returns the ids marked; a plan missing from them was not `proposed`
/// (another task applied it first).
pub async fn mark_plans_applied(
    tx: &mut dyn HandlerTx,
    tenant: TenantId,
    plans: &[PlanId],
) -> Result<Vec<PlanId>, StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::mark_plans_applied(&mut db, tenant, plans).await,
        Sql::Sqlite(conn) => sqlite::mark_plans_applied(conn, tenant, plans).await,
    }
}

/// Creates missions (status `planned`), in one statement.
pub async fn insert_missions(
    tx: &mut dyn HandlerTx,
    missions: &[NewMission],
) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::insert_missions(&mut db, missions).await,
        Sql::Sqlite(conn) => sqlite::insert_missions(conn, missions).await,
    }
}

/// Links plan items of `tenant`'s plans to the missions created from them, in one
/// statement.
pub async fn link_plan_items(
    tx: &mut dyn HandlerTx,
    tenant: TenantId,
    links: &[(PlanItemId, MissionId)],
) -> Result<(), StoreError> {
    match Sql::open(tx.writer().await?)? {
        Sql::Postgres(mut db) => postgres::link_plan_items(&mut db, tenant, links).await,
        Sql::Sqlite(conn) => sqlite::link_plan_items(conn, tenant, links).await,
    }
}
