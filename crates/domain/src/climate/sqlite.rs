//! Climate OS queries on SQLite: profiles, weekly plans and items, missions.

use super::tables::{ClimateProfile, NewMission, NewPlan, NewProfile, PlanItem, WeeklyPlan};
use crate::ids::{MissionId, PlanId, PlanItemId, ProfileId};
use serde_json::{Value, json};
use sqlx::SqliteConnection;
use zora_core::{StoreError, TenantId};
use zora_store_sql::sqlite::{self as rows, NOW, round2, store_error};

use super::mappers;

pub(crate) async fn insert_profile(
    conn: &mut SqliteConnection,
    profile: &NewProfile,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO climate_profiles (id, tenant_id, name, profile_type) VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(profile.id.to_string())
    .bind(profile.tenant_id.to_string())
    .bind(&profile.name)
    .bind(&profile.profile_type)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn insert_plan(
    conn: &mut SqliteConnection,
    plan: &NewPlan,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO climate_plans (id, tenant_id, profile_id, period_start, period_end) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(plan.id.to_string())
    .bind(plan.tenant_id.to_string())
    .bind(plan.profile_id.to_string())
    .bind(plan.period_start.to_string())
    .bind(plan.period_end.to_string())
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    insert_items(conn, std::slice::from_ref(plan)).await
}

/// Inserts the items of `plans`, each with its plan, in one statement.
async fn insert_items(conn: &mut SqliteConnection, plans: &[NewPlan]) -> Result<(), StoreError> {
    let items: Vec<Value> = plans
        .iter()
        .flat_map(|plan| {
            plan.items.iter().map(|i| {
                json!({
                    "id": i.id.to_string(),
                    "plan_id": plan.id.to_string(),
                    "title": i.title,
                    "description": i.description,
                    "category": i.category,
                    "impact": i.estimated_impact_kgco2.map(round2),
                })
            })
        })
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    // Items are inserted in the given order with one timestamp, so (created_at, id) keeps it.
    sqlx::query(
        "INSERT INTO climate_plan_items (id, plan_id, title, description, category, estimated_impact_kgco2) \
         SELECT value ->> '$.id', value ->> '$.plan_id', value ->> '$.title', value ->> '$.description', \
           value ->> '$.category', value ->> '$.impact' FROM json_each(?1) ORDER BY key",
    )
    .bind(Value::from(items).to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// The check and the insert run in one `BEGIN IMMEDIATE` transaction, which no other
/// writer interleaves: a plan committed before it began is seen.
pub(crate) async fn insert_suggested_plans(
    conn: &mut SqliteConnection,
    plans: &[NewPlan],
) -> Result<Vec<PlanId>, StoreError> {
    let batch: Vec<Value> = plans
        .iter()
        .map(|p| {
            json!({
                "id": p.id.to_string(),
                "tenant_id": p.tenant_id.to_string(),
                "profile_id": p.profile_id.to_string(),
                "period_start": p.period_start.to_string(),
                "period_end": p.period_end.to_string(),
            })
        })
        .collect();
    let created: Vec<String> = sqlx::query_scalar(
        "INSERT INTO climate_plans (id, tenant_id, profile_id, period_start, period_end) \
         SELECT value ->> '$.id', value ->> '$.tenant_id', value ->> '$.profile_id', \
           value ->> '$.period_start', value ->> '$.period_end' FROM json_each(?1) AS n \
         WHERE NOT EXISTS (SELECT 1 FROM climate_plans p \
           WHERE p.tenant_id = n.value ->> '$.tenant_id' AND p.profile_id = n.value ->> '$.profile_id' \
             AND p.period_start = n.value ->> '$.period_start' AND p.plan_type = 'weekly' \
             AND p.status = 'proposed') \
         ORDER BY key RETURNING id",
    )
    .bind(Value::from(batch).to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let inserted: Vec<NewPlan> = plans
        .iter()
        .filter(|p| created.contains(&p.id.to_string()))
        .cloned()
        .collect();
    insert_items(conn, &inserted).await?;
    Ok(inserted.into_iter().map(|p| p.id).collect())
}

pub(crate) async fn default_profile(
    conn: &mut SqliteConnection,
    tenant: TenantId,
) -> Result<Option<ClimateProfile>, StoreError> {
    let found = sqlx::query(
        "SELECT id, tenant_id, name, profile_type FROM climate_profiles \
         WHERE tenant_id = ?1 ORDER BY COALESCE(is_primary, 0) DESC, created_at, id LIMIT 1",
    )
    .bind(tenant.to_string())
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    Ok(rows::all(&found, mappers::profile)?.into_iter().next())
}

pub(crate) async fn open_mission_categories(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    profiles: &[ProfileId],
) -> Result<Vec<(ProfileId, String)>, StoreError> {
    let found: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT profile_id, category FROM climate_missions \
         WHERE tenant_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2)) \
           AND category IS NOT NULL AND status IN ('planned', 'in_progress') \
         ORDER BY profile_id, category",
    )
    .bind(tenant.to_string())
    .bind(zora_store_sql::sqlite::id_array(profiles))
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    found
        .into_iter()
        .map(|(profile, category)| {
            uuid::Uuid::parse_str(&profile)
                .map(|id| (ProfileId(id), category))
                .map_err(|e| StoreError::Other(format!("climate_missions.profile_id: {e}")))
        })
        .collect()
}

pub(crate) async fn proposed_weekly_plans(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    profiles: &[ProfileId],
) -> Result<Vec<WeeklyPlan>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, profile_id, plan_type, period_start, period_end, status \
         FROM climate_plans WHERE tenant_id = ?1 AND profile_id IN (SELECT value FROM json_each(?2)) \
           AND plan_type = 'weekly' AND status = 'proposed' ORDER BY created_at, id",
        tenant,
        profiles,
        mappers::plan,
    )
    .await
}

