//! Reads no engine path makes, for tests and tools (the journal a task wrote): inherent
//! methods of [`SqliteStore`], on no store trait. The test kit reaches them through
//! `TestBackend`.

use sqlx::SqlitePool;
use zora_core::journal::JournalEntry;
use zora_core::{Page, Paginated, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::SqliteStore;
use crate::error::store_error;
use crate::rows;

impl SqliteStore {
    /// A page of `tenant`'s journal, newest first (`created_at DESC, id ASC`).
    pub async fn journal(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paginated<JournalEntry>, StoreError> {
        journal(self.reader(), tenant, page).await
    }
}

async fn journal(
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
