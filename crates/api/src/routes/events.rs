//! `GET /api/agents/events`: server-sent events for the console. An event `counts` (the
//! tenant's tasks per state, every state present) at once and then each time the counts
//! change. They are read again when the store says a task became runnable (the workers'
//! wake-ups: PostgreSQL's `LISTEN`, SQLite's hub) and at least every
//! [`RECHECK`], which is how a finish, a cancel or a decision is seen: no such change is
//! later than that.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::{Map, Value};
use zora_core::TaskWakeups;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::stats::state_counts;
use crate::state::AppState;

/// The longest a change waits to be seen.
pub const RECHECK: Duration = Duration::from_secs(1);

/// What a stream carries between events.
struct Feed {
    state: AppState,
    tenant: zora_core::TenantId,
    wakeups: Option<Box<dyn TaskWakeups>>,
    last: Option<Map<String, Value>>,
}

impl Feed {
    /// Waits for a word from the store or the recheck, whichever comes first; `false` once
    /// the server shuts down.
    async fn wait(&mut self) -> bool {
        let mut shutdown = self.state.shutdown.clone();
        if *shutdown.borrow() {
            return false;
        }
        // A server without a shutdown sender (tests) never shuts the stream.
        let shut_down = async move {
            if shutdown.wait_for(|stopping| *stopping).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let woken = async {
            match self.wakeups.as_mut() {
                Some(wakeups) => {
                    if wakeups.next().await.is_none() {
                        self.wakeups = None;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = woken => true,
            () = tokio::time::sleep(RECHECK) => true,
            () = shut_down => false,
        }
    }

    /// The next event: the counts once they differ from the last sent; `None` at shutdown.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if self.last.is_some() && !self.wait().await {
                return None;
            }
            let counts = match state_counts(self.state.store.as_ref(), self.tenant).await {
                Ok(counts) => counts,
                Err(error) => {
                    tracing::warn!(%error, "the console's event stream could not read the counts");
                    if self.last.is_none() {
                        self.last = Some(Map::new());
                    }
                    continue;
                }
            };
            if self.last.as_ref() == Some(&counts) {
                continue;
            }
            let event = Event::default()
                .event("counts")
                .json_data(&counts)
                .unwrap_or_else(|_| Event::default().event("counts"));
            self.last = Some(counts);
            return Some((Ok(event), self));
        }
    }
}

pub async fn events(
    user: AuthUser,
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Behind a transaction-mode pooler there is no LISTEN: the recheck alone serves.
    let wakeups = state.store.subscribe_wakeups().await.ok();
    let feed = Feed {
        state,
        tenant: user.tenant_id,
        wakeups,
        last: None,
    };
    Ok(Sse::new(futures_util::stream::unfold(feed, Feed::next)).keep_alive(KeepAlive::default()))
}
