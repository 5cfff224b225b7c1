//! Configuration from flags and environment: which store, which tenant.

use zora_core::{DEFAULT_TENANT_ID, TenantId};

use crate::cli::GlobalArgs;
use crate::exit::CliError;

/// The database URL used when none is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://zora.db";

/// Which store a URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A `postgres://` or `postgresql://` URL, as given.
    Postgres(String),
    /// A `sqlite:` URL, as given.
    Sqlite(String),
}

/// Picks the store from `--database-url` / `DATABASE_URL`, refusing to fall back to
/// SQLite silently when the environment says a Supabase (PostgreSQL) project is meant.
pub fn database_target(args: &GlobalArgs) -> Result<DatabaseTarget, CliError> {
    let url = match &args.database_url {
        Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => {
            if let Some(var) = ["SUPABASE_URL", "SUPABASE_SERVICE_KEY"]
                .into_iter()
                .find(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
            {
                return Err(CliError::Config(format!(
                    "{var} is set but DATABASE_URL is not: the engine connects to PostgreSQL directly, \
                     not through Supabase's REST API; set DATABASE_URL to your project's connection string \
                     (Supabase dashboard: Project Settings > Database > Connection string > URI)"
                )));
            }
            DEFAULT_DATABASE_URL.to_owned()
        }
    };
    parse_database_url(&url)
}

/// Sorts a URL by its scheme.
pub fn parse_database_url(url: &str) -> Result<DatabaseTarget, CliError> {
    let Some((scheme, _)) = url.split_once(':') else {
        return Err(CliError::Config(
            "DATABASE_URL is not a URL: expected postgres://user:pass@host:port/db or sqlite://path".into(),
        ));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok(DatabaseTarget::Postgres(url.to_owned())),
        "sqlite" => Ok(DatabaseTarget::Sqlite(url.to_owned())),
        other => Err(CliError::Config(format!(
            "DATABASE_URL has an unsupported scheme '{other}': use postgres://, postgresql:// or sqlite://"
        ))),
    }
}

/// The agents a new task may name: `ZORA_AGENTS` (comma-separated), else ZORA CORE's six.
pub fn agents() -> Vec<String> {
    match std::env::var("ZORA_AGENTS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|a| a.trim().to_uppercase())
            .filter(|a| !a.is_empty())
            .collect(),
        _ => zora_core::agent::default_agents(),
    }
}

/// The tenant a command acts for: `--tenant-id` / `ZORA_TENANT_ID`, else the default.
pub fn tenant(args: &GlobalArgs) -> Result<TenantId, CliError> {
    match &args.tenant_id {
        None => Ok(DEFAULT_TENANT_ID),
        Some(raw) => raw.parse().map_err(|_| {
            CliError::Config(format!(
                "--tenant-id / ZORA_TENANT_ID is not a UUID: '{raw}'"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_sorted_by_scheme() {
        assert!(matches!(
            parse_database_url("postgresql://u@h/db"),
            Ok(DatabaseTarget::Postgres(_))
        ));
        assert!(matches!(
            parse_database_url("POSTGRES://u@h/db"),
            Ok(DatabaseTarget::Postgres(_))
        ));
        assert!(matches!(
            parse_database_url("sqlite://zora.db"),
            Ok(DatabaseTarget::Sqlite(_))
        ));
        assert!(matches!(
            parse_database_url("mysql://h/db"),
            Err(CliError::Config(_))
        ));
        assert!(matches!(
            parse_database_url("zora.db"),
            Err(CliError::Config(_))
        ));
    }
}
