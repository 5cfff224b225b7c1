//! `POST /api/workers/outcomes` over a real server, on both stores: heartbeats,
//! completions and failures of one worker in one request, each answered on its own (a
//! result against the schema, a cancelled task, a lease of another task refused beside
//! the ones recorded), a repeat after a lost answer written once, and a body out of shape
//! refused whole, naming the item's field.

mod common;

use serde_json::{Value, json};
use zora_api::Role;
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::spawn_app;
use common::workers::{claim, create, lease, register, worker_token};

zora_testkit::both_stores!(
    outcomes_sent_together_are_each_answered_and_recorded_once,
    a_batch_out_of_shape_is_refused_whole
);

fn task_id(claimed: &Value) -> String {
    claimed["task"]["id"].as_str().expect("id").to_owned()
}

async fn outcomes_sent_together_are_each_answered_and_recorded_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    register(&app, &worker).await;
    for n in 0..5 {
        create(&app, t.a, &format!("https://zora.example/{n}")).await;
    }
    let held = claim(&app, &worker, "py-batch", json!({"max": 5})).await;
    assert_eq!(held.len(), 5);
    let [beating, done, invalid, failing, cancelled] = [0, 1, 2, 3, 4].map(|i| &held[i]);
    let user = app.token(t.a, Role::Founder);
    let cancel = app
        .post(
            &format!("/api/agents/tasks/{}/cancel", task_id(cancelled)),
            &user,
            &json!({}),
        )
        .await;
    assert_eq!(cancel.status, 202, "{}", cancel.body);

    let completion = json!({"task_id": task_id(done), "lease": lease(done),
        "result": {"findings": ["alt text missing"]}, "summary": "1 finding",
        "journal": [{"category": "agent_action", "title": "Reviewed a page"}]});
    let body = json!({
        "heartbeats": [{"task_id": task_id(beating), "lease": lease(beating), "lease_s": 120}],
        "completions": [
            completion,
            {"task_id": task_id(invalid), "lease": lease(invalid), "result": {"findings": 3}},
            {"task_id": task_id(cancelled), "lease": lease(cancelled), "result": {"findings": []}},
            {"task_id": task_id(beating), "lease": lease(done), "result": {"findings": []}},
        ],
        "failures": [{"task_id": task_id(failing), "lease": lease(failing), "error": "page gone",
                      "retryable": false}],
    });
    let answer = app.post("/api/workers/outcomes", &worker, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let data = &answer.body["data"];
    assert_eq!(data["heartbeats"][0]["task_id"], task_id(beating).as_str());
    assert!(data["heartbeats"][0]["expires_at"].is_string(), "{data}");
    let answered = &data["completions"];
    assert_eq!(
        answered[0],
        json!({"task_id": task_id(done), "status": "completed", "replay": false})
    );
    assert_eq!(answered[1]["error"], "VALIDATION_ERROR", "{answered}");
    assert_eq!(
        answered[1]["fields"][0]["field"],
        "completions[1].result.findings"
    );
    assert_eq!(answered[2]["error"], "CANCELLED", "{answered}");
    assert_eq!(
        answered[3]["error"], "VALIDATION_ERROR",
        "another task's lease: {answered}"
    );
    assert_eq!(answered[3]["fields"][0]["field"], "completions[3].lease");
    assert_eq!(data["failures"][0]["status"], "failed", "{data}");

    let read = |id: String| {
        let (app, user) = (&app, &user);
        async move {
            app.get(&format!("/api/agents/tasks/{id}"), Some(user))
                .await
                .body["data"]
                .clone()
        }
    };
    let completed = read(task_id(done)).await;
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["result_summary"], "1 finding");
    assert_eq!(completed["completed_by"], "py-batch");
    assert_eq!(
        read(task_id(invalid)).await["state"],
        "running",
        "still held"
    );
    assert_eq!(read(task_id(cancelled)).await["state"], "cancelled");
    assert_eq!(read(task_id(beating)).await["state"], "running");
    assert_eq!(read(task_id(failing)).await["error_message"], "page gone");

    // The answer was lost: the same completion again is a replay, written once.
    let again = app
        .post(
            "/api/workers/outcomes",
            &worker,
            &json!({"completions": [body["completions"][0].clone()]}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["data"]["completions"][0]["replay"], true);
    let journal = app
        .get(
            &format!("/api/agents/tasks/{}/journal", task_id(done)),
            Some(&user),
        )
        .await;
    let entries: Vec<&Value> = journal.body["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["details"]["event_type"] == "external_task_completed")
        .collect();
    assert_eq!(entries.len(), 1, "{}", journal.body);
    assert_eq!(entries[0]["author"], "SAM");
}

async fn a_batch_out_of_shape_is_refused_whole(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    register(&app, &worker).await;
    let id = create(&app, t.a, "https://zora.example/shape").await;
    let held = claim(&app, &worker, "py-batch", json!({})).await;
    let item = json!({"task_id": id, "lease": lease(&held[0]), "result": {"findings": []}});
    let refusals = [
        (json!({}), "body"),
        (
            json!({"completions": [item, item]}),
            "completions[1].task_id",
        ),
        (
            json!({"completions": [{"task_id": id, "result": {}}]}),
            "completions[0].lease",
        ),
        (
            json!({"failures": [{"lease": "x", "error": "e"}]}),
            "failures[0].task_id",
        ),
        (
            json!({"heartbeats": [{"task_id": id, "lease": 5}]}),
            "heartbeats[0].lease",
        ),
        (json!({"completion": [item]}), "completion"),
    ];
    for (body, field) in refusals {
        let answer = app.post("/api/workers/outcomes", &worker, &body).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            answer.body["fields"][0]["field"], field,
            "{body}: {}",
            answer.body
        );
    }
    let user = app.token(t.a, Role::Founder);
    app.post(
        "/api/workers/outcomes",
        &user,
        &json!({"completions": [item]}),
    )
    .await
    .assert_error(403, "FORBIDDEN");
    let task = app
        .get(&format!("/api/agents/tasks/{id}"), Some(&user))
        .await;
    assert_eq!(
        task.body["data"]["state"], "running",
        "nothing was recorded"
    );
}
