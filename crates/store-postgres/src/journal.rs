//! Journal queries.

use zora_core::StoreError;
use zora_core::journal::NewJournalEntry;

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
    .bind(entries.iter().map(|e| e.details.clone()).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.author.as_deref()).collect::<Vec<_>>())
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(())
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
