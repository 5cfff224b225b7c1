//! Wiring: the registry of task types, the executor and the scheduler the commands use.

use std::sync::Arc;
use std::time::Duration;

use zora_core::Store;
use zora_core::model::ChatModel;
use zora_core::retention::{Prune, PruneStatus};
use zora_domain::ModelAccess;
use zora_domain::planner::{AGENT_TASK_TYPES, KeywordPlanner};
use zora_engine::chat::{ChatSettings, OpenAiChat};
use zora_engine::planner::{ModelPlanner, Planner};
use zora_engine::schedule::{DatabaseClock, Scheduler, SchedulerSettings};
use zora_engine::{Executor, ExecutorSettings, Registry};

/// The task types this binary runs, those of `ZORA_APPROVAL_TYPES` (comma-separated)
/// needing a decision first.
pub fn registry() -> Registry {
    let types = std::env::var("ZORA_APPROVAL_TYPES").unwrap_or_default();
    registry_with_approvals(
        types
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
    )
}

/// The task types this binary runs, `approval_types` needing a decision first (`serve`'s
/// and `worker`'s `--approval-types`), the model-backed ones calling [`model_access`].
pub fn registry_with_approvals(approval_types: impl IntoIterator<Item = String>) -> Registry {
    zora_domain::registry(zora_domain::all(&model_access())).with_approval_types(approval_types)
}

/// A setting from the environment, unless unset or blank.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A duration setting (`20s`, `2m`), else `default`.
fn duration_var(name: &str, default: Duration) -> Duration {
    var(name)
        .and_then(|t| humantime::parse_duration(&t).ok())
        .unwrap_or(default)
}

/// The OpenAI-compatible endpoint when `OPENAI_API_KEY` is set: `OPENAI_BASE_URL`
/// (default `https://api.openai.com/v1`), `ZORA_PLANNER_MODEL` (default `gpt-4o-mini`).
fn chat_settings() -> Option<ChatSettings> {
    Some(ChatSettings {
        api_key: var("OPENAI_API_KEY")?,
        base_url: var("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()),
        model: var("ZORA_PLANNER_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
    })
}

/// The model `research_topic` and `review_frontend_page` call ([`chat_settings`]), each
/// call given `ZORA_MODEL_TIMEOUT` (default 60s); none without `OPENAI_API_KEY`.
pub fn model_access() -> ModelAccess {
    let model = chat_settings().map(|s| Arc::new(OpenAiChat::new(s)) as Arc<dyn ChatModel>);
    ModelAccess::new(
        model,
        duration_var(
            "ZORA_MODEL_TIMEOUT",
            zora_domain::agents::model_backed::DEFAULT_TIMEOUT,
        ),
    )
}

/// An executor over `store`, holding claims for `lease_duration`.
pub fn executor(store: Arc<dyn Store>, lease_duration: Duration) -> Executor {
    let mut settings = ExecutorSettings::new("cli");
    settings.lease_duration = lease_duration;
    Executor::new(store, Arc::new(registry()), settings)
}

/// The planner: the model of [`chat_settings`] when `OPENAI_API_KEY` is set (each call
/// given `ZORA_PLANNER_TIMEOUT`, default 20s), else the keyword rules.
pub fn planner(registry: Arc<Registry>) -> Arc<dyn Planner> {
    let Some(settings) = chat_settings() else {
        return Arc::new(KeywordPlanner {
            reason: Some("no model is configured (OPENAI_API_KEY is not set)".into()),
        });
    };
    Arc::new(ModelPlanner::with_model(
        Arc::new(OpenAiChat::new(settings)),
        duration_var("ZORA_PLANNER_TIMEOUT", Duration::from_secs(20)),
        registry,
        AGENT_TASK_TYPES,
        Arc::new(KeywordPlanner::default()),
    ))
}

/// The scheduler a process of workers runs beside them (on the database clock), pruning
/// as `--retention` says; `None` with `--no-schedules`.
pub fn scheduler(
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    holder: &str,
    args: &crate::cli::SchedulingArgs,
) -> Option<Scheduler> {
    if args.no_schedules {
        return None;
    }
    let mut settings = SchedulerSettings::new(holder);
    settings.retention = args.retention.map(|older_than| Prune {
        older_than,
        status: PruneStatus::All,
        window: 1000,
    });
    let clock = Arc::new(DatabaseClock(store.clone()));
    Some(Scheduler::new(store, registry, clock, settings))
}

/// The API's state over `store`: the registry (with `approval`'s types), the planner,
/// the agents, `auth`, and the event streams ending when `shutdown` turns true.
pub(crate) fn app_state(
    store: Arc<dyn zora_core::Store>,
    approval: &crate::cli::ApprovalArgs,
    auth: zora_api::AuthConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> zora_api::AppState {
    let registry = Arc::new(registry_with_approvals(approval.approval_types.clone()));
    zora_api::AppState {
        store: store.clone(),
        planner: planner(registry.clone()),
        registry,
        auth,
        agents: Arc::new(crate::config::agents()),
        command_limit: zora_api::RateLimit::new(60, std::time::Duration::from_secs(60)),
        known_tenants: zora_api::KnownTenants::default(),
        request_timeout: zora_api::REQUEST_TIMEOUT,
        metrics: zora_engine::metrics::Metrics::default(),
        clock: Arc::new(zora_engine::schedule::DatabaseClock(store.clone())),
        shutdown,
        dev_sign_in: None,
        database: zora_api::gate::DatabaseGate::watching(store.clone()),
        trusted_origins: Arc::default(),
        external: zora_engine::external::ExternalWorkers::new(store),
        openapi: Arc::default(),
    }
}
