//! Agent command queries.

use zora_core::command::{Command, CommandStatus, CommandUpdate, NewCommand};
use zora_core::{CommandId, Page, Paginated, StoreError, TenantId};

use crate::error::store_error;
use zora_store_sql::mappers;

use crate::rows;
use crate::sql::Db;

const COMMAND_COLUMNS: &str = "id, tenant_id, created_by_user_id, raw_prompt, target_agents, \
    status::text AS status, parsed_summary, COALESCE(tasks_created_count, 0) AS tasks_created_count, \
    error_message, COALESCE(metadata, '{}'::jsonb) AS metadata, created_at, updated_at";

pub(crate) async fn insert(db: &mut impl Db, command: &NewCommand) -> Result<Command, StoreError> {
    let sql = format!(
        "INSERT INTO agent_commands (id, tenant_id, created_by_user_id, raw_prompt, target_agents) \
         VALUES ($1, $2, (SELECT u.id FROM users u WHERE u.id = $3), $4, $5) \
         RETURNING {COMMAND_COLUMNS}"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(command.id.0)
        .bind(command.tenant_id.0)
        .bind(command.created_by_user_id.map(|u| u.0))
        .bind(&command.raw_prompt)
        .bind(&command.target_agents)
        .fetch_one(db.conn())
        .await
        .map_err(store_error)?;
    mappers::command(&row).map_err(store_error)
}

pub(crate) async fn update(
    db: &mut impl Db,
    tenant: TenantId,
    id: CommandId,
    update: &CommandUpdate,
) -> Result<bool, StoreError> {
    let done = crate::sql::query(
        db.keep(),
        "UPDATE agent_commands SET status = $3::agent_command_status, parsed_summary = $4, \
           tasks_created_count = $5, error_message = $6, metadata = $7 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(update.status.as_str())
    .bind(&update.parsed_summary)
    .bind(update.tasks_created_count)
    .bind(&update.error_message)
    .bind(&update.metadata)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn get(
    db: &mut impl Db,
    tenant: TenantId,
    id: CommandId,
) -> Result<Option<Command>, StoreError> {
    let sql =
        format!("SELECT {COMMAND_COLUMNS} FROM agent_commands WHERE tenant_id = $1 AND id = $2");
    let row = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(db.conn())
        .await
        .map_err(store_error)?;
    row.as_ref()
        .map(mappers::command)
        .transpose()
        .map_err(store_error)
}

pub(crate) async fn list(
    db: &mut impl Db,
    tenant: TenantId,
    status: Option<CommandStatus>,
    page: Page,
) -> Result<Paginated<Command>, StoreError> {
    let status = status.map(CommandStatus::as_str);
    let sql = format!(
        "SELECT {COMMAND_COLUMNS} FROM agent_commands \
         WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2::agent_command_status) \
         ORDER BY created_at DESC, id ASC LIMIT $3 OFFSET $4"
    );
    let found = crate::sql::query(db.keep(), &sql)
        .bind(tenant.0)
        .bind(status)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    let total: i64 = crate::sql::query_scalar(
        db.keep(),
        "SELECT count(*) FROM agent_commands \
         WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2::agent_command_status)",
    )
    .bind(tenant.0)
    .bind(status)
    .fetch_one(db.conn())
    .await
    .map_err(store_error)?;
    Ok(Paginated {
        items: rows::all(&found, mappers::command)?,
        page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

#[zora_store_sql::async_trait]
impl zora_core::CommandTx for crate::tx::PgTx {
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

#[zora_store_sql::async_trait]
impl zora_core::CommandStore for crate::PgStore {
    async fn get_command(
        &self,
        tenant: TenantId,
        id: CommandId,
    ) -> Result<Option<Command>, StoreError> {
        self.in_session(async |db| get(db, tenant, id).await).await
    }
    async fn list_commands(
        &self,
        tenant: TenantId,
        status: Option<CommandStatus>,
        page: Page,
    ) -> Result<Paginated<Command>, StoreError> {
        self.in_session(async |db| list(db, tenant, status, page).await)
            .await
    }
}
