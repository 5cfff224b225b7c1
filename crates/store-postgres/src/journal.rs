//! Journal queries.

use zora_core::journal::{JournalEntry, NewJournalEntry};
use zora_core::{StoreError, Task};
use zora_store_sql::mappers;

use crate::error::store_error;

use crate::sql::Db;

pub(crate) async fn insert(
    db: &mut impl Db,
    entries: &[NewJournalEntry],
) -> Result<(), StoreError> {
    crate::sql::query(
        db.keep(),
        "INSERT INTO journal_entries (id, tenant_id, category, title, body, details, author) \
         SELECT e.id, e.tenant_id, e.category::journal_category, e.title, e.body, e.details, e.author \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[]) \
           AS e(id, tenant_id, category, title, body, details, author)",
    )
    .bind(entries.iter().map(|e| e.id.0).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.tenant_id.0).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.category.as_str()).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.title.as_str()).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.body.as_deref()).collect::<Vec<_>>())
    .bind(
        entries
            .iter()
            .map(|e| e.details_as_written().into_owned())
            .collect::<Vec<_>>(),
    )
    .bind(entries.iter().map(|e| e.author.as_deref()).collect::<Vec<_>>())
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
}

/// The entries about `task`, oldest first (see [`zora_core::Queue::task_journal`]): the
/// tenant's entries in the task's lifetime, by `idx_journal_entries_tenant_created`.
pub(crate) async fn of_task(
    db: &mut impl Db,
    task: &Task,
) -> Result<Vec<JournalEntry>, StoreError> {
    let until = task
        .completed_at
        .map(|at| at + chrono::Duration::minutes(1));
    let found = crate::sql::query(
        db.keep(),
        "SELECT id, tenant_id, category::text AS category, title, body, details, author, created_at \
         FROM journal_entries WHERE tenant_id = $1 AND created_at >= $3 \
           AND ($4::timestamptz IS NULL OR created_at <= $4) AND details->>'task_id' = $2 \
         ORDER BY created_at ASC, id ASC LIMIT 200",
    )
    .bind(task.tenant_id.0)
    .bind(task.id.to_string())
    .bind(task.created_at - chrono::Duration::seconds(1))
    .bind(until)
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    crate::rows::all(&found, mappers::journal_entry)
}

#[zora_store_sql::async_trait]
impl zora_core::JournalTx for crate::tx::PgTx {
    async fn insert_journal_entries(
        &mut self,
        entries: &[NewJournalEntry],
    ) -> Result<(), StoreError> {
        insert(self.write().await?, entries).await
    }
}
