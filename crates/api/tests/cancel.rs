//! `POST /api/agents/tasks/{id}/cancel` on a real server, both stores: a pending task at
//! once, a running one (held in `prepare` by the test type) at its worker's next lease
//! check with nothing of its effect committed, roles, tenants and finished tasks refused.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::Page;
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_app, spawn_with_worker};

const TASKS: &str = "/api/agents/tasks";

zora_testkit::both_stores!(
    a_pending_task_is_cancelled_at_once_with_its_journal_entry,
    a_running_task_stops_at_its_lease_check_and_commits_nothing,
    who_and_what_may_be_cancelled,
);

fn scripted(payload: Value) -> Value {
    json!({"agent_id": "SAM", "task_type": zora_testkit::scripted::KIND, "title": "scripted",
           "payload": payload})
}

async fn create(app: &App, token: &str, body: &Value) -> String {
    let answer = app.post(TASKS, token, body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["data"]["id"].as_str().expect("id").to_owned()
}

async fn a_pending_task_is_cancelled_at_once_with_its_journal_entry(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let id = create(&app, &token, &scripted(json!({"action": "complete"}))).await;
    let child = create(
        &app,
        &token,
        &json!({"agent_id": "SAM", "task_type": zora_testkit::scripted::KIND, "title": "child",
                "payload": {"action": "complete"}, "depends_on": [id]}),
    )
    .await;
    let answer = app
        .post(
            &format!("{TASKS}/{id}/cancel"),
            &token,
            &json!({"reason": "not needed"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["execution"]["status"], "cancelled");
    let task = &answer.body["data"];
    assert_eq!(
        (task["status"].as_str(), task["state"].as_str()),
        (Some("failed"), Some("cancelled"))
    );
    assert_eq!(task["error_message"], "Cancelled: not needed");
    assert!(task["cancelled_at"].is_string());
    let child = app.get(&format!("{TASKS}/{child}"), Some(&token)).await;
    assert_eq!(
        child.body["data"]["error_message"],
        format!("Dependency {id} failed")
    );

    let journal = app
        .backend
        .inspect()
        .await
        .journal(t.a, Page::default())
        .await;
    let entry = journal
        .items
        .iter()
        .find(|e| e.details["event_type"] == "agent_task_cancelled")
        .expect("the cancellation's entry");
    assert_eq!(entry.details["task_id"], json!(id));
    assert_eq!(entry.details["reason"], "not needed");
    assert!(entry.details["requested_by_user_id"].is_string());

    let now = app
        .post(&format!("{TASKS}/{id}/run?wait=true"), &token, &json!({}))
        .await;
    now.assert_error(400, "INVALID_STATE");
    assert_eq!(now.body["message"], "Task is cancelled");

    // No body at all: `Cancelled`.
    let other = create(&app, &token, &scripted(json!({"action": "complete"}))).await;
    let answer = app
        .post_raw(&format!("{TASKS}/{other}/cancel"), &token, None, Vec::new())
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["data"]["error_message"], "Cancelled");
}

async fn a_running_task_stops_at_its_lease_check_and_commits_nothing(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::BrandAdmin);
    let id = create(
        &app,
        &token,
        &scripted(json!({"action": "hang", "at": "prepare", "ms": 1500})),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = app.get(&format!("{TASKS}/{id}"), Some(&token)).await;
        if now.body["data"]["state"] == "running" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ran: {}",
            now.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answer = app
        .post(
            &format!("{TASKS}/{id}/cancel"),
            &token,
            &json!({"reason": "stop"}),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["execution"]["status"], "cancelling");
    let again = app
        .post(&format!("{TASKS}/{id}/cancel"), &token, &json!({}))
        .await;
    assert_eq!(
        again.status, 202,
        "asked twice, answered alike: {}",
        again.body
    );

    let waited = app
        .get(&format!("{TASKS}/{id}/wait?timeout=30"), Some(&token))
        .await;
    assert_eq!(waited.status, 200, "{}", waited.body);
    let task = &waited.body["data"];
    assert_eq!(task["state"], "cancelled", "{task}");
    assert_eq!(task["error_message"], "Cancelled: stop");
    let journal = app
        .backend
        .inspect()
        .await
        .journal(t.a, Page::default())
        .await;
    assert!(
        !journal
            .items
            .iter()
            .any(|e| e.details["event_type"] == "test_effect"),
        "nothing of the attempt committed"
    );
}

async fn who_and_what_may_be_cancelled(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let founder = app.token(t.a, Role::Founder);
    let id = create(&app, &founder, &scripted(json!({"action": "complete"}))).await;
    for role in [Role::Member, Role::Viewer] {
        let answer = app
            .post(
                &format!("{TASKS}/{id}/cancel"),
                &app.token(t.a, role),
                &json!({}),
            )
            .await;
        answer.assert_error(403, "FORBIDDEN");
    }
    let foreign = app
        .post(
            &format!("{TASKS}/{id}/cancel"),
            &app.token(t.b, Role::Founder),
            &json!({}),
        )
        .await;
    foreign.assert_error(404, "NOT_FOUND");
    let bad = app
        .post(
            &format!("{TASKS}/{id}/cancel"),
            &founder,
            &json!({"reason": 7}),
        )
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["fields"][0]["field"], "reason");
    let unknown = app
        .post(
            &format!("{TASKS}/{}/cancel", zora_core::TaskId::new()),
            &founder,
            &json!({}),
        )
        .await;
    unknown.assert_error(404, "NOT_FOUND");
    let state = app.get(&format!("{TASKS}/{id}"), Some(&founder)).await;
    assert_eq!(
        state.body["data"]["state"], "available",
        "untouched by the refusals"
    );

    for (status, message) in [
        ("completed", "Task is already completed"),
        ("failed", "Task is already failed"),
    ] {
        app.backend
            .execute(&format!(
                "UPDATE agent_tasks SET status = '{status}' WHERE id = '{id}'"
            ))
            .await;
        let answer = app
            .post(&format!("{TASKS}/{id}/cancel"), &founder, &json!({}))
            .await;
        answer.assert_error(400, "INVALID_STATE");
        assert_eq!(answer.body["message"], message);
    }
}
