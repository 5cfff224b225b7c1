//! Waiting for a result on a real server with a worker in the same process,
//! both stores: create then `run?wait=true` gets the outcome even when the worker claimed
//! the task first, `POST /api/agents/tasks?wait=true` creates and runs at once,
//! `GET .../wait` answers when the task finishes (woken, not at its 5 s re-read) or 202 at
//! its timeout, and a route's own bound beats the server-wide request timeout.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{TaskId, TaskStatus};
use zora_testkit::TestBackend;
use zora_testkit::scripted::KIND as SCRIPTED;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_app, spawn_with_worker};

const TASKS: &str = "/api/agents/tasks";

zora_testkit::both_stores!(
    create_then_run_and_wait_gets_the_outcome_though_the_worker_claimed_it,
    create_with_wait_runs_the_task_at_once,
    the_wait_route_answers_when_the_task_finishes_or_at_its_timeout,
    a_routes_own_timeout_beats_the_request_timeout,
    many_waiters_are_each_woken_by_their_own_task,
    run_and_wait_on_a_task_another_worker_holds_answers_that_runs_outcome,
);

fn scripted(action: Value) -> Value {
    json!({"agent_id": "SAM", "task_type": SCRIPTED, "title": "scripted", "payload": action})
}

/// `POST /api/agents/tasks?{query}` of a scripted task doing `action`.
async fn create_waiting(app: &App, token: &str, query: &str, action: Value) -> common::Answer {
    app.post(&format!("{TASKS}?{query}"), token, &scripted(action))
        .await
}

async fn create(app: &App, token: &str, body: &Value) -> TaskId {
    let created = app.post(TASKS, token, body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["data"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
}

async fn create_then_run_and_wait_gets_the_outcome_though_the_worker_claimed_it(
    backend: TestBackend,
) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    for _ in 0..10 {
        let id = create(
            &app,
            &token,
            &scripted(json!({"action": "hang", "ms": 200})),
        )
        .await;
        let run = app
            .post(&format!("{TASKS}/{id}/run?wait=true"), &token, &json!({}))
            .await;
        assert_eq!(run.status, 200, "{}", run.body);
        assert_eq!(run.body["execution"]["status"], "completed", "{}", run.body);
        assert_eq!(run.body["data"]["status"], "completed");
        let task = app
            .store
            .get_task(t.a, id)
            .await
            .expect("get")
            .expect("task");
        assert_eq!(task.attempts, 1, "run once, by whoever claimed it");
    }
}

async fn create_with_wait_runs_the_task_at_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let done = create_waiting(&app, &token, "wait=true", json!({"action": "complete"})).await;
    assert_eq!(done.status, 201, "{}", done.body);
    assert_eq!(done.body["data"]["status"], "completed");
    assert_eq!(done.body["execution"]["status"], "completed");
    assert_eq!(done.body["execution"]["message"], "scripted");

    let failed = create_waiting(&app, &token, "wait=true", json!({"action": "fail"})).await;
    assert_eq!(failed.status, 201, "{}", failed.body);
    assert_eq!(failed.body["data"]["status"], "failed");
    assert_eq!(failed.body["execution"]["status"], "failed");
    assert_eq!(failed.body["execution"]["message"], "scripted failure");

    let slow = create_waiting(
        &app,
        &token,
        "wait=true&timeout=1",
        json!({"action": "hang", "ms": 2500}),
    )
    .await;
    assert_eq!(slow.status, 202, "{}", slow.body);
    assert_eq!(slow.body["execution"]["status"], "running");
    assert_eq!(slow.body["data"]["status"], "in_progress");

    // An idempotent replay waits for the task it made.
    let keyed = scripted(json!({"action": "complete"}));
    let mut keyed = keyed.as_object().expect("object").clone();
    keyed.insert("idempotency_key".into(), json!("once"));
    let keyed = Value::Object(keyed);
    let first = app
        .post(&format!("{TASKS}?wait=true"), &token, &keyed)
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let replay = app
        .post(&format!("{TASKS}?wait=true"), &token, &keyed)
        .await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body["data"]["id"], first.body["data"]["id"]);
    assert_eq!(replay.body["execution"]["status"], "completed");

    // Refusals write nothing: a type this engine does not run, a bad timeout.
    let before = app.backend.count("agent_tasks", t.a).await;
    let legacy = app
        .post(
            &format!("{TASKS}?wait=true"),
            &token,
            &json!({"agent_id": "SAM", "task_type": "plan_workflow", "title": "later"}),
        )
        .await;
    legacy.assert_error(400, "INVALID_STATE");
    for timeout in ["0", "121", "soon"] {
        let query = format!("wait=true&timeout={timeout}");
        let bad = create_waiting(&app, &token, &query, json!({"action": "complete"})).await;
        bad.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(bad.body["fields"][0]["field"], "timeout");
    }
    assert_eq!(app.backend.count("agent_tasks", t.a).await, before);
}

