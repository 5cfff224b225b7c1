//! Row mappers: one function per domain row, from the columns the queries select.
//!
//! Queries select enums as `::text` and numerics as `::float8`, so that every store
//! returns the same Rust values whatever the column's SQL type.

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;
use zora_core::climate::{ClimateProfile, Mission, PlanItem, WeeklyPlan};
use zora_core::command::Command;
use zora_core::journal::JournalEntry;
use zora_core::shop::{Brand, Product, ProductClimateMeta, ShopProject};
use zora_core::{StoreError, Task, TaskErrorRecord, TenantId};

use crate::error::store_error;

/// The task columns, qualified by the alias `t` every task query gives `agent_tasks`.
pub(crate) const TASK_COLUMNS: &str = "t.id, t.tenant_id, t.command_id, t.agent_id, t.task_type, \
    t.status::text AS status, t.priority, t.title, t.description, \
    COALESCE(t.payload, '{}'::jsonb) AS payload, t.result, t.result_summary, t.error_message, \
    t.started_at, t.completed_at, t.created_by_user_id, t.created_at, t.updated_at, t.attempts, \
    t.max_attempts, t.run_at, t.lease_owner, t.lease_expires_at, t.idempotency_key, t.errors, \
    t.cancelled_at, t.requires_approval, t.approved_by_user_id, t.approved_at, \
    t.rejected_by_user_id, t.rejected_at, t.decision_reason";

/// Ids as plain UUIDs, the shape `= ANY($n)` binds.
pub(crate) fn uuids<T: Copy + Into<Uuid>>(ids: &[T]) -> Vec<Uuid> {
    ids.iter().map(|id| (*id).into()).collect()
}

/// Runs `sql`, a read of one tenant's rows by id (`$1` the tenant, `$2` the ids), and maps
/// each row with `map`.
pub(crate) async fn tenant_rows_by_ids<'e, E, I, T>(
    executor: E,
    sql: &'static str,
    tenant: TenantId,
    ids: &[I],
    map: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError>
where
    E: PgExecutor<'e>,
    I: Copy + Into<Uuid>,
{
    let found = sqlx::query(sql)
        .bind(tenant.0)
        .bind(uuids(ids))
        .fetch_all(executor)
        .await
        .map_err(store_error)?;
    all(&found, map)
}

fn id<T: From<Uuid>>(row: &PgRow, column: &str) -> Result<T, sqlx::Error> {
    row.try_get::<Uuid, _>(column).map(T::from)
}

fn opt_id<T: From<Uuid>>(row: &PgRow, column: &str) -> Result<Option<T>, sqlx::Error> {
    Ok(row.try_get::<Option<Uuid>, _>(column)?.map(T::from))
}

fn parse<T: std::str::FromStr>(row: &PgRow, column: &str) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(e),
    })
}

pub(crate) fn task(row: &PgRow) -> Result<Task, StoreError> {
    task_columns(row).map_err(store_error)
}

