//! Synchronous runs (`POST /api/agents/tasks/{id}/run?wait=true`) on a real server, both
//! stores: the finished task with its effects, never twice for two calls at once, 202
//! `running` past the timeout, and refusals.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store, TaskId};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;

use common::spawn_app;

zora_testkit::both_stores!(
    a_sync_run_answers_with_the_finished_task,
    two_sync_runs_at_once_execute_it_once,
    a_run_longer_than_the_timeout_answers_202_then_completes,
    sync_runs_refuse_unsupported_types_and_bad_options,
);

async fn enqueue(store: &dyn Store, task_type: &str, payload: Value) -> TaskId {
    let mut tx = store.begin().await.expect("begin");
    let task = tx
        .insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            "ORACLE",
            task_type,
            "sync",
            payload,
        ))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    task.id
}

async fn a_sync_run_answers_with_the_finished_task(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let (profile, _, _) = seed_plan(app.store.as_ref(), DEFAULT_TENANT_ID).await;
    let id = enqueue(
        app.store.as_ref(),
        "climate.create_single_mission",
        json!({"profile_id": profile, "title": "Now"}),
    )
    .await;
    let answer = app
        .post(
            &format!("/api/agents/tasks/{id}/run?wait=true"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["execution"]["status"], "completed");
    assert_eq!(answer.body["data"]["status"], "completed");
    let mission = answer.body["data"]["result"]["mission_id"]
        .as_str()
        .expect("mission id")
        .parse()
        .expect("uuid");
    assert_eq!(
        app.backend
            .inspect()
            .await
            .missions(DEFAULT_TENANT_ID, &[mission])
            .await
            .len(),
        1,
        "its effects exist"
    );

    let broken = enqueue(
        app.store.as_ref(),
        "climate.create_single_mission",
        json!({}),
    )
    .await;
    let failed = app
        .post(
            &format!("/api/agents/tasks/{broken}/run"),
            &token,
            &json!({"mode": "sync", "timeout": 10}),
        )
        .await;
    assert_eq!(failed.status, 200);
    assert_eq!(failed.body["execution"]["status"], "failed");
    assert_eq!(
        failed.body["data"]["error_message"],
        "Missing required fields: profile_id and title"
    );
}

async fn two_sync_runs_at_once_execute_it_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let id = enqueue(
        app.store.as_ref(),
        zora_testkit::scripted::KIND,
        json!({"action": "hang", "ms": 600, "at": "prepare"}),
    )
    .await;
    let path = format!("/api/agents/tasks/{id}/run?wait=true");
    let empty = json!({});
    let (a, b) = tokio::join!(
        app.post(&path, &token, &empty),
        app.post(&path, &token, &empty)
    );
    // One runs it, the other waits for that run: both answer its outcome.
    for answer in [&a, &b] {
        assert_eq!(answer.status, 200, "a: {} b: {}", a.body, b.body);
        assert_eq!(answer.body["execution"]["status"], "completed");
    }
    let task = app
        .store
        .get_task(DEFAULT_TENANT_ID, id)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(
        (task.status.as_str(), task.attempts),
        ("completed", 1),
        "executed once"
    );
    let effects = app
        .backend
        .inspect()
        .await
        .journal(DEFAULT_TENANT_ID, zora_core::Page::default())
        .await
        .items
        .into_iter()
        .filter(|e| e.details["event_type"] == "test_effect")
        .count();
    assert_eq!(effects, 1, "its effect once");
}

async fn a_run_longer_than_the_timeout_answers_202_then_completes(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let id = enqueue(
        app.store.as_ref(),
        zora_testkit::scripted::KIND,
        json!({"action": "hang", "ms": 2500, "at": "prepare"}),
    )
    .await;
    let answer = app
        .post(
            &format!("/api/agents/tasks/{id}/run?wait=true&timeout=1"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["execution"]["status"], "running");
    assert_eq!(answer.body["data"]["status"], "in_progress");
    for _ in 0..100 {
        let task = app
            .store
            .get_task(DEFAULT_TENANT_ID, id)
            .await
            .expect("get")
            .expect("task");
        if task.status.as_str() == "completed" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the run went on and completed");
}

async fn sync_runs_refuse_unsupported_types_and_bad_options(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let legacy = enqueue(app.store.as_ref(), "plan_workflow", json!({})).await;
    let answer = app
        .post(
            &format!("/api/agents/tasks/{legacy}/run?wait=true"),
            &token,
            &json!({}),
        )
        .await;
    answer.assert_error(400, "INVALID_STATE");
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Unsupported task type: plan_workflow"))
    );
    let task = app
        .store
        .get_task(DEFAULT_TENANT_ID, legacy)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(task.status.as_str(), "pending", "untouched");
    let id = enqueue(
        app.store.as_ref(),
        zora_testkit::scripted::KIND,
        json!({"action": "complete"}),
    )
    .await;
    for (query, body) in [
        ("?wait=true&timeout=500", json!({})),
        ("", json!({"mode": "sync", "timeout": 0})),
        ("", json!({"mode": "later"})),
    ] {
        let answer = app
            .post(&format!("/api/agents/tasks/{id}/run{query}"), &token, &body)
            .await;
        answer.assert_error(400, "VALIDATION_ERROR");
    }
}
