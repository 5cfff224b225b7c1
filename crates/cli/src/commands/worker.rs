//! `zora worker`: the engine's background worker, until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use zora_core::TenantId;
use zora_engine::{Registry, Worker, WorkerSettings};
use zora_store_postgres::PgStoreOptions;

use crate::cli::WorkerArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store_patiently;
use crate::wiring::registry_with_approvals;

/// The worker settings a command line gives.
pub fn settings(args: &WorkerArgs, tenant: Option<TenantId>) -> WorkerSettings {
    let defaults = WorkerSettings::default();
    WorkerSettings {
        tenant,
        task_types: (!args.task_types.is_empty()).then(|| args.task_types.clone()),
        concurrency: args.concurrency.unwrap_or(defaults.concurrency).max(1),
        batch_size: args.batch_size,
        per_tenant_cap: args.per_tenant_cap.max(1),
        poll_interval: args.poll_interval,
        lease_duration: args.lease_duration,
        heartbeat_interval: args.heartbeat_interval,
        rescue_interval: args.rescue_interval,
        shutdown_timeout: args.shutdown_timeout,
        rescue: zora_core::RescuePolicy {
            max_lost_attempts: args.max_lost_attempts,
        },
        listen: !args.no_listen,
        type_concurrency: args.type_concurrency.iter().cloned().collect(),
        one_transaction: !args.claim_visibly,
        ..defaults
    }
}

pub async fn run(
    target: &DatabaseTarget,
    tenant: Option<TenantId>,
    args: &WorkerArgs,
) -> Result<ExitCode, CliError> {
    if let Some(beat) = args.heartbeat_interval
        && beat >= args.lease_duration
    {
        return Err(CliError::Config(format!(
            "--heartbeat-interval ({}) must be shorter than --lease-duration ({}): a lease \
             would lapse between beats",
            humantime::format_duration(beat),
            humantime::format_duration(args.lease_duration)
        )));
    }
    let registry = registry_with_approvals(args.approval.approval_types.clone());
    let registry = match args.inject_faults {
        Some(plan) => {
            tracing::warn!(?plan, "injecting faults into applied tasks (zora chaos)");
            registry.with_faults(plan)
        }
        None => registry,
    };
    refuse_unknown_types(&registry, "--task-type", args.task_types.iter())?;
    refuse_unknown_types(
        &registry,
        "--type-concurrency",
        args.type_concurrency.iter().map(|(kind, _)| kind),
    )?;
    let options = PgStoreOptions {
        behind_pooler: args.no_listen,
        ..crate::open::postgres_options()
    };
    let store = open_store_patiently(target, &options, args.startup.wait_for_database).await?;
    let settings = settings(args, tenant);
    let metrics = match args.metrics_addr {
        Some(address) => {
            Some(serve_metrics(address, settings.metrics.clone(), store.clone()).await?)
        }
        None => None,
    };
    let registry = Arc::new(registry);
    let worker = Worker::new(store.clone(), registry.clone(), settings);
    let pusher = zora_engine::external::Pusher::new(store.clone(), worker.id());
    let scheduler = crate::wiring::scheduler(store, registry, worker.id(), &args.scheduling);
    let serving = match tenant {
        Some(tenant) => format!("serving tenant {tenant}"),
        None => "serving all tenants".to_owned(),
    };
    let serving = if args.no_listen {
        format!(
            "{serving}, polling every {}",
            humantime::format_duration(args.poll_interval)
        )
    } else {
        serving
    };
    let serving = match metrics {
        Some(address) => format!("{serving}, metrics on http://{address}/metrics"),
        None => serving,
    };
    crate::out!("worker {} ready, {serving}", worker.id());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.changed().await;
    };
    let scheduling = scheduler.map(|s| tokio::spawn(s.run(until_stopped(stopped.clone()))));
    // The push types' tasks, delivered to their URLs by this process too.
    let pushing = tokio::spawn(pusher.run(until_stopped(stopped.clone())));
    tokio::spawn(async move {
        crate::signals::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let report = worker.run(until_stopped(stopped)).await;
    tracing::info!(?report, "worker stopped");
    let _ = pushing.await;
    if let Some(scheduling) = scheduling
        && let Ok(report) = scheduling.await
    {
        tracing::info!(?report, "scheduler stopped");
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves `GET /metrics` on `address` for as long as the process runs; returns the address
/// bound.
async fn serve_metrics(
    address: std::net::SocketAddr,
    metrics: zora_engine::metrics::Metrics,
    store: Arc<dyn zora_core::Store>,
) -> Result<std::net::SocketAddr, CliError> {
    let (listener, bound) = crate::listen::bind(address, "--metrics-addr").await?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, zora_api::metrics_router(metrics, store)).await {
            tracing::error!(%error, "the metrics server stopped");
        }
    });
    Ok(bound)
}

/// A flag that names a type this engine does not run would leave the worker idle (or the
/// limit void) without a word: refused, with the list of types.
fn refuse_unknown_types<'a>(
    registry: &Registry,
    flag: &str,
    mut kinds: impl Iterator<Item = &'a String>,
) -> Result<(), CliError> {
    match kinds.find(|kind| registry.get(kind).is_none()) {
        Some(kind) => Err(CliError::Config(format!(
            "{flag}: {}",
            registry.unsupported_message(kind)
        ))),
        None => Ok(()),
    }
}
