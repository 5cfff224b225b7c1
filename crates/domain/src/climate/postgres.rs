//! Climate OS queries: profiles, weekly plans and items, missions.

use super::tables::{
    ClimateProfile, NewMission, NewPlan, NewPlanItem, NewProfile, PlanItem, WeeklyPlan,
};
use crate::ids::{MissionId, PlanId, PlanItemId, ProfileId};
use zora_core::{StoreError, TenantId};

use zora_store_sql::postgres as rows;
use zora_store_sql::postgres::{self as sql, Db, store_error};

use super::mappers;

pub(crate) async fn insert_profile(
    db: &mut impl Db,
    profile: &NewProfile,
) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "INSERT INTO climate_profiles (id, tenant_id, name, profile_type) VALUES ($1, $2, $3, $4::profile_type)",
    )
    .bind(profile.id.0)
    .bind(profile.tenant_id.0)
    .bind(&profile.name)
    .bind(&profile.profile_type)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn insert_plan(db: &mut impl Db, plan: &NewPlan) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "INSERT INTO climate_plans (id, tenant_id, profile_id, period_start, period_end) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(plan.id.0)
    .bind(plan.tenant_id.0)
    .bind(plan.profile_id.0)
    .bind(plan.period_start)
    .bind(plan.period_end)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    let items: Vec<(PlanId, &NewPlanItem)> = plan.items.iter().map(|i| (plan.id, i)).collect();
    insert_items(db, &items).await
}

/// Inserts plan items, each with its plan, in one statement.
async fn insert_items(
    db: &mut impl Db,
    items: &[(PlanId, &NewPlanItem)],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    sql::query(
        db.keep(),
        "INSERT INTO climate_plan_items (id, plan_id, title, description, category, estimated_impact_kgco2) \
         SELECT i.id, i.plan_id, i.title, i.description, i.category, i.impact \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::float8[]) \
           AS i(id, plan_id, title, description, category, impact)",
    )
    .bind(items.iter().map(|(_, i)| i.id.0).collect::<Vec<_>>())
    .bind(items.iter().map(|(plan, _)| plan.0).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.title.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.description.as_deref()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.category.as_deref()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, i)| i.estimated_impact_kgco2).collect::<Vec<_>>())
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn insert_suggested_plans(
    db: &mut impl Db,
    plans: &[NewPlan],
) -> Result<Vec<PlanId>, StoreError> {
    // One transaction lock per profile and week, taken in a fixed order (no deadlock
    // between two batches), before the check: the insert's snapshot, taken after the
    // lock, sees a plan another transaction committed meanwhile.
    let mut keys: Vec<String> = plans
        .iter()
        .map(|p| format!("climate_plan:{}:{}", p.profile_id, p.period_start))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    sql::query(
        db.keep(),
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM UNNEST($1::text[]) AS k ORDER BY k",
    )
    .bind(keys)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    let created: Vec<uuid::Uuid> = sql::query_scalar(
        db.keep(),
        "INSERT INTO climate_plans (id, tenant_id, profile_id, period_start, period_end) \
         SELECT n.id, n.tenant_id, n.profile_id, n.period_start, n.period_end \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::date[]) \
           AS n(id, tenant_id, profile_id, period_start, period_end) \
         WHERE NOT EXISTS (SELECT 1 FROM climate_plans p WHERE p.tenant_id = n.tenant_id \
           AND p.profile_id = n.profile_id AND p.period_start = n.period_start \
           AND p.plan_type = 'weekly' AND p.status = 'proposed') \
         RETURNING id",
    )
    .bind(plans.iter().map(|p| p.id.0).collect::<Vec<_>>())
    .bind(plans.iter().map(|p| p.tenant_id.0).collect::<Vec<_>>())
    .bind(plans.iter().map(|p| p.profile_id.0).collect::<Vec<_>>())
    .bind(plans.iter().map(|p| p.period_start).collect::<Vec<_>>())
    .bind(plans.iter().map(|p| p.period_end).collect::<Vec<_>>())
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let items: Vec<(PlanId, &NewPlanItem)> = plans
        .iter()
        .filter(|p| created.contains(&p.id.0))
        .flat_map(|p| p.items.iter().map(|i| (p.id, i)))
        .collect();
    insert_items(db, &items).await?;
    Ok(created.into_iter().map(PlanId).collect())
}

pub(crate) async fn default_profile(
    db: &mut impl Db,
    tenant: TenantId,
) -> Result<Option<ClimateProfile>, StoreError> {
    let found = sql::query(
        db.keep(),
        "SELECT id, tenant_id, name, profile_type::text AS profile_type FROM climate_profiles \
         WHERE tenant_id = $1 ORDER BY COALESCE(is_primary, false) DESC, created_at, id LIMIT 1",
    )
    .bind(tenant.0)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(rows::all(&found, mappers::profile)?.into_iter().next())
}

