//! Wiring: the registry of task types, the executor and the scheduler the commands use.

use std::sync::Arc;
use std::time::Duration;

use zora_core::Store;
use zora_core::retention::{Prune, PruneStatus};
use zora_engine::planner::{KeywordPlanner, ModelPlanner, ModelSettings, Planner};
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
/// and `worker`'s `--approval-types`).
pub fn registry_with_approvals(approval_types: impl IntoIterator<Item = String>) -> Registry {
    Registry::new(zora_handlers::all()).with_approval_types(approval_types)
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
