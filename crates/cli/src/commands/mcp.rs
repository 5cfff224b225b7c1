//! `zora mcp`: the engine's MCP server on stdin and stdout, for a desktop assistant that
//! starts it as a subprocess. It acts for one tenant with one role (the trust of the CLI,
//! which holds the database URL already): its tool calls go through the API's routes
//! with a token made for this process alone. Logs go to stderr; stdout is the protocol's.

use std::process::ExitCode;

use rmcp::ServiceExt;
use zora_api::{AuthConfig, Claims, Role};
use zora_core::{TenantId, UserId};

use crate::cli::McpArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store_patiently;
use crate::wiring::app_state;

pub async fn run(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &McpArgs,
) -> Result<ExitCode, CliError> {
    let store = open_store_patiently(
        target,
        &crate::open::postgres_options(),
        args.startup.wait_for_database,
    )
    .await?;
    // A secret of this process's own: its token is good here and nowhere else.
    let secret = format!(
        "mcp-{}{}",
        zora_core::TaskId::new(),
        zora_core::TaskId::new()
    );
    let auth = AuthConfig::with_secret(secret.into_bytes());
    let role: Role = args.role;
    // No expiry: an assistant may keep this process for days, and its secret dies with it.
    let claims = Claims {
        exp: None,
        ..Claims::for_user(tenant, UserId::new(), role)
    };
    let token = auth
        .issue(&claims)
        .ok_or_else(|| CliError::Failed("cannot sign this process's token".into()))?;
    let (_stop_streams, streams_stopped) = tokio::sync::watch::channel(false);
    let state = app_state(store, &args.approval, auth, streams_stopped);
    tracing::info!(%tenant, role = role.as_str(), "serving MCP on stdio");
    let server = zora_api::mcp_server(state, token)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| CliError::Failed(format!("the MCP client did not initialize: {e}")))?;
    server
        .waiting()
        .await
        .map_err(|e| CliError::Failed(format!("the MCP server stopped: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
