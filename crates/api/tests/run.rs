//! `POST /api/agents/tasks/{id}/run` on a real server, both stores: queued, reset to
//! pending, refusals, roles and tenants, each journal entry.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{
    ClaimById, Completion, Failure, FailureKind, NewTask, Page, Store, TaskId, TenantId,
};
use zora_testkit::suite::two_tenants;
use zora_testkit::{Inspector, TestBackend};

use common::spawn_app;

zora_testkit::both_stores!(
    a_pending_task_is_queued_and_a_later_one_made_due,
    a_failed_task_is_reset_to_pending,
    finished_and_running_tasks_are_refused,
    roles_and_tenants_are_checked_first,
);

async fn enqueue(store: &dyn Store, tenant: TenantId, task_type: &str, later: bool) -> TaskId {
    let mut new = NewTask::new(tenant, "ORACLE", task_type, "to run", json!({}));
    if later {
        new.run_at = Some(chrono::Utc::now() + chrono::Duration::hours(3));
    }
    let mut tx = store.begin().await.expect("begin");
    let task = tx.insert_task(&new).await.expect("insert");
    tx.commit().await.expect("commit");
    task.id
}

/// Claims the task and ends it completed or failed.
async fn finish(store: &dyn Store, tenant: TenantId, id: TaskId, completed: bool) {
    let ClaimById::Claimed(task) = store
        .claim_task(tenant, id, "test", Duration::from_secs(30))
        .await
        .expect("claim")
    else {
        panic!("claimable");
    };
    let lease = task.lease().expect("lease");
    let mut tx = store.begin().await.expect("begin");
    if completed {
        tx.complete_tasks(&[Completion {
            lease,
            result: json!({}),
            summary: "done".into(),
        }])
        .await
        .expect("complete");
    } else {
        tx.fail_tasks(&[Failure {
            lease,
            kind: FailureKind::Permanent,
            message: "broken".into(),
            retry_in: None,
        }])
        .await
        .expect("fail");
    }
    tx.commit().await.expect("commit");
}

async fn journal_event(inspect: &Inspector, tenant: TenantId, event: &str) -> Vec<Value> {
    inspect
        .journal(tenant, Page::default())
        .await
        .items
        .into_iter()
        .filter(|e| e.details["event_type"] == event)
        .map(|e| e.details)
        .collect()
}

async fn a_pending_task_is_queued_and_a_later_one_made_due(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::BrandAdmin);
    let due = enqueue(
        app.store.as_ref(),
        t.a,
        "climate.create_single_mission",
        false,
    )
    .await;
    let before = app
        .store
        .get_task(t.a, due)
        .await
        .expect("get")
        .expect("task");
    let answer = app
        .post(&format!("/api/agents/tasks/{due}/run"), &token, &json!({}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["data"]["status"], "pending");
    let execution = &answer.body["execution"];
    assert_eq!(execution["status"], "queued");
    assert_eq!(execution["is_v1_supported"], true);
    assert!(
        execution["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Task is queued for execution"))
    );
    assert_eq!(execution["cli_command"], format!("zora run-task {due}"));
    assert_eq!(
        execution["supported_v1_types"].as_array().map(Vec::len),
        Some(4)
    );
    let after = app
        .store
        .get_task(t.a, due)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(after, before, "a due pending task is untouched");
    let entries = journal_event(
        &app.backend.inspect().await,
        t.a,
        "agent_task_run_requested",
    )
    .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["task_id"], due.to_string());
    assert_eq!(entries[0]["is_v1_supported"], true);
    assert!(entries[0]["requested_by_user_id"].is_string());

    let later = enqueue(app.store.as_ref(), t.a, "plan_workflow", true).await;
    let answer = app
        .post(
            &format!("/api/agents/tasks/{later}/run"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(answer.body["execution"]["is_v1_supported"], false);
    assert_eq!(
        answer.body["execution"]["message"],
        "Task type not supported by v1 executor. Will be processed by legacy Agent Runtime."
    );
    let made_due = app
        .store
        .get_task(t.a, later)
        .await
        .expect("get")
        .expect("task");
    assert!(
        made_due.run_at <= chrono::Utc::now(),
        "a task due later is made due now"
    );
}

async fn a_failed_task_is_reset_to_pending(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let id = enqueue(
        app.store.as_ref(),
        t.a,
        "climate.create_single_mission",
        false,
    )
    .await;
    finish(app.store.as_ref(), t.a, id, false).await;
    let answer = app
        .post(
            &format!("/api/agents/tasks/{id}/run"),
            &app.token(t.a, Role::Founder),
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let task = &answer.body["data"];
    assert_eq!(
        (task["status"].as_str(), task["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    assert_eq!(
        (
            task["error_message"].clone(),
            task["started_at"].clone(),
            task["completed_at"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    assert_eq!(answer.body["execution"]["status"], "reset_to_pending");
    assert!(
        answer.body["execution"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Task reset to pending for retry"))
    );
    let entries = journal_event(
        &app.backend.inspect().await,
        t.a,
        "agent_task_retry_requested",
    )
    .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["previous_status"], "failed");
}

async fn finished_and_running_tasks_are_refused(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let done = enqueue(
        app.store.as_ref(),
        t.a,
        "climate.create_single_mission",
        false,
    )
    .await;
    finish(app.store.as_ref(), t.a, done, true).await;
    let running = enqueue(
        app.store.as_ref(),
        t.a,
        "climate.create_single_mission",
        false,
    )
    .await;
    let ClaimById::Claimed(_) = app
        .store
        .claim_task(t.a, running, "w", Duration::from_secs(30))
        .await
        .expect("claim")
    else {
        panic!("claimable");
    };
    for (id, message) in [
        (done, "Task is already completed"),
        (running, "Task is already in progress"),
    ] {
        let before = app.store.get_task(t.a, id).await.expect("get");
        let answer = app
            .post(&format!("/api/agents/tasks/{id}/run"), &token, &json!({}))
            .await;
        answer.assert_error(400, "INVALID_STATE");
        assert_eq!(answer.body["message"], message);
        assert_eq!(
            app.store.get_task(t.a, id).await.expect("get"),
            before,
            "untouched"
        );
    }
    assert!(
        journal_event(
            &app.backend.inspect().await,
            t.a,
            "agent_task_run_requested"
        )
        .await
        .is_empty()
    );
}

async fn roles_and_tenants_are_checked_first(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let id = enqueue(
        app.store.as_ref(),
        t.a,
        "climate.create_single_mission",
        false,
    )
    .await;
    for role in [Role::Viewer, Role::Member] {
        for target in [id, TaskId::new()] {
            let answer = app
                .post(
                    &format!("/api/agents/tasks/{target}/run"),
                    &app.token(t.a, role),
                    &json!({}),
                )
                .await;
            answer.assert_error(403, "FORBIDDEN");
            assert_eq!(
                answer.body["message"],
                "Only founders and brand admins can manually run tasks"
            );
        }
    }
    let other = app
        .post(
            &format!("/api/agents/tasks/{id}/run"),
            &app.token(t.b, Role::Founder),
            &json!({}),
        )
        .await;
    other.assert_error(404, "NOT_FOUND");
    app.post(
        "/api/agents/tasks/not-a-uuid/run",
        &app.token(t.b, Role::Founder),
        &json!({}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    assert!(
        journal_event(
            &app.backend.inspect().await,
            t.a,
            "agent_task_run_requested"
        )
        .await
        .is_empty(),
        "nothing written"
    );
}
