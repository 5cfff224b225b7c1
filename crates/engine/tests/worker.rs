//! The worker loop on both stores: it drains what it finds, wakes when notified long
//! before its poll, is fair across tenants, takes back expired leases, and on shutdown
//! gives back what it could not finish, uncharged.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zora_core::{ClaimRequest, ClaimScope, NewTask, Page, Store, TaskFilter, TaskStatus, TenantId};
use zora_engine::{Worker, WorkerSettings};
use zora_testkit::TestBackend;
use zora_testkit::scripted::{KIND, registry_with_scripted};
use zora_testkit::suite::two_tenants;

zora_testkit::both_stores!(
    a_worker_drains_every_tenant_and_stops,
    an_inserted_task_wakes_an_idle_worker_well_before_its_poll,
    a_retry_wakes_the_worker_when_it_is_due_not_at_its_poll,
    a_quiet_tenant_is_served_among_the_first_batches,
    a_type_limit_caps_the_tasks_of_that_type_held_at_once,
    an_expired_lease_is_taken_back_and_finished,
    shutdown_gives_back_unfinished_tasks_uncharged,
    a_type_without_prepare_runs_unseen_unless_a_worker_was_lost_lately,
);

/// Runs one slow `test.scripted_in_tx` task with a fresh worker; whether it was ever
/// seen `in_progress`, and that it completed.
async fn run_slow_in_tx_task(store: &Arc<dyn Store>, tenant: TenantId) -> bool {
    let task = NewTask::new(
        tenant,
        "SAM",
        zora_testkit::scripted::IN_TX_KIND,
        "slow",
        json!({"action": "hang", "ms": 600}),
    );
    let mut tx = store.begin().await.expect("begin");
    tx.insert_task(&task).await.expect("insert");
    tx.commit().await.expect("commit");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker(store, settings()).run(async {
        let _ = stopped.await;
    }));
    let mut seen_in_progress = false;
    let mut status = TaskStatus::Pending;
    for _ in 0..150 {
        status = store
            .get_task(tenant, task.id)
            .await
            .expect("get")
            .expect("task")
            .status;
        seen_in_progress |= status == TaskStatus::InProgress;
        if status == TaskStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    running.await.expect("worker");
    assert_eq!(status, TaskStatus::Completed);
    seen_in_progress
}

/// A type without a `prepare` step is claimed in the transaction that applies it, so it
/// is never seen `in_progress`; once a worker was lost (its row expired unstopped), the
/// others claim visibly, so that a task that kills its process is charged for it.
async fn a_type_without_prepare_runs_unseen_unless_a_worker_was_lost_lately(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    assert!(
        !run_slow_in_tx_task(&store, t.a).await,
        "claimed in one transaction: never in_progress"
    );
    store
        .register_worker(&zora_core::WorkerRegistration {
            kind: zora_core::worker::WorkerKind::Engine,
            id: "worker:lost".into(),
            host: "gone".into(),
            pid: 1,
            tenant: None,
            task_types: vec![zora_testkit::scripted::IN_TX_KIND.into()],
            concurrency: 1,
            ttl: Duration::ZERO,
        })
        .await
        .expect("register");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        run_slow_in_tx_task(&store, t.a).await,
        "a worker was lost: claimed visibly, in_progress while it ran"
    );
}

async fn enqueue(store: &dyn Store, tenant: TenantId, n: usize, payload: serde_json::Value) {
    let mut tx = store.begin().await.expect("begin");
    for i in 0..n {
        tx.insert_task(&NewTask::new(
            tenant,
            "SAM",
            KIND,
            format!("t{i}"),
            payload.clone(),
        ))
        .await
        .expect("insert");
    }
    tx.commit().await.expect("commit");
}

fn settings() -> WorkerSettings {
    WorkerSettings {
        poll_interval: Duration::from_millis(50),
        rescue_interval: Duration::from_millis(100),
        concurrency: 2,
        batch_size: 20,
        per_tenant_cap: 5,
        ..WorkerSettings::default()
    }
}

