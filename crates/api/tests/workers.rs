//! External workers over a real server, on both stores: a type registered with its
//! schemas, payloads checked against it at create time, tasks claimed under a lease
//! (long-polled), beaten, completed with journal entries, failed, replayed after a lost
//! answer, lost to the rescuer, cancelled while held, and kept to the token's tenant.

mod common;

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use zora_api::Role;
use zora_core::RescuePolicy;
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::spawn_app;
use common::workers::{TYPE, claim, create, lease, outcome, register, review_type, worker_token};

zora_testkit::both_stores!(
    a_registered_type_checks_payloads_and_shows_in_the_catalog,
    claimed_tasks_complete_once_under_their_lease,
    a_lost_lease_records_nothing_and_the_task_runs_again,
    a_cancel_reaches_the_worker_at_its_heartbeat,
    failures_retry_or_fail_for_good,
    a_tenant_worker_sees_only_its_tenant,
    a_waiting_claim_is_woken_by_a_new_task,
    an_external_task_that_needs_approval_waits_for_it,
    a_chain_crosses_the_boundary_both_ways,
);

async fn a_registered_type_checks_payloads_and_shows_in_the_catalog(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    let path = format!("/api/workers/types/{TYPE}");

    let registered = app
        .send(Method::PUT, &path, &worker, Some(&review_type()))
        .await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let kind = &registered.body["data"];
    assert_eq!(kind["task_type"], TYPE);
    assert_eq!(kind["agent_id"], "SAM");
    assert_eq!(kind["external"], true);
    assert_eq!(kind["timeout_s"], 60);
    assert_eq!(kind["workers_alive"], 0);
    let again = app
        .send(Method::PUT, &path, &worker, Some(&review_type()))
        .await;
    assert_eq!(
        again.body["data"]["updated_at"], kind["updated_at"],
        "the same body writes nothing"
    );

    // Refusals, each naming its field; nothing registered by them.
    let built_in = app
        .send(
            Method::PUT,
            "/api/workers/types/climate.create_single_mission",
            &worker,
            Some(&review_type()),
        )
        .await;
    built_in.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(built_in.body["fields"][0]["field"], "task_type");
    assert_eq!(
        built_in.body["message"],
        "Task type climate.create_single_mission is built into the engine"
    );
    let mut bad_schema = review_type();
    bad_schema["payload_schema"] = json!({"type": "objekt"});
    let refused = app
        .send(Method::PUT, &path, &worker, Some(&bad_schema))
        .await;
    refused.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(refused.body["fields"][0]["field"], "payload_schema");
    let mut unknown_field = review_type();
    unknown_field["colour"] = json!("blue");
    let refused = app
        .send(Method::PUT, &path, &worker, Some(&unknown_field))
        .await;
    assert_eq!(
        refused.body["fields"][0]["field"], "colour",
        "{}",
        refused.body
    );
    let narrow = worker_token(&app, Some(t.a), Some(vec!["something_else"]));
    app.send(Method::PUT, &path, &narrow, Some(&review_type()))
        .await
        .assert_error(403, "FORBIDDEN");
    let user = app.token(t.a, Role::Founder);
    let refused = app
        .send(Method::PUT, &path, &user, Some(&review_type()))
        .await;
    refused.assert_error(403, "FORBIDDEN");
    assert_eq!(
        refused.body["message"],
        "Only worker tokens may claim tasks"
    );

    // Create time: the schema's message at the payload's path.
    let bad = app
        .post(
            "/api/agents/tasks",
            &user,
            &json!({"agent_id": "SAM", "task_type": TYPE, "title": "No url", "payload": {}}),
        )
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        bad.body["fields"][0]["field"], "payload.url",
        "{}",
        bad.body
    );
    assert_eq!(
        bad.body["message"],
        "payload.url: \"url\" is a required property"
    );
    let wrong = app
        .post("/api/agents/tasks", &user,
              &json!({"agent_id": "SAM", "task_type": TYPE, "title": "Url of a number", "payload": {"url": 7}}))
        .await;
    assert_eq!(
        wrong.body["message"],
        "payload.url: 7 is not of type \"string\""
    );
    create(&app, t.a, "https://zora.example/a").await;
    // Tenant b has no such type: its task is not checked (the legacy path), as before.
    let legacy = app
        .post(
            "/api/agents/tasks",
            &app.token(t.b, Role::Founder),
            &json!({"agent_id": "SAM", "task_type": TYPE, "title": "Unchecked", "payload": {}}),
        )
        .await;
    assert_eq!(legacy.status, 201, "{}", legacy.body);

    let catalog = app.get("/api/agents/tasks/types", Some(&user)).await;
    let external = &catalog.body["data"]["categories"]["external"][0];
    assert_eq!(external["type"], TYPE);
    assert_eq!(external["external"], true);
    assert_eq!(external["payload_schema"]["url"], "The page");
    let other = app
        .get(
            "/api/agents/tasks/types",
            Some(&app.token(t.b, Role::Founder)),
        )
        .await;
    assert!(
        other.body["data"]["categories"]["external"].is_null(),
        "b sees no type of a's"
    );

    // Unregistered: its tasks stay pending.
    let gone = app.send(Method::DELETE, &path, &user, None).await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    app.send(Method::DELETE, &path, &worker, None)
        .await
        .assert_error(404, "NOT_FOUND");
}

