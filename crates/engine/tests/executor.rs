//! The executor's behaviour on both stores: what it claims and leaves alone, how one
//! task's failure, panic or timeout stays that task's, retries, and run-by-id refusals.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use zora_core::{NewTask, Store, TaskStatus};
use zora_engine::{Executor, ExecutorSettings, RunTaskError, TaskOutcome};
use zora_testkit::TestBackend;
use zora_testkit::runs;
use zora_testkit::suite::{claim_and_die, rescue, two_tenants};

use zora_testkit::runs::{enqueue, enqueue_with, executor, journal_of, run, task};

zora_testkit::both_stores!(
    an_unsupported_type_run_by_id_fails_with_the_sorted_list,
    unsupported_types_and_other_tenants_are_left_alone,
    a_panic_fails_only_its_task,
    a_failing_batch_charges_nobody_twice,
    transient_failures_back_off_then_fail_for_good,
    an_attempt_lost_to_a_crash_is_not_charged,
    a_transient_failure_is_retried_after_its_backoff_and_succeeds,
    a_timeout_fails_its_task_and_its_neighbours_complete,
    a_failure_rolls_back_only_its_own_writes,
    run_task_refuses_what_it_must_not_run,
    a_long_prepare_keeps_its_lease_with_heartbeats,
    a_worker_whose_lease_was_taken_over_cannot_commit,
);

const SCRIPTED: &str = zora_testkit::scripted::KIND;

async fn an_unsupported_type_run_by_id_fails_with_the_sorted_list(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let id = enqueue(store.as_ref(), t.a, "plan_workflow", json!({})).await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Failed);
    let supported = runs::executor(&store).registry().kinds().join(", ");
    assert!(supported.contains("climate.create_single_mission, climate.suggest_weekly_plan"));
    assert_eq!(
        task.error_message,
        Some(format!(
            "Unsupported task type: plan_workflow. Supported types: {supported}"
        ))
    );
}

async fn unsupported_types_and_other_tenants_are_left_alone(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let mut legacy = Vec::new();
    for i in 0..5 {
        let mut new = NewTask::new(
            t.a,
            "SAM",
            "plan_workflow",
            format!("legacy {i}"),
            json!({}),
        );
        new.priority = 9;
        legacy.push(enqueue_with(store.as_ref(), new).await);
    }
    let ours = [
        enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await,
        enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await,
    ];
    let theirs = enqueue(store.as_ref(), t.b, SCRIPTED, json!({"action": "complete"})).await;
    let before: Vec<_> = futures_rows(store.as_ref(), t.a, &legacy).await;

    let summary = executor(&store)
        .run_pending(t.a, 2, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(
        (summary.fetched, summary.completed),
        (2, 2),
        "the limit is spent on supported types: {summary:?}"
    );
    for id in ours {
        assert_eq!(
            task(store.as_ref(), t.a, id).await.status,
            TaskStatus::Completed
        );
    }
    assert_eq!(
        futures_rows(store.as_ref(), t.a, &legacy).await,
        before,
        "unsupported tasks untouched"
    );
    assert_eq!(
        task(store.as_ref(), t.b, theirs).await.status,
        TaskStatus::Pending,
        "another tenant's task is not run"
    );

    let only = vec!["climate.create_single_mission".to_owned()];
    let none = executor(&store)
        .run_pending(t.b, 10, Some(&only), &|_| {})
        .await
        .expect("run");
    assert_eq!(none.fetched, 0, "--task-type filters the claim");
}

async fn futures_rows(
    store: &dyn Store,
    tenant: zora_core::TenantId,
    ids: &[zora_core::TaskId],
) -> Vec<zora_core::Task> {
    let mut rows = Vec::new();
    for id in ids {
        rows.push(task(store, tenant, *id).await);
    }
    rows
}

async fn a_panic_fails_only_its_task(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let before = enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await;
    let panics = enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "panic"})).await;
    let after = enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await;
    let summary = executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!((summary.completed, summary.failed), (2, 1), "{summary:?}");
    let failed = task(store.as_ref(), t.a, panics).await;
    assert_eq!(failed.status, TaskStatus::Failed);
    assert_eq!(
        failed.error_message.as_deref(),
        Some("Handler panicked: scripted panic")
    );
    assert_eq!(failed.errors[0].kind, zora_core::FailureKind::Panic);
    for id in [before, after] {
        assert_eq!(
            task(store.as_ref(), t.a, id).await.status,
            TaskStatus::Completed
        );
        assert_eq!(journal_of(&backend.inspect().await, t.a, id).await.len(), 1);
    }
    assert!(
        journal_of(&backend.inspect().await, t.a, panics)
            .await
            .is_empty()
    );
}

