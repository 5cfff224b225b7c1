//! External types' queries: a registration upserted per scope (a tenant, or every
//! tenant), the types a tenant may use (its own and every tenant's, its own first), and
//! an unregistration.

use zora_core::external::{ExternalType, NewExternalType};
use zora_core::{StoreError, TenantId};
use zora_store_sql::mappers;

use crate::error::store_error;
use crate::rows::all;
use crate::sql::Db;

const COLUMNS: &str = "tenant_id, task_type, agent_id, description, payload_schema, \
    result_schema, timeout_s, max_attempts, push_url, push_timeout_s, push_secret, registered_by, \
    created_at, updated_at";

/// The scope key of the unique index: a tenant, or the nil uuid for every tenant.
const SCOPE: &str = "COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)";

pub(crate) async fn register(
    db: &mut impl Db,
    new: &NewExternalType,
) -> Result<ExternalType, StoreError> {
    let sql = format!(
        "INSERT INTO agent_task_types AS t (id, tenant_id, task_type, agent_id, description, \
           payload_schema, result_schema, timeout_s, max_attempts, registered_by, push_url, \
           push_timeout_s, push_secret) \
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (({SCOPE}), task_type) DO UPDATE SET agent_id = EXCLUDED.agent_id, \
           description = EXCLUDED.description, payload_schema = EXCLUDED.payload_schema, \
           result_schema = EXCLUDED.result_schema, timeout_s = EXCLUDED.timeout_s, \
           max_attempts = EXCLUDED.max_attempts, registered_by = EXCLUDED.registered_by, \
           push_url = EXCLUDED.push_url, push_timeout_s = EXCLUDED.push_timeout_s, \
           push_secret = EXCLUDED.push_secret, \
           updated_at = now() \
         RETURNING {COLUMNS}"
    );
    let row = crate::sql::query(db.keep(), &sql)
        .bind(new.tenant_id.map(|t| t.0))
        .bind(&new.task_type)
        .bind(&new.definition.agent_id)
        .bind(&new.definition.description)
        .bind(&new.definition.payload_schema)
        .bind(&new.definition.result_schema)
        .bind(new.definition.timeout_s)
        .bind(new.definition.max_attempts)
        .bind(new.registered_by.map(|u| u.0))
        .bind(new.definition.push.as_ref().map(|p| p.url.clone()))
        .bind(new.definition.push.as_ref().map(|p| p.timeout_s))
        .bind(new.definition.push.as_ref().map(|p| p.secret.clone()))
        .fetch_one(db.conn())
        .await
        .map_err(store_error)?;
    mappers::external_type(&row).map_err(store_error)
}

pub(crate) async fn list(
    db: &mut impl Db,
    tenant: Option<TenantId>,
) -> Result<Vec<ExternalType>, StoreError> {
    let sql = format!(
        "SELECT DISTINCT ON (task_type) {COLUMNS} FROM agent_task_types \
         WHERE tenant_id IS NULL OR tenant_id = $1 \
         ORDER BY task_type, tenant_id NULLS LAST"
    );
    let rows = crate::sql::query(db.keep(), &sql)
        .bind(tenant.map(|t| t.0))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    all(&rows, mappers::external_type)
}

pub(crate) async fn push_types(db: &mut impl Db) -> Result<Vec<ExternalType>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM agent_task_types WHERE push_url IS NOT NULL");
    let rows = crate::sql::query(db.keep(), &sql)
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    all(&rows, mappers::external_type)
}

pub(crate) async fn unregister(
    db: &mut impl Db,
    tenant: Option<TenantId>,
    task_type: &str,
) -> Result<bool, StoreError> {
    let done = crate::sql::query(
        db.keep(),
        "DELETE FROM agent_task_types WHERE tenant_id IS NOT DISTINCT FROM $1 AND task_type = $2",
    )
    .bind(tenant.map(|t| t.0))
    .bind(task_type)
    .execute(db.conn())
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() > 0)
}

#[zora_store_sql::async_trait]
impl zora_core::ExternalTypeStore for crate::PgStore {
    async fn register_external_type(
        &self,
        new: &NewExternalType,
    ) -> Result<ExternalType, StoreError> {
        self.in_session(async |db| register(db, new).await).await
    }
    async fn external_types(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<ExternalType>, StoreError> {
        self.in_session(async |db| list(db, tenant).await).await
    }
    async fn push_types(&self) -> Result<Vec<ExternalType>, StoreError> {
        self.in_session(async |db| push_types(db).await).await
    }

    async fn unregister_external_type(
        &self,
        tenant: Option<TenantId>,
        task_type: &str,
    ) -> Result<bool, StoreError> {
        self.in_session(async |db| unregister(db, tenant, task_type).await)
            .await
    }
}
