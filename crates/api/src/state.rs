//! [`AppState`]: what every handler shares.

use std::sync::Arc;

use zora_core::Store;
use zora_engine::Registry;
use zora_engine::planner::Planner;

use crate::auth::AuthConfig;
use crate::rate::RateLimit;
use crate::tenants::KnownTenants;

/// The store, the task types, the auth secret and the accepted agent names.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub registry: Arc<Registry>,
    pub auth: AuthConfig,
    /// The agent ids a new task may name (`ZORA_AGENTS`, else ZORA CORE's six).
    pub agents: Arc<Vec<String>>,
    /// Plans commands into tasks.
    pub planner: Arc<dyn Planner>,
    /// Commands a user may submit per minute.
    pub command_limit: RateLimit,
    /// The tenants found to exist lately (a token's tenant must).
    pub known_tenants: KnownTenants,
    /// How long a request that does not wait may take ([`crate::layers::REQUEST_TIMEOUT`]
    /// by default); a waiting route is bounded by its own `timeout`.
    pub request_timeout: std::time::Duration,
    /// The counters `GET /metrics` shows; the synchronous runs count into them, and
    /// `zora serve` gives its workers the same handle.
    pub metrics: zora_engine::metrics::Metrics,
    /// The clock schedules' slots are computed on: the database's
    /// ([`zora_engine::schedule::DatabaseClock`]) but in tests.
    pub clock: Arc<dyn zora_engine::schedule::Clock>,
    /// Turns `true` when the server shuts down: long-lived answers (the console's event
    /// stream) end then, so that a graceful shutdown does not wait on them.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// `zora serve --dev`: the console offers a sign-in as a founder of this tenant.
    pub dev_sign_in: Option<zora_core::TenantId>,
    /// Whether the database answers ([`crate::gate`]): while not, the routes that need
    /// it answer 503 at once.
    pub database: crate::gate::DatabaseGate,
    /// Origins other than this server's own whose pages may change state with the
    /// cookie ([`crate::cross_site`]): `router` sets them to the CORS origins.
    pub trusted_origins: Arc<Vec<String>>,
    /// External workers' claims (their shared wakeups) and registry rows.
    pub external: zora_engine::external::ExternalWorkers,
    /// The OpenAPI document `GET /api/openapi.json` answers: `router` builds it.
    pub openapi: Arc<serde_json::Value>,
}

impl AppState {
    /// A shutdown signal that never turns, for a state whose server is never shut down
    /// gracefully (tests, benchmarks).
    pub fn no_shutdown() -> tokio::sync::watch::Receiver<bool> {
        tokio::sync::watch::channel(false).1
    }
}
