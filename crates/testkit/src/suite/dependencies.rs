//! Suite cases for task dependencies: blocked tasks are not claimed, a completed parent
//! releases its dependents with their `inputs`, a parent failed for good fails them
//! transitively in its own transaction, and a retry resets them.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use zora_core::dependency::{BLOCKED_RUN_AT, Dependency, TaskLinks};
use zora_core::{
    ClaimById, Completion, Failure, FailureKind, Lease, NewTask, Page, Store, Task, TaskId,
    TaskState, TaskStatus, TenantId,
};

use super::{claim_for, task, two_tenants};
use crate::Subject;

const KIND: &str = "kind.chain";

fn on(parent: TaskId) -> Dependency {
    Dependency {
        task_id: parent,
        inputs: BTreeMap::new(),
    }
}

fn child_of(tenant: TenantId, title: &str, parents: Vec<Dependency>) -> NewTask {
    let mut child = task(tenant, KIND, title);
    child.depends_on = parents;
    child
}

/// Inserts each task in a transaction of its own, its parents locked first, as the
/// engine's create path does.
async fn create(store: &dyn Store, tasks: &[NewTask]) -> Vec<Task> {
    let mut stored = Vec::new();
    for new in tasks {
        let mut tx = store.begin().await.expect("begin");
        let ids: Vec<TaskId> = new.depends_on.iter().map(|d| d.task_id).collect();
        let parents = tx.lock_parents(new.tenant_id, &ids).await.expect("lock");
        assert_eq!(parents.len(), ids.len(), "every parent is the tenant's");
        stored.push(tx.insert_task(new).await.expect("insert"));
        tx.commit().await.expect("commit");
    }
    stored
}

async fn get(store: &dyn Store, tenant: TenantId, id: TaskId) -> Task {
    store
        .get_task(tenant, id)
        .await
        .expect("get")
        .expect("the task")
}

async fn claim_ids(store: &dyn Store, tenant: TenantId) -> Vec<TaskId> {
    let claimed = store
        .claim_tasks(&claim_for(tenant, &[KIND], 10, "w"))
        .await
        .expect("claim");
    claimed.iter().map(|t| t.id).collect()
}

async fn complete(store: &dyn Store, lease: Lease, result: serde_json::Value) {
    let mut tx = store.begin().await.expect("begin");
    let done = tx
        .complete_tasks(&[Completion {
            lease,
            result,
            summary: "done".into(),
        }])
        .await
        .expect("complete");
    assert_eq!(done.len(), 1);
    tx.commit().await.expect("commit");
}

async fn claim_one(store: &dyn Store, tenant: TenantId, id: TaskId) -> Lease {
    match store
        .claim_task(tenant, id, "w", Duration::from_secs(30))
        .await
        .expect("claim by id")
    {
        ClaimById::Claimed(task) => task.lease().expect("lease"),
        other => panic!("{id} is not claimable: {other:?}"),
    }
}

fn blocked_run_at() -> DateTime<Utc> {
    BLOCKED_RUN_AT.parse().expect("the marker is a time")
}

pub async fn a_chain_runs_in_order_with_inputs_filled(store: &dyn Store) {
    let t = two_tenants(store).await;
    let a = task(t.a, KIND, "a");
    let mut b = child_of(t.a, "b", vec![on(a.id)]);
    b.depends_on[0]
        .inputs
        .insert("plan_id".into(), "plan_id".into());
    b.payload["plan_id"] = json!("placeholder");
    let c = child_of(t.a, "c", vec![on(b.id)]);
    let stored = create(store, &[a.clone(), b.clone(), c.clone()]).await;
    assert_eq!(stored[0].state, TaskState::Available);
    for blocked in &stored[1..] {
        assert_eq!(blocked.state, TaskState::Blocked);
        assert_eq!(
            blocked.run_at,
            blocked_run_at(),
            "the claim index leaves it out"
        );
    }

    // The links, both ways, and none for another tenant.
    let edges = store.dependency_edges(t.a, &[b.id]).await.expect("edges");
    let links = TaskLinks::of(b.id, &edges);
    assert_eq!(links.depends_on.len(), 1);
    assert_eq!(
        (links.depends_on[0].task_id, links.depends_on[0].state),
        (a.id, TaskState::Available)
    );
    assert_eq!(
        links.depends_on[0].inputs,
        Some(json!({"plan_id": "plan_id"}))
    );
    assert_eq!(links.dependents, [c.id]);
    assert!(
        store
            .dependency_edges(t.b, &[b.id])
            .await
            .expect("edges")
            .is_empty()
    );

    // Only A is claimed; B and C cannot be claimed by id or made due.
    let claimed = store
        .claim_tasks(&claim_for(t.a, &[KIND], 10, "w"))
        .await
        .expect("claim");
    assert_eq!(claimed.iter().map(|t| t.id).collect::<Vec<_>>(), [a.id]);
    assert!(matches!(
        store
            .claim_task(t.a, b.id, "w", Duration::from_secs(30))
            .await
            .expect("claim by id"),
        ClaimById::Refused(_)
    ));
    let mut tx = store.begin().await.expect("begin");
    let left = tx
        .make_task_due(t.a, b.id)
        .await
        .expect("due")
        .expect("row");
    assert_eq!(
        left.state,
        TaskState::Blocked,
        "run now does not unblock it"
    );
    tx.rollback().await.expect("rollback");

    // A completes: B is released with A's plan_id in its payload, C stays blocked.
    let lease = claimed[0].lease().expect("lease");
    complete(store, lease, json!({"plan_id": "plan-1", "other": 2})).await;
    let b_now = get(store, t.a, b.id).await;
    assert_eq!(b_now.state, TaskState::Available);
    assert!(b_now.run_at <= Utc::now());
    assert_eq!(b_now.payload["plan_id"], "plan-1", "filled from A's result");
    assert_eq!(b_now.payload["count"], 3, "the rest of its payload kept");
    assert_eq!(get(store, t.a, c.id).await.state, TaskState::Blocked);
    assert_eq!(claim_ids(store, t.a).await, [b.id]);
}