async fn claimed_tasks_complete_once_under_their_lease(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, None, Some(vec![TYPE]));
    register(&app, &worker).await;
    for n in 0..3 {
        create(&app, t.a, &format!("https://zora.example/{n}")).await;
    }
    let claimed = claim(&app, &worker, "py-1", json!({"max": 2, "lease_s": 30})).await;
    assert_eq!(claimed.len(), 2);
    let first = &claimed[0];
    assert_eq!(first["attempt"], 1);
    assert_eq!(first["inputs_applied"], false);
    assert_eq!(first["task"]["state"], "running");
    assert_eq!(first["task"]["lease_owner"], "py-1");
    let id = first["task"]["id"].as_str().expect("id");

    let beat = outcome(
        &app,
        &worker,
        id,
        "heartbeat",
        json!({"lease": lease(first)}),
    )
    .await;
    assert_eq!(beat.status, 200, "{}", beat.body);
    assert!(beat.body["data"]["expires_at"].is_string());

    // A result against the result schema: refused naming it, the task still held.
    let bad = outcome(
        &app,
        &worker,
        id,
        "complete",
        json!({"lease": lease(first), "result": {"findings": 3}}),
    )
    .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["fields"][0]["field"], "result.findings");
    let done = json!({"lease": lease(first), "result": {"findings": ["alt text missing"]},
                      "summary": "1 finding",
                      "journal": [{"category": "agent_action", "title": "Reviewed a page",
                                   "details": {"findings": 1}}]});
    let completed = outcome(&app, &worker, id, "complete", done.clone()).await;
    assert_eq!(completed.status, 200, "{}", completed.body);
    let task = &completed.body["data"];
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["findings"][0], "alt text missing");
    assert_eq!(task["result_summary"], "1 finding");
    assert_eq!(task["completed_by"], "py-1", "the worker that ran it");

    // The answer was lost: the same completion again is answered, and written once.
    let replay = outcome(&app, &worker, id, "complete", done).await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body["data"]["completed_at"], task["completed_at"]);
    let user = app.token(t.a, Role::Founder);
    let journal = app
        .get(&format!("/api/agents/tasks/{id}/journal"), Some(&user))
        .await;
    let written: Vec<&Value> = journal.body["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["details"]["event_type"] == "external_task_completed")
        .collect();
    assert_eq!(written.len(), 1, "{}", journal.body);
    assert_eq!(written[0]["author"], "SAM");
    assert_eq!(written[0]["details"]["findings"], 1);

    // A lease token is the task's own: not another's, not forged.
    let second = claimed[1]["task"]["id"].as_str().expect("id");
    let misused = outcome(
        &app,
        &worker,
        second,
        "complete",
        json!({"lease": lease(first), "result": {"findings": []}}),
    )
    .await;
    misused.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(misused.body["fields"][0]["field"], "lease");
    let summary = outcome(
        &app,
        &worker,
        second,
        "complete",
        json!({"lease": lease(&claimed[1]), "result": {"findings": []}}),
    )
    .await;
    assert_eq!(
        summary.body["data"]["result_summary"],
        format!("Completed {TYPE}")
    );
}

