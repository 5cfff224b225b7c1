//! `POST /api/agents/tasks/{id}/decision` on a real server, both stores: a task awaiting a
//! decision waits for it under a running worker and runs once approved; rejected, it fails
//! with its reason; only founders decide, once, and only their tenant's tasks.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::Page;
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_with_worker};

const TASKS: &str = "/api/agents/tasks";

zora_testkit::both_stores!(
    a_task_waits_for_its_decision_and_runs_once_approved,
    a_rejected_task_fails_with_its_reason_and_only_founders_decide,
);

fn awaiting() -> Value {
    json!({"agent_id": "SAM", "task_type": zora_testkit::scripted::KIND, "title": "needs a yes",
           "payload": {"action": "complete"}, "requires_approval": true})
}

async fn create(app: &App, token: &str) -> String {
    let answer = app.post(TASKS, token, &awaiting()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["data"]["state"], "awaiting_approval");
    answer.body["data"]["id"].as_str().expect("id").to_owned()
}

async fn a_task_waits_for_its_decision_and_runs_once_approved(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let founder = app.token(t.a, Role::Founder);
    let id = create(&app, &founder).await;
    let now = app
        .post(&format!("{TASKS}/{id}/run?wait=true"), &founder, &json!({}))
        .await;
    now.assert_error(400, "INVALID_STATE");
    assert_eq!(now.body["message"], "Task is awaiting approval");
    let at_once = app
        .post(&format!("{TASKS}?wait=true"), &founder, &awaiting())
        .await;
    at_once.assert_error(400, "INVALID_STATE");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let inbox = app
        .get(&format!("{TASKS}?state=awaiting_approval"), Some(&founder))
        .await;
    assert_eq!(
        inbox.body["data"][0]["id"],
        json!(id),
        "the approval inbox: {}",
        inbox.body
    );
    let answer = app
        .post(
            &format!("{TASKS}/{id}/decision"),
            &founder,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["decision"], "approved");
    assert!(answer.body["data"]["approved_at"].is_string());
    let waited = app
        .get(&format!("{TASKS}/{id}/wait?timeout=30"), Some(&founder))
        .await;
    assert_eq!(waited.body["data"]["state"], "completed", "{}", waited.body);
    let again = app
        .post(
            &format!("{TASKS}/{id}/decision"),
            &founder,
            &json!({"decision": "reject"}),
        )
        .await;
    again.assert_error(400, "INVALID_STATE");
    assert_eq!(again.body["message"], "Task was already approved");
    let journal = app
        .backend
        .inspect()
        .await
        .journal(t.a, Page::default())
        .await;
    assert!(
        journal
            .items
            .iter()
            .any(|e| e.details["event_type"] == "agent_task_approved"
                && e.details["task_id"] == json!(id))
    );
}

async fn a_rejected_task_fails_with_its_reason_and_only_founders_decide(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let founder = app.token(t.a, Role::Founder);
    let id = create(&app, &founder).await;
    let path = format!("{TASKS}/{id}/decision");
    for role in [Role::BrandAdmin, Role::Member, Role::Viewer] {
        let answer = app
            .post(
                &path,
                &app.token(t.a, role),
                &json!({"decision": "approve"}),
            )
            .await;
        answer.assert_error(403, "FORBIDDEN");
        assert_eq!(
            answer.body["message"],
            "Only founders can approve or reject tasks"
        );
    }
    let foreign = app
        .post(
            &path,
            &app.token(t.b, Role::Founder),
            &json!({"decision": "approve"}),
        )
        .await;
    foreign.assert_error(404, "NOT_FOUND");
    for body in [
        json!({}),
        json!({"decision": "maybe"}),
        json!({"decision": "reject", "reason": 3}),
    ] {
        let answer = app.post(&path, &founder, &body).await;
        answer.assert_error(400, "VALIDATION_ERROR");
    }
    let still = app.get(&format!("{TASKS}/{id}"), Some(&founder)).await;
    assert_eq!(
        still.body["data"]["state"], "awaiting_approval",
        "refusals change nothing"
    );

    let answer = app
        .post(
            &path,
            &founder,
            &json!({"decision": "reject", "reason": "too costly"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["decision"], "rejected");
    let task = &answer.body["data"];
    assert_eq!(
        (task["status"].as_str(), task["state"].as_str()),
        (Some("failed"), Some("rejected"))
    );
    assert_eq!(task["error_message"], "Rejected: too costly");
    assert_eq!(task["decision_reason"], "too costly");
    let again = app
        .post(&path, &founder, &json!({"decision": "approve"}))
        .await;
    assert_eq!(again.body["message"], "Task was already rejected");

    let plain = app
        .post(
            TASKS,
            &founder,
            &json!({"agent_id": "SAM", "task_type": "legacy.type", "title": "plain"}),
        )
        .await;
    let plain = plain.body["data"]["id"].as_str().expect("id").to_owned();
    let answer = app
        .post(
            &format!("{TASKS}/{plain}/decision"),
            &founder,
            &json!({"decision": "approve"}),
        )
        .await;
    answer.assert_error(400, "INVALID_STATE");
    assert_eq!(answer.body["message"], "Task does not require approval");
}
