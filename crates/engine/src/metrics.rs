//! Prometheus metrics in the text format: what this process's executors did (tasks
//! claimed and how long they waited once due, completed, failed, retried, lost to a lease
//! takeover, how long each took, lease rescues), counted as it
//! happens, and the queue as the store holds it (depth per type and status, the oldest due
//! task's age, live workers), read at each scrape.
//!
//! The counters live in a [`Metrics`] handle, passed (not global): every executor and
//! worker given the same handle counts into it (`zora serve` gives its API and its
//! workers one, `zora worker` its executors), and `GET /metrics` or `zora worker
//! --metrics-addr` renders it. A test builds its own, so two never share counts.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use zora_core::stats::Scope;
use zora_core::{Store, Task};

use crate::report::{TaskOutcome, TaskReport};

/// The `Content-Type` of what [`render`] returns.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    task_type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    task_type: String,
    status: String,
}

type PerType<M> = Family<TypeLabels, M, fn() -> M>;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: String,
    /// `prompt` or `completion`.
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

/// A counter of dollars.
type Dollars = Counter<f64, std::sync::atomic::AtomicU64>;

/// The counters of one [`Metrics`].
#[derive(Debug)]
struct Counters {
    registry: Registry,
    claimed: PerType<Counter>,
    completed: PerType<Counter>,
    failed: PerType<Counter>,
    retried: PerType<Counter>,
    lost: PerType<Counter>,
    duration: PerType<Histogram>,
    waited: PerType<Histogram>,
    rescued: Counter,
    model_tokens: Family<TokenLabels, Counter>,
    model_cost: Family<ModelLabels, Dollars>,
}

/// Durations from 1 ms to about 33 s, doubling.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Counters {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("zora");
        let counter = || PerType::<Counter>::new_with_constructor(Counter::default);
        let (claimed, completed, failed, retried, lost) =
            (counter(), counter(), counter(), counter(), counter());
        let duration = PerType::<Histogram>::new_with_constructor(duration_histogram);
        let waited = PerType::<Histogram>::new_with_constructor(duration_histogram);
        let rescued = Counter::default();
        registry.register(
            "tasks_claimed",
            "Tasks this process claimed, per type",
            claimed.clone(),
        );
        registry.register(
            "tasks_completed",
            "Tasks this process completed (effects and result committed), per type",
            completed.clone(),
        );
        registry.register(
            "tasks_failed",
            "Tasks this process failed for good, per type",
            failed.clone(),
        );
        registry.register(
            "tasks_retried",
            "Tasks that failed here and went back to pending for a later attempt, per type",
            retried.clone(),
        );
        registry.register(
            "tasks_lost_lease",
            "Tasks this process claimed but did not finish: their lease was taken over first",
            lost.clone(),
        );
        registry.register_with_unit(
            "task_queue_wait",
            "From when a task was due (run_at) to its claim, on the database clock, per type",
            Unit::Seconds,
            waited.clone(),
        );
        registry.register_with_unit(
            "task_duration",
            "From the claimed task's start in this process to its outcome committed, per type",
            Unit::Seconds,
            duration.clone(),
        );
        registry.register(
            "lease_rescues",
            "Tasks whose lease expired that this process's workers took back",
            rescued.clone(),
        );
        let model_tokens = Family::<TokenLabels, Counter>::default();
        let model_cost = Family::<ModelLabels, Dollars>::default();
        registry.register(
            "model_tokens",
            "Model tokens recorded with outcomes through this process, per model and kind (prompt, completion)",
            model_tokens.clone(),
        );
        registry.register(
            "model_cost_usd",
            "The cost in USD of the model calls recorded with outcomes through this process, per model (calls of a known price)",
            model_cost.clone(),
        );
        Self {
            model_tokens,
            model_cost,
            registry,
            claimed,
            completed,
            failed,
            retried,
            lost,
            duration,
            waited,
            rescued,
        }
    }
}

/// A set of counters and the rendering of them with the queue; cheap to clone (clones
/// share the counters).
#[derive(Debug, Clone)]
pub struct Metrics {
    counters: Arc<Counters>,
    /// Held while the queue is read: scrapes through one handle read it one at a time, so
    /// that a flood of requests to a public `/metrics` costs the database one scan at a
    /// time.
    queue_read: Arc<tokio::sync::Mutex<()>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counters: Arc::new(Counters::new()),
            queue_read: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

fn labels(task_type: &str) -> TypeLabels {
    TypeLabels {
        task_type: task_type.to_owned(),
    }
}

impl Metrics {
    /// Counts tasks claimed (by this process's workers, or by external workers through
    /// this server), and how long each waited once due.
    pub fn record_claimed<'a>(&self, tasks: impl IntoIterator<Item = &'a Task>) {
        for task in tasks {
            let labels = labels(&task.task_type);
            self.counters.claimed.get_or_create(&labels).inc();
            if let Some(started) = task.started_at {
                let waited = (started - task.run_at).to_std().unwrap_or_default();
                self.counters
                    .waited
                    .get_or_create(&labels)
                    .observe(waited.as_secs_f64());
            }
        }
    }