async fn a_lost_lease_records_nothing_and_the_task_runs_again(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, None, None);
    register(&app, &worker).await;
    let id = create(&app, t.a, "https://zora.example/slow").await;
    let first = claim(&app, &worker, "py-killed", json!({"lease_s": 5})).await;
    assert_eq!(first.len(), 1);
    tokio::time::sleep(Duration::from_millis(5_300)).await;
    let rescued = app
        .store
        .rescue_expired_leases_all_tenants(RescuePolicy::default(), 100)
        .await
        .expect("rescue");
    assert_eq!(rescued.len(), 1, "the lapsed lease was taken back");

    let second = claim(&app, &worker, "py-2", json!({})).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["attempt"], 2);
    assert_eq!(
        second[0]["task"]["errors"][0]["worker"], "py-killed",
        "the lost attempt names the worker that lost it"
    );
    let late = outcome(
        &app,
        &worker,
        &id,
        "complete",
        json!({"lease": lease(&first[0]), "result": {"findings": ["late"]}}),
    )
    .await;
    late.assert_error(409, "LEASE_LOST");
    assert!(
        late.body["message"]
            .as_str()
            .expect("text")
            .contains("claimed again"),
        "{}",
        late.body
    );
    let beat = outcome(
        &app,
        &worker,
        &id,
        "heartbeat",
        json!({"lease": lease(&first[0])}),
    )
    .await;
    beat.assert_error(409, "LEASE_LOST");
    let done = outcome(
        &app,
        &worker,
        &id,
        "complete",
        json!({"lease": lease(&second[0]), "result": {"findings": []}}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["data"]["result"]["findings"],
        json!([]),
        "the late result was not recorded"
    );
    let late = outcome(
        &app,
        &worker,
        &id,
        "complete",
        json!({"lease": lease(&first[0]), "result": {"findings": ["late"]}}),
    )
    .await;
    late.assert_error(409, "LEASE_LOST");
    let errors = done.body["data"]["errors"]
        .as_array()
        .expect("errors")
        .clone();
    assert_eq!(errors.len(), 1, "one attempt lost: {errors:?}");
    assert_eq!(errors[0]["kind"], "lease_expired");
}

async fn a_cancel_reaches_the_worker_at_its_heartbeat(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    register(&app, &worker).await;
    let id = create(&app, t.a, "https://zora.example/cancelled").await;
    let held = claim(&app, &worker, "py-1", json!({})).await;
    let user = app.token(t.a, Role::Founder);
    let cancel = app
        .post(&format!("/api/agents/tasks/{id}/cancel"), &user, &json!({}))
        .await;
    assert_eq!(cancel.status, 202, "{}", cancel.body);

    let beat = outcome(
        &app,
        &worker,
        &id,
        "heartbeat",
        json!({"lease": lease(&held[0])}),
    )
    .await;
    beat.assert_error(409, "CANCELLED");
    let task = app
        .get(&format!("/api/agents/tasks/{id}"), Some(&user))
        .await;
    assert_eq!(task.body["data"]["state"], "cancelled", "{}", task.body);
    let late = outcome(
        &app,
        &worker,
        &id,
        "complete",
        json!({"lease": lease(&held[0]), "result": {"findings": []}}),
    )
    .await;
    late.assert_error(409, "LEASE_LOST");
    let task = app
        .get(&format!("/api/agents/tasks/{id}"), Some(&user))
        .await;
    assert!(
        task.body["data"]["result"].is_null(),
        "nothing recorded: {}",
        task.body
    );
}

