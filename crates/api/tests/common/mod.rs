//! `spawn_app`: the API on a real server on port 0 over a fresh database, with a client
//! and tokens.

#![allow(dead_code)]

pub mod workers;

use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde_json::Value;
use zora_api::{AppState, AuthConfig, Claims, Role};
use zora_core::{Store, TenantId, UserId};
use zora_testkit::TestBackend;

pub const SECRET: &[u8] = b"test-secret-of-this-suite";

/// A running API and what a test needs around it.
pub struct App {
    pub base: String,
    pub auth: AuthConfig,
    pub store: Arc<dyn Store>,
    pub backend: TestBackend,
    pub client: reqwest::Client,
}

/// A response: status, JSON body (or Null), headers.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: HeaderMap,
}

/// Serves the API over `backend` on 127.0.0.1:0.
pub async fn spawn_app(backend: TestBackend) -> App {
    spawn_with(backend, AuthConfig::with_secret(SECRET.to_vec())).await
}

pub async fn spawn_with(backend: TestBackend, auth: AuthConfig) -> App {
    spawn_full(
        backend,
        auth,
        Arc::new(zora_domain::planner::KeywordPlanner::default()),
    )
    .await
}

/// The API with `planner` planning its commands.
pub async fn spawn_full(
    backend: TestBackend,
    auth: AuthConfig,
    planner: Arc<dyn zora_engine::planner::Planner>,
) -> App {
    spawn_configured(backend, auth, planner, |_| {}).await
}

/// The API with a worker in the same process over the same store (as `zora serve` runs
/// one on SQLite), its state changed by `edit` first.
pub async fn spawn_with_worker(backend: TestBackend, edit: impl FnOnce(&mut AppState)) -> App {
    let app = spawn_configured(
        backend,
        AuthConfig::with_secret(SECRET.to_vec()),
        Arc::new(zora_domain::planner::KeywordPlanner::default()),
        edit,
    )
    .await;
    let settings = zora_engine::WorkerSettings {
        poll_interval: std::time::Duration::from_millis(50),
        ..zora_engine::WorkerSettings::default()
    };
    let worker = zora_engine::Worker::new(app.store.clone(), scripted_registry(), settings);
    tokio::spawn(worker.run(std::future::pending::<()>()));
    app
}

fn scripted_registry() -> Arc<zora_engine::Registry> {
    Arc::new(zora_testkit::scripted::registry_with_scripted(
        std::time::Duration::from_secs(10),
    ))
}

/// The API over `backend`, its state changed by `edit` before it serves.
pub async fn spawn_configured(
    backend: TestBackend,
    auth: AuthConfig,
    planner: Arc<dyn zora_engine::planner::Planner>,
    edit: impl FnOnce(&mut AppState),
) -> App {
    let store = backend.store().await;
    let mut state = AppState {
        store: store.clone(),
        registry: scripted_registry(),
        auth: auth.clone(),
        agents: Arc::new(zora_core::agent::default_agents()),
        planner,
        command_limit: zora_api::RateLimit::new(60, std::time::Duration::from_secs(60)),
        known_tenants: zora_api::KnownTenants::default(),
        request_timeout: zora_api::REQUEST_TIMEOUT,
        metrics: zora_engine::metrics::Metrics::default(),
        clock: Arc::new(zora_engine::schedule::DatabaseClock(store.clone())),
        shutdown: AppState::no_shutdown(),
        dev_sign_in: None,
        database: zora_api::gate::DatabaseGate::watching(store.clone()),
        trusted_origins: Arc::default(),
        external: zora_engine::external::ExternalWorkers::new(store.clone()),
        openapi: Arc::default(),
    };
    edit(&mut state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, zora_api::router(state, &[])).await;
    });
    App {
        base: format!("http://{address}"),
        auth,
        store,
        backend,
        client: zora_engine::http_client(),
    }
}

impl App {
    /// A valid token for a user of `tenant` with `role`.
    pub fn token(&self, tenant: TenantId, role: Role) -> String {
        self.auth
            .issue(&Claims::for_user(tenant, UserId::new(), role))
            .expect("issue")
    }

    /// `GET path` with `token` as a bearer token (none when `None`).
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request")).await
    }

    /// A request with a raw `Authorization` header.
    pub async fn get_with_header(&self, path: &str, name: &str, value: &str) -> Answer {
        let request = self
            .client
            .get(format!("{}{path}", self.base))
            .header(name, value);
        answer(request.send().await.expect("request")).await
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        body,
        headers,
    }
}

impl Answer {
    /// Asserts an error answer of ZORA CORE's shape.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"], code, "{}", self.body);
        assert_eq!(
            self.body["status"], status,
            "the body's status is the HTTP status"
        );
        assert!(self.body["message"].is_string());
        assert!(
            self.headers.contains_key("x-request-id"),
            "every response has a request id"
        );
    }
}

impl App {
    /// `POST path` with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        answer(request.send().await.expect("request")).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.post_raw(
            path,
            token,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }
}

impl App {
    /// `method path` with `token` and, if given, a JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request.send().await.expect("request")).await
    }
}

/// The API over a fresh SQLite file with a runtime of its own, for property tests (whose
/// cases run synchronously and block on the runtime for each request).
pub fn blocking_app() -> (tokio::runtime::Runtime, App) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = runtime.block_on(async { spawn_app(TestBackend::sqlite().await).await });
    (runtime, app)
}

/// How many tasks, journal entries, commands and schedules each of `tenants` has: a
/// request that was refused must leave these as they were.
pub async fn footprint(app: &App, tenants: &[TenantId]) -> Vec<[u64; 4]> {
    use zora_core::{Page, TaskFilter};
    let inspect = app.backend.inspect().await;
    let mut counts = Vec::new();
    for tenant in tenants {
        let one = Page::new(1, 0);
        let tasks = app
            .store
            .list_tasks(*tenant, &TaskFilter::default(), one)
            .await
            .expect("tasks")
            .total;
        let journal = inspect.journal(*tenant, one).await.total;
        let commands = app
            .store
            .list_commands(*tenant, None, one)
            .await
            .expect("commands")
            .total;
        let schedules = app.store.list_schedules(*tenant).await.expect("schedules");
        counts.push([tasks, journal, commands, schedules.len() as u64]);
    }
    counts
}
