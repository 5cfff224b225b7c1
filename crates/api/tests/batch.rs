//! `POST /api/agents/tasks/batch` on a real server, both stores: a chain by refs runs in
//! order, every fault names its item, a cycle is named, nothing is written on a refusal,
//! and parallel batches with the same idempotency keys make one set of tasks.

mod common;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{Page, TaskFilter, TenantId};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_app, spawn_with_worker};

const BATCH: &str = "/api/agents/tasks/batch";

zora_testkit::both_stores!(
    a_chain_by_refs_is_created_at_once_and_runs_in_order,
    faults_name_their_item_a_cycle_its_refs_and_nothing_is_written,
    parallel_batches_with_the_same_keys_make_one_set_of_tasks,
);

fn mission(title: &str, payload: Value) -> Value {
    json!({"agent_id": "ORACLE", "task_type": "climate.create_single_mission", "title": title,
           "payload": payload})
}

async fn count(app: &App, tenant: TenantId) -> u64 {
    app.store
        .list_tasks(tenant, &TaskFilter::default(), Page::default())
        .await
        .expect("list")
        .total
}

async fn a_chain_by_refs_is_created_at_once_and_runs_in_order(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Member);
    let mut last = mission("last", json!({"profile_id": profile, "title": "last"}));
    last["depends_on"] = json!(["second"]);
    let mut second = mission("second", json!({"title": "second"}));
    second["ref"] = json!("second");
    second["depends_on"] = json!([{"ref": "first", "inputs": {"profile_id": "profile_id"}}]);
    let mut first = mission("first", json!({"profile_id": profile, "title": "first"}));
    first["ref"] = json!("first");
    // Listed child first: the batch orders them by their refs.
    let answer = app
        .post(BATCH, &token, &json!({"tasks": [last, second, first]}))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let data = &answer.body["data"];
    let tasks = data["tasks"].as_array().expect("tasks");
    let titles: Vec<&str> = tasks.iter().filter_map(|t| t["title"].as_str()).collect();
    assert_eq!(
        titles,
        ["last", "second", "first"],
        "in the request's order"
    );
    assert_eq!(data["refs"]["first"], tasks[2]["id"]);
    assert_eq!(data["refs"]["second"], tasks[1]["id"]);
    assert_eq!(tasks[1]["depends_on"][0]["task_id"], tasks[2]["id"]);
    assert_eq!(tasks[0]["depends_on"][0]["task_id"], tasks[1]["id"]);

    let last_id = tasks[0]["id"].as_str().expect("id");
    let waited = app
        .get(
            &format!("/api/agents/tasks/{last_id}/wait?timeout=30"),
            Some(&token),
        )
        .await;
    assert_eq!(waited.status, 200, "{}", waited.body);
    assert_eq!(waited.body["data"]["state"], "completed", "{}", waited.body);
    let second_id = tasks[1]["id"].as_str().expect("id");
    let second = app
        .get(&format!("/api/agents/tasks/{second_id}"), Some(&token))
        .await;
    assert_eq!(
        second.body["data"]["payload"]["profile_id"],
        json!(profile.to_string()),
        "filled from the first task's result"
    );
}

async fn faults_name_their_item_a_cycle_its_refs_and_nothing_is_written(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Member);
    let valid = mission("ok", json!({"profile_id": profile, "title": "ok"}));
    let with = |reference: &str, depends_on: Value| {
        let mut task = valid.clone();
        task["ref"] = json!(reference);
        task["depends_on"] = depends_on;
        task
    };
    let before = count(&app, t.a).await;

    let cycle = json!({"tasks": [with("plan", json!(["apply"])), with("apply", json!(["plan"]))]});
    let answer = app.post(BATCH, &token, &cycle).await;
    answer.assert_error(400, "VALIDATION_ERROR");
    let message = answer.body["fields"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message == "depends_on: cycle plan -> apply -> plan"
            || message == "depends_on: cycle apply -> plan -> apply",
        "{}",
        answer.body
    );

    let mut untitled = valid.clone();
    untitled["title"] = json!("");
    let unknown_profile = mission(
        "x",
        json!({"profile_id": zora_domain::ids::ProfileId::new(), "title": "x"}),
    );
    let too_many: Vec<Value> = (0..101).map(|_| valid.clone()).collect();
    for (body, field) in [
        (json!({"tasks": [valid, untitled]}), "tasks[1].title"),
        (
            json!({"tasks": [valid, valid, unknown_profile]}),
            "tasks[2].payload.profile_id",
        ),
        (
            json!({"tasks": [with("a", json!(["nobody"]))]}),
            "tasks[0].depends_on",
        ),
        (
            json!({"tasks": [with("a", json!([])), with("a", json!([]))]}),
            "tasks[1].ref",
        ),
        (json!({"tasks": [valid, 7]}), "tasks[1].task"),
        (json!({"tasks": []}), "tasks"),
        (json!({"tasks": too_many}), "tasks"),
        (json!({"task": [valid]}), "tasks"),
    ] {
        let answer = app.post(BATCH, &token, &body).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(answer.body["fields"][0]["field"], field, "{}", answer.body);
        let message = answer.body["fields"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.starts_with(field),
            "the message names it: {}",
            answer.body
        );
    }
    let viewer = app
        .post(
            BATCH,
            &app.token(t.a, Role::Viewer),
            &json!({"tasks": [valid]}),
        )
        .await;
    viewer.assert_error(403, "FORBIDDEN");
    assert_eq!(count(&app, t.a).await, before, "nothing written");
}

async fn parallel_batches_with_the_same_keys_make_one_set_of_tasks(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Member);
    let keyed = |key: &str, reference: &str, depends_on: Value| {
        let mut task = mission(key, json!({"profile_id": profile, "title": key}));
        task["idempotency_key"] = json!(key);
        task["ref"] = json!(reference);
        task["depends_on"] = depends_on;
        task
    };
    let body = json!({"tasks": [
        keyed("k-plan", "plan", json!([])),
        keyed("k-apply", "apply", json!(["plan"])),
        keyed("k-report", "report", json!(["apply"])),
    ]});
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, url, token, body) = (
            app.client.clone(),
            format!("{}{BATCH}", app.base),
            token.clone(),
            body.clone(),
        );
        sends.spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("send");
            common::answer(response).await
        });
    }
    let mut sets = Vec::new();
    while let Some(answer) = sends.join_next().await {
        let answer = answer.expect("join");
        assert!(
            answer.status == 201 || answer.status == 200,
            "{}",
            answer.body
        );
        sets.push(answer.body["data"]["refs"].clone());
    }
    assert!(sets.windows(2).all(|w| w[0] == w[1]), "one set: {sets:?}");
    assert_eq!(count(&app, t.a).await, 3);
}