async fn failures_retry_or_fail_for_good(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    register(&app, &worker).await;
    let id = create(&app, t.a, "https://zora.example/flaky").await;
    let held = claim(&app, &worker, "py-1", json!({})).await;
    let retry =
        json!({"lease": lease(&held[0]), "error": "upstream timed out", "retry_after_s": 120});
    let failed = outcome(&app, &worker, &id, "fail", retry.clone()).await;
    assert_eq!(failed.status, 200, "{}", failed.body);
    let task = &failed.body["data"];
    assert_eq!(task["status"], "pending");
    assert_eq!(task["errors"][0]["error"], "upstream timed out");
    let replay = outcome(&app, &worker, &id, "fail", retry).await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(
        replay.body["data"]["errors"].as_array().map(Vec::len),
        Some(1),
        "recorded once"
    );
    assert!(
        claim(&app, &worker, "py-1", json!({})).await.is_empty(),
        "not due for two minutes"
    );

    let id = create(&app, t.a, "https://zora.example/broken").await;
    let held = claim(&app, &worker, "py-1", json!({})).await;
    assert_eq!(held[0]["task"]["id"], id.as_str());
    let failed = outcome(
        &app,
        &worker,
        &id,
        "fail",
        json!({"lease": lease(&held[0]), "error": "page not found", "retryable": false}),
    )
    .await;
    assert_eq!(failed.body["data"]["status"], "failed", "{}", failed.body);
    assert_eq!(failed.body["data"]["error_message"], "page not found");
    let missing = outcome(
        &app,
        &worker,
        &id,
        "fail",
        json!({"lease": lease(&held[0])}),
    )
    .await;
    assert_eq!(
        missing.body["fields"][0]["field"], "error",
        "{}",
        missing.body
    );
}

async fn a_tenant_worker_sees_only_its_tenant(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let every = worker_token(&app, None, None);
    register(&app, &every).await;
    let b_task = create(&app, t.b, "https://b.example").await;
    let a_worker = worker_token(&app, Some(t.a), None);
    assert!(
        claim(&app, &a_worker, "a-1", json!({"max": 10}))
            .await
            .is_empty(),
        "b's task is not a's worker's"
    );
    let a_task = create(&app, t.a, "https://a.example").await;
    let claimed = claim(&app, &a_worker, "a-1", json!({"max": 10})).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0]["task"]["id"], a_task.as_str());

    // A lease of b's task, claimed by the worker of every tenant, is no use to a's.
    let b_claim = claim(&app, &every, "all-1", json!({})).await;
    assert_eq!(b_claim[0]["task"]["id"], b_task.as_str());
    let refused = outcome(
        &app,
        &a_worker,
        &b_task,
        "complete",
        json!({"lease": lease(&b_claim[0]), "result": {"findings": []}}),
    )
    .await;
    refused.assert_error(403, "FORBIDDEN");

    let user = app.token(t.a, Role::Founder);
    let refused = app
        .post(
            "/api/workers/claim",
            &user,
            &json!({"worker": "x", "types": [TYPE]}),
        )
        .await;
    refused.assert_error(403, "FORBIDDEN");
    assert_eq!(
        refused.body["message"],
        "Only worker tokens may claim tasks"
    );
    app.get("/api/agents/tasks", Some(&a_worker))
        .await
        .assert_error(403, "FORBIDDEN");
    let unregistered = app
        .post(
            "/api/workers/claim",
            &a_worker,
            &json!({"worker": "x", "types": ["nobody_serves_this"]}),
        )
        .await;
    unregistered.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(unregistered.body["fields"][0]["field"], "types");
}

