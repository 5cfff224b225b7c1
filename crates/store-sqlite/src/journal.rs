//! Journal queries on SQLite.

use serde_json::{Value, json};
use sqlx::SqliteConnection;
use sqlx::SqlitePool;
use zora_core::journal::{JournalEntry, NewJournalEntry};
use zora_core::{StoreError, Task};
use zora_store_sql::mappers;

use crate::error::store_error;

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    entries: &[NewJournalEntry],
) -> Result<(), StoreError> {
    let batch: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id.to_string(),
                "tenant_id": e.tenant_id.to_string(),
                "category": e.category.as_str(),
                "title": e.title,
                "body": e.body,
                "details": e.details_as_written().to_string(),
                "author": e.author,
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO journal_entries (id, tenant_id, category, title, body, details, author) \
         SELECT value ->> '$.id', value ->> '$.tenant_id', value ->> '$.category', value ->> '$.title', \
           value ->> '$.body', value ->> '$.details', value ->> '$.author' FROM json_each(?1) ORDER BY key",
    )
    .bind(Value::from(batch).to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

#[zora_store_sql::async_trait]
impl zora_core::JournalTx for crate::tx::SqliteTx {
    async fn insert_journal_entries(
        &mut self,
        entries: &[NewJournalEntry],
    ) -> Result<(), StoreError> {
        insert(self.write().await?, entries).await
    }
}

/// The entries about `task`, oldest first (see [`zora_core::Queue::task_journal`]): the
/// tenant's entries in the task's lifetime.
pub(crate) async fn of_task(
    pool: &SqlitePool,
    task: &Task,
) -> Result<Vec<JournalEntry>, StoreError> {
    let until = task
        .completed_at
        .map(|at| crate::values::timestamp(at + chrono::Duration::minutes(1)));
    let found = sqlx::query(
        "SELECT id, tenant_id, category, title, body, details, author, created_at \
         FROM journal_entries WHERE tenant_id = ?1 AND created_at >= ?3 \
           AND (?4 IS NULL OR created_at <= ?4) AND json_extract(details, '$.task_id') = ?2 \
         ORDER BY created_at ASC, id ASC LIMIT 200",
    )
    .bind(task.tenant_id.to_string())
    .bind(task.id.to_string())
    .bind(crate::values::timestamp(
        task.created_at - chrono::Duration::seconds(1),
    ))
    .bind(until)
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    crate::rows::all(&found, mappers::journal_entry)
}
