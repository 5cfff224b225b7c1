//! Journal queries on SQLite.

use serde_json::{Value, json};
use sqlx::{SqliteConnection, SqlitePool};
use zora_core::journal::{JournalEntry, NewJournalEntry};
use zora_core::{Page, Paginated, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows;

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
                "details": e.details.to_string(),
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

pub(crate) async fn list(
    pool: &SqlitePool,
    tenant: TenantId,
    page: Page,
) -> Result<Paginated<JournalEntry>, StoreError> {
    let found = sqlx::query(
        "SELECT id, tenant_id, category, title, body, details, author, created_at \
         FROM journal_entries WHERE tenant_id = ?1 ORDER BY created_at DESC, id ASC LIMIT ?2 OFFSET ?3",
    )
    .bind(tenant.to_string())
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM journal_entries WHERE tenant_id = ?1")
            .bind(tenant.to_string())
            .fetch_one(pool)
            .await
            .map_err(store_error)?;
    Ok(Paginated {
        items: rows::all(&found, mappers::journal_entry)?,
        page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}
