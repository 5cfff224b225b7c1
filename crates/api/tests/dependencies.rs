//! `depends_on` on a real server, both stores: a chain runs in order under a worker with
//! its `inputs` filled, the task objects show `depends_on` and `dependents`, and every
//! bad parent is refused naming the field, with nothing written.

mod common;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{Page, TaskFilter};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_app, spawn_with_worker};

const TASKS: &str = "/api/agents/tasks";

zora_testkit::both_stores!(
    a_chain_runs_in_order_under_a_worker_with_its_inputs,
    bad_parents_are_refused_naming_the_field_and_write_nothing,
    a_blocked_task_is_not_run_synchronously_nor_retried_alone,
);

fn mission(title: &str, payload: Value, depends_on: Value) -> Value {
    json!({"agent_id": "ORACLE", "task_type": "climate.create_single_mission", "title": title,
           "payload": payload, "depends_on": depends_on})
}

async fn created(app: &App, token: &str, body: &Value) -> Value {
    let answer = app.post(TASKS, token, body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["data"].clone()
}

fn id(task: &Value) -> &str {
    task["id"].as_str().expect("an id")
}

fn time(task: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    task[field]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{field} of {task}"))
}

async fn a_chain_runs_in_order_under_a_worker_with_its_inputs(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Member);
    let a = created(
        &app,
        &token,
        &mission("A", json!({"profile_id": profile, "title": "A"}), json!([])),
    )
    .await;
    // B names no profile: it takes A's, from A's result.
    let b = created(
        &app,
        &token,
        &mission(
            "B",
            json!({"title": "B"}),
            json!([{"task_id": a["id"], "inputs": {"profile_id": "profile_id"}}]),
        ),
    )
    .await;
    assert_eq!(b["depends_on"][0]["task_id"], a["id"]);
    assert_eq!(
        b["depends_on"][0]["inputs"],
        json!({"profile_id": "profile_id"})
    );
    let c = created(
        &app,
        &token,
        &mission(
            "C",
            json!({"profile_id": profile, "title": "C"}),
            json!([b["id"]]),
        ),
    )
    .await;
    // (The worker may have run A and B already: C is blocked or runnable by now.)
    assert!(c["state"] == "blocked" || c["state"] == "available", "{c}");

    let waited = app
        .get(&format!("{TASKS}/{}/wait?timeout=30", id(&c)), Some(&token))
        .await;
    assert_eq!(waited.status, 200, "{}", waited.body);
    let get = |id: &Value| {
        let path = format!("{TASKS}/{}", id.as_str().expect("an id"));
        let app = &app;
        let token = &token;
        async move { app.get(&path, Some(token)).await.body["data"].clone() }
    };
    let (a, b, c) = (
        get(&a["id"]).await,
        get(&b["id"]).await,
        get(&c["id"]).await,
    );
    for task in [&a, &b, &c] {
        assert_eq!(task["state"], "completed", "{task}");
    }
    assert_eq!(
        b["payload"]["profile_id"],
        json!(profile.to_string()),
        "{b}"
    );
    assert!(
        time(&b, "started_at") >= time(&a, "completed_at"),
        "B after A"
    );
    assert!(
        time(&c, "started_at") >= time(&b, "completed_at"),
        "C after B"
    );
    assert_eq!(a["dependents"], json!([b["id"]]));
    assert_eq!(
        b["depends_on"][0]["inputs"],
        json!({"profile_id": "profile_id"}),
        "GET reads the links in the task's own statement: {b}"
    );
    assert_eq!(
        (b["depends_on"][0]["state"].as_str(), &b["dependents"]),
        (Some("completed"), &json!([c["id"]]))
    );
}

