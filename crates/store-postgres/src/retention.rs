//! Retention: one window of a prune (finished tasks old enough, not a parent of an
//! unfinished task), and the database clock.

use chrono::{DateTime, Utc};
use sqlx::Row;
use zora_core::retention::{Prune, PruneBatch};
use zora_core::{StoreError, TaskId};

use crate::error::store_error;
use crate::sql::Db;
use crate::tasks::millis;

/// The window's rows by id; of them, those old and finished enough, each with whether an
/// unfinished task depends on it; the deletion of the others (unless dry), locked rows
/// skipped (a worker resetting a failed one): one statement, one short transaction.
const PRUNE_WINDOW: &str = "\
    WITH seen AS (SELECT id FROM agent_tasks WHERE ($1::uuid IS NULL OR id > $1) \
                  ORDER BY id LIMIT $2), \
    old AS (SELECT t.id, EXISTS (SELECT 1 FROM agent_task_dependencies d \
                JOIN agent_tasks c ON c.id = d.task_id \
                WHERE d.depends_on_task_id = t.id AND c.status IN ('pending', 'in_progress')) AS held \
            FROM agent_tasks t JOIN seen ON seen.id = t.id \
            WHERE t.status::text = ANY($3) \
              AND t.completed_at < now() - $4 * interval '1 millisecond' \
            FOR UPDATE OF t SKIP LOCKED), \
    gone AS (DELETE FROM agent_tasks t USING old \
             WHERE t.id = old.id AND NOT old.held AND NOT $5 RETURNING t.id) \
    SELECT (SELECT count(*) FROM seen) AS seen, \
           (SELECT id FROM seen ORDER BY id DESC LIMIT 1) AS last, \
           (SELECT count(*) FROM gone) AS deleted, \
           (SELECT count(*) FROM old WHERE NOT held) AS eligible, \
           (SELECT count(*) FROM old WHERE held) AS kept";

pub(crate) async fn prune_window(
    db: &mut impl Db,
    prune: &Prune,
    after: Option<TaskId>,
    dry_run: bool,
) -> Result<PruneBatch, StoreError> {
    let row = crate::sql::query(db.keep(), PRUNE_WINDOW)
        .bind(after.map(|id| id.0))
        .bind(i64::from(prune.window.max(1)))
        .bind(prune.status.statuses())
        .bind(millis(prune.older_than))
        .bind(dry_run)
        .fetch_one(db.conn())
        .await
        .map_err(store_error)?;
    let count = |column: &str| -> Result<u64, StoreError> {
        let n: i64 = row.try_get(column).map_err(store_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    };
    let seen = count("seen")?;
    let last: Option<uuid::Uuid> = row.try_get("last").map_err(store_error)?;
    Ok(PruneBatch {
        deleted: if dry_run {
            count("eligible")?
        } else {
            count("deleted")?
        },
        kept_as_parents: count("kept")?,
        next_after: last
            .filter(|_| seen >= u64::from(prune.window.max(1)))
            .map(TaskId),
    })
}

pub(crate) async fn now(db: &mut impl Db) -> Result<DateTime<Utc>, StoreError> {
    crate::sql::query_scalar(db.keep(), "SELECT clock_timestamp()")
        .fetch_one(db.conn())
        .await
        .map_err(store_error)
}
