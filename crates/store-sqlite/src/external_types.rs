//! External types' queries on SQLite: as on PostgreSQL, the scope's upsert on the unique
//! index over (COALESCE(tenant_id, ''), task_type), JSON schemas as text.

use sqlx::{SqliteExecutor, SqlitePool};
use zora_core::external::{ExternalType, NewExternalType};
use zora_core::{StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::all;
use crate::values::NOW;

const COLUMNS: &str = "tenant_id, task_type, agent_id, description, payload_schema, \
    result_schema, timeout_s, max_attempts, push_url, push_timeout_s, push_secret, registered_by, \
    created_at, updated_at";

pub(crate) async fn register(
    writer: impl SqliteExecutor<'_>,
    new: &NewExternalType,
) -> Result<ExternalType, StoreError> {
    let sql = format!(
        "INSERT INTO agent_task_types (id, tenant_id, task_type, agent_id, description, \
           payload_schema, result_schema, timeout_s, max_attempts, registered_by, push_url, \
           push_timeout_s, push_secret) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (COALESCE(tenant_id, ''), task_type) DO UPDATE SET \
           agent_id = excluded.agent_id, description = excluded.description, \
           payload_schema = excluded.payload_schema, result_schema = excluded.result_schema, \
           timeout_s = excluded.timeout_s, max_attempts = excluded.max_attempts, \
           registered_by = excluded.registered_by, push_url = excluded.push_url, \
           push_timeout_s = excluded.push_timeout_s, push_secret = excluded.push_secret, \
           updated_at = {NOW} \
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(new.tenant_id.map(|t| t.to_string()))
        .bind(&new.task_type)
        .bind(&new.definition.agent_id)
        .bind(&new.definition.description)
        .bind(new.definition.payload_schema.to_string())
        .bind(
            new.definition
                .result_schema
                .as_ref()
                .map(ToString::to_string),
        )
        .bind(new.definition.timeout_s)
        .bind(new.definition.max_attempts)
        .bind(new.registered_by.map(|u| u.to_string()))
        .bind(new.definition.push.as_ref().map(|p| p.url.clone()))
        .bind(new.definition.push.as_ref().map(|p| p.timeout_s))
        .bind(new.definition.push.as_ref().map(|p| p.secret.clone()))
        .fetch_one(writer)
        .await
        .map_err(store_error)?;
    mappers::external_type(&row).map_err(store_error)
}

/// A tenant's own registration of a name first, then every tenant's; the first of each
/// name is kept.
pub(crate) async fn list(
    reader: &SqlitePool,
    tenant: Option<TenantId>,
) -> Result<Vec<ExternalType>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM agent_task_types WHERE tenant_id IS NULL OR tenant_id = ?1 \
         ORDER BY task_type, tenant_id IS NULL"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant.map(|t| t.to_string()))
        .fetch_all(reader)
        .await
        .map_err(store_error)?;
    let mut types = all(&rows, mappers::external_type)?;
    types.dedup_by(|later, first| later.task_type == first.task_type);
    Ok(types)
}

pub(crate) async fn push_types(reader: &SqlitePool) -> Result<Vec<ExternalType>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM agent_task_types WHERE push_url IS NOT NULL");
    let rows = sqlx::query(&sql)
        .fetch_all(reader)
        .await
        .map_err(store_error)?;
    all(&rows, mappers::external_type)
}

pub(crate) async fn unregister(
    writer: impl SqliteExecutor<'_>,
    tenant: Option<TenantId>,
    task_type: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM agent_task_types WHERE tenant_id IS ?1 AND task_type = ?2")
        .bind(tenant.map(|t| t.to_string()))
        .bind(task_type)
        .execute(writer)
        .await
        .map_err(store_error)?;
    Ok(done.rows_affected() > 0)
}

/// Reads go to the reader pool, writes to the writer.
#[zora_store_sql::async_trait]
impl zora_core::ExternalTypeStore for crate::SqliteStore {
    async fn register_external_type(
        &self,
        new: &NewExternalType,
    ) -> Result<ExternalType, StoreError> {
        register(self.writer(), new).await
    }
    async fn external_types(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<ExternalType>, StoreError> {
        list(self.reader(), tenant).await
    }
    async fn push_types(&self) -> Result<Vec<ExternalType>, StoreError> {
        push_types(self.reader()).await
    }

    async fn unregister_external_type(
        &self,
        tenant: Option<TenantId>,
        task_type: &str,
    ) -> Result<bool, StoreError> {
        unregister(self.writer(), tenant, task_type).await
    }
}