pub(crate) async fn profiles(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    ids: &[ProfileId],
) -> Result<Vec<ClimateProfile>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, name, profile_type FROM climate_profiles \
         WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::profile,
    )
    .await
}

pub(crate) async fn plans(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    ids: &[PlanId],
) -> Result<Vec<WeeklyPlan>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT id, tenant_id, profile_id, plan_type, period_start, period_end, status \
         FROM climate_plans WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) ORDER BY id",
        tenant,
        ids,
        mappers::plan,
    )
    .await
}

pub(crate) async fn plan_items(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    plan_ids: &[PlanId],
) -> Result<Vec<PlanItem>, StoreError> {
    rows::tenant_rows_by_ids(
        conn,
        "SELECT i.id, i.plan_id, i.mission_id, i.title, i.description, i.category, \
           i.estimated_impact_kgco2, i.status, i.created_at \
         FROM climate_plan_items i JOIN climate_plans p ON p.id = i.plan_id \
         WHERE +p.tenant_id = ?1 AND i.plan_id IN (SELECT value FROM json_each(?2)) \
         ORDER BY i.plan_id, i.created_at, i.id",
        tenant,
        plan_ids,
        mappers::plan_item,
    )
    .await
}

pub(crate) async fn mark_plans_applied(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    plans: &[PlanId],
) -> Result<Vec<PlanId>, StoreError> {
    let ids: Vec<String> = plans.iter().map(ToString::to_string).collect();
    let marked: Vec<String> = sqlx::query_scalar(&format!(
        "UPDATE climate_plans SET status = 'applied', updated_at = {NOW} \
         WHERE +tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) AND status = 'proposed' \
         RETURNING id"
    ))
    .bind(tenant.to_string())
    .bind(Value::from(ids).to_string())
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    marked
        .iter()
        .map(|id| uuid::Uuid::parse_str(id).map(PlanId))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Other(format!("a plan id is not a uuid: {e}")))
}

pub(crate) async fn insert_missions(
    conn: &mut SqliteConnection,
    missions: &[NewMission],
) -> Result<(), StoreError> {
    let batch: Vec<Value> = missions
        .iter()
        .map(|m| {
            json!({
                "id": m.id.to_string(),
                "tenant_id": m.tenant_id.to_string(),
                "profile_id": m.profile_id.to_string(),
                "title": m.title,
                "description": m.description,
                "category": m.category,
                "impact": m.estimated_impact_kgco2.map(round2),
                "due_date": m.due_date.map(|d| d.to_string()),
                "notes": m.notes,
                "metadata": m.metadata.to_string(),
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO climate_missions (id, tenant_id, profile_id, title, description, category, \
           estimated_impact_kgco2, due_date, notes, metadata) \
         SELECT value ->> '$.id', value ->> '$.tenant_id', value ->> '$.profile_id', value ->> '$.title', \
           value ->> '$.description', value ->> '$.category', value ->> '$.impact', value ->> '$.due_date', \
           value ->> '$.notes', value ->> '$.metadata' FROM json_each(?1) ORDER BY key",
    )
    .bind(Value::from(batch).to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(crate) async fn link_plan_items(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    links: &[(PlanItemId, MissionId)],
) -> Result<(), StoreError> {
    let batch: Vec<Value> = links
        .iter()
        .map(|(item, mission)| json!({"item": item.to_string(), "mission": mission.to_string()}))
        .collect();
    sqlx::query(&format!(
        "UPDATE climate_plan_items SET mission_id = l.value ->> '$.mission', updated_at = {NOW} \
         FROM json_each(?2) AS l, climate_plans p \
         WHERE climate_plan_items.id = l.value ->> '$.item' AND p.id = climate_plan_items.plan_id \
           AND +p.tenant_id = ?1"
    ))
    .bind(tenant.to_string())
    .bind(Value::from(batch).to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}
