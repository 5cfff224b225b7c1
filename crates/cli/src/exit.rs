//! Exit codes and the one-line error report: 0 success, 1 the operation ran and failed,
//! 2 usage or configuration error.

use std::process::ExitCode;

use thiserror::Error;
use zora_core::StoreError;
use zora_store_postgres::PgError;

/// Why a command did not succeed, and so which exit code it ends with.
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad configuration, an unreachable or unmigrated database: exit 2.
    #[error("{0}")]
    Config(String),
    /// The operation ran and failed, or was refused: exit 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    fn code(&self) -> u8 {
        match self {
            Self::Config(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

impl From<PgError> for CliError {
    fn from(err: PgError) -> Self {
        match err {
            PgError::Store(inner) => inner.into(),
            PgError::Migration(_) => Self::Failed(err.to_string()),
            PgError::InvalidUrl(_) | PgError::Connect { .. } => Self::Config(err.to_string()),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) | StoreError::Schema(_) => Self::Config(err.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<zora_engine::CreateError> for CliError {
    fn from(err: zora_engine::CreateError) -> Self {
        use zora_engine::CreateError;
        match err {
            // `--tenant-id` or the payload given is at fault: a usage error.
            CreateError::UnknownTenant(_) => Self::Config(format!(
                "{err} (ZORA_TENANT_ID / --tenant-id must name a row of `tenants`)"
            )),
            // An external type's schema names the payload's path itself.
            CreateError::Invalid(invalid) => match invalid.with_field() {
                said if said.starts_with("payload.") => Self::Config(said),
                said => Self::Config(format!("payload.{said}")),
            },
            CreateError::Dependency(message) => Self::Config(message),
            CreateError::KeyConflict(_) => Self::Failed(err.to_string()),
            CreateError::Store(store) => store.into(),
        }
    }
}

/// Prints `error: ...` on one line of stderr and returns the matching exit code.
pub fn report(err: &CliError) -> ExitCode {
    let text = err.to_string();
    let line = text.lines().next().unwrap_or_default();
    eprintln!("error: {line}");
    ExitCode::from(err.code())
}
