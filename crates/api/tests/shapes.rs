//! Every route's success shape, against structs written from ZORA CORE's clients (not the server's own
//! types): required keys must be there (null when empty), the engine may add keys to a
//! task, and ZORA CORE's objects of fixed shape carry no others. And a 5xx says nothing of
//! the database.

mod common;

use serde::Deserialize;
use serde_json::{Value, json};
use zora_api::Role;
use zora_core::DEFAULT_TENANT_ID;
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;

use common::spawn_app;

/// A full task row (ZORA CORE's columns); the engine's added columns are allowed.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct TaskRow {
    id: String,
    tenant_id: String,
    command_id: Option<String>,
    agent_id: String,
    task_type: String,
    status: String,
    priority: i64,
    title: String,
    description: Option<String>,
    payload: serde_json::Map<String, Value>,
    result: Option<Value>,
    result_summary: Option<String>,
    error_message: Option<String>,
    started_at: Option<String>,
    completed_at: Option<String>,
    created_by_user_id: Option<String>,
    created_at: String,
    updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Execution {
    status: String,
    is_v1_supported: bool,
    message: String,
    supported_v1_types: Vec<String>,
    cli_command: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RunAnswer {
    data: TaskRow,
    execution: Execution,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Preview {
    agent_id: String,
    task_type: String,
    title: String,
    description: Option<String>,
    payload: serde_json::Map<String, Value>,
    priority: i64,
    status: String,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct DryValid {
    valid: bool,
    message: String,
    preview: Preview,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct DryInvalid {
    valid: bool,
    errors: Vec<String>,
    message: String,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct TypeEntry {
    r#type: String,
    description: String,
    payload_schema: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Categories {
    climate_os: Vec<TypeEntry>,
    zora_shop: Vec<TypeEntry>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Types {
    v1_supported: Vec<String>,
    categories: Categories,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ErrorBody {
    error: String,
    message: String,
    status: u16,
}

zora_testkit::both_stores!(every_route_answers_api_md_shapes);

fn parse<T: serde::de::DeserializeOwned>(what: &str, body: Value) -> T {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| {
        panic!("{what} is not the shape ZORA CORE's clients read ({e}): {body}")
    })
}

async fn every_route_answers_api_md_shapes(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let (profile, _, _) = seed_plan(app.store.as_ref(), DEFAULT_TENANT_ID).await;
    let body = json!({"agent_id": "ORACLE", "task_type": "climate.create_single_mission", "title": "LED",
                      "payload": {"profile_id": profile, "title": "LED"}});

    let created: Data<TaskRow> = parse(
        "create",
        app.post("/api/agents/tasks", &token, &body).await.body,
    );
    let id = created.data.id.clone();
    let _: Data<TaskRow> = parse(
        "detail",
        app.get(&format!("/api/agents/tasks/{id}"), Some(&token))
            .await
            .body,
    );
    let run: RunAnswer = parse(
        "run",
        app.post(&format!("/api/agents/tasks/{id}/run"), &token, &json!({}))
            .await
            .body,
    );
    assert_eq!(run.execution.status, "queued");
    let dry: DryValid = parse(
        "run-dry",
        app.post("/api/agents/tasks/run-dry", &token, &body)
            .await
            .body,
    );
    assert!(dry.valid);
    let invalid: DryInvalid = parse(
        "run-dry",
        app.post("/api/agents/tasks/run-dry", &token, &json!({}))
            .await
            .body,
    );
    assert!(!invalid.valid && !invalid.errors.is_empty());
    let types: Data<Types> = parse(
        "types",
        app.get("/api/agents/tasks/types", Some(&token)).await.body,
    );
    assert_eq!(types.data.v1_supported.len(), 4);
    let error: ErrorBody = parse(
        "error",
        app.get("/api/agents/tasks/x", Some(&token)).await.body,
    );
    assert_eq!(error.status, 404);
}

#[tokio::test]
async fn a_5xx_says_nothing_of_the_database() {
    let app = spawn_app(TestBackend::postgres().await).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    app.backend
        .execute("ALTER TABLE agent_tasks RENAME TO agent_tasks_gone")
        .await;
    let answer = app.get("/api/agents/tasks", Some(&token)).await;
    answer.assert_error(500, "DATABASE_ERROR");
    let text = answer.body.to_string();
    for leak in ["agent_tasks", "relation", "SQLSTATE", "sqlx", "SELECT"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}
