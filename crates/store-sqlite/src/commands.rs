//! Agent command queries on SQLite.

use serde_json::Value;
use sqlx::{SqliteConnection, SqlitePool};
use zora_core::command::{Command, CommandStatus, CommandUpdate, NewCommand};
use zora_core::{CommandId, Page, Paginated, StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows;
use crate::values::NOW;

const COMMAND_COLUMNS: &str = "id, tenant_id, created_by_user_id, raw_prompt, target_agents, status, \
    parsed_summary, COALESCE(tasks_created_count, 0) AS tasks_created_count, error_message, \
    COALESCE(metadata, '{}') AS metadata, created_at, updated_at";

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    command: &NewCommand,
) -> Result<Command, StoreError> {
    let sql = format!(
        "INSERT INTO agent_commands (id, tenant_id, created_by_user_id, raw_prompt, target_agents) \
         VALUES (?1, ?2, (SELECT u.id FROM users u WHERE u.id = ?3), ?4, ?5) \
         RETURNING {COMMAND_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(command.id.to_string())
        .bind(command.tenant_id.to_string())
        .bind(command.created_by_user_id.map(|u| u.to_string()))
        .bind(&command.raw_prompt)
        .bind(
            command
                .target_agents
                .as_ref()
                .map(|agents| Value::from(agents.clone()).to_string()),
        )
        .fetch_one(conn)
        .await
        .map_err(store_error)?;
    mappers::command(&row).map_err(store_error)
}

pub(crate) async fn update(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: CommandId,
    update: &CommandUpdate,
) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "UPDATE agent_commands SET status = ?3, parsed_summary = ?4, tasks_created_count = ?5, \
           error_message = ?6, metadata = ?7, updated_at = {NOW} \
         WHERE tenant_id = ?1 AND id = ?2"
    ))
    .bind(tenant.to_string())
    .bind(id.to_string())
    .bind(update.status.as_str())
    .bind(&update.parsed_summary)
    .bind(update.tasks_created_count)
    .bind(&update.error_message)
    .bind(update.metadata.to_string())
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn get(
    pool: &SqlitePool,
    tenant: TenantId,
    id: CommandId,
) -> Result<Option<Command>, StoreError> {
    let sql =
        format!("SELECT {COMMAND_COLUMNS} FROM agent_commands WHERE tenant_id = ?1 AND id = ?2");
    let row = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    row.as_ref()
        .map(mappers::command)
        .transpose()
        .map_err(store_error)
}

pub(crate) async fn list(
    pool: &SqlitePool,
    tenant: TenantId,
    status: Option<CommandStatus>,
    page: Page,
) -> Result<Paginated<Command>, StoreError> {
    let status = status.map(CommandStatus::as_str);
    let sql = format!(
        "SELECT {COMMAND_COLUMNS} FROM agent_commands WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2) \
         ORDER BY created_at DESC, id ASC LIMIT ?3 OFFSET ?4"
    );
    let found = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(status)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM agent_commands WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2)",
    )
    .bind(tenant.to_string())
    .bind(status)
    .fetch_one(pool)
    .await
    .map_err(store_error)?;
    Ok(Paginated {
        items: rows::all(&found, mappers::command)?,
        page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

#[zora_store_sql::async_trait]
impl zora_core::CommandTx for crate::tx::SqliteTx {
    async fn insert_command(&mut self, command: &NewCommand) -> Result<Command, StoreError> {
        insert(self.write().await?, command).await
    }
    async fn update_command(
        &mut self,
        tenant: TenantId,
        id: CommandId,
        update: &CommandUpdate,
    ) -> Result<bool, StoreError> {
        self::update(self.write().await?, tenant, id, update).await
    }
}

/// Reads go to the reader pool.
#[zora_store_sql::async_trait]
impl zora_core::CommandStore for crate::SqliteStore {
    async fn get_command(
        &self,
        tenant: TenantId,
        id: CommandId,
    ) -> Result<Option<Command>, StoreError> {
        get(self.reader(), tenant, id).await
    }
    async fn list_commands(
        &self,
        tenant: TenantId,
        status: Option<CommandStatus>,
        page: Page,
    ) -> Result<Paginated<Command>, StoreError> {
        list(self.reader(), tenant, status, page).await
    }
}