pub(crate) async fn open_mission_categories(
    db: &mut impl Db,
    tenant: TenantId,
    profiles: &[ProfileId],
) -> Result<Vec<(ProfileId, String)>, StoreError> {
    let found: Vec<(uuid::Uuid, String)> = sql::query_as(
        db.keep(),
        "SELECT DISTINCT profile_id, category FROM climate_missions \
         WHERE tenant_id = $1 AND profile_id = ANY($2) AND category IS NOT NULL \
           AND status IN ('planned', 'in_progress') ORDER BY profile_id, category",
    )
    .bind(tenant.0)
    .bind(rows::uuids(profiles))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(found
        .into_iter()
        .map(|(profile, category)| (ProfileId(profile), category))
        .collect())
}

pub(crate) async fn proposed_weekly_plans(
    db: &mut impl Db,
    tenant: TenantId,
    profiles: &[ProfileId],
) -> Result<Vec<WeeklyPlan>, StoreError> {
    rows::tenant_rows_by_ids(
        db,
        "SELECT id, tenant_id, profile_id, plan_type, period_start, period_end, status \
         FROM climate_plans WHERE tenant_id = $1 AND profile_id = ANY($2) \
           AND plan_type = 'weekly' AND status = 'proposed' ORDER BY created_at, id",
        tenant,
        profiles,
        mappers::plan,
    )
    .await
}

pub(crate) async fn profiles(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[ProfileId],
) -> Result<Vec<ClimateProfile>, StoreError> {
    rows::tenant_rows_by_ids(
        db,
        "SELECT id, tenant_id, name, profile_type::text AS profile_type FROM climate_profiles \
         WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id",
        tenant,
        ids,
        mappers::profile,
    )
    .await
}

pub(crate) async fn plans(
    db: &mut impl Db,
    tenant: TenantId,
    ids: &[PlanId],
) -> Result<Vec<WeeklyPlan>, StoreError> {
    rows::tenant_rows_by_ids(
        db,
        "SELECT id, tenant_id, profile_id, plan_type, period_start, period_end, status \
         FROM climate_plans WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id",
        tenant,
        ids,
        mappers::plan,
    )
    .await
}

pub(crate) async fn plan_items(
    db: &mut impl Db,
    tenant: TenantId,
    plan_ids: &[PlanId],
) -> Result<Vec<PlanItem>, StoreError> {
    rows::tenant_rows_by_ids(
        db,
        "SELECT i.id, i.plan_id, i.mission_id, i.title, i.description, i.category, \
           i.estimated_impact_kgco2::float8 AS estimated_impact_kgco2, i.status, i.created_at \
         FROM climate_plan_items i JOIN climate_plans p ON p.id = i.plan_id \
         WHERE p.tenant_id = $1 AND i.plan_id = ANY($2) ORDER BY i.plan_id, i.created_at, i.id",
        tenant,
        plan_ids,
        mappers::plan_item,
    )
    .await
}

pub(crate) async fn mark_plans_applied(
    db: &mut impl Db,
    tenant: TenantId,
    plans: &[PlanId],
) -> Result<Vec<PlanId>, StoreError> {
    let marked: Vec<uuid::Uuid> = sql::query_scalar(
        db.keep(),
        "UPDATE climate_plans SET status = 'applied' \
         WHERE tenant_id = $1 AND id = ANY($2) AND status = 'proposed' RETURNING id",
    )
    .bind(tenant.0)
    .bind(rows::uuids(plans))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    Ok(marked.into_iter().map(PlanId).collect())
}

pub(crate) async fn insert_missions(
    db: &mut impl Db,
    missions: &[NewMission],
) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "INSERT INTO climate_missions (id, tenant_id, profile_id, title, description, category, \
           estimated_impact_kgco2, due_date, notes, metadata) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], \
           $7::float8[], $8::date[], $9::text[], $10::jsonb[])",
    )
    .bind(missions.iter().map(|m| m.id.0).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.tenant_id.0).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.profile_id.0).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.title.as_str()).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.description.as_deref()).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.category.as_str()).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.estimated_impact_kgco2).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.due_date).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.notes.as_deref()).collect::<Vec<_>>())
    .bind(missions.iter().map(|m| m.metadata.clone()).collect::<Vec<_>>())
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn link_plan_items(
    db: &mut impl Db,
    tenant: TenantId,
    links: &[(PlanItemId, MissionId)],
) -> Result<(), StoreError> {
    sql::query(
        db.keep(),
        "UPDATE climate_plan_items i SET mission_id = l.mission_id \
         FROM UNNEST($2::uuid[], $3::uuid[]) AS l(item_id, mission_id), climate_plans p \
         WHERE i.id = l.item_id AND p.id = i.plan_id AND p.tenant_id = $1",
    )
    .bind(tenant.0)
    .bind(links.iter().map(|(item, _)| item.0).collect::<Vec<_>>())
    .bind(
        links
            .iter()
            .map(|(_, mission)| mission.0)
            .collect::<Vec<_>>(),
    )
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}
