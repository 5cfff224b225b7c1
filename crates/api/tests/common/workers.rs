//! What the tests of external workers share: a worker token, the `review_accessibility`
//! type registered, its tasks created, claimed, and outcomes sent under their leases.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use zora_api::{Claims, Role};
use zora_core::TenantId;

use super::{Answer, App};

pub const TYPE: &str = "review_accessibility";

pub fn worker_token(app: &App, tenant: Option<TenantId>, types: Option<Vec<&str>>) -> String {
    let types = types.map(|t| t.into_iter().map(String::from).collect());
    app.auth
        .issue(&Claims::for_worker(tenant, types, Duration::from_secs(600)))
        .expect("signed")
}

pub fn review_type() -> Value {
    json!({"agent_id": "sam", "description": "Review a page for accessibility",
           "payload_schema": {"type": "object", "required": ["url"],
                              "properties": {"url": {"type": "string", "description": "The page"}}},
           "result_schema": {"type": "object", "required": ["findings"],
                             "properties": {"findings": {"type": "array"}}},
           "timeout_s": 60, "max_attempts": 3})
}

pub async fn register(app: &App, token: &str) {
    let answer = app
        .send(
            Method::PUT,
            &format!("/api/workers/types/{TYPE}"),
            token,
            Some(&review_type()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

pub async fn create(app: &App, tenant: TenantId, url: &str) -> String {
    let answer = app
        .post(
            "/api/agents/tasks",
            &app.token(tenant, Role::Founder),
            &json!({"agent_id": "SAM", "task_type": TYPE, "title": format!("Review {url}"),
                    "payload": {"url": url}}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["data"]["id"].as_str().expect("id").to_owned()
}

pub async fn claim(app: &App, token: &str, worker: &str, body: Value) -> Vec<Value> {
    let mut body = body;
    body["worker"] = Value::from(worker);
    body["types"] = json!([TYPE]);
    let answer = app.post("/api/workers/claim", token, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"].as_array().expect("a list").clone()
}

pub fn lease(claimed: &Value) -> String {
    claimed["lease"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

pub async fn outcome(app: &App, token: &str, id: &str, what: &str, body: Value) -> Answer {
    app.post(&format!("/api/workers/tasks/{id}/{what}"), token, &body)
        .await
}
