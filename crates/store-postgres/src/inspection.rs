//! Reads no engine path makes, for tests and tools (the journal a task wrote): inherent
//! methods of [`PgStore`], on no store trait. The test kit reaches them through
//! `TestBackend`.

use zora_core::journal::JournalEntry;
use zora_core::{Page, Paginated, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::PgStore;
use crate::error::store_error;
use crate::rows;
use crate::sql::Db;

impl PgStore {
    /// A page of `tenant`'s journal, newest first (`created_at DESC, id ASC`).
    pub async fn journal(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paginated<JournalEntry>, StoreError> {
        self.in_session(async |db| journal(db, tenant, page).await)
            .await
    }
}

async fn journal(
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
