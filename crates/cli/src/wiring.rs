//! Wiring: the registry of task types and the executor the commands use.

use std::sync::Arc;
use std::time::Duration;

use zora_core::Store;
use zora_engine::planner::{KeywordPlanner, ModelPlanner, ModelSettings, Planner};
use zora_engine::{Executor, ExecutorSettings, Registry};

/// The task types this binary runs.
pub fn registry() -> Registry {
    Registry::new(zora_handlers::v1())
}

/// An executor over `store`, holding claims for `lease_duration`.
pub fn executor(store: Arc<dyn Store>, lease_duration: Duration) -> Executor {
    let mut settings = ExecutorSettings::new("cli");
    settings.lease_duration = lease_duration;
    Executor::new(store, Arc::new(registry()), settings)
}

/// The planner: an OpenAI-compatible model when `OPENAI_API_KEY` is set
/// (`OPENAI_BASE_URL`, default `https://api.openai.com/v1`; `ZORA_PLANNER_MODEL`, default
/// `gpt-4o-mini`; `ZORA_PLANNER_TIMEOUT`, default 20s), else the keyword rules.
pub fn planner(registry: Arc<Registry>) -> Arc<dyn Planner> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let Some(api_key) = var("OPENAI_API_KEY") else {
        return Arc::new(KeywordPlanner {
            reason: Some("no model is configured (OPENAI_API_KEY is not set)".into()),
        });
    };
    let timeout = var("ZORA_PLANNER_TIMEOUT")
        .and_then(|t| humantime::parse_duration(&t).ok())
        .unwrap_or(Duration::from_secs(20));
    Arc::new(ModelPlanner::new(
        ModelSettings {
            base_url: var("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()),
            api_key,
            model: var("ZORA_PLANNER_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
            timeout,
        },
        registry,
    ))
}
