//! The database gate: a probe asks the database the time every second; while it does not
//! answer within [`PROBE_TIMEOUT`], every route that needs the database answers 503
//! `SERVICE_UNAVAILABLE` with `Retry-After` at once, and a request already waiting on it
//! (a query on a connection whose network went silent would wait for minutes) is answered
//! so the moment the probe fails. So during an outage every such call answers within
//! about [`ANSWER_BOUND`]; `GET /health` stays up and `GET /ready` says not ready. The
//! first probe that answers opens the gate again.
//!
//! A request cut off this way may have committed before the database went silent: a
//! create sent with an `Idempotency-Key` is safe to send again.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use zora_core::Store;

use crate::error::ApiError;

/// How long the probe waits for the database's answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the probe asks.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// The longest a call that needs the database takes to be answered 503 once the
/// database stops answering: a probe interval and a probe's wait.
pub const ANSWER_BOUND: Duration = Duration::from_secs(3);

/// Whether the database answers, as the probe last found.
#[derive(Debug, Clone)]
pub struct DatabaseGate {
    up: watch::Receiver<bool>,
}

impl DatabaseGate {
    /// A gate over `store`, probed by a task of its own until every copy of the gate is
    /// dropped. Open until a probe fails.
    pub fn watching(store: Arc<dyn Store>) -> Self {
        let (sender, up) = watch::channel(true);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PROBE_INTERVAL);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = sender.closed() => return,
                }
                let answered = matches!(
                    tokio::time::timeout(PROBE_TIMEOUT, store.database_now()).await,
                    Ok(Ok(_))
                );
                sender.send_if_modified(|up| {
                    let changed = *up != answered;
                    if changed {
                        match answered {
                            true => tracing::info!("the database answers again"),
                            false => tracing::warn!(
                                "the database does not answer; calls that need it are answered 503 until it does"
                            ),
                        }
                    }
                    *up = answered;
                    changed
                });
            }
        });
        Self { up }
    }

    /// Whether the last probe was answered.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// Resolves when the gate closes (never, once nothing probes any more).
    async fn closed(&self) {
        let mut up = self.up.clone();
        if up.wait_for(|up| !*up).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The middleware of every route that needs the database.
pub async fn gated(
    State(gate): State<DatabaseGate>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if !gate.is_up() {
        return unavailable();
    }
    tokio::select! {
        response = next.run(request) => response,
        () = gate.closed() => unavailable(),
    }
}

fn unavailable() -> Response {
    ApiError::Unavailable(
        "the database does not answer (the gate is closed until a probe is answered)".into(),
    )
    .into_response()
}