async fn bad_parents_are_refused_naming_the_field_and_write_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Member);
    let payload = json!({"profile_id": profile, "title": "x"});
    let foreign = created(
        &app,
        &app.token(t.b, Role::Member),
        &json!({"agent_id": "SAM", "task_type": "legacy.type", "title": "B's"}),
    )
    .await;
    let unknown = zora_core::TaskId::new();
    let failed = zora_testkit::suite::task(t.a, "legacy.type", "failed");
    let mut tx = app.store.begin().await.expect("begin");
    tx.insert_task(&failed).await.expect("insert");
    tx.commit().await.expect("commit");
    app.backend
        .execute(&format!(
            "UPDATE agent_tasks SET status = 'failed' WHERE id = '{}'",
            failed.id
        ))
        .await;
    let before = count(&app, t.a).await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    for (depends_on, field, message) in [
        (
            json!([unknown]),
            "depends_on",
            format!("depends_on: Task {unknown} not found or does not belong to tenant"),
        ),
        (
            json!([foreign["id"]]),
            "depends_on",
            format!(
                "depends_on: Task {} not found or does not belong to tenant",
                id(&foreign)
            ),
        ),
        (
            json!([failed.id]),
            "depends_on",
            format!("depends_on: Task {} has failed", failed.id),
        ),
        (
            json!({"task_id": unknown}),
            "depends_on",
            "depends_on must be a list of task ids or {\"task_id\": id, \"inputs\": {...}}".into(),
        ),
        (
            json!(["plan"]),
            "depends_on",
            "depends_on: 'plan' is not a task id".into(),
        ),
        (
            json!([{"ref": "plan"}]),
            "depends_on",
            "depends_on: ref is only known inside a batch".into(),
        ),
    ] {
        let answer = app
            .post(
                TASKS,
                &token,
                &mission("x", payload.clone(), depends_on.clone()),
            )
            .await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            answer.body["fields"][0]["field"], field,
            "{depends_on}: {}",
            answer.body
        );
        assert_eq!(
            answer.body["fields"][0]["message"],
            message.as_str(),
            "{depends_on}"
        );
    }
    let mut with_run_at = mission("x", payload.clone(), json!([failed.id]));
    with_run_at["run_at"] = json!(later);
    let answer = app.post(TASKS, &token, &with_run_at).await;
    answer.assert_error(400, "VALIDATION_ERROR");
    assert!(
        answer.body["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["field"] == "run_at")),
        "{}",
        answer.body
    );
    assert_eq!(count(&app, t.a).await, before, "nothing written");
}

async fn a_blocked_task_is_not_run_synchronously_nor_retried_alone(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Founder);
    let payload = json!({"profile_id": profile, "title": "x"});
    let parent = created(&app, &token, &mission("parent", payload.clone(), json!([]))).await;
    let child = created(
        &app,
        &token,
        &mission("child", payload, json!([parent["id"]])),
    )
    .await;
    let run = app
        .post(
            &format!("{TASKS}/{}/run?wait=true", id(&child)),
            &token,
            &json!({}),
        )
        .await;
    run.assert_error(400, "INVALID_STATE");
    assert!(
        run.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("dependencies")),
        "{}",
        run.body
    );

    // The parent fails for good: the child with it; the child alone is not retried.
    app.backend
        .execute(&format!(
            "UPDATE agent_tasks SET status = 'failed' WHERE id = '{}'",
            id(&parent)
        ))
        .await;
    app.backend
        .execute(&format!(
            "UPDATE agent_tasks SET status = 'failed', error_message = 'Dependency {} failed' WHERE id = '{}'",
            id(&parent),
            id(&child)
        ))
        .await;
    let retry = app
        .post(&format!("{TASKS}/{}/run", id(&child)), &token, &json!({}))
        .await;
    retry.assert_error(400, "INVALID_STATE");
    assert!(
        retry.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("retry that task")),
        "{}",
        retry.body
    );
    // Retrying the parent resets the child with it.
    let retry = app
        .post(&format!("{TASKS}/{}/run", id(&parent)), &token, &json!({}))
        .await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    let child = app
        .get(&format!("{TASKS}/{}", id(&child)), Some(&token))
        .await;
    assert_eq!(child.body["data"]["state"], "blocked", "{}", child.body);
}

async fn count(app: &App, tenant: zora_core::TenantId) -> u64 {
    app.store
        .list_tasks(tenant, &TaskFilter::default(), Page::default())
        .await
        .expect("list")
        .total
}