/// A worker that neither polls nor rescues within a test's time: only a wake-up moves it.
fn idle_settings() -> WorkerSettings {
    WorkerSettings {
        poll_interval: Duration::from_secs(30),
        rescue_interval: Duration::from_secs(30),
        ..settings()
    }
}

fn worker(store: &Arc<dyn Store>, settings: WorkerSettings) -> Worker {
    Worker::new(
        store.clone(),
        Arc::new(registry_with_scripted(Duration::from_secs(10))),
        settings,
    )
}

async fn count(store: &dyn Store, tenant: TenantId, status: TaskStatus) -> u64 {
    let filter = TaskFilter {
        status: Some(status),
        ..TaskFilter::default()
    };
    store
        .list_tasks(tenant, &filter, Page::new(1, 0))
        .await
        .expect("list")
        .total
}

/// Waits until `done` holds, at most 20s.
async fn until(mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not reached in time");
}

async fn a_worker_drains_every_tenant_and_stops(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    enqueue(store.as_ref(), t.a, 25, json!({"action": "complete"})).await;
    enqueue(store.as_ref(), t.b, 5, json!({"action": "fail"})).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker(&store, settings()).run(async {
        let _ = stopped.await;
    }));
    until(async || {
        count(store.as_ref(), t.a, TaskStatus::Completed).await == 25
            && count(store.as_ref(), t.b, TaskStatus::Failed).await == 5
    })
    .await;
    let _ = stop.send(());
    let report = run.await.expect("worker");
    assert_eq!(
        (report.completed, report.failed, report.released),
        (25, 5, 0)
    );
}

async fn an_inserted_task_wakes_an_idle_worker_well_before_its_poll(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let idle = idle_settings();
    let worker = worker(&store, idle);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await; // it has looked, found nothing, and sleeps
    enqueue(store.as_ref(), t.a, 1, json!({"action": "complete"})).await;
    let started = std::time::Instant::now();
    until(async || count(store.as_ref(), t.a, TaskStatus::Completed).await == 1).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "well before the 30s poll"
    );
    let _ = stop.send(());
    run.await.expect("worker");
}

async fn a_retry_wakes_the_worker_when_it_is_due_not_at_its_poll(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let idle = idle_settings();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker(&store, idle).run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Fails transiently once: back to pending, due in 1-2s (the default policy's first
    // backoff), which the store's word tells the worker.
    enqueue(
        store.as_ref(),
        t.a,
        1,
        json!({"action": "transient", "passes_at_attempt": 2}),
    )
    .await;
    let started = std::time::Instant::now();
    until(async || count(store.as_ref(), t.a, TaskStatus::Completed).await == 1).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retried when due, well before the 30s poll: {:?}",
        started.elapsed()
    );
    let done = store
        .list_tasks(t.a, &TaskFilter::default(), Page::new(1, 0))
        .await
        .expect("list")
        .items
        .remove(0);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.errors.len(), 1, "the first attempt's error is kept");
    let _ = stop.send(());
    run.await.expect("worker");
}

