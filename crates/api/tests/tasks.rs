//! `GET /api/agents/tasks` and `GET /api/agents/tasks/{id}` on a real server, both stores:
//! shapes written from ZORA CORE's clients, filters, pagination, hostile parameters, tenant isolation.

mod common;

use serde::Deserialize;
use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{NewTask, Store, TaskId, TenantId};
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::spawn_app;

zora_testkit::both_stores!(
    the_list_has_api_md_shape_order_and_pagination,
    list_parameters_are_checked_and_hostile_ones_are_harmless,
    a_task_is_shown_in_full_to_its_tenant_only,
    every_task_says_its_state_and_the_list_filters_by_states,
);

/// The fine-grained states, computed by the store: on every task object, and
/// `?state=` (a comma-separated list) filters the list in the store, its total too.
async fn every_task_says_its_state_and_the_list_filters_by_states(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let store = app.store.clone();
    let t = two_tenants(store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let task = |title: &str| NewTask::new(t.a, "SAM", "kind.a", title, json!({}));
    let mut later = task("scheduled");
    later.run_at = Some(chrono::Utc::now() + chrono::Duration::hours(1));
    let mut approval = task("awaiting_approval");
    approval.requires_approval = true;
    let rows = [
        task("available"),
        later,
        approval,
        task("blocked"),
        task("running"),
        task("completed"),
        task("failed"),
        task("cancelled"),
        task("rejected"),
    ];
    let mut tx = store.begin().await.expect("begin");
    for row in &rows {
        tx.insert_task(row).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    let id = |title: &str| rows.iter().find(|r| r.title == title).expect("row").id;
    for statement in [
        format!(
            "INSERT INTO agent_task_dependencies (task_id, depends_on_task_id) VALUES ('{}', '{}')",
            id("blocked"),
            id("available")
        ),
        format!(
            "UPDATE agent_tasks SET status = 'in_progress' WHERE id = '{}'",
            id("running")
        ),
        format!(
            "UPDATE agent_tasks SET status = 'completed' WHERE id = '{}'",
            id("completed")
        ),
        format!(
            "UPDATE agent_tasks SET status = 'failed' WHERE id = '{}'",
            id("failed")
        ),
        format!(
            "UPDATE agent_tasks SET status = 'failed', cancelled_at = created_at WHERE id = '{}'",
            id("cancelled")
        ),
        format!(
            "UPDATE agent_tasks SET status = 'failed', rejected_at = created_at WHERE id = '{}'",
            id("rejected")
        ),
    ] {
        app.backend.execute(&statement).await;
    }

    let listed = app.get("/api/agents/tasks?limit=100", Some(&token)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    for item in listed.body["data"].as_array().expect("items") {
        assert_eq!(item["state"], item["title"], "{item}");
    }
    for row in &rows {
        let shown = app
            .get(&format!("/api/agents/tasks/{}", row.id), Some(&token))
            .await;
        assert_eq!(shown.body["data"]["state"], row.title.as_str());
    }
    let some = app
        .get(
            "/api/agents/tasks?state=blocked,%20scheduled,awaiting_approval&limit=1",
            Some(&token),
        )
        .await;
    assert_eq!(some.status, 200, "{}", some.body);
    assert_eq!(
        some.body["pagination"]["total"], 3,
        "counted by the store: {}",
        some.body
    );
    let running = app
        .get(
            "/api/agents/tasks?state=running&status=in_progress",
            Some(&token),
        )
        .await;
    assert_eq!(running.body["data"][0]["title"], "running");
    assert_eq!(running.body["pagination"]["total"], 1);

    let bad = app
        .get("/api/agents/tasks?state=available,sleeping", Some(&token))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.body["error"], "VALIDATION_ERROR");
    assert_eq!(bad.body["fields"][0]["field"], "state", "{}", bad.body);

    let other = app.token(t.b, Role::Founder);
    let theirs = app
        .get("/api/agents/tasks?state=available", Some(&other))
        .await;
    assert_eq!(theirs.body["pagination"]["total"], 0, "tenant B sees none");
}

/// A list item, as ZORA CORE's clients read it (not the server's own type), with its `state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ListItem {
    id: String,
    agent_id: String,
    task_type: String,
    status: String,
    state: String,
    priority: i64,
    title: String,
    command_id: Option<String>,
    created_at: String,
    started_at: Option<String>,
    completed_at: Option<String>,
    /// Every task object, a list item too, shows its place in its chain.
    depends_on: Vec<serde_json::Value>,
    dependents: Vec<String>,
    /// The engine's addition for the console's table: attempts made, and the task's own
    /// limit (`null`: its type's).
    attempts: i64,
    max_attempts: Option<i64>,
    /// The engine's addition: the task's model calls summed (`null` when none).
    usage: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pagination {
    limit: u64,
    offset: u64,
    total: u64,
    has_more: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListBody {
    data: Vec<ListItem>,
    pagination: Pagination,
}

async fn enqueue(
    store: &dyn Store,
    tenant: TenantId,
    agent: &str,
    task_type: &str,
    priority: i32,
) -> TaskId {
    let mut new = NewTask::new(
        tenant,
        agent,
        task_type,
        format!("{task_type} {priority}"),
        json!({"n": priority}),
    );
    new.priority = priority;
    let mut tx = store.begin().await.expect("begin");
    let task = tx.insert_task(&new).await.expect("insert");
    tx.commit().await.expect("commit");
    task.id
}

async fn the_list_has_api_md_shape_order_and_pagination(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    for (agent, priority) in [("ORACLE", 1), ("SAM", 5), ("LUMINA", 3)] {
        enqueue(
            app.store.as_ref(),
            t.a,
            agent,
            "climate.create_single_mission",
            priority,
        )
        .await;
    }
    enqueue(
        app.store.as_ref(),
        t.b,
        "SAM",
        "climate.create_single_mission",
        9,
    )
    .await;
    let token = app.token(t.a, Role::Viewer);

    let answer = app.get("/api/agents/tasks", Some(&token)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: ListBody = serde_json::from_value(answer.body.clone()).expect("the list's shape");
    assert_eq!(
        body.data.iter().map(|t| t.priority).collect::<Vec<_>>(),
        vec![5, 3, 1],
        "priority DESC"
    );
    assert_eq!(
        (
            body.pagination.limit,
            body.pagination.offset,
            body.pagination.total
        ),
        (50, 0, 3)
    );
    assert!(!body.pagination.has_more);
    assert!(
        body.data
            .iter()
            .all(|t| t.created_at.ends_with('Z') && t.status == "pending")
    );

    let page: ListBody = serde_json::from_value(
        app.get("/api/agents/tasks?limit=2&offset=0", Some(&token))
            .await
            .body,
    )
    .expect("page");
    assert_eq!((page.data.len(), page.pagination.has_more), (2, true));
    let capped: ListBody = serde_json::from_value(
        app.get("/api/agents/tasks?limit=1000", Some(&token))
            .await
            .body,
    )
    .expect("capped");
    assert_eq!(capped.pagination.limit, 200, "served at 200, and says so");
    let sam: ListBody = serde_json::from_value(
        app.get("/api/agents/tasks?agent_id=sam", Some(&token))
            .await
            .body,
    )
    .expect("sam");
    assert_eq!(
        (sam.pagination.total, sam.data[0].agent_id.as_str()),
        (1, "SAM"),
        "agent_id any case, own tenant only"
    );
    let done: ListBody = serde_json::from_value(
        app.get("/api/agents/tasks?status=completed", Some(&token))
            .await
            .body,
    )
    .expect("done");
    assert_eq!(done.pagination.total, 0);
    let typed: ListBody = serde_json::from_value(
        app.get(
            "/api/agents/tasks?task_type=climate.create_single_mission",
            Some(&token),
        )
        .await
        .body,
    )
    .expect("typed");
    assert_eq!(
        typed.pagination.total, 3,
        "another tenant's rows are never counted"
    );
}

async fn list_parameters_are_checked_and_hostile_ones_are_harmless(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    enqueue(
        app.store.as_ref(),
        t.a,
        "ORACLE",
        "climate.create_single_mission",
        1,
    )
    .await;
    let token = app.token(t.a, Role::Founder);
    for (query, field) in [
        ("status=done", "status"),
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("order=random", "order"),
    ] {
        let answer = app
            .get(&format!("/api/agents/tasks?{query}"), Some(&token))
            .await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            answer.body["fields"][0]["field"], field,
            "{query}: {}",
            answer.body
        );
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{}",
            answer.body
        );
    }
    for hostile in [
        "x'%20OR%20'1'%3D'1",
        "%25",
        "%3B%20DROP%20TABLE%20agent_tasks%3B--",
        "%5C",
    ] {
        for param in ["task_type", "agent_id"] {
            let answer = app
                .get(
                    &format!("/api/agents/tasks?{param}={hostile}"),
                    Some(&token),
                )
                .await;
            assert_eq!(answer.status, 200, "{param}={hostile}: {}", answer.body);
            assert_eq!(
                answer.body["pagination"]["total"], 0,
                "matched literally, nothing else"
            );
        }
    }
    let all = app
        .get("/api/agents/tasks?offset=1000000", Some(&token))
        .await;
    assert_eq!(
        (all.status, all.body["pagination"]["total"].as_u64()),
        (200, Some(1)),
        "the table is intact"
    );
}

async fn a_task_is_shown_in_full_to_its_tenant_only(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let id = enqueue(
        app.store.as_ref(),
        t.a,
        "ORACLE",
        "climate.create_single_mission",
        2,
    )
    .await;
    let answer = app
        .get(
            &format!("/api/agents/tasks/{id}"),
            Some(&app.token(t.a, Role::Viewer)),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let task = &answer.body["data"];
    for key in [
        "id",
        "agent_id",
        "task_type",
        "status",
        "priority",
        "title",
        "description",
        "payload",
        "result",
        "result_summary",
        "error_message",
        "started_at",
        "completed_at",
        "created_at",
        "command_id",
    ] {
        assert!(
            task.get(key).is_some(),
            "every key present, null when empty: {key}"
        );
    }
    assert_eq!(task["payload"], json!({"n": 2}));
    assert_eq!(task["result"], Value::Null);

    let other = app.token(t.b, Role::Founder);
    let hidden = app
        .get(&format!("/api/agents/tasks/{id}"), Some(&other))
        .await;
    hidden.assert_error(404, "NOT_FOUND");
    assert_eq!(hidden.body["message"], format!("Task '{id}' not found"));
    let upper = id.to_string().to_uppercase();
    assert_eq!(
        app.get(
            &format!("/api/agents/tasks/{upper}"),
            Some(&app.token(t.a, Role::Viewer))
        )
        .await
        .status,
        200,
        "ids in any case"
    );
    app.get("/api/agents/tasks/not-a-uuid", Some(&other))
        .await
        .assert_error(404, "NOT_FOUND");
}