pub async fn a_task_waits_for_every_parent(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (a, b) = (task(t.a, KIND, "a"), task(t.a, KIND, "b"));
    let mut both = child_of(t.a, "both", vec![on(a.id), on(b.id)]);
    both.depends_on[1]
        .inputs
        .insert("from_b".into(), "value".into());
    create(store, &[a.clone(), b.clone(), both.clone()]).await;
    let lease_a = claim_one(store, t.a, a.id).await;
    let lease_b = claim_one(store, t.a, b.id).await;
    complete(store, lease_a, json!({})).await;
    assert_eq!(get(store, t.a, both.id).await.state, TaskState::Blocked);
    complete(store, lease_b, json!({"value": {"nested": [1, 2]}})).await;
    let released = get(store, t.a, both.id).await;
    assert_eq!(released.state, TaskState::Available);
    assert_eq!(released.payload["from_b"], json!({"nested": [1, 2]}));

    // A child of parents that completed already is runnable at once, inputs filled.
    let mut late = child_of(t.a, "late", vec![on(b.id)]);
    late.depends_on[0]
        .inputs
        .insert("from_b".into(), "value".into());
    let late = create(store, &[late]).await.remove(0);
    assert_eq!(late.state, TaskState::Available);
    assert_eq!(late.payload["from_b"], json!({"nested": [1, 2]}));
}

