//! What a tenant did over a window, as EIVOR's summary reports it: the queue's part (tasks
//! and journal entries, [`zora_core::InsightTx::task_activity`]) and the domain's
//! (missions, shop projects, climate metadata), read here in one statement per backend.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use zora_core::insight::count;
use zora_core::{ReadTx, StoreError, TenantId};
use zora_store_sql::postgres::{self as pg, Db};
use zora_store_sql::{Sql, sqlite};

/// What a tenant did between two instants: rows created (tasks, missions, shop projects,
/// journal entries), missions completed and climate metadata written in the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActivityCounts {
    /// Tasks created in the window, by their status now.
    pub tasks_by_status: BTreeMap<String, u64>,
    /// Tasks created in the window, by type.
    pub tasks_by_type: BTreeMap<String, u64>,
    pub missions_created: u64,
    /// Missions whose `completed_at` falls in the window.
    pub missions_completed: u64,
    /// The estimated impact of the missions created in the window, kg CO2.
    pub missions_impact_kgco2: f64,
    pub shop_projects_created: u64,
    /// Climate metadata rows written (`updated_at`) in the window.
    pub climate_meta_updated: u64,
    /// Journal entries written in the window, by category.
    pub journal_by_category: BTreeMap<String, u64>,
}

/// `tenant`'s activity between `from` and `to`.
pub async fn activity_counts(
    tx: &mut dyn ReadTx,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ActivityCounts, StoreError> {
    let queue = tx.task_activity(tenant, from, to).await?;
    let domain = match Sql::open(tx.reader())? {
        Sql::Postgres(mut db) => postgres(&mut db, tenant, from, to).await?,
        Sql::Sqlite(conn) => sqlite(conn, tenant, from, to).await?,
    };
    Ok(ActivityCounts {
        tasks_by_status: queue.tasks_by_status,
        tasks_by_type: queue.tasks_by_type,
        journal_by_category: queue.journal_by_category,
        ..domain
    })
}

/// The domain's counts, each a sub-select of one statement: `(missions_created,
/// missions_completed, impact, projects, climate_meta)`.
async fn postgres(
    db: &mut impl Db,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ActivityCounts, StoreError> {
    let row = pg::query(
        db.keep(),
        "SELECT \
           (SELECT count(*) FROM climate_missions WHERE tenant_id = $1 \
             AND created_at >= $2 AND created_at <= $3) AS missions_created, \
           (SELECT count(*) FROM climate_missions WHERE tenant_id = $1 \
             AND completed_at >= $2 AND completed_at <= $3) AS missions_completed, \
           (SELECT COALESCE(sum(estimated_impact_kgco2), 0)::float8 FROM climate_missions \
             WHERE tenant_id = $1 AND created_at >= $2 AND created_at <= $3) AS impact, \
           (SELECT count(*) FROM zora_shop_projects WHERE tenant_id = $1 \
             AND created_at >= $2 AND created_at <= $3) AS projects, \
           (SELECT count(*) FROM product_climate_meta WHERE tenant_id = $1 \
             AND updated_at >= $2 AND updated_at <= $3) AS climate_meta",
    )
    .bind(tenant.0)
    .bind(from)
    .bind(to)
    .fetch_one(db.conn())
    .await
    .map_err(pg::store_error)?;
    read(&row, pg::store_error)
}

async fn sqlite(
    conn: &mut sqlx::SqliteConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ActivityCounts, StoreError> {
    let row = sqlx::query(
        "SELECT \
           (SELECT count(*) FROM climate_missions WHERE tenant_id = ?1 \
             AND created_at >= ?2 AND created_at <= ?3) AS missions_created, \
           (SELECT count(*) FROM climate_missions WHERE tenant_id = ?1 \
             AND completed_at >= ?2 AND completed_at <= ?3) AS missions_completed, \
           (SELECT COALESCE(sum(estimated_impact_kgco2), 0.0) FROM climate_missions \
             WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at <= ?3) AS impact, \
           (SELECT count(*) FROM zora_shop_projects WHERE tenant_id = ?1 \
             AND created_at >= ?2 AND created_at <= ?3) AS projects, \
           (SELECT count(*) FROM product_climate_meta WHERE tenant_id = ?1 \
             AND updated_at >= ?2 AND updated_at <= ?3) AS climate_meta",
    )
    .bind(tenant.to_string())
    .bind(sqlite::timestamp_text(from))
    .bind(sqlite::timestamp_text(to))
    .fetch_one(conn)
    .await
    .map_err(sqlite::store_error)?;
    read(&row, sqlite::store_error)
}

/// The counts of either backend's row.
fn read<R: Row>(
    row: &R,
    classify: fn(sqlx::Error) -> StoreError,
) -> Result<ActivityCounts, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let get = |column: &str| row.try_get::<i64, _>(column).map(count).map_err(classify);
    Ok(ActivityCounts {
        missions_created: get("missions_created")?,
        missions_completed: get("missions_completed")?,
        missions_impact_kgco2: row.try_get("impact").map_err(classify)?,
        shop_projects_created: get("projects")?,
        climate_meta_updated: get("climate_meta")?,
        ..ActivityCounts::default()
    })
}
