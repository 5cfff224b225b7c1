//! `/mcp` on `zora serve`: MCP's Streamable HTTP transport (rmcp's), behind the API's
//! own checks: a user's token (401 without one, 403 for a worker token, in the API's error
//! shape) and an `Origin`, when a browser sends one, of this server or of the trusted
//! origins (a page elsewhere cannot drive a local server: DNS rebinding). Each tool call
//! is made with the request's own token.

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::mcp::McpServer;
use crate::state::AppState;

/// The path MCP is served at.
pub const PATH: &str = "/mcp";

/// `/mcp`, calling tools through `api`.
pub(crate) fn router(api: Router, state: AppState) -> Router<AppState> {
    let stop = CancellationToken::new();
    // The server's event streams end at shutdown, so that it does not wait on them.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let mut shutdown = state.shutdown.clone();
        let stop = stop.clone();
        runtime.spawn(async move {
            // A sender dropped without saying so is no shutdown.
            if shutdown.wait_for(|stopping| *stopping).await.is_ok() {
                stop.cancel();
            }
        });
    }
    let config = StreamableHttpServerConfig::default()
        // The Host is not checked (a deployment has its own names); the Origin is, below.
        .disable_allowed_hosts()
        .with_cancellation_token(stop);
    let service = StreamableHttpService::new(
        move || Ok(McpServer::per_request(api.clone())),
        LocalSessionManager::default().into(),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn_with_state(state, guard))
}

async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if crate::cross_site::check_headers(&parts.headers, &state.trusted_origins).is_err() {
        return ApiError::Forbidden(
            "Cross-site request refused: /mcp answers this server's own pages and its trusted origins only"
                .into(),
        )
        .into_response();
    }
    if let Err(refused) = AuthUser::from_request_parts(&mut parts, &state).await {
        return refused.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