async fn a_failing_batch_charges_nobody_twice(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let good = [
        enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await,
        enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await,
    ];
    // Its journal entry names a tenant that does not exist: the batch's journal insert,
    // outside every task's savepoint, fails and the batch transaction is lost.
    let poison = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "poison_batch"}),
    )
    .await;
    let summary = executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!((summary.completed, summary.failed), (2, 1), "{summary:?}");
    for id in good {
        let done = task(store.as_ref(), t.a, id).await;
        assert_eq!(done.status, TaskStatus::Completed);
        assert_eq!(done.attempts, 1, "not charged for the neighbour's fault");
        assert!(done.errors.is_empty());
        assert_eq!(
            journal_of(&backend.inspect().await, t.a, id).await.len(),
            1,
            "its effect exactly once"
        );
    }
    let failed = task(store.as_ref(), t.a, poison).await;
    assert_eq!(failed.status, TaskStatus::Failed);
    assert_eq!(failed.errors.len(), 1, "charged once");
    assert_eq!(
        failed.error_message.as_deref(),
        Some("A row this task refers to does not exist any more")
    );
}

/// A scripted task of `tenant` that fails transiently at every attempt, allowed two.
async fn enqueue_flaky(store: &dyn Store, tenant: zora_core::TenantId) -> zora_core::TaskId {
    let mut flaky = NewTask::new(
        tenant,
        "ORACLE",
        SCRIPTED,
        "flaky",
        json!({"action": "transient"}),
    );
    flaky.max_attempts = Some(2);
    enqueue_with(store, flaky).await
}

async fn transient_failures_back_off_then_fail_for_good(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let id = enqueue_flaky(store.as_ref(), t.a).await;
    let (report, first) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Retrying);
    assert_eq!(first.status, TaskStatus::Pending);
    assert!(first.run_at > Utc::now(), "backed off");
    assert_eq!(
        first.error_message.as_deref(),
        Some("scripted transient failure")
    );
    assert!(
        executor(&store)
            .run_pending(t.a, 10, None, &|_| {})
            .await
            .expect("run")
            .tasks
            .is_empty(),
        "not due yet"
    );
    let (report, second) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Failed, "attempts exhausted");
    assert_eq!(
        (second.status, second.attempts, second.errors.len()),
        (TaskStatus::Failed, 2, 2)
    );
}

/// A worker dies holding the task (its lease lapses, the rescue takes it back): that lost
/// attempt is not one of its two, so a transient failure after it is retried.
async fn an_attempt_lost_to_a_crash_is_not_charged(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let id = enqueue_flaky(store.as_ref(), t.a).await;
    claim_and_die(store.as_ref(), t.a, &[SCRIPTED], 1, "killed-worker").await;
    let rescued = rescue(store.as_ref(), zora_core::RescuePolicy::default()).await;
    assert_eq!(rescued.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);

    let (report, after) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Retrying, "1 of 2 charged");
    assert_eq!(
        (after.status, after.attempts, after.charged_attempts()),
        (TaskStatus::Pending, 2, 1)
    );
    assert!(
        after.run_at > Utc::now(),
        "backed off as after a first attempt"
    );
}

async fn a_timeout_fails_its_task_and_its_neighbours_complete(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let slow = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "hang", "ms": 3000}),
    )
    .await;
    let quick = enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await;
    let summary = executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(
        (summary.completed, summary.failed, summary.retried),
        (1, 0, 1),
        "a task sent back for a retry is counted as retried, not failed: {summary:?}"
    );
    let timed_out = task(store.as_ref(), t.a, slow).await;
    assert_eq!(
        timed_out.status,
        TaskStatus::Pending,
        "a timeout is retried"
    );
    assert_eq!(timed_out.errors[0].kind, zora_core::FailureKind::Timeout);
    assert!(
        journal_of(&backend.inspect().await, t.a, slow)
            .await
            .is_empty()
    );
    let done = task(store.as_ref(), t.a, quick).await;
    assert_eq!((done.status, done.attempts), (TaskStatus::Completed, 1));
}

async fn a_failure_rolls_back_only_its_own_writes(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let writes_then_fails = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "fail", "write_first": true}),
    )
    .await;
    let fails_in_prepare = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "fail", "at": "prepare"}),
    )
    .await;
    let completes = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "complete", "write_first": true}),
    )
    .await;
    let summary = executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!((summary.completed, summary.failed), (1, 2), "{summary:?}");
    assert!(
        journal_of(&backend.inspect().await, t.a, writes_then_fails)
            .await
            .is_empty(),
        "its write rolled back"
    );
    assert!(
        journal_of(&backend.inspect().await, t.a, fails_in_prepare)
            .await
            .is_empty()
    );
    assert_eq!(
        journal_of(&backend.inspect().await, t.a, completes)
            .await
            .len(),
        1,
        "the neighbour's write kept"
    );
    assert_eq!(
        task(store.as_ref(), t.a, fails_in_prepare)
            .await
            .error_message
            .as_deref(),
        Some("scripted failure")
    );
}

