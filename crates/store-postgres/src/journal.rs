//! Journal queries.

use zora_core::journal::{JournalEntry, NewJournalEntry};
use zora_core::{Page, Paginated, StoreError, TenantId};

use crate::error::store_error;
use zora_store_sql::mappers;

use crate::rows;
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

pub(crate) async fn list(
    db: &mut impl Db,
    tenant: TenantId,
    page: Page,
) -> Result<Paginated<JournalEntry>, StoreError> {
    let found = crate::sql::query(
        db.keep(),
        "SELECT id, tenant_id, category::text AS category, title, body, details, author, created_at \
         FROM journal_entries WHERE tenant_id = $1 ORDER BY created_at DESC, id ASC LIMIT $2 OFFSET $3",
    )
    .bind(tenant.0)
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(db.conn())
    .await
    .map_err(store_error)?;
    let total: i64 = crate::sql::query_scalar(
        db.keep(),
        "SELECT count(*) FROM journal_entries WHERE tenant_id = $1",
    )
    .bind(tenant.0)
    .fetch_one(db.conn())
    .await
    .map_err(store_error)?;
    Ok(Paginated {
        items: rows::all(&found, mappers::journal_entry)?,
        page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}