fn task_columns(row: &PgRow) -> Result<Task, sqlx::Error> {
    let errors: Value = row.try_get("errors")?;
    let errors: Vec<TaskErrorRecord> =
        serde_json::from_value(errors).map_err(|e| sqlx::Error::ColumnDecode {
            index: "errors".into(),
            source: Box::new(e),
        })?;
    Ok(Task {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        command_id: opt_id(row, "command_id")?,
        agent_id: row.try_get("agent_id")?,
        task_type: row.try_get("task_type")?,
        status: parse(row, "status")?,
        priority: row.try_get("priority")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        payload: row.try_get("payload")?,
        result: row.try_get("result")?,
        result_summary: row.try_get("result_summary")?,
        error_message: row.try_get("error_message")?,
        started_at: row.try_get("started_at")?,
        completed_at: row.try_get("completed_at")?,
        created_by_user_id: opt_id(row, "created_by_user_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        run_at: row.try_get("run_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: row.try_get("lease_expires_at")?,
        idempotency_key: row.try_get("idempotency_key")?,
        errors,
        cancelled_at: row.try_get("cancelled_at")?,
        requires_approval: row.try_get("requires_approval")?,
        approved_by_user_id: opt_id(row, "approved_by_user_id")?,
        approved_at: row.try_get("approved_at")?,
        rejected_by_user_id: opt_id(row, "rejected_by_user_id")?,
        rejected_at: row.try_get("rejected_at")?,
        decision_reason: row.try_get("decision_reason")?,
    })
}

/// Maps every row with `f`, turning the first decode failure into a [`StoreError`].
pub(crate) fn all<T>(
    rows: &[PgRow],
    f: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(f)
        .collect::<Result<_, _>>()
        .map_err(store_error)
}

pub(crate) fn profile(row: &PgRow) -> Result<ClimateProfile, sqlx::Error> {
    Ok(ClimateProfile {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        name: row.try_get("name")?,
        profile_type: row.try_get("profile_type")?,
    })
}

pub(crate) fn plan(row: &PgRow) -> Result<WeeklyPlan, sqlx::Error> {
    Ok(WeeklyPlan {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        profile_id: id(row, "profile_id")?,
        plan_type: row.try_get("plan_type")?,
        period_start: row.try_get("period_start")?,
        period_end: row.try_get("period_end")?,
        status: row.try_get("status")?,
    })
}

pub(crate) fn plan_item(row: &PgRow) -> Result<PlanItem, sqlx::Error> {
    Ok(PlanItem {
        id: id(row, "id")?,
        plan_id: id(row, "plan_id")?,
        mission_id: opt_id(row, "mission_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        estimated_impact_kgco2: row.try_get("estimated_impact_kgco2")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn mission(row: &PgRow) -> Result<Mission, sqlx::Error> {
    Ok(Mission {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        profile_id: opt_id(row, "profile_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        status: row.try_get("status")?,
        estimated_impact_kgco2: row.try_get("estimated_impact_kgco2")?,
        due_date: row.try_get("due_date")?,
        notes: row.try_get("notes")?,
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn brand(row: &PgRow) -> Result<Brand, sqlx::Error> {
    Ok(Brand {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        name: row.try_get("name")?,
        slug: row.try_get("slug")?,
    })
}

pub(crate) fn product(row: &PgRow) -> Result<Product, sqlx::Error> {
    Ok(Product {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        name: row.try_get("name")?,
        slug: row.try_get("slug")?,
        brand_id: opt_id(row, "brand_id")?,
    })
}

pub(crate) fn climate_meta(row: &PgRow) -> Result<ProductClimateMeta, sqlx::Error> {
    Ok(ProductClimateMeta {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        product_id: id(row, "product_id")?,
        climate_label: row.try_get("climate_label")?,
        estimated_impact_kgco2: row.try_get("estimated_impact_kgco2")?,
        certifications: row.try_get("certifications")?,
        notes: row.try_get("notes")?,
    })
}

pub(crate) fn shop_project(row: &PgRow) -> Result<ShopProject, sqlx::Error> {
    Ok(ShopProject {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: row.try_get("status")?,
        primary_brand_id: id(row, "primary_brand_id")?,
        secondary_brand_id: opt_id(row, "secondary_brand_id")?,
        theme: row.try_get("theme")?,
        target_launch_date: row.try_get("target_launch_date")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn journal_entry(row: &PgRow) -> Result<JournalEntry, sqlx::Error> {
    Ok(JournalEntry {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        category: row.try_get("category")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        details: row
            .try_get::<Option<Value>, _>("details")?
            .unwrap_or_else(|| Value::Object(Default::default())),
        author: row.try_get("author")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn command(row: &PgRow) -> Result<Command, sqlx::Error> {
    Ok(Command {
        id: id(row, "id")?,
        tenant_id: id(row, "tenant_id")?,
        created_by_user_id: opt_id(row, "created_by_user_id")?,
        raw_prompt: row.try_get("raw_prompt")?,
        target_agents: row.try_get("target_agents")?,
        status: parse(row, "status")?,
        parsed_summary: row.try_get("parsed_summary")?,
        tasks_created_count: row.try_get("tasks_created_count")?,
        error_message: row.try_get("error_message")?,
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
