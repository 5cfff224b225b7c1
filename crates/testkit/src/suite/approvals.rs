//! Suite cases for approvals: a task awaiting a decision is not claimed; approved, it is;
//! rejected, it fails with its reason and its dependents with it; a decision is taken
//! once, for the tenant's own tasks only.

use zora_core::dependency::Dependency;
use zora_core::{Decision, Store, Task, TaskId, TaskState, TaskStatus, TenantId};

use super::{claim_for, insert_tasks, task, two_tenants};

const KIND: &str = "kind.approval";

async fn decide(store: &dyn Store, tenant: TenantId, id: TaskId, approve: bool) -> Option<Task> {
    let mut tx = store.begin().await.expect("begin");
    let decided = tx
        .decide_task(
            tenant,
            id,
            &Decision {
                approve,
                by: Some(zora_core::UserId::new()),
                reason: Some("looked at it".into()),
            },
        )
        .await
        .expect("decide");
    tx.commit().await.expect("commit");
    decided
}

async fn claimed(store: &dyn Store, tenant: TenantId) -> Vec<TaskId> {
    store
        .claim_tasks(&claim_for(tenant, &[KIND], 10, "w"))
        .await
        .expect("claim")
        .iter()
        .map(|t| t.id)
        .collect()
}

pub async fn a_decision_lets_a_task_run_or_fails_it_with_its_dependents(store: &dyn Store) {
    let t = two_tenants(store).await;
    let mut approved = task(t.a, KIND, "approved");
    approved.requires_approval = true;
    let mut rejected = task(t.a, KIND, "rejected");
    rejected.requires_approval = true;
    let mut child = task(t.a, KIND, "child");
    child.depends_on = vec![Dependency {
        task_id: rejected.id,
        inputs: Default::default(),
    }];
    let plain = task(t.a, KIND, "plain");
    let stored = insert_tasks(store, &[approved.clone(), rejected.clone(), child.clone()]).await;
    assert_eq!(stored[0].state, TaskState::AwaitingApproval);
    assert!(
        claimed(store, t.a).await.is_empty(),
        "nothing before a decision"
    );

    assert!(
        decide(store, t.b, approved.id, true).await.is_none(),
        "not B's"
    );
    let now = decide(store, t.a, approved.id, true)
        .await
        .expect("approved");
    assert_eq!(now.state, TaskState::Available);
    assert!(now.approved_at.is_some());
    assert!(
        now.approved_by_user_id.is_none(),
        "a user without a row is NULL"
    );
    assert!(
        decide(store, t.a, approved.id, false).await.is_none(),
        "once"
    );
    assert_eq!(claimed(store, t.a).await, [approved.id]);

    let failed = decide(store, t.a, rejected.id, false)
        .await
        .expect("rejected");
    assert_eq!(
        (failed.status, failed.state),
        (TaskStatus::Failed, TaskState::Rejected)
    );
    assert_eq!(
        failed.error_message.as_deref(),
        Some("Rejected: looked at it")
    );
    assert_eq!(failed.decision_reason.as_deref(), Some("looked at it"));
    assert!(failed.rejected_at.is_some() && failed.completed_at.is_some());
    let child = store
        .get_task(t.a, child.id)
        .await
        .expect("get")
        .expect("child");
    assert_eq!(
        child.error_message,
        Some(format!("Dependency {} failed", rejected.id))
    );

    insert_tasks(store, std::slice::from_ref(&plain)).await;
    assert!(
        decide(store, t.a, plain.id, true).await.is_none(),
        "a task that needs no decision takes none"
    );
}
