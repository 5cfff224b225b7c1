//! Journal queries on SQLite.

use serde_json::{Value, json};
use sqlx::SqliteConnection;
use zora_core::StoreError;
use zora_core::journal::NewJournalEntry;

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

#[zora_store_sql::async_trait]
impl zora_core::JournalTx for crate::tx::SqliteTx {
    async fn insert_journal_entries(
        &mut self,
        entries: &[NewJournalEntry],
    ) -> Result<(), StoreError> {
        insert(self.write().await?, entries).await
    }
}
