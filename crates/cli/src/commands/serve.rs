//! `zora serve`: the HTTP API, until SIGINT or SIGTERM.

use std::process::ExitCode;

use zora_api::{AppState, AuthConfig, Claims, Role};
use zora_core::{TenantId, UserId};
use zora_engine::{Worker, WorkerSettings};

use crate::cli::ServeArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store_patiently;
use crate::wiring::app_state;

pub async fn run(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &ServeArgs,
) -> Result<ExitCode, CliError> {
    let secret = match (&args.jwt_secret, args.dev) {
        (Some(secret), _) if !secret.is_empty() => secret.clone(),
        (_, true) => format!("dev-{}{}", uuid_text(), uuid_text()),
        _ => {
            return Err(CliError::Config(
                "ZORA_JWT_SECRET is not set: set it to the secret ZORA CORE signs its tokens with, \
                 or run `zora serve --dev` for local development"
                    .into(),
            ));
        }
    };
    let auth = AuthConfig::with_secret(secret.into_bytes());
    // Only a development run with a secret of its own offers the console's sign-in.
    let dev_run = args.dev && args.jwt_secret.as_deref().is_none_or(str::is_empty);
    let (stop_streams, streams_stopped) = tokio::sync::watch::channel(false);
    let store = open_store_patiently(
        target,
        &crate::open::postgres_options(),
        args.startup.wait_for_database,
    )
    .await?;
    let state = AppState {
        dev_sign_in: dev_run.then_some(tenant),
        ..app_state(store, &args.approval, auth.clone(), streams_stopped)
    };
    // Workers in this process: the default on SQLite, where other processes can only poll.
    let workers = args.workers.unwrap_or(match target {
        DatabaseTarget::Sqlite(_) => 1,
        DatabaseTarget::Postgres(_) => 0,
    });
    let (stop_workers, stopped) = tokio::sync::watch::channel(false);
    let mut running = tokio::task::JoinSet::new();
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.changed().await;
    };
    for _ in 0..workers {
        let worker = Worker::new(
            state.store.clone(),
            state.registry.clone(),
            WorkerSettings {
                metrics: state.metrics.clone(),
                ..WorkerSettings::default()
            },
        );
        running.spawn(worker.run(until_stopped(stopped.clone())));
    }
    // Without, it still takes back the tasks whose lease expired (an external worker that
    // stopped beating), as each worker does.
    if workers == 0 {
        let defaults = WorkerSettings::default();
        running.spawn(reporting_nothing(zora_engine::rescuer::run_rescuer(
            state.store.clone(),
            defaults.rescue,
            defaults.rescue_interval,
            state.metrics.clone(),
            until_stopped(stopped.clone()),
        )));
    }
    // With workers here, this process takes part in the schedules too.
    let holder = format!("serve-{}", zora_core::TaskId::new());
    // The push types' tasks are delivered to their URLs by every server (and worker).
    let pusher = zora_engine::external::Pusher::new(state.store.clone(), holder.clone());
    running.spawn(reporting_nothing(
        pusher.run(until_stopped(stopped.clone())),
    ));
    let scheduler = (workers > 0)
        .then(|| {
            crate::wiring::scheduler(
                state.store.clone(),
                state.registry.clone(),
                &holder,
                &args.scheduling,
            )
        })
        .flatten();
    if let Some(scheduler) = scheduler {
        running.spawn(reporting_nothing(
            scheduler.run(until_stopped(stopped.clone())),
        ));
    }
    let (listener, address) = crate::listen::bind(args.bind, "--bind").await?;
    crate::out!("listening on http://{address}");
    if dev_run {
        tracing::warn!(
            "DEVELOPMENT MODE: a secret was made for this run; tokens from ZORA CORE will not verify"
        );
        let claims = Claims::for_user(tenant, UserId::new(), Role::Founder);
        if let Some(token) = auth.issue(&claims) {
            crate::out!("development founder token for tenant {tenant} (valid 24h):");
            crate::out!("{token}");
        }
    }
    // A log line, not stdout: scripts read a fixed number of lines from there.
    tracing::info!("admin console at http://{address}/admin/agents/tasks");
    let app = zora_api::router(state, &args.cors_origins);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            crate::signals::shutdown_signal().await;
            // The console's event streams end, so that the server does not wait on them.
            let _ = stop_streams.send(true);
        })
        .await
        .map_err(|e| CliError::Failed(format!("the server stopped: {e}")))?;
    let _ = stop_workers.send(true);
    while running.join_next().await.is_some() {}
    Ok(ExitCode::SUCCESS)
}

/// `task`, as one of the server's background tasks, which report on workers only.
async fn reporting_nothing(task: impl std::future::Future) -> zora_engine::WorkerReport {
    task.await;
    zora_engine::WorkerReport::default()
}

/// A random hex text (the secret of a development run).
fn uuid_text() -> String {
    zora_core::TaskId::new().to_string().replace('-', "")
}