    /// Counts a task's outcome and how long it took; a task skipped (its lease taken
    /// over: another worker owns it now) is counted as lost, with no duration.
    pub(crate) fn record_outcome(&self, report: &TaskReport, elapsed: Duration) {
        self.record_finish(&report.task_type, report.outcome, Some(elapsed));
    }

    /// Counts an outcome of a task of `task_type` as [`Metrics::record_outcome`] does:
    /// an external worker's, recorded through this server (its duration from the claim,
    /// when known), or a lease it found lost ([`TaskOutcome::Skipped`]).
    pub fn record_finish(&self, task_type: &str, outcome: TaskOutcome, elapsed: Option<Duration>) {
        let labels = labels(task_type);
        let counter = match outcome {
            TaskOutcome::Completed => &self.counters.completed,
            TaskOutcome::Failed => &self.counters.failed,
            TaskOutcome::Retrying => &self.counters.retried,
            TaskOutcome::Skipped => {
                self.counters.lost.get_or_create(&labels).inc();
                return;
            }
        };
        counter.get_or_create(&labels).inc();
        if let Some(elapsed) = elapsed {
            self.counters
                .duration
                .get_or_create(&labels)
                .observe(elapsed.as_secs_f64());
        }
    }

    /// Counts a model call recorded with an outcome: its tokens, and its cost when known.
    pub fn record_model_call(
        &self,
        model: &str,
        prompt_tokens: i64,
        completion_tokens: i64,
        cost_usd: Option<f64>,
    ) {
        for (kind, tokens) in [("prompt", prompt_tokens), ("completion", completion_tokens)] {
            self.counters
                .model_tokens
                .get_or_create(&TokenLabels {
                    model: model.to_owned(),
                    kind,
                })
                .inc_by(u64::try_from(tokens).unwrap_or_default());
        }
        if let Some(cost) = cost_usd {
            self.counters
                .model_cost
                .get_or_create(&ModelLabels {
                    model: model.to_owned(),
                })
                .inc_by(cost);
        }
    }

    /// Counts tasks taken back from expired leases.
    pub(crate) fn record_rescued(&self, count: usize) {
        self.counters
            .rescued
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// Every metric in the Prometheus text format: these counters, then the queue.
    pub async fn render(&self, store: &dyn Store) -> String {
        let queue = {
            let _turn = self.queue_read.lock().await;
            queue_registry(store).await
        };
        let mut text = String::new();
        for registry in [&self.counters.registry, &queue] {
            // Writing into a String cannot fail.
            let _ = prometheus_text::encode(&mut text, registry);
        }
        text
    }
}

/// The queue as the store holds it now, as gauges over every tenant. When the store does
/// not answer, only `zora_store_up 0`.
async fn queue_registry(store: &dyn Store) -> Registry {
    let mut registry = Registry::with_prefix("zora");
    let up = Gauge::<i64>::default();
    registry.register(
        "store_up",
        "1 when the database answered this scrape's queue reads, else 0",
        up.clone(),
    );
    let read = async {
        let stats = store.queue_stats(Scope::AllTenants).await?;
        let workers = store.live_workers(Scope::AllTenants).await?;
        Ok::<_, zora_core::StoreError>((stats, workers))
    };
    let (stats, workers) = match read.await {
        Ok(read) => read,
        Err(error) => {
            tracing::warn!(%error, "metrics: cannot read the queue");
            return registry;
        }
    };
    up.set(1);
    let depth = Family::<QueueLabels, Gauge>::default();
    for (task_type, by_status) in &stats.by_type {
        for (status, count) in by_status {
            depth
                .get_or_create(&QueueLabels {
                    task_type: task_type.clone(),
                    status: status.clone(),
                })
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
    }
    registry.register(
        "queue_tasks",
        "Tasks in agent_tasks per type and status, every tenant",
        depth,
    );
    let oldest = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    oldest.set(stats.oldest_pending_age_seconds.unwrap_or(0.0));
    registry.register_with_unit(
        "queue_oldest_pending_age",
        "Age of the oldest pending task that is due (0 when none is)",
        Unit::Seconds,
        oldest,
    );
    let alive = Gauge::<i64>::default();
    alive.set(i64::try_from(workers.len()).unwrap_or(i64::MAX));
    registry.register(
        "workers_alive",
        "Workers registered and beating, every tenant",
        alive,
    );
    registry
}
