//! Registering an external type: its name free of the engine's own types, its schemas
//! valid, its limits sane; then stored for its scope (a tenant, or every tenant). The
//! same definition registered again writes nothing.

use thiserror::Error;
use zora_core::external::{ExternalType, ExternalTypeDefinition, NewExternalType};
use zora_core::{Store, StoreError, TenantId};

use crate::external::schema::Schema;
use crate::registry::Registry;

/// The longest default lease of a type, in seconds (a day).
pub const MAX_TIMEOUT_S: i32 = 86_400;
/// The most attempts a type may give its tasks.
pub const MAX_ATTEMPTS: i32 = 100;

/// Why a registration was refused: a field at fault, or the store. Nothing was written.
#[derive(Debug, Error)]
pub enum RegisterError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, message: impl Into<String>) -> RegisterError {
    RegisterError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks a definition of `task_type` against the engine's types and the limits; its
/// schemas must compile.
pub fn check_definition(
    registry: &Registry,
    task_type: &str,
    definition: &ExternalTypeDefinition,
) -> Result<(), RegisterError> {
    if registry.get(task_type).is_some() {
        return Err(invalid(
            "task_type",
            format!("Task type {task_type} is built into the engine"),
        ));
    }
    Schema::compile(&definition.payload_schema)
        .map_err(|why| invalid("payload_schema", format!("payload_schema {why}")))?;
    if let Some(schema) = &definition.result_schema {
        Schema::compile(schema)
            .map_err(|why| invalid("result_schema", format!("result_schema {why}")))?;
    }
    if !(1..=MAX_TIMEOUT_S).contains(&definition.timeout_s) {
        return Err(invalid(
            "timeout_s",
            format!("timeout_s must be 1 to {MAX_TIMEOUT_S} seconds"),
        ));
    }
    if definition
        .max_attempts
        .is_some_and(|n| !(1..=MAX_ATTEMPTS).contains(&n))
    {
        return Err(invalid(
            "max_attempts",
            format!("max_attempts must be 1 to {MAX_ATTEMPTS}"),
        ));
    }
    Ok(())
}

/// Registers `new` (see the module documentation) and returns it as stored.
pub async fn register_type(
    store: &dyn Store,
    registry: &Registry,
    new: &NewExternalType,
) -> Result<ExternalType, RegisterError> {
    check_definition(registry, &new.task_type, &new.definition)?;
    if let Some(same) = registered_in(store, new.tenant_id, &new.task_type)
        .await?
        .filter(|t| t.definition == new.definition)
    {
        return Ok(same);
    }
    Ok(store.register_external_type(new).await?)
}

/// The registration of `task_type` in exactly `scope` (not one it inherits).
pub async fn registered_in(
    store: &dyn Store,
    scope: Option<TenantId>,
    task_type: &str,
) -> Result<Option<ExternalType>, StoreError> {
    Ok(store
        .external_types(scope)
        .await?
        .into_iter()
        .find(|t| t.task_type == task_type && t.tenant_id == scope))
}

/// The type `task_type` as `tenant`'s tasks see it: the tenant's own registration, else
/// every tenant's.
pub async fn external_type(
    store: &dyn Store,
    tenant: TenantId,
    task_type: &str,
) -> Result<Option<ExternalType>, StoreError> {
    Ok(store
        .external_types(Some(tenant))
        .await?
        .into_iter()
        .find(|t| t.task_type == task_type))
}