async fn the_wait_route_answers_when_the_task_finishes_or_at_its_timeout(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let id = create(
        &app,
        &token,
        &scripted(json!({"action": "hang", "ms": 800})),
    )
    .await;
    let started = Instant::now();
    let waited = app
        .get(&format!("{TASKS}/{id}/wait?timeout=20"), Some(&token))
        .await;
    let took = started.elapsed();
    assert_eq!(waited.status, 200, "{}", waited.body);
    assert_eq!(waited.body["data"]["status"], "completed");
    assert!(
        took < Duration::from_millis(3500),
        "woken by the finish, not by the 5 s re-read: {took:?}"
    );
    // Finished already: at once.
    let again = app.get(&format!("{TASKS}/{id}/wait"), Some(&token)).await;
    assert_eq!(again.status, 200);

    // Not yet due, so no worker runs it: 202 with the task at the timeout.
    let later = app
        .post(
            TASKS,
            &token,
            &json!({"agent_id": "SAM", "task_type": SCRIPTED, "title": "later",
                    "payload": {"action": "complete"}, "run_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    let later_id = later.body["data"]["id"].as_str().expect("id").to_owned();
    let started = Instant::now();
    let pending = app
        .get(&format!("{TASKS}/{later_id}/wait?timeout=1"), Some(&token))
        .await;
    assert_eq!(pending.status, 202, "{}", pending.body);
    assert_eq!(pending.body["data"]["status"], "pending");
    assert!(started.elapsed() >= Duration::from_secs(1));

    // Another tenant's task, an unknown id, a bad timeout.
    let other = app.token(t.b, Role::Founder);
    app.get(&format!("{TASKS}/{id}/wait?timeout=1"), Some(&other))
        .await
        .assert_error(404, "NOT_FOUND");
    app.get(&format!("{TASKS}/{}/wait", TaskId::new()), Some(&token))
        .await
        .assert_error(404, "NOT_FOUND");
    let bad = app
        .get(&format!("{TASKS}/{id}/wait?timeout=500"), Some(&token))
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["fields"][0]["field"], "timeout");
    app.get(&format!("{TASKS}/{id}/wait"), None)
        .await
        .assert_error(401, "MISSING_TOKEN");
}

async fn a_routes_own_timeout_beats_the_request_timeout(backend: TestBackend) {
    let app = spawn_with_worker(backend, |state| {
        state.request_timeout = Duration::from_secs(1);
    })
    .await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let id = create(
        &app,
        &token,
        &scripted(json!({"action": "hang", "ms": 1500})),
    )
    .await;
    let run = app
        .post(
            &format!("{TASKS}/{id}/run?wait=true&timeout=5"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.body["execution"]["status"], "completed");
    let task = app
        .store
        .get_task(t.a, id)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(task.status, TaskStatus::Completed);

    let slow = create(
        &app,
        &token,
        &scripted(json!({"action": "hang", "ms": 1500})),
    )
    .await;
    let waited = app
        .get(&format!("{TASKS}/{slow}/wait?timeout=5"), Some(&token))
        .await;
    assert_eq!(waited.status, 200, "{}", waited.body);
    let created = create_waiting(
        &app,
        &token,
        "wait=true&timeout=5",
        json!({"action": "hang", "ms": 1500}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
}

/// Thirty requests wait at once on thirty tasks that a worker runs a second later: each
/// answers its own finished task, all woken by the finishes (well before the 5 s re-read).
async fn many_waiters_are_each_woken_by_their_own_task(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let due = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let mut ids = Vec::new();
    for i in 0..30 {
        let body = json!({"agent_id": "SAM", "task_type": SCRIPTED, "title": format!("t{i}"),
                          "payload": {"action": "complete"}, "run_at": due});
        ids.push(create(&app, &token, &body).await);
    }
    let started = Instant::now();
    let waits = ids.iter().map(|id| {
        let (app, token) = (&app, &token);
        async move {
            let answer = app
                .get(&format!("{TASKS}/{id}/wait?timeout=20"), Some(token))
                .await;
            (*id, answer)
        }
    });
    let answers = futures_util::future::join_all(waits).await;
    let took = started.elapsed();
    for (id, answer) in answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["data"]["id"], id.to_string());
        assert_eq!(answer.body["data"]["status"], "completed");
    }
    assert!(
        took < Duration::from_millis(4500),
        "woken by the finishes, not by the 5 s re-read: {took:?}"
    );
}

/// A task another worker holds (claimed under its lease): `run?wait=true` neither refuses
/// nor runs it again, but answers the outcome that worker commits.
async fn run_and_wait_on_a_task_another_worker_holds_answers_that_runs_outcome(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let id = create(&app, &token, &scripted(json!({"action": "complete"}))).await;
    let held = app
        .store
        .claim_tasks(&zora_core::ClaimRequest {
            scope: zora_core::ClaimScope::Tenant(t.a),
            task_types: vec![SCRIPTED.into()],
            limit: 1,
            owner: "other-worker".into(),
            lease_duration: Duration::from_secs(30),
        })
        .await
        .expect("claim");
    let lease = held[0].lease().expect("lease");
    let store = app.store.clone();
    let finisher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let mut tx = store.begin().await.expect("begin");
        tx.complete_tasks(&[zora_core::Completion {
            lease,
            result: json!({"by": "other-worker"}),
            summary: "done elsewhere".into(),
        }])
        .await
        .expect("complete");
        tx.commit().await.expect("commit");
    });
    let started = Instant::now();
    let run = app
        .post(
            &format!("{TASKS}/{id}/run?wait=true&timeout=10"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.body["execution"]["status"], "completed");
    assert_eq!(run.body["execution"]["message"], "done elsewhere");
    assert_eq!(run.body["data"]["result"], json!({"by": "other-worker"}));
    assert_eq!(run.body["data"]["attempts"], 1, "not run a second time");
    assert!(started.elapsed() >= Duration::from_millis(400), "it waited");
    finisher.await.expect("finisher");
}