async fn a_waiting_claim_is_woken_by_a_new_task(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    register(&app, &worker).await;
    let started = std::time::Instant::now();
    let waiting = {
        let client = app.client.clone();
        let url = format!("{}/api/workers/claim", app.base);
        let worker = worker.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(worker)
                .json(&json!({"worker": "py-wait", "types": [TYPE], "wait_s": 20}))
                .send()
                .await
                .expect("claim")
                .json::<Value>()
                .await
                .expect("json")
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = create(&app, t.a, "https://zora.example/soon").await;
    let answer = waiting.await.expect("joined");
    assert_eq!(answer["data"][0]["task"]["id"], id.as_str(), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "woken, not timed out: {:?}",
        started.elapsed()
    );

    let empty_wait = std::time::Instant::now();
    assert!(
        claim(&app, &worker, "py-wait", json!({"wait_s": 1}))
            .await
            .is_empty()
    );
    assert!(
        empty_wait.elapsed() >= Duration::from_secs(1),
        "it waited its second"
    );
    let workers = app
        .store
        .live_workers(zora_core::stats::Scope::Tenant(t.a))
        .await
        .expect("workers");
    let row = workers
        .iter()
        .find(|w| w.id == "py-wait")
        .expect("the worker's row");
    assert_eq!(row.kind, zora_core::worker::WorkerKind::External);
    assert_eq!(row.task_types, [TYPE]);
    assert_eq!(
        app.store
            .lost_workers(Duration::from_secs(3600))
            .await
            .expect("lost"),
        0
    );
}

async fn an_external_task_that_needs_approval_waits_for_it(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, Some(t.a), None);
    register(&app, &worker).await;
    let user = app.token(t.a, Role::Founder);
    let created = app
        .post("/api/agents/tasks", &user,
              &json!({"agent_id": "SAM", "task_type": TYPE, "title": "Review after approval",
                      "payload": {"url": "https://zora.example/approve"}, "requires_approval": true}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["data"]["id"].as_str().expect("id");
    assert!(
        claim(&app, &worker, "py-1", json!({})).await.is_empty(),
        "waits in the inbox"
    );
    let decided = app
        .post(
            &format!("/api/agents/tasks/{id}/decision"),
            &user,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let claimed = claim(&app, &worker, "py-1", json!({})).await;
    assert_eq!(claimed[0]["task"]["id"], id);
    let done = outcome(
        &app,
        &worker,
        id,
        "complete",
        json!({"lease": lease(&claimed[0]), "result": {"findings": []}}),
    )
    .await;
    assert_eq!(done.body["data"]["state"], "completed", "{}", done.body);
}

/// `climate.suggest_weekly_plan` (built in) → an external review that receives the plan
/// through `inputs` → `climate.create_missions_from_plan` (built in), under the engine's
/// worker and an external one.
async fn a_chain_crosses_the_boundary_both_ways(backend: TestBackend) {
    let app = common::spawn_with_worker(backend, |_| {}).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = zora_testkit::suite::climate::seed_plan(app.store.as_ref(), t.a).await;
    let worker = worker_token(&app, Some(t.a), None);
    let review_plan = json!({"agent_id": "EIVOR", "description": "A person reviews the week's plan",
        "payload_schema": {"type": "object", "required": ["plan_id", "profile_id"],
                           "properties": {"plan_id": {"type": "string"}, "profile_id": {"type": "string"}}},
        "timeout_s": 60});
    let registered = app
        .send(
            Method::PUT,
            "/api/workers/types/review_plan",
            &worker,
            Some(&review_plan),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.body);

    let user = app.token(t.a, Role::Founder);
    let both = json!({"plan_id": "plan_id", "profile_id": "profile_id"});
    let batch = app
        .post("/api/agents/tasks/batch", &user, &json!({"tasks": [
            {"ref": "suggest", "agent_id": "EIVOR", "task_type": "climate.suggest_weekly_plan",
             "title": "Suggest a week", "payload": {"profile_id": profile, "period_start": "2027-03-01"}},
            {"ref": "review", "agent_id": "EIVOR", "task_type": "review_plan", "title": "Review it",
             "payload": {}, "depends_on": [{"ref": "suggest", "inputs": both}]},
            {"ref": "missions", "agent_id": "ORACLE", "task_type": "climate.create_missions_from_plan",
             "title": "Make its missions", "payload": {},
             "depends_on": [{"ref": "review", "inputs": both}]}]}))
        .await;
    assert_eq!(batch.status, 201, "{}", batch.body);
    let ids: Vec<String> = batch.body["data"]["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect();

    let body = json!({"worker": "py-review", "types": ["review_plan"], "wait_s": 20});
    let claimed = app.post("/api/workers/claim", &worker, &body).await;
    let item = &claimed.body["data"][0];
    assert_eq!(item["task"]["id"], ids[1].as_str(), "{}", claimed.body);
    assert_eq!(item["inputs_applied"], true);
    let plan = item["task"]["payload"]["plan_id"].clone();
    assert!(plan.is_string(), "the plan came through inputs: {item}");
    assert_eq!(
        item["task"]["payload"]["profile_id"],
        profile.to_string().as_str()
    );
    let done = outcome(&app, &worker, &ids[1], "complete",
        json!({"lease": lease(item), "result": {"plan_id": plan, "profile_id": profile, "approved": true}}))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    let waited = app
        .get(
            &format!("/api/agents/tasks/{}/wait?timeout=30", ids[2]),
            Some(&user),
        )
        .await;
    assert_eq!(waited.body["data"]["state"], "completed", "{}", waited.body);
    assert_eq!(waited.body["data"]["payload"]["plan_id"], plan);
    assert!(
        waited.body["data"]["result_summary"]
            .as_str()
            .is_some_and(|s| s.contains("mission")),
        "{}",
        waited.body
    );
}