pub async fn a_failed_parent_fails_its_dependents_at_once_and_a_retry_resets_them(store: &Subject) {
    let (store, inspect) = (store.store(), store.inspect());
    let t = two_tenants(store).await;
    let a = task(t.a, KIND, "a");
    let b = child_of(t.a, "b", vec![on(a.id)]);
    let c = child_of(t.a, "c", vec![on(b.id)]);
    create(store, &[a.clone(), b.clone(), c.clone()]).await;
    let lease = claim_one(store, t.a, a.id).await;

    let mut tx = store.begin().await.expect("begin");
    tx.fail_tasks(&[Failure {
        lease,
        kind: FailureKind::Permanent,
        message: "broken".into(),
        retry_in: None,
    }])
    .await
    .expect("fail");
    // Read in between: nothing of the failure is seen before it commits, B and C alike.
    for id in [b.id, c.id] {
        assert_eq!(get(store, t.a, id).await.state, TaskState::Blocked);
    }
    tx.commit().await.expect("commit");
    let (b_now, c_now) = (get(store, t.a, b.id).await, get(store, t.a, c.id).await);
    assert_eq!(b_now.status, TaskStatus::Failed);
    assert_eq!(
        b_now.error_message.as_deref(),
        Some(format!("Dependency {} failed", a.id).as_str())
    );
    assert_eq!(
        c_now.error_message.as_deref(),
        Some(format!("Dependency {} failed", b.id).as_str()),
        "each names its own parent"
    );
    assert!(c_now.completed_at.is_some());
    let journal = inspect.journal(t.a, Page::default()).await;
    let failed_events: Vec<_> = journal
        .items
        .iter()
        .filter(|e| e.details["event_type"] == "agent_task_dependency_failed")
        .map(|e| e.details["task_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(failed_events.len(), 2, "{failed_events:?}");
    assert!(failed_events.contains(&c.id.to_string()));
    assert_eq!(inspect.journal(t.b, Page::default()).await.total, 0);

    // Retrying A resets B and C, blocked again; then the chain runs.
    let mut tx = store.begin().await.expect("begin");
    tx.reset_failed_task(t.a, a.id)
        .await
        .expect("reset")
        .expect("a");
    tx.commit().await.expect("commit");
    for id in [b.id, c.id] {
        let reset = get(store, t.a, id).await;
        assert_eq!((reset.state, reset.attempts), (TaskState::Blocked, 0));
        assert!(reset.error_message.is_none());
    }
    let lease = claim_one(store, t.a, a.id).await;
    complete(store, lease, json!({})).await;
    let lease = claim_one(store, t.a, b.id).await;
    complete(store, lease, json!({})).await;
    assert_eq!(claim_ids(store, t.a).await, [c.id]);
}

pub async fn a_dependent_with_another_failed_parent_waits_for_that_ones_retry(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (a, b) = (task(t.a, KIND, "a"), task(t.a, KIND, "b"));
    let both = child_of(t.a, "both", vec![on(a.id), on(b.id)]);
    create(store, &[a.clone(), b.clone(), both.clone()]).await;
    for id in [a.id, b.id] {
        let lease = claim_one(store, t.a, id).await;
        let mut tx = store.begin().await.expect("begin");
        tx.fail_tasks(&[Failure {
            lease,
            kind: FailureKind::Permanent,
            message: "broken".into(),
            retry_in: None,
        }])
        .await
        .expect("fail");
        tx.commit().await.expect("commit");
    }
    let failed = get(store, t.a, both.id).await;
    let named = if failed.error_message == Some(format!("Dependency {} failed", a.id)) {
        (a.id, b.id)
    } else {
        (b.id, a.id)
    };
    // Retrying the parent it names: it stays failed, now naming the other one.
    let mut tx = store.begin().await.expect("begin");
    tx.reset_failed_task(t.a, named.0).await.expect("reset");
    tx.commit().await.expect("commit");
    let still = get(store, t.a, both.id).await;
    assert_eq!(still.status, TaskStatus::Failed);
    assert_eq!(
        still.error_message,
        Some(format!("Dependency {} failed", named.1))
    );
    let mut tx = store.begin().await.expect("begin");
    tx.reset_failed_task(t.a, named.1).await.expect("reset");
    tx.commit().await.expect("commit");
    assert_eq!(get(store, t.a, both.id).await.state, TaskState::Blocked);
}

pub async fn a_task_the_rescue_fails_fails_its_dependents(store: &dyn Store) {
    let t = two_tenants(store).await;
    let a = task(t.a, KIND, "a");
    let b = child_of(t.a, "b", vec![on(a.id)]);
    create(store, &[a.clone(), b.clone()]).await;
    store
        .claim_task(t.a, a.id, "w", Duration::from_millis(1))
        .await
        .expect("claim");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let rescued = store
        .rescue_expired_leases_all_tenants(
            zora_core::RescuePolicy {
                max_lost_attempts: 1,
            },
            100,
        )
        .await
        .expect("rescue");
    assert!(rescued.iter().any(|r| r.id == a.id));
    let b_now = get(store, t.a, b.id).await;
    assert_eq!(b_now.status, TaskStatus::Failed);
    assert_eq!(
        b_now.error_message,
        Some(format!("Dependency {} failed", a.id))
    );
}

/// Two parents of one task completed by two transactions at once: whichever commits second
/// sees the other's parent completed and releases the task (neither leaves it blocked).
pub async fn parents_completed_at_once_release_their_child(store: &Subject) {
    let store_arc = store.shared();
    let store = store.store();
    let t = two_tenants(store).await;
    let (a, b) = (task(t.a, KIND, "a"), task(t.a, KIND, "b"));
    let both = child_of(t.a, "both", vec![on(a.id), on(b.id)]);
    create(store, &[a.clone(), b.clone(), both.clone()]).await;
    let lease_a = claim_one(store, t.a, a.id).await;
    let lease_b = claim_one(store, t.a, b.id).await;
    let mut first = store.begin().await.expect("begin");
    first
        .complete_tasks(&[Completion {
            lease: lease_a,
            result: json!({}),
            summary: "done".into(),
        }])
        .await
        .expect("complete a");
    let second = tokio::spawn(async move {
        complete(store_arc.as_ref(), lease_b, json!({})).await;
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.commit().await.expect("commit a");
    second.await.expect("the second completion");
    assert_eq!(get(store, t.a, both.id).await.state, TaskState::Available);
}
