//! The HTTP API ZORA CORE's frontend and admin console call: task routes with
//! JWT auth and tenant scoping, one error shape, health and readiness.
//!
//! [`router`] builds the whole app for a state; tests drive it on port 0 (or with
//! `oneshot`), and `zora serve` binds it.

mod auth;
mod body;
mod body_limit;
mod console;
mod cross_site;
mod error;
mod extract;
pub mod gate;
mod layers;
mod lease_token;
pub mod mcp;
mod openapi;
mod rate;
mod route_table;
mod routes;
mod schemas;
mod state;
mod task_object;
mod tenants;
pub mod worker_token;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use std::sync::Arc;

use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::{AuthConfig, AuthUser, COOKIE_NAME, Claims, Role};
pub use error::{ApiError, FieldError};
pub use layers::{BODY_LIMIT, REQUEST_TIMEOUT};
pub use lease_token::LeaseToken;
pub use rate::RateLimit;
pub use route_table::{Answer, Method, OPERATIONS, Operation, RequestBody};
pub use state::AppState;
pub use tenants::KnownTenants;
pub use worker_token::{WORKER_ROLE, WorkerAuth, check_type_name};

/// A server of `GET /metrics` alone (and `GET /health`), for a process that serves no API:
/// `zora worker --metrics-addr`.
pub fn metrics_router(
    metrics: zora_engine::metrics::Metrics,
    store: Arc<dyn zora_core::Store>,
) -> Router {
    Router::new()
        .route("/metrics", get(routes::metrics::metrics_of))
        .route("/health", get(routes::health::health))
        .with_state((metrics, store))
}

/// The app: every route of [`OPERATIONS`], the admin console's pages and MCP at `/mcp`
/// ([`mcp::http`]), behind the layers of [`layers`].
pub fn router(mut state: AppState, cors_origins: &[String]) -> Router {
    state.trusted_origins = Arc::new(cors_origins.to_vec());
    state.openapi = Arc::new(openapi::document(&state.registry));
    // The tools call the API's routes through an app of their own, without `/mcp`.
    let tools_call = api_router(state.clone(), cors_origins, Router::new());
    let mcp = mcp::http::router(tools_call, state.clone());
    api_router(state, cors_origins, mcp)
}

/// The MCP server of `zora mcp`: every tool call made with `token`, through the API's
/// routes over `state`.
pub fn mcp_server(mut state: AppState, token: String) -> mcp::McpServer {
    state.openapi = Arc::new(openapi::document(&state.registry));
    mcp::McpServer::for_token(api_router(state, &[], Router::new()), token)
}

/// Every route of [`OPERATIONS`], the console's pages and `more`, behind the layers of
/// [`layers`].
fn api_router(state: AppState, cors_origins: &[String], more: Router<AppState>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let request_timeout = state.request_timeout;
    OPERATIONS
        .iter()
        .fold(Router::new(), |router, op| {
            // Each route's own bound: a waiting route's `timeout` (up to 120 s) rules,
            // the server-wide one bounds the rest.
            let timeout = layers::route_timeout(op, request_timeout);
            let route = op.method_router().layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                timeout,
            ));
            let route = if op.needs_database {
                route.layer(axum::middleware::from_fn_with_state(
                    state.database.clone(),
                    gate::gated,
                ))
            } else {
                route
            };
            router.route(op.path, route)
        })
        .merge(console::router())
        .merge(more)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(body_limit::limit_body))
        .layer(layers::cors(cors_origins))
        // Outside the limit, the timeout and CORS, so their bodiless answers get the
        // JSON error shape too.
        .layer(axum::middleware::from_fn(layers::json_errors))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
