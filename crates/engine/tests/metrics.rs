//! The engine's metrics: each outcome counted per type with its duration, lease rescues
//! counted, and the queue read from the store at each scrape, over every tenant (or the
//! store shown down when it cannot be read).
//!
//! Each test counts into a `Metrics` handle of its own (a test's counts never mix with
//! another's), and two handles count apart.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zora_core::{ClaimRequest, ClaimScope, Store, TaskStatus, TenantId};
use zora_engine::metrics::Metrics;
use zora_engine::{Worker, WorkerSettings};
use zora_testkit::TestBackend;
use zora_testkit::metrics::sample;
use zora_testkit::scripted::{KIND, registry_with_scripted};
use zora_testkit::suite::two_tenants;

use zora_testkit::runs::{enqueue, executor_counting};

/// The value of one series (`name{labels}`) in a scrape; 0 when it is absent.
fn value(scrape: &str, series: &str) -> f64 {
    sample(scrape, series).unwrap_or(0.0)
}

fn of_type(name: &str) -> String {
    format!("{name}{{task_type=\"{KIND}\"}}")
}

#[tokio::test]
async fn metrics_count_outcomes_durations_and_rescues_and_read_the_queue() {
    for backend in [TestBackend::sqlite().await, TestBackend::postgres().await] {
        counts_and_queue(backend).await;
    }
}