async fn run_task_refuses_what_it_must_not_run(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let done = enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "complete"})).await;
    let broken = enqueue(store.as_ref(), t.a, SCRIPTED, json!({"action": "fail"})).await;
    run(&store, t.a, done).await;
    run(&store, t.a, broken).await;
    let exec = executor(&store);
    for (id, status) in [(done, "completed"), (broken, "failed")] {
        let before = task(store.as_ref(), t.a, id).await;
        match exec.run_task(t.a, id).await {
            Err(RunTaskError::Refused(message)) => {
                assert_eq!(message, format!("Task {id} is already {status}"))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(task(store.as_ref(), t.a, id).await, before, "untouched");
    }
    assert!(
        matches!(
            exec.run_task(t.b, done).await,
            Err(RunTaskError::NotFound(_))
        ),
        "another tenant's task"
    );
    let mut gated = NewTask::new(
        t.a,
        "ORACLE",
        SCRIPTED,
        "gated",
        json!({"action": "complete"}),
    );
    gated.requires_approval = true;
    let gated = enqueue_with(store.as_ref(), gated).await;
    match exec.run_task(t.a, gated).await {
        Err(RunTaskError::Refused(message)) => {
            assert_eq!(message, format!("Task {gated} is awaiting approval"))
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_long_prepare_keeps_its_lease_with_heartbeats(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let mut settings = ExecutorSettings::new("test");
    settings.lease_duration = Duration::from_millis(600);
    settings.heartbeat_interval = Some(Duration::from_millis(100));
    let executor = Executor::new(
        store.clone(),
        Arc::new(zora_testkit::scripted::registry_with_scripted(
            Duration::from_secs(10),
        )),
        settings,
    );
    let slow = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "hang", "at": "prepare", "ms": 2000}),
    )
    .await;
    let rescuer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut rescued = 0;
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                rescued += store
                    .rescue_expired_leases_all_tenants(zora_core::RescuePolicy::default(), 100)
                    .await
                    .expect("rescue")
                    .len();
            }
            rescued
        })
    };
    let summary = executor
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(
        rescuer.await.expect("rescuer"),
        0,
        "a lease kept alive by heartbeats is never taken back, over three lease lengths"
    );
    assert_eq!(summary.completed, 1, "{summary:?}");
    let done = task(store.as_ref(), t.a, slow).await;
    assert_eq!(
        (done.status, done.attempts, done.errors.len()),
        (TaskStatus::Completed, 1, 0)
    );
}

async fn a_worker_whose_lease_was_taken_over_cannot_commit(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    // A short lease and no heartbeat in time: a stalled worker (a long GC pause, a frozen
    // VM) whose lease lapses while it is in `prepare`.
    let mut settings = ExecutorSettings::new("stalled");
    settings.lease_duration = Duration::from_millis(400);
    settings.heartbeat_interval = Some(Duration::from_secs(60));
    let executor = Executor::new(
        store.clone(),
        Arc::new(zora_testkit::scripted::registry_with_scripted(
            Duration::from_secs(10),
        )),
        settings,
    );
    let id = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "hang", "at": "prepare", "ms": 1500}),
    )
    .await;
    let usurper = {
        let store = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            store
                .claim_task(t.a, id, "usurper", Duration::from_secs(60))
                .await
                .expect("claim by id")
        })
    };
    let summary = executor
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    match usurper.await.expect("usurper") {
        zora_core::ClaimById::Claimed(task) => assert_eq!(task.attempts, 2),
        other => panic!("the lapsed lease should have been taken over: {other:?}"),
    }
    assert_eq!(
        (summary.completed, summary.failed),
        (0, 0),
        "the stalled worker committed nothing: {summary:?}"
    );
    let held = task(store.as_ref(), t.a, id).await;
    assert_eq!(
        (held.status, held.lease_owner.as_deref(), held.attempts),
        (TaskStatus::InProgress, Some("usurper"), 2),
        "the task stays the usurper's"
    );
    assert_eq!(
        backend.count("journal_entries", t.a).await,
        0,
        "no effect of the stalled worker's apply landed"
    );
}

async fn a_transient_failure_is_retried_after_its_backoff_and_succeeds(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        SCRIPTED,
        json!({"action": "transient", "passes_at_attempt": 2}),
    )
    .await;
    let run_due = || async {
        executor(&store)
            .run_pending(t.a, 10, None, &|_| {})
            .await
            .expect("run")
    };
    let first = run_due().await;
    assert_eq!(
        first.tasks.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        [TaskOutcome::Retrying],
        "the first attempt fails transiently"
    );
    let waiting = task(store.as_ref(), t.a, id).await;
    assert_eq!(waiting.status, TaskStatus::Pending);
    let backoff = waiting.run_at - Utc::now();
    assert!(
        backoff > chrono::Duration::milliseconds(500),
        "backed off: {backoff}"
    );
    assert!(
        run_due().await.tasks.is_empty(),
        "not due before its backoff"
    );

    tokio::time::sleep(backoff.to_std().expect("positive") + Duration::from_millis(50)).await;
    assert_eq!(run_due().await.completed, 1, "due again, and it passes");
    let done = task(store.as_ref(), t.a, id).await;
    assert_eq!(
        (done.status, done.attempts, done.errors.len()),
        (TaskStatus::Completed, 2, 1),
        "the first attempt's error is kept"
    );
    assert_eq!(
        journal_of(&backend.inspect().await, t.a, id).await.len(),
        1,
        "one effect"
    );
}
