//! `GET /metrics`: the engine's metrics in the Prometheus text format. Public, as a
//! scrape target is: it holds counts per task type and status, no tenant's data.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use zora_core::Store;
use zora_engine::metrics::Metrics;

use crate::state::AppState;

/// The counters of `metrics` and the queue `store` holds.
pub async fn scrape(metrics: &Metrics, store: &dyn Store) -> impl IntoResponse + use<> {
    let text = metrics.render(store).await;
    ([(CONTENT_TYPE, zora_engine::metrics::CONTENT_TYPE)], text)
}

/// The route of the API.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    scrape(&state.metrics, &*state.store).await
}

/// The route of a metrics-only server (`zora worker --metrics-addr`).
pub async fn metrics_of(
    State((metrics, store)): State<(Metrics, Arc<dyn Store>)>,
) -> impl IntoResponse {
    scrape(&metrics, &*store).await
}