async fn counts_and_queue(backend: TestBackend) {
    let store = backend.store().await;
    let metrics = Metrics::default();
    let t = two_tenants(store.as_ref()).await;
    let before = metrics.render(store.as_ref()).await;

    for action in ["complete", "complete", "complete", "fail", "transient"] {
        enqueue(store.as_ref(), t.a, KIND, json!({"action": action})).await;
    }
    let summary = executor_counting(&store, &metrics)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(summary.fetched, 5);
    rescue_two_dead_claims(&store, &metrics, t.b).await;
    run_one_whose_lease_was_taken_over(&store, &metrics, t.b).await;

    let after = metrics.render(store.as_ref()).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(moved(&of_type("zora_tasks_claimed_total")), 5.0 + 2.0 + 1.0);
    assert_eq!(
        moved(&of_type("zora_task_queue_wait_seconds_count")),
        8.0,
        "one wait per claim"
    );
    assert_eq!(moved(&of_type("zora_tasks_lost_lease_total")), 1.0);
    assert_eq!(moved(&of_type("zora_tasks_completed_total")), 3.0 + 2.0);
    assert_eq!(moved(&of_type("zora_tasks_failed_total")), 1.0);
    assert_eq!(moved(&of_type("zora_tasks_retried_total")), 1.0);
    assert_eq!(
        moved(&of_type("zora_task_duration_seconds_count")),
        7.0,
        "one duration per outcome"
    );
    assert!(moved(&of_type("zora_task_duration_seconds_sum")) > 0.0);
    assert_eq!(moved("zora_lease_rescues_total"), 2.0);

    // The queue, as the database holds it, over both tenants.
    let queue = |status: &str| {
        value(
            &after,
            &format!("zora_queue_tasks{{task_type=\"{KIND}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(value(&after, "zora_store_up"), 1.0);
    assert_eq!(queue("completed"), 5.0, "{after}");
    assert_eq!(queue("failed"), 1.0);
    assert_eq!(
        queue("pending"),
        2.0,
        "the retry waits for its backoff; the taken-over task was given back"
    );
    assert_eq!(
        value(&after, "zora_workers_alive"),
        0.0,
        "the worker stopped"
    );
    assert!(
        after.contains("# TYPE zora_task_duration_seconds histogram"),
        "{after}"
    );
    assert!(after.contains("# TYPE zora_queue_oldest_pending_age_seconds gauge"));
}

/// A task whose lease lapsed and was taken back before this executor ran it: it is not
/// run, and counted as lost.
async fn run_one_whose_lease_was_taken_over(
    store: &Arc<dyn Store>,
    metrics: &Metrics,
    tenant: TenantId,
) {
    enqueue(store.as_ref(), tenant, KIND, json!({"action": "complete"})).await;
    let stale = store
        .claim_tasks(&ClaimRequest {
            scope: ClaimScope::Tenant(tenant),
            task_types: vec![KIND.into()],
            limit: 1,
            owner: "slow-worker".into(),
            lease_duration: Duration::ZERO,
        })
        .await
        .expect("claim");
    // Past the lease's end on SQLite's millisecond clock too.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let rescued = store
        .rescue_expired_leases_all_tenants(zora_core::RescuePolicy::default(), 10)
        .await
        .expect("rescue");
    assert_eq!(rescued.len(), 1);
    let reports = executor_counting(store, metrics).execute(stale).await;
    assert_eq!(reports[0].outcome, zora_engine::TaskOutcome::Skipped);
}

/// Two tasks of `tenant` claimed by a worker that died at once (its lease lasts no
/// time), then a live worker that takes them back and finishes them.
async fn rescue_two_dead_claims(store: &Arc<dyn Store>, metrics: &Metrics, tenant: TenantId) {
    for _ in 0..2 {
        enqueue(store.as_ref(), tenant, KIND, json!({"action": "complete"})).await;
    }
    let dead = store
        .claim_tasks(&ClaimRequest {
            scope: ClaimScope::Tenant(tenant),
            task_types: vec![KIND.into()],
            limit: 2,
            owner: "dead-worker".into(),
            lease_duration: Duration::ZERO,
        })
        .await
        .expect("claim");
    assert_eq!(dead.len(), 2);
    let worker = Worker::new(
        store.clone(),
        Arc::new(registry_with_scripted(Duration::from_secs(10))),
        WorkerSettings {
            poll_interval: Duration::from_millis(50),
            rescue_interval: Duration::from_millis(50),
            tenant: Some(tenant),
            metrics: metrics.clone(),
            ..WorkerSettings::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    let completed = zora_core::TaskFilter {
        status: Some(TaskStatus::Completed),
        ..zora_core::TaskFilter::default()
    };
    for _ in 0..200 {
        let done = store
            .list_tasks(tenant, &completed, zora_core::Page::default())
            .await
            .expect("list");
        if done.total == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = stop.send(());
    assert_eq!(run.await.expect("worker").rescued, 2);
}

#[tokio::test]
async fn a_store_that_does_not_answer_shows_as_down_beside_the_counters() {
    let db = zora_testkit::TestDatabase::migrated().await;
    let store = db.store().await;
    let metrics = Metrics::default();
    let up = metrics.render(&store).await;
    assert_eq!(sample(&up, "zora_store_up"), Some(1.0), "{up}");
    // The queue's table gone from under the store: its reads fail.
    db.run_script("ALTER TABLE agent_tasks RENAME TO agent_tasks_elsewhere")
        .await;
    let down = metrics.render(&store).await;
    assert_eq!(sample(&down, "zora_store_up"), Some(0.0), "{down}");
    assert!(
        !down.contains("zora_queue_tasks"),
        "no queue figures: {down}"
    );
    assert!(!down.contains("zora_workers_alive"), "{down}");
    assert!(
        down.contains("# TYPE zora_lease_rescues_total counter"),
        "the process's own counters still answer: {down}"
    );
}

#[tokio::test]
async fn two_handles_count_apart() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (counted, other) = (Metrics::default(), Metrics::default());
    enqueue(store.as_ref(), t.a, KIND, json!({"action": "complete"})).await;
    executor_counting(&store, &counted)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    let series = of_type("zora_tasks_completed_total");
    assert_eq!(value(&counted.render(store.as_ref()).await, &series), 1.0);
    assert_eq!(
        value(&other.render(store.as_ref()).await, &series),
        0.0,
        "another handle counts nothing of it"
    );
    assert_eq!(
        value(&counted.clone().render(store.as_ref()).await, &series),
        1.0,
        "clones share the counts"
    );
}
