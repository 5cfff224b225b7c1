//! Suite cases for the task queue: insert, get, list, claim, outcomes, rescue, stats.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use zora_core::stats::Scope;
use zora_core::{
    ClaimScope, Completion, Failure, FailureKind, Lease, NewTask, Page, Store, StoreError, Task,
    TaskFilter, TaskId, TaskState, TaskStatus, TenantId,
};

use super::{claim_and_die, claim_for, insert_tasks, rescue, sample_payload, task, two_tenants};

pub async fn insert_and_get_round_trip(store: &dyn Store) {
    let t = two_tenants(store).await;
    let mut new = task(t.a, "climate.create_single_mission", "Round trip");
    new.priority = 7;
    new.description = Some("described".into());
    new.max_attempts = Some(5);
    let before = Utc::now() - chrono::Duration::seconds(5);
    let stored = insert_tasks(store, &[new.clone()]).await.remove(0);
    assert_eq!(stored.id, new.id);
    assert_eq!(stored.status, TaskStatus::Pending);
    assert_eq!(
        stored.payload,
        sample_payload(),
        "payload comes back as the same object"
    );
    assert_eq!(stored.attempts, 0);
    assert!(stored.errors.is_empty());
    assert!(stored.lease_owner.is_none() && stored.result.is_none());
    assert!(
        stored.run_at >= before && stored.created_at >= before,
        "timestamps compare"
    );

    let got = store
        .get_task(t.a, new.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got, stored);
    assert_eq!(
        got.payload["big"],
        json!(9_007_199_254_740_991_i64),
        "numbers stay numbers"
    );
    assert_eq!(got.max_attempts, Some(5));

    assert!(
        store.get_task(t.b, new.id).await.expect("get").is_none(),
        "tenant B cannot see it"
    );
    assert!(
        store
            .get_task(t.a, TaskId::new())
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn list_orders_filters_and_paginates(store: &dyn Store) {
    let t = two_tenants(store).await;
    // Ids are made in ascending order, then inserted in reverse in one transaction: on
    // PostgreSQL every created_at is equal (on SQLite most are), so only `id` can put the
    // ties in order, and insertion order would get it backwards.
    let mut batch = Vec::new();
    for (i, priority) in [0, 5, 5, 1, 5, 0].into_iter().enumerate() {
        let mut new = task(
            t.a,
            if i % 2 == 0 { "type.even" } else { "type.odd" },
            &format!("t{i}"),
        );
        new.priority = priority;
        if i == 3 {
            new.agent_id = "LUMINA".into();
        }
        batch.push(new);
    }
    batch.reverse();
    insert_tasks(store, &batch).await;
    insert_tasks(store, &[task(t.b, "type.even", "other tenant")]).await;

    let all = store
        .list_tasks(t.a, &TaskFilter::default(), Page::new(50, 0))
        .await
        .expect("list");
    assert_eq!(all.total, 6);
    let mut expected = all.items.clone();
    zora_core::sort_in_claim_order(&mut expected);
    assert_eq!(
        all.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        expected.iter().map(|t| t.id).collect::<Vec<_>>(),
        "priority DESC, then created_at, then id"
    );
    let fives: Vec<TaskId> = all
        .items
        .iter()
        .filter(|t| t.priority == 5)
        .map(|t| t.id)
        .collect();
    let mut ascending = fives.clone();
    ascending.sort();
    if all
        .items
        .iter()
        .filter(|t| t.priority == 5)
        .all(|t| t.created_at == all.items[0].created_at)
    {
        assert_eq!(
            fives, ascending,
            "equal priority and created_at: id ascending"
        );
    }

    let mut seen = Vec::new();
    for offset in (0..6).step_by(4) {
        let page = store
            .list_tasks(t.a, &TaskFilter::default(), Page::new(4, offset))
            .await
            .expect("page");
        assert_eq!(page.total, 6);
        assert_eq!(page.has_more(), offset == 0);
        seen.extend(page.items.into_iter().map(|t| t.id));
    }
    assert_eq!(
        seen,
        all.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        "pages never overlap"
    );

    let total = |filter: TaskFilter| async move {
        store
            .list_tasks(t.a, &filter, Page::default())
            .await
            .expect("list")
            .total
    };
    let by_agent = TaskFilter {
        agent_id: Some("lumina".into()),
        ..TaskFilter::default()
    };
    assert_eq!(total(by_agent).await, 1);
    let by_type = TaskFilter {
        task_type: Some("type.odd".into()),
        ..TaskFilter::default()
    };
    assert_eq!(total(by_type).await, 3);
    let by_status = TaskFilter {
        status: Some(TaskStatus::Completed),
        ..TaskFilter::default()
    };
    assert_eq!(total(by_status).await, 0);
    let past_the_end = store
        .list_tasks(t.a, &TaskFilter::default(), Page::new(10, 100))
        .await
        .expect("list");
    assert!(past_the_end.items.is_empty());
    assert_eq!(
        past_the_end.total, 6,
        "the total is known on an empty page too"
    );
    let b = store
        .list_tasks(t.b, &TaskFilter::default(), Page::default())
        .await
        .expect("list");
    assert_eq!(b.total, 1);
}

pub async fn claim_for_tenant_takes_runnable_tasks_in_order(store: &dyn Store) {
    let t = two_tenants(store).await;
    let low = task(t.a, "kind.a", "low");
    let mut high = task(t.a, "kind.a", "high");
    high.priority = 10;
    let unregistered = task(t.a, "kind.legacy", "unregistered type");
    let mut later = task(t.a, "kind.a", "not due");
    later.run_at = Some(Utc::now() + chrono::Duration::hours(1));
    let mut awaiting = task(t.a, "kind.a", "awaiting approval");
    awaiting.requires_approval = true;
    let other_tenant = task(t.b, "kind.a", "tenant B");
    insert_tasks(
        store,
        &[
            low.clone(),
            high.clone(),
            unregistered.clone(),
            later,
            awaiting,
            other_tenant,
        ],
    )
    .await;

    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.a"], 10, "worker-1"))
        .await
        .expect("claim");
    let ids: Vec<TaskId> = claimed.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        vec![high.id, low.id],
        "due, registered, approved-or-free, in priority order"
    );
    for task in &claimed {
        assert_eq!(task.status, TaskStatus::InProgress);
        assert_eq!(task.attempts, 1);
        assert_eq!(task.lease_owner.as_deref(), Some("worker-1"));
        let expires = task.lease_expires_at.expect("lease expiry");
        let started = task.started_at.expect("started_at");
        assert!(expires > started, "the lease runs past the claim");
    }
    let again = store
        .claim_tasks(&claim_for(t.a, &["kind.a", "kind.legacy"], 10, "worker-2"))
        .await
        .expect("claim");
    assert_eq!(
        again.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![unregistered.id],
        "claimed tasks are not claimed twice"
    );
    let limited = store
        .claim_tasks(&claim_for(t.b, &["kind.a"], 0, "w"))
        .await
        .expect("claim");
    assert!(limited.is_empty(), "limit 0 claims nothing");
    let b = store
        .claim_tasks(&claim_for(t.b, &["kind.a"], 10, "w"))
        .await
        .expect("claim");
    assert_eq!(b.len(), 1, "tenant B's task was left for tenant B");
}

pub async fn claim_across_tenants_caps_each_tenant(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let busy: Vec<NewTask> = (0..10)
        .map(|i| task(t.a, &kind, &format!("a{i}")))
        .collect();
    let quiet: Vec<NewTask> = (0..2).map(|i| task(t.b, &kind, &format!("b{i}"))).collect();
    insert_tasks(store, &busy).await;
    insert_tasks(store, &quiet).await;
    let mut request = claim_for(t.a, &[kind.as_str()], 6, "w");
    request.scope = ClaimScope::AllTenants { per_tenant_cap: 3 };
    let claimed = store.claim_tasks(&request).await.expect("claim");
    let from_a = claimed.iter().filter(|task| task.tenant_id == t.a).count();
    let from_b = claimed.iter().filter(|task| task.tenant_id == t.b).count();
    assert_eq!(
        (from_a, from_b),
        (3, 2),
        "the busy tenant is capped; the quiet one is served"
    );
    // Alone with pending work, a tenant fills the batch: the cap binds only among others.
    let alone = store.claim_tasks(&request).await.expect("claim");
    assert_eq!(alone.len(), 6, "a lone tenant is not held to the cap");
    assert!(alone.iter().all(|task| task.tenant_id == t.a));
}

/// The fair share counts only tenants with runnable work: beside tenants whose pending
/// rows are all of types the engine does not run, or not yet due, a lone runnable
/// tenant fills the batch.
pub async fn the_fair_share_counts_only_runnable_work(store: &dyn Store) {
    let t = two_tenants(store).await;
    let later = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let runnable: Vec<NewTask> = (0..10)
        .map(|i| task(t.a, &kind, &format!("a{i}")))
        .collect();
    let legacy: Vec<NewTask> = (0..5)
        .map(|i| task(t.b, "plan_workflow", &format!("legacy{i}")))
        .collect();
    let not_due: Vec<NewTask> = (0..5)
        .map(|i| {
            let mut new = task(later.a, &kind, &format!("later{i}"));
            new.run_at = Some(chrono::Utc::now() + chrono::Duration::hours(1));
            new
        })
        .collect();
    insert_tasks(store, &[runnable, legacy, not_due].concat()).await;
    let mut request = claim_for(t.a, &[kind.as_str()], 6, "w");
    request.scope = ClaimScope::AllTenants { per_tenant_cap: 3 };
    let claimed = store.claim_tasks(&request).await.expect("claim");
    assert_eq!(claimed.len(), 6, "the one runnable tenant fills the batch");
    assert!(claimed.iter().all(|task| task.tenant_id == t.a));
}

pub async fn outcomes_are_conditional_on_the_lease(store: &dyn Store) {
    let t = two_tenants(store).await;
    let new = task(t.a, "kind.a", "lease");
    insert_tasks(store, std::slice::from_ref(&new)).await;
    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.a"], 1, "owner"))
        .await
        .expect("claim");
    let lease = claimed[0].lease().expect("lease");
    let result = json!({"mission_id": "x", "n": 2, "ok": true, "ratio": 0.25});

    let wrong_owner = zora_core::Lease {
        owner: "intruder".into(),
        ..lease.clone()
    };
    let stale_attempt = zora_core::Lease {
        attempt: lease.attempt + 1,
        ..lease.clone()
    };
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        tx.lock_leased_tasks(&[wrong_owner.clone(), stale_attempt.clone(), lease.clone()])
            .await
            .expect("lock"),
        vec![new.id],
        "only the task under exactly this lease is locked"
    );
    for bad in [wrong_owner, stale_attempt] {
        let written = tx
            .complete_tasks(&[Completion {
                lease: bad,
                result: result.clone(),
                summary: "no".into(),
            }])
            .await
            .expect("complete");
        assert!(written.is_empty(), "another lease cannot write the outcome");
    }
    let done = Completion {
        lease: lease.clone(),
        result: result.clone(),
        summary: "Created mission".into(),
    };
    assert_eq!(
        tx.complete_tasks(std::slice::from_ref(&done))
            .await
            .expect("complete"),
        vec![new.id]
    );
    assert!(
        tx.complete_tasks(&[done])
            .await
            .expect("complete")
            .is_empty(),
        "only once"
    );
    tx.commit().await.expect("commit");

    let stored = store
        .get_task(t.a, new.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(stored.status, TaskStatus::Completed);
    assert_eq!(
        stored.result,
        Some(result),
        "result comes back as the same object"
    );
    assert_eq!(stored.result_summary.as_deref(), Some("Created mission"));
    assert!(stored.completed_at.is_some() && stored.lease_owner.is_none());
    assert_eq!(
        stored.completed_by.as_deref(),
        Some(lease.owner.as_str()),
        "the worker that completed it is kept"
    );
    let mut tx = store.begin().await.expect("begin");
    let late = tx
        .fail_tasks(&[Failure {
            lease,
            kind: FailureKind::Permanent,
            message: "too late".into(),
            retry_in: None,
        }])
        .await
        .expect("fail");
    assert!(late.is_empty(), "a finished task takes no second outcome");
    tx.commit().await.expect("commit");
}

pub async fn failures_retry_later_or_fail_for_good(store: &dyn Store) {
    let t = two_tenants(store).await;
    let flaky = task(t.a, "kind.a", "flaky");
    let broken = task(t.a, "kind.a", "broken");
    insert_tasks(store, &[flaky.clone(), broken.clone()]).await;
    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.a"], 2, "w"))
        .await
        .expect("claim");
    let lease_of = |id: TaskId| {
        claimed
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.lease())
            .expect("claimed")
    };
    let mut tx = store.begin().await.expect("begin");
    let written = tx
        .fail_tasks(&[
            Failure {
                lease: lease_of(flaky.id),
                kind: FailureKind::Transient,
                message: "connection lost".into(),
                retry_in: Some(Duration::from_secs(600)),
            },
            Failure {
                lease: lease_of(broken.id),
                kind: FailureKind::Permanent,
                message: "Missing required fields: profile_id and title".into(),
                retry_in: None,
            },
        ])
        .await
        .expect("fail");
    assert_eq!(written.len(), 2);
    tx.commit().await.expect("commit");

    let retried = store
        .get_task(t.a, flaky.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(retried.status, TaskStatus::Pending);
    assert!(
        retried.run_at > Utc::now() + chrono::Duration::seconds(500),
        "backed off"
    );
    assert_eq!(retried.errors.len(), 1);
    assert_eq!(retried.errors[0].kind, FailureKind::Transient);
    assert_eq!(retried.errors[0].attempt, 1);
    assert_eq!(retried.errors[0].worker.as_deref(), Some("w"), "who ran it");
    assert!(retried.lease_owner.is_none() && retried.completed_at.is_none());
    assert!(
        store
            .claim_tasks(&claim_for(t.a, &["kind.a"], 5, "w"))
            .await
            .expect("claim")
            .is_empty(),
        "a backed-off task is not due yet"
    );

    let failed = store
        .get_task(t.a, broken.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(failed.status, TaskStatus::Failed);
    assert_eq!(
        failed.error_message.as_deref(),
        Some("Missing required fields: profile_id and title")
    );
    assert!(failed.completed_at.is_some());
    assert_eq!(failed.errors[0].kind, FailureKind::Permanent);
}

pub async fn rescue_takes_back_expired_leases_only(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let retryable = task(t.a, &kind, "retryable");
    let mut one_attempt = task(t.a, &kind, "one attempt");
    one_attempt.max_attempts = Some(1);
    let live = task(t.b, &kind, "live lease");
    insert_tasks(
        store,
        &[retryable.clone(), one_attempt.clone(), live.clone()],
    )
    .await;
    store
        .claim_tasks(&claim_for(t.b, &[kind.as_str()], 10, "live-worker"))
        .await
        .expect("claim");
    let dead = claim_and_die(store, t.a, &[kind.as_str()], 10, "dead-worker").await;
    assert_eq!(dead.len(), 2);

    let rescued = rescue(store, zora_core::RescuePolicy::default()).await;
    let mut rescued_ids: Vec<TaskId> = rescued.iter().map(|t| t.id).collect();
    rescued_ids.sort();
    let mut expected = vec![retryable.id, one_attempt.id];
    expected.sort();
    assert_eq!(rescued_ids, expected, "only expired leases are taken back");

    let back = store
        .get_task(t.a, retryable.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(back.status, TaskStatus::Pending);
    assert!(back.lease_owner.is_none());
    assert_eq!(
        back.errors.last().map(|e| e.kind),
        Some(FailureKind::LeaseExpired)
    );
    assert_eq!(
        back.errors.last().and_then(|e| e.worker.as_deref()),
        Some("dead-worker"),
        "a lost attempt names the worker that lost it"
    );
    let again = store
        .get_task(t.a, one_attempt.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        (
            again.status,
            again.lost_attempts(),
            again.charged_attempts()
        ),
        (TaskStatus::Pending, 1, 0),
        "an attempt lost to a crash costs none of its one attempt"
    );
    let still = store
        .get_task(t.b, live.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        still.status,
        TaskStatus::InProgress,
        "a live lease is left alone"
    );

    // The dead worker wakes up: its outcome must not land.
    let mut tx = store.begin().await.expect("begin");
    let stale = dead
        .iter()
        .map(|t| t.lease().expect("lease"))
        .collect::<Vec<_>>();
    assert!(tx.lock_leased_tasks(&stale).await.expect("lock").is_empty());
    let written = tx
        .complete_tasks(
            &stale
                .into_iter()
                .map(|lease| Completion {
                    lease,
                    result: json!({}),
                    summary: "late".into(),
                })
                .collect::<Vec<_>>(),
        )
        .await
        .expect("complete");
    assert!(
        written.is_empty(),
        "a rescued task cannot be completed by its old lease"
    );
    tx.commit().await.expect("commit");
    assert!(
        store
            .rescue_expired_leases_all_tenants(zora_core::RescuePolicy::default(), 100)
            .await
            .expect("rescue")
            .is_empty()
    );
}

/// The one task of `kind` claimed by `owner`, who dies holding it, then rescued under
/// `policy`: the task as the rescue left it.
async fn lose_one_attempt(
    store: &dyn Store,
    tenant: TenantId,
    kind: &str,
    owner: &str,
    policy: zora_core::RescuePolicy,
) -> Task {
    assert_eq!(
        claim_and_die(store, tenant, &[kind], 10, owner).await.len(),
        1
    );
    let rescued = rescue(store, policy).await;
    let [back] = rescued.as_slice() else {
        panic!("one task rescued, got {rescued:?}");
    };
    back.clone()
}

/// A task that keeps losing its lease (it likely stops its worker) fails once it has lost
/// `max_lost_attempts`, whatever its `max_attempts`; until then each loss costs nothing.
pub async fn the_rescue_fails_a_task_that_lost_too_many_attempts(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let mut poison = task(t.a, &kind, "stops its worker");
    poison.max_attempts = Some(10);
    insert_tasks(store, &[poison.clone()]).await;
    let policy = zora_core::RescuePolicy {
        max_lost_attempts: 3,
    };
    for lost in 1..=3 {
        let back = lose_one_attempt(store, t.a, &kind, &format!("worker-{lost}"), policy).await;
        assert_eq!(
            (back.lost_attempts(), back.charged_attempts()),
            (lost, 0),
            "loss {lost}"
        );
        if lost < 3 {
            assert_eq!(back.status, TaskStatus::Pending, "loss {lost} of 3");
            assert!(back.completed_at.is_none());
        } else {
            assert_eq!(back.status, TaskStatus::Failed, "the third loss of 3");
            assert!(back.completed_at.is_some());
            let message = back.error_message.as_deref().unwrap_or_default();
            assert!(
                message.starts_with(
                    "Lease expired 3 times, the most a task may lose \
                     (it may be stopping its worker); last: lease held by worker-3 expired at "
                ),
                "{message}"
            );
        }
    }
}

/// A failed task sent back by a retry starts its lost attempts over: the losses of its
/// earlier run stay in `errors` but count no more.
pub async fn a_retried_task_starts_its_lost_attempts_over(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let stopped = task(t.a, &kind, "stopped its workers");
    insert_tasks(store, std::slice::from_ref(&stopped)).await;
    let policy = zora_core::RescuePolicy {
        max_lost_attempts: 2,
    };
    let lose_one = async |owner: &str| lose_one_attempt(store, t.a, &kind, owner, policy).await;
    lose_one("w1").await;
    let failed = lose_one("w2").await;
    assert_eq!(failed.status, TaskStatus::Failed, "2 of 2 lost");

    let mut tx = store.begin().await.expect("begin");
    tx.reset_failed_task(t.a, stopped.id).await.expect("reset");
    tx.commit().await.expect("commit");
    let again = lose_one("w3").await;
    assert_eq!(
        (again.status, again.errors.len(), again.lost_attempts()),
        (TaskStatus::Pending, 3, 1),
        "the earlier run's two losses are kept, and count no more"
    );
    assert_eq!(
        lose_one("w4").await.status,
        TaskStatus::Failed,
        "2 of 2 again"
    );
}

pub async fn queue_stats_count_per_status_and_type(store: &dyn Store) {
    let t = two_tenants(store).await;
    insert_tasks(
        store,
        &[
            task(t.a, "kind.a", "1"),
            task(t.a, "kind.a", "2"),
            task(t.a, "kind.b", "3"),
            task(t.a, "kind.c", "done"),
            task(t.a, "kind.c", "broken"),
        ],
    )
    .await;
    insert_tasks(store, &[task(t.b, "kind.a", "other")]).await;
    finish_one_and_fail_one(store, t.a, "kind.c").await;
    store
        .claim_tasks(&claim_for(t.a, &["kind.b"], 1, "w"))
        .await
        .expect("claim");
    let stats = store.queue_stats(Scope::Tenant(t.a)).await.expect("stats");
    assert_eq!(stats.tenant_id, Some(t.a));
    assert_eq!(stats.counts["pending"], 2);
    assert_eq!(stats.counts["in_progress"], 1);
    assert_eq!(stats.counts["completed"], 1);
    assert_eq!(stats.counts["failed"], 1);
    assert_eq!(stats.by_type["kind.a"]["pending"], 2);
    assert_eq!(stats.by_type["kind.b"]["in_progress"], 1);
    assert_eq!(stats.by_type["kind.c"]["failed"], 1);
    assert!(
        stats
            .oldest_pending_age_seconds
            .is_some_and(|age| age >= 0.0)
    );
    assert_eq!(stats.in_progress_without_lease, 0);
    assert_eq!(
        (stats.last_hour.completed, stats.last_hour.failed),
        (1, 1),
        "both finished just now"
    );
    assert_eq!(stats.last_hour.failure_rate, Some(0.5));

    // Every tenant's: B's pending task counts too; a tenant without tasks has none.
    let all = store.queue_stats(Scope::AllTenants).await.expect("stats");
    assert_eq!(all.tenant_id, None);
    assert!(all.counts["pending"] >= 3, "{:?}", all.counts);
    assert!(all.by_type["kind.a"]["pending"] >= 3);
    let empty = store
        .queue_stats(Scope::Tenant(zora_core::TenantId::new()))
        .await
        .expect("stats");
    assert_eq!(empty.counts["pending"], 0);
    assert!(empty.oldest_pending_age_seconds.is_none());
    assert_eq!(empty.last_hour.failure_rate, None, "nothing finished");
}

/// Claims two tasks of `kind` and completes the first, fails the second for good.
async fn finish_one_and_fail_one(store: &dyn Store, tenant: zora_core::TenantId, kind: &str) {
    let claimed = store
        .claim_tasks(&claim_for(tenant, &[kind], 2, "finisher"))
        .await
        .expect("claim");
    let [done, broken] = [&claimed[0], &claimed[1]].map(|t| t.lease().expect("lease"));
    let mut tx = store.begin().await.expect("begin");
    tx.complete_tasks(&[Completion {
        lease: done,
        result: json!({}),
        summary: "done".into(),
    }])
    .await
    .expect("complete");
    tx.fail_tasks(&[Failure {
        lease: broken,
        kind: FailureKind::Permanent,
        message: "broken".into(),
        retry_in: None,
    }])
    .await
    .expect("fail");
    tx.commit().await.expect("commit");
}

pub async fn savepoints_and_rollback_discard_writes(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kept = task(t.a, "kind.a", "kept");
    let undone = task(t.a, "kind.a", "undone");
    let part_kept = task(t.a, "kind.a", "part kept");
    let mut tx = store.begin().await.expect("begin");
    tx.insert_task(&kept).await.expect("insert");
    // An undoable part: its first write takes the savepoint that undoing it returns to.
    tx.begin_task(true);
    tx.insert_task(&undone).await.expect("insert");
    tx.end_task(false).await.expect("undo the part");
    tx.begin_task(true);
    tx.insert_task(&part_kept).await.expect("insert");
    tx.end_task(true).await.expect("keep the part");
    tx.commit().await.expect("commit");
    assert!(store.get_task(t.a, kept.id).await.expect("get").is_some());
    assert!(store.get_task(t.a, undone.id).await.expect("get").is_none());
    assert!(
        store
            .get_task(t.a, part_kept.id)
            .await
            .expect("get")
            .is_some()
    );

    let dropped = task(t.a, "kind.a", "dropped");
    let mut tx = store.begin().await.expect("begin");
    tx.insert_task(&dropped).await.expect("insert");
    tx.rollback().await.expect("rollback");
    assert!(
        store
            .get_task(t.a, dropped.id)
            .await
            .expect("get")
            .is_none()
    );
    {
        let mut tx = store.begin().await.expect("begin");
        tx.insert_task(&dropped).await.expect("insert");
        // dropped without commit
    }
    assert!(
        store
            .get_task(t.a, dropped.id)
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn idempotency_key_is_unique_per_tenant(store: &dyn Store) {
    let t = two_tenants(store).await;
    let mut first = task(t.a, "kind.a", "first");
    first.idempotency_key = Some("key-1".into());
    insert_tasks(store, &[first]).await;
    let mut again = task(t.a, "kind.a", "again");
    again.idempotency_key = Some("key-1".into());
    let mut tx = store.begin().await.expect("begin");
    let err = tx.insert_task(&again).await.expect_err("duplicate key");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    drop(tx);
    let mut elsewhere = task(t.b, "kind.a", "other tenant");
    elsewhere.idempotency_key = Some("key-1".into());
    insert_tasks(store, &[elsewhere]).await;
    let found = store
        .get_task_by_idempotency_key(t.a, "key-1")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(found.title, "first");
    let theirs = store
        .get_task_by_idempotency_key(t.b, "key-1")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        theirs.title, "other tenant",
        "each tenant its own key space"
    );
    assert!(
        store
            .get_task_by_idempotency_key(t.a, "key-2")
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn schema_is_current_once_opened(store: &dyn Store) {
    let state = store.schema_state().await.expect("schema state");
    assert!(state.is_current(), "pending: {:?}", state.pending);
    assert!(state.unknown_applied.is_empty());
    assert!(["postgres", "sqlite"].contains(&store.backend()));
}

pub async fn claim_by_id_runs_now_refuses_the_rest_and_takes_over_expired_leases(
    store: &dyn Store,
) {
    use zora_core::ClaimById;
    let t = two_tenants(store).await;
    let mut later = task(t.a, "kind.any", "due tomorrow");
    later.run_at = Some(Utc::now() + chrono::Duration::days(1));
    let mut gated = task(t.a, "kind.any", "awaiting approval");
    gated.requires_approval = true;
    insert_tasks(store, &[later.clone(), gated.clone()]).await;
    let lease = Duration::from_secs(30);

    let ClaimById::Claimed(claimed) = store
        .claim_task(t.a, later.id, "run-task", lease)
        .await
        .expect("claim")
    else {
        panic!("a pending task is claimed by id, due or not");
    };
    assert_eq!(
        (claimed.status, claimed.attempts),
        (TaskStatus::InProgress, 1)
    );
    assert_eq!(claimed.lease_owner.as_deref(), Some("run-task"));
    assert!(
        matches!(
            store.claim_task(t.a, later.id, "other", lease).await.expect("claim"),
            ClaimById::Refused(task) if task.status == TaskStatus::InProgress
        ),
        "a live lease is not taken over"
    );
    assert!(matches!(
        store
            .claim_task(t.b, later.id, "b", lease)
            .await
            .expect("claim"),
        ClaimById::NotFound
    ));
    assert!(matches!(
        store
            .claim_task(t.a, TaskId::new(), "x", lease)
            .await
            .expect("claim"),
        ClaimById::NotFound
    ));
    assert!(matches!(
        store.claim_task(t.a, gated.id, "x", lease).await.expect("claim"),
        ClaimById::Refused(task) if task.requires_approval
    ));

    let expiring = task(t.a, "kind.any", "expiring");
    insert_tasks(store, std::slice::from_ref(&expiring)).await;
    let ClaimById::Claimed(first) = store
        .claim_task(t.a, expiring.id, "dead", Duration::ZERO)
        .await
        .expect("claim")
    else {
        panic!("claimed");
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let ClaimById::Claimed(second) = store
        .claim_task(t.a, expiring.id, "alive", lease)
        .await
        .expect("claim")
    else {
        panic!("an expired lease is taken over");
    };
    assert_eq!(second.attempts, 2);
    assert_eq!(
        second.errors.last().map(|e| (e.kind, e.worker.as_deref())),
        Some((FailureKind::LeaseExpired, Some("dead"))),
        "the attempt taken over names the worker that lost it"
    );
    let mut tx = store.begin().await.expect("begin");
    let stale = tx
        .complete_tasks(&[Completion {
            lease: first.lease().expect("lease"),
            result: json!({}),
            summary: "late".into(),
        }])
        .await
        .expect("complete");
    assert!(stale.is_empty(), "the old lease cannot complete it");
    let done = tx
        .complete_tasks(&[Completion {
            lease: second.lease().expect("lease"),
            result: json!({}),
            summary: "ok".into(),
        }])
        .await
        .expect("complete");
    assert_eq!(done, vec![expiring.id]);
    tx.commit().await.expect("commit");
    assert!(
        matches!(
            store.claim_task(t.a, expiring.id, "again", lease).await.expect("claim"),
            ClaimById::Refused(task) if task.status == TaskStatus::Completed
        ),
        "a finished task is not claimed again"
    );
}

pub async fn a_failed_task_is_reset_and_a_later_one_made_due(store: &dyn Store) {
    let t = two_tenants(store).await;
    let broken = task(t.a, "kind.reset", "broken");
    let mut later = task(t.a, "kind.reset", "later");
    later.run_at = Some(Utc::now() + chrono::Duration::hours(2));
    insert_tasks(store, &[broken.clone(), later.clone()]).await;
    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.reset"], 1, "w"))
        .await
        .expect("claim");
    let mut tx = store.begin().await.expect("begin");
    tx.fail_tasks(&[Failure {
        lease: claimed[0].lease().expect("lease"),
        kind: FailureKind::Permanent,
        message: "broken".into(),
        retry_in: None,
    }])
    .await
    .expect("fail");
    assert!(
        tx.reset_failed_task(t.b, broken.id)
            .await
            .expect("reset")
            .is_none(),
        "tenant B cannot reset it"
    );
    assert!(
        tx.reset_failed_task(t.a, later.id)
            .await
            .expect("reset")
            .is_none(),
        "only a failed task is reset"
    );
    let reset = tx
        .reset_failed_task(t.a, broken.id)
        .await
        .expect("reset")
        .expect("reset row");
    assert_eq!((reset.status, reset.attempts), (TaskStatus::Pending, 0));
    assert!(
        reset.error_message.is_none() && reset.completed_at.is_none() && reset.started_at.is_none()
    );
    assert!(reset.run_at <= Utc::now());
    assert_eq!(reset.errors.len(), 1, "the history of attempts is kept");

    assert!(
        tx.make_task_due(t.b, later.id)
            .await
            .expect("due")
            .is_none(),
        "tenant B cannot touch it"
    );
    let due = tx
        .make_task_due(t.a, later.id)
        .await
        .expect("due")
        .expect("pending row");
    assert!(
        due.run_at <= Utc::now() + chrono::Duration::seconds(1),
        "due now"
    );
    tx.commit().await.expect("commit");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut tx = store.begin().await.expect("begin");
    let again = tx
        .make_task_due(t.a, later.id)
        .await
        .expect("due")
        .expect("pending row");
    tx.commit().await.expect("commit");
    assert_eq!(
        again.updated_at, due.updated_at,
        "a task already due is not written"
    );
    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.reset"], 10, "w"))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2, "both runnable now");
    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.make_task_due(t.a, later.id)
            .await
            .expect("due")
            .is_none(),
        "an in_progress task is not pending"
    );
}

pub async fn released_tasks_go_back_unrun_and_uncharged(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let held = task(t.a, &kind, "held");
    insert_tasks(store, std::slice::from_ref(&held)).await;
    let claimed = store
        .claim_tasks(&claim_for(t.a, &[kind.as_str()], 1, "w"))
        .await
        .expect("claim");
    let lease = claimed[0].lease().expect("lease");
    let mut tx = store.begin().await.expect("begin");
    let stale = zora_core::Lease {
        owner: "other".into(),
        ..lease.clone()
    };
    assert!(
        tx.release_tasks(&[stale])
            .await
            .expect("release")
            .is_empty(),
        "only under its lease"
    );
    assert_eq!(
        tx.release_tasks(std::slice::from_ref(&lease))
            .await
            .expect("release"),
        vec![held.id]
    );
    tx.commit().await.expect("commit");
    let back = store
        .get_task(t.a, held.id)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(
        (back.status, back.attempts),
        (TaskStatus::Pending, 0),
        "not charged"
    );
    assert!(back.lease_owner.is_none() && back.started_at.is_none() && back.errors.is_empty());
    assert_eq!(
        store
            .claim_tasks(&claim_for(t.a, &[kind.as_str()], 1, "w2"))
            .await
            .expect("claim")
            .len(),
        1,
        "claimable again"
    );
}

pub async fn heartbeats_extend_held_leases_only(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let held = task(t.a, &kind, "held");
    let lapsed = task(t.a, &kind, "lapsed");
    insert_tasks(store, &[held.clone(), lapsed.clone()]).await;
    let mut short = claim_for(t.a, &[kind.as_str()], 10, "slow-worker");
    short.lease_duration = Duration::ZERO;
    let claimed = store.claim_tasks(&short).await.expect("claim");
    let leases: Vec<Lease> = claimed.iter().map(|t| t.lease().expect("lease")).collect();
    tokio::time::sleep(Duration::from_millis(20)).await;

    let extended = store
        .extend_leases(&leases, Duration::from_secs(600))
        .await
        .expect("extend");
    assert_eq!(extended.len(), 2, "both leases are still held");
    assert!(
        store
            .rescue_expired_leases_all_tenants(zora_core::RescuePolicy::default(), 100)
            .await
            .expect("rescue")
            .is_empty(),
        "an extended lease is not expired"
    );
    let stored = store
        .get_task(t.a, held.id)
        .await
        .expect("get")
        .expect("found");
    let minutes_left = stored.lease_expires_at.expect("lease") - stored.started_at.expect("start");
    assert!(minutes_left.num_minutes() >= 9, "{minutes_left}");

    let taken_over = Lease {
        owner: "another-worker".into(),
        ..leases[0].clone()
    };
    assert!(
        store
            .extend_leases(&[taken_over], Duration::from_secs(600))
            .await
            .expect("extend")
            .is_empty(),
        "a lease someone else holds is not extended"
    );
}

/// The one-transaction claim: rows held by the transaction's lock alone, nothing written
/// until the outcome, which charges the attempt once; a rollback leaves the tasks as they
/// were.
pub async fn a_locked_claim_writes_each_task_once_and_a_rollback_nothing(store: &dyn Store) {
    let t = two_tenants(store).await;
    let new: Vec<NewTask> = (0..3)
        .map(|i| task(t.a, "kind.a", &format!("locked {i}")))
        .collect();
    insert_tasks(store, &new).await;
    insert_tasks(store, &[task(t.b, "kind.a", "other tenant")]).await;

    let mut tx = store.begin().await.expect("begin");
    let locked = tx
        .claim_locked(&claim_for(t.a, &["kind.a"], 2, "direct"))
        .await
        .expect("claim locked");
    assert_eq!(
        locked.iter().map(|t| t.id).collect::<Vec<_>>(),
        [new[0].id, new[1].id],
        "in claim order, tenant A's only"
    );
    assert!(
        locked.iter().all(|t| t.status == TaskStatus::Pending
            && t.state == TaskState::Available
            && t.attempts == 0
            && t.lease_owner.is_none()),
        "returned as the table has them: {locked:?}"
    );
    if store.backend() == "postgres" {
        // Another worker's claim skips the locked rows (SQLite's one writer cannot be
        // asked while this transaction holds it).
        let other = store
            .claim_tasks(&claim_for(t.a, &["kind.a"], 3, "other"))
            .await
            .expect("claim beside");
        assert_eq!(other.iter().map(|t| t.id).collect::<Vec<_>>(), [new[2].id]);
        assert_eq!(other[0].state, TaskState::Running, "claimed under a lease");
    }
    let (done, retried) = (
        Lease::locked(&locked[0], "direct"),
        Lease::locked(&locked[1], "direct"),
    );
    let stale = Lease {
        attempt: done.attempt + 1,
        ..done.clone()
    };
    assert!(
        tx.complete_tasks(&[Completion {
            lease: stale,
            result: json!({}),
            summary: "stale".into(),
        }])
        .await
        .expect("stale")
        .is_empty(),
        "a locked hold at another attempt writes nothing"
    );
    let completed = tx
        .complete_tasks(&[Completion {
            lease: done,
            result: json!({"ok": true}),
            summary: "done".into(),
        }])
        .await
        .expect("complete");
    assert_eq!(completed, [new[0].id]);
    let failed = tx
        .fail_tasks(&[Failure {
            lease: retried,
            kind: FailureKind::Transient,
            message: "later".into(),
            retry_in: Some(Duration::from_secs(60)),
        }])
        .await
        .expect("fail");
    assert_eq!(failed, [new[1].id]);
    tx.commit().await.expect("commit");

    let get = |id| async move { store.get_task(t.a, id).await.expect("get").expect("found") };
    let first = get(new[0].id).await;
    assert_eq!(first.status, TaskStatus::Completed);
    assert_eq!(first.attempts, 1, "its attempt charged once");
    assert!(first.started_at.is_some() && first.completed_at.is_some());
    assert!(first.started_at <= first.completed_at);
    assert_eq!(first.result, Some(json!({"ok": true})));
    let second = get(new[1].id).await;
    assert_eq!(second.status, TaskStatus::Pending);
    assert_eq!(second.attempts, 1);
    assert_eq!(second.errors.len(), 1);
    assert_eq!(second.errors[0].attempt, 1, "{:?}", second.errors);
    assert!(second.run_at > Utc::now() + chrono::Duration::seconds(30));

    // Locked, then rolled back: as if never claimed.
    let mut tx = store.begin().await.expect("begin");
    let locked = tx
        .claim_locked(&claim_for(t.a, &["kind.a"], 5, "direct"))
        .await
        .expect("claim locked");
    let third = new[2].id;
    if store.backend() == "sqlite" {
        assert_eq!(locked.iter().map(|t| t.id).collect::<Vec<_>>(), [third]);
    }
    tx.rollback().await.expect("rollback");
    if store.backend() == "sqlite" {
        let untouched = get(third).await;
        assert_eq!(
            (untouched.status, untouched.attempts),
            (TaskStatus::Pending, 0)
        );
    }
    let b_tasks = store
        .list_tasks(t.b, &TaskFilter::default(), Page::default())
        .await
        .expect("list B");
    assert!(
        b_tasks
            .items
            .iter()
            .all(|t| t.status == TaskStatus::Pending && t.attempts == 0),
        "tenant B's task untouched"
    );
}
