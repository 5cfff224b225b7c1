//! Suite cases for cancellation: a pending task fails at once with its dependents; a
//! running one is finished at its worker's next lease check, which then applies nothing;
//! an expired cancelled lease is rescued as cancelled, not retried.

use std::time::Duration;

use zora_core::{ClaimById, RescuePolicy, Store, Task, TaskId, TaskState, TaskStatus, TenantId};

use super::{claim_for, task, two_tenants};

const KIND: &str = "kind.cancel";

async fn get(store: &dyn Store, tenant: TenantId, id: TaskId) -> Task {
    store
        .get_task(tenant, id)
        .await
        .expect("get")
        .expect("the task")
}

async fn cancel(store: &dyn Store, tenant: TenantId, id: TaskId) -> Option<Task> {
    let mut tx = store.begin().await.expect("begin");
    let cancelled = tx
        .cancel_task(tenant, id, "Cancelled: enough")
        .await
        .expect("cancel");
    tx.commit().await.expect("commit");
    cancelled
}

pub async fn a_pending_task_is_cancelled_at_once_with_its_dependents(store: &dyn Store) {
    let t = two_tenants(store).await;
    let parent = task(t.a, KIND, "parent");
    let mut child = task(t.a, KIND, "child");
    child.depends_on = vec![zora_core::dependency::Dependency {
        task_id: parent.id,
        inputs: Default::default(),
    }];
    let mut tx = store.begin().await.expect("begin");
    tx.insert_task(&parent).await.expect("insert");
    tx.insert_task(&child).await.expect("insert");
    tx.commit().await.expect("commit");

    assert!(
        cancel(store, t.b, parent.id).await.is_none(),
        "not tenant B's"
    );
    let cancelled = cancel(store, t.a, parent.id).await.expect("cancelled");
    assert_eq!(
        (cancelled.status, cancelled.state),
        (TaskStatus::Failed, TaskState::Cancelled)
    );
    assert_eq!(
        cancelled.error_message.as_deref(),
        Some("Cancelled: enough")
    );
    assert!(cancelled.cancelled_at.is_some() && cancelled.completed_at.is_some());
    let child = get(store, t.a, child.id).await;
    assert_eq!(child.state, TaskState::Failed);
    assert_eq!(
        child.error_message,
        Some(format!("Dependency {} failed", parent.id))
    );
    assert!(
        cancel(store, t.a, parent.id).await.is_none(),
        "a cancelled task is finished"
    );
    assert!(
        store
            .claim_tasks(&claim_for(t.a, &[KIND], 10, "w"))
            .await
            .expect("claim")
            .is_empty()
    );
}

pub async fn a_running_task_is_stopped_at_its_lease_check(store: &dyn Store) {
    let t = two_tenants(store).await;
    let running = task(t.a, KIND, "running");
    super::insert_tasks(store, std::slice::from_ref(&running)).await;
    let ClaimById::Claimed(claimed) = store
        .claim_task(t.a, running.id, "w", Duration::from_secs(30))
        .await
        .expect("claim")
    else {
        panic!("claimable")
    };
    let lease = claimed.lease().expect("lease");
    let cancelling = cancel(store, t.a, running.id).await.expect("cancelling");
    assert_eq!(
        (cancelling.status, cancelling.state),
        (TaskStatus::InProgress, TaskState::Running),
        "it runs until its worker learns of it"
    );
    assert!(cancel(store, t.a, running.id).await.is_none(), "once");

    // The heartbeat no longer holds it, and the lease check finishes it unapplied.
    let extended = store
        .extend_leases(std::slice::from_ref(&lease), Duration::from_secs(30))
        .await
        .expect("beat");
    assert!(
        extended.is_empty(),
        "a cancelled task's lease is not extended"
    );
    let mut tx = store.begin().await.expect("begin");
    let held = tx
        .lock_leased_tasks(std::slice::from_ref(&lease))
        .await
        .expect("lock");
    assert!(held.is_empty(), "nothing of it is applied");
    tx.commit().await.expect("commit");
    let finished = get(store, t.a, running.id).await;
    assert_eq!(
        (finished.status, finished.state),
        (TaskStatus::Failed, TaskState::Cancelled)
    );
    assert_eq!(finished.error_message.as_deref(), Some("Cancelled: enough"));
    assert!(finished.lease_owner.is_none());
}

pub async fn a_cancelled_task_whose_lease_expired_is_rescued_as_cancelled(store: &dyn Store) {
    let t = two_tenants(store).await;
    let running = task(t.a, KIND, "running");
    super::insert_tasks(store, std::slice::from_ref(&running)).await;
    store
        .claim_task(t.a, running.id, "w", Duration::from_millis(1))
        .await
        .expect("claim");
    cancel(store, t.a, running.id).await.expect("cancelling");
    tokio::time::sleep(Duration::from_millis(20)).await;
    store
        .rescue_expired_leases_all_tenants(RescuePolicy::default(), 100)
        .await
        .expect("rescue");
    let rescued = get(store, t.a, running.id).await;
    assert_eq!(rescued.state, TaskState::Cancelled, "not retried");
    assert_eq!(rescued.error_message.as_deref(), Some("Cancelled: enough"));
}
