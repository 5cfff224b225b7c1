//! Registering an external type: its name free of the engine's own types, its schemas
//! valid, its limits sane; then stored for its scope (a tenant, or every tenant). The
//! same definition registered again writes nothing.

use thiserror::Error;
use zora_core::external::{ExternalType, ExternalTypeDefinition, NewExternalType, PushTarget};
use zora_core::{Store, StoreError, TenantId};

use crate::external::schema::Schema;
use crate::registry::Registry;

/// The longest default lease of a type, in seconds (a day).
pub const MAX_TIMEOUT_S: i32 = 86_400;
/// The most attempts a type may give its tasks.
pub const MAX_ATTEMPTS: i32 = 100;
/// The longest a push may wait for its answer, in seconds.
pub const MAX_PUSH_TIMEOUT_S: i32 = 300;
/// The shortest and longest push secret.
pub const PUSH_SECRET_LENGTH: std::ops::RangeInclusive<usize> = 16..=256;

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
    if let Some(push) = &definition.push {
        check_push(push)?;
    }
    Ok(())
}

/// A push target: an `https` URL, or `http` to a loopback address (development); an
/// answer bound of 1 to 300 s; a secret of 16 to 256 characters.
fn check_push(push: &PushTarget) -> Result<(), RegisterError> {
    let url = reqwest::Url::parse(&push.url)
        .map_err(|err| invalid("push.url", format!("push.url is not a URL: {err}")))?;
    let loopback = match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    if !(url.scheme() == "https" || url.scheme() == "http" && loopback) {
        return Err(invalid(
            "push.url",
            "push.url must be https, or http to a loopback address (127.0.0.1, ::1, \
             localhost) for development",
        ));
    }
    if !(1..=MAX_PUSH_TIMEOUT_S).contains(&push.timeout_s) {
        return Err(invalid(
            "push.timeout_s",
            format!("push.timeout_s must be 1 to {MAX_PUSH_TIMEOUT_S} seconds"),
        ));
    }
    if !PUSH_SECRET_LENGTH.contains(&push.secret.chars().count()) {
        return Err(invalid(
            "push.secret",
            format!(
                "push.secret must be {} to {} characters",
                PUSH_SECRET_LENGTH.start(),
                PUSH_SECRET_LENGTH.end()
            ),
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
