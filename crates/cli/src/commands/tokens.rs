//! `zora tokens worker`: a worker token, signed with the server's secret, for a process
//! that serves task types over HTTP.

use std::process::ExitCode;

use serde_json::json;
use zora_api::{AuthConfig, Claims};
use zora_core::TenantId;

use crate::cli::WorkerTokenArgs;
use crate::exit::CliError;
use crate::output::print_json;

/// Prints a worker token for `tenant` (`None`: every tenant).
pub fn worker(
    tenant: Option<TenantId>,
    args: &WorkerTokenArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let secret = args
        .jwt_secret
        .as_deref()
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| {
            CliError::Config(
                "zora tokens worker signs with the server's secret: set ZORA_JWT_SECRET or \
                 pass --jwt-secret"
                    .into(),
            )
        })?;
    let types = (!args.types.is_empty()).then(|| args.types.clone());
    let claims = Claims::for_worker(tenant, types.clone(), args.ttl);
    let token = AuthConfig::with_secret(secret.as_bytes())
        .issue(&claims)
        .ok_or_else(|| CliError::Failed("the token could not be signed".into()))?;
    if json {
        let expires_at = claims
            .exp
            .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
            .map(|at| at.to_rfc3339());
        print_json(&json!({"token": token, "tenant_id": tenant, "types": types,
            "expires_at": expires_at}))?;
    } else {
        println!("{token}");
    }
    Ok(ExitCode::SUCCESS)
}