async fn a_type_limit_caps_the_tasks_of_that_type_held_at_once(backend: TestBackend) {
    const TASKS: u64 = 8;
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    enqueue(
        store.as_ref(),
        t.a,
        TASKS as usize,
        json!({"action": "hang", "at": "prepare", "ms": 250}),
    )
    .await;
    let limited = WorkerSettings {
        concurrency: 4,
        batch_size: 20,
        type_concurrency: [(KIND.to_owned(), 2)].into(),
        ..settings()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker(&store, limited).run(async {
        let _ = stopped.await;
    }));
    let mut most_held = 0;
    for _ in 0..500 {
        most_held = most_held.max(count(store.as_ref(), t.a, TaskStatus::InProgress).await);
        if count(store.as_ref(), t.a, TaskStatus::Completed).await == TASKS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    run.await.expect("worker");
    assert_eq!(
        count(store.as_ref(), t.a, TaskStatus::Completed).await,
        TASKS
    );
    assert_eq!(
        most_held, 2,
        "never more than the type's limit held at once (and the limit used)"
    );
}

async fn a_quiet_tenant_is_served_among_the_first_batches(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    // DESIGN's case: tenant A with 5,000 pending, tenant B with 10.
    enqueue(store.as_ref(), t.a, 5_000, json!({"action": "complete"})).await;
    enqueue(store.as_ref(), t.b, 10, json!({"action": "complete"})).await;
    let fair = WorkerSettings {
        concurrency: 1,
        ..settings()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker(&store, fair).run(async {
        let _ = stopped.await;
    }));
    until(async || count(store.as_ref(), t.b, TaskStatus::Completed).await == 10).await;
    let _ = stop.send(());
    run.await.expect("worker");
    // Judged by when each task finished, not by when the test looked.
    let quiet = store
        .list_tasks(t.b, &TaskFilter::default(), Page::new(200, 0))
        .await
        .expect("list");
    let last_quiet = quiet
        .items
        .iter()
        .filter_map(|task| task.completed_at)
        .max()
        .expect("completed");
    let done_first = TaskFilter {
        status: Some(TaskStatus::Completed),
        ..TaskFilter::default()
    };
    let busy_first = store
        .list_tasks(t.a, &done_first, Page::new(200, 0))
        .await
        .expect("list")
        .items
        .iter()
        .filter(|task| task.completed_at.is_some_and(|at| at < last_quiet))
        .count();
    // Batches of 20 with at most 5 of a tenant each: B's 10 take two or three batches.
    assert!(
        busy_first <= 60,
        "the quiet tenant was served within the first batches ({busy_first} of the busy one's finished before it)"
    );
}

async fn an_expired_lease_is_taken_back_and_finished(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    enqueue(store.as_ref(), t.a, 3, json!({"action": "complete"})).await;
    // A worker that died right after claiming: its lease lasts no time.
    let dead = store
        .claim_tasks(&ClaimRequest {
            scope: ClaimScope::Tenant(t.a),
            task_types: vec![KIND.into()],
            limit: 3,
            owner: "dead-worker".into(),
            lease_duration: Duration::ZERO,
        })
        .await
        .expect("claim");
    assert_eq!(dead.len(), 3);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker(&store, settings()).run(async {
        let _ = stopped.await;
    }));
    until(async || count(store.as_ref(), t.a, TaskStatus::Completed).await == 3).await;
    let _ = stop.send(());
    let report = run.await.expect("worker");
    assert_eq!(report.rescued, 3);
    let done = store
        .list_tasks(t.a, &TaskFilter::default(), Page::default())
        .await
        .expect("list");
    assert!(
        done.items
            .iter()
            .all(|task| task.attempts == 2 && task.errors.len() == 1),
        "the lapse is recorded"
    );
}

async fn shutdown_gives_back_unfinished_tasks_uncharged(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    enqueue(
        store.as_ref(),
        t.a,
        4,
        json!({"action": "hang", "ms": 5000, "at": "prepare"}),
    )
    .await;
    let brief = WorkerSettings {
        shutdown_timeout: Duration::from_millis(200),
        ..settings()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker(&store, brief).run(async {
        let _ = stopped.await;
    }));
    until(async || count(store.as_ref(), t.a, TaskStatus::InProgress).await == 4).await;
    let _ = stop.send(());
    let report = run.await.expect("worker");
    assert_eq!(report.released, 4);
    let back = store
        .list_tasks(t.a, &TaskFilter::default(), Page::default())
        .await
        .expect("list");
    assert!(
        back.items
            .iter()
            .all(|task| task.status == TaskStatus::Pending
                && task.attempts == 0
                && task.lease_owner.is_none()),
        "released unrun and uncharged: {:?}",
        back.items
            .iter()
            .map(|t| (t.status, t.attempts))
            .collect::<Vec<_>>()
    );
}
