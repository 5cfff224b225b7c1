//! `POST /api/agents/tasks`, `run-dry` and `types` on a real server, both stores: the
//! shapes, every validation rule naming its field, hostile bodies, and nothing written on
//! a refusal.

mod common;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{DEFAULT_TENANT_ID, Page};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;
use zora_testkit::suite::two_tenants;

use common::spawn_app;

const TASKS: &str = "/api/agents/tasks";

zora_testkit::both_stores!(
    a_task_is_created_with_its_journal_entry,
    every_rule_names_its_field_and_writes_nothing,
    hostile_bodies_are_refused_and_write_nothing,
    run_dry_previews_or_lists_the_errors,
    an_idempotency_key_replays_or_conflicts,
);

async fn a_task_is_created_with_its_journal_entry(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let body = json!({"agent_id": "oracle", "task_type": "climate.create_single_mission", "title": "LED bulbs",
                      "description": "five of them", "priority": 2,
                      "payload": {"profile_id": profile, "title": "Replace 5 bulbs", "source": "frontend"}});
    let answer = app.post(TASKS, &app.token(t.a, Role::Member), &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let task = &answer.body["data"];
    assert_eq!(
        (
            task["agent_id"].as_str(),
            task["status"].as_str(),
            task["priority"].as_i64()
        ),
        (Some("ORACLE"), Some("pending"), Some(2))
    );
    assert_eq!(
        task["payload"]["source"], "frontend",
        "unknown payload fields kept"
    );
    assert_eq!(
        task["created_by_user_id"],
        Value::Null,
        "a token's user without a row is written as NULL"
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
        .find(|e| e.details["event_type"] == "agent_task_created")
        .expect("entry");
    assert_eq!(entry.details["task_id"], task["id"]);
    assert_eq!(
        (entry.category.as_str(), entry.author.as_deref()),
        ("agent_action", Some("system"))
    );

    let legacy = app
        .post(
            TASKS,
            &app.token(t.a, Role::Founder),
            &json!({"agent_id": "SAM", "task_type": "plan_workflow", "title": "Review"}),
        )
        .await;
    assert_eq!(
        legacy.status, 201,
        "a type the engine does not run is accepted unchecked: {}",
        legacy.body
    );
    assert_eq!(legacy.body["data"]["payload"], json!({}));
    let viewer = app.post(TASKS, &app.token(t.a, Role::Viewer), &body).await;
    viewer.assert_error(403, "FORBIDDEN");
}

async fn every_rule_names_its_field_and_writes_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let (foreign, foreign_plan, _) = seed_plan(app.store.as_ref(), t.b).await;
    let (foreign_brand, _, foreign_product) =
        zora_testkit::suite::shop::seed_shop(app.store.as_ref(), t.b).await;
    let (own_profile, _, _) = seed_plan(app.store.as_ref(), t.a).await;
    let token = app.token(t.a, Role::Founder);
    let base = json!({"agent_id": "ORACLE", "task_type": "plan_workflow", "title": "x"});
    let with = |change: Value| {
        let mut body = base.clone();
        for (k, v) in change.as_object().expect("object") {
            if v.is_null() {
                body.as_object_mut().expect("object").remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (
            with(json!({"title": null})),
            "title",
            "agent_id, task_type, and title are required",
        ),
        (
            with(json!({"agent_id": "ODIN"})),
            "agent_id",
            "Invalid agent_id. Must be one of: CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM",
        ),
        (with(json!({"title": 7})), "title", "title must be a string"),
        (
            with(json!({"priority": -1})),
            "priority",
            "priority must be a non-negative number",
        ),
        (
            with(json!({"priority": "high"})),
            "priority",
            "priority must be a non-negative number",
        ),
        (
            with(json!({"payload": [1, 2]})),
            "payload",
            "payload must be a JSON object",
        ),
        (
            with(json!({"run_at": "tomorrow"})),
            "run_at",
            "run_at must be an RFC 3339 time",
        ),
        (
            with(json!({"max_attempts": 0})),
            "max_attempts",
            "max_attempts must be a positive integer",
        ),
        (
            with(json!({"title": "t".repeat(501)})),
            "title",
            "title must be at most 500 characters",
        ),
        (
            with(
                json!({"task_type": "climate.create_single_mission", "payload": {"profile_id": foreign, "title": "x"}}),
            ),
            "payload.profile_id",
            "profile_id: Profile",
        ),
        (
            with(
                json!({"task_type": "climate.create_single_mission", "payload": {"profile_id": "p-1", "title": "x"}}),
            ),
            "payload.profile_id",
            "profile_id: Profile p-1 not found or does not belong to tenant",
        ),
        (
            with(json!({"task_type": "climate.create_single_mission", "payload": {"title": "x"}})),
            "payload.profile_id",
            "Missing required fields: profile_id and title",
        ),
        (
            with(
                json!({"task_type": "climate.create_single_mission", "payload": {"profile_id": foreign, "title": "x", "due_date": "soon"}}),
            ),
            "payload.due_date",
            "due_date: 'soon' is not a date as YYYY-MM-DD",
        ),
    ];
    let foreign_refs = [
        (
            with(
                json!({"task_type": "climate.create_missions_from_plan", "payload": {"profile_id": own_profile, "plan_id": foreign_plan}}),
            ),
            "payload.plan_id",
            format!("plan_id: Plan {foreign_plan} not found or does not belong to tenant"),
        ),
        (
            with(
                json!({"task_type": "zora_shop.create_project", "payload": {"title": "x", "primary_brand_id": foreign_brand}}),
            ),
            "payload.primary_brand_id",
            format!(
                "primary_brand_id: Primary brand {foreign_brand} not found or does not belong to tenant"
            ),
        ),
        (
            with(
                json!({"task_type": "zora_shop.update_product_climate_meta", "payload": {"product_id": foreign_product}}),
            ),
            "payload.product_id",
            format!("product_id: Product {foreign_product} not found or does not belong to tenant"),
        ),
    ];
    for (body, field, message) in foreign_refs {
        let answer = app.post(TASKS, &token, &body).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(answer.body["fields"][0]["field"], field, "{}", answer.body);
        assert_eq!(
            answer.body["fields"][0]["message"],
            message.as_str(),
            "{}",
            answer.body
        );
    }
    for (body, field, message) in cases {
        let answer = app.post(TASKS, &token, &body).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        let fields = answer.body["fields"].as_array().expect("fields");
        assert!(
            fields.iter().any(|f| f["field"] == field
                && f["message"].as_str().is_some_and(|m| m.contains(message))),
            "{body}: {}",
            answer.body
        );
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{}",
            answer.body
        );
    }
    assert_eq!(
        app.backend.count("agent_tasks", t.a).await,
        0,
        "nothing created"
    );
    assert_eq!(
        app.backend.count("journal_entries", t.a).await,
        0,
        "nothing journaled"
    );
}

async fn hostile_bodies_are_refused_and_write_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let json_type = Some("application/json");
    // Past serde_json's recursion limit (128), inside an object: refused for its depth.
    let nested = format!("{}1{}", "{\"a\": ".repeat(200), "}".repeat(200));
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (json_type, b"{\"agent_id\": ".to_vec(), 400, "INVALID_JSON"),
        (json_type, b"[1, 2, 3]".to_vec(), 400, "INVALID_JSON"),
        (json_type, b"\"a string\"".to_vec(), 400, "INVALID_JSON"),
        (
            json_type,
            vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
            400,
            "INVALID_JSON",
        ),
        (json_type, nested.into_bytes(), 400, "INVALID_JSON"),
        (Some("text/plain"), b"{}".to_vec(), 400, "INVALID_JSON"),
        (None, b"{}".to_vec(), 400, "INVALID_JSON"),
        (
            json_type,
            format!("{{\"title\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)).into_bytes(),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let size = body.len();
        let answer = app.post_raw(TASKS, &token, content_type, body).await;
        assert_eq!(
            answer.body["error"], code,
            "{content_type:?} ({size} bytes): {}",
            answer.body
        );
        answer.assert_error(status, code);
    }
    assert_eq!(app.backend.count("agent_tasks", DEFAULT_TENANT_ID).await, 0);
}

async fn run_dry_previews_or_lists_the_errors(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Viewer);
    let ok = app.post(&format!("{TASKS}/run-dry"), &token,
        &json!({"agent_id": "sam", "task_type": "plan_workflow", "title": "Review", "priority": 1})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["valid"], true);
    assert_eq!(
        ok.body["preview"],
        json!({"agent_id": "SAM", "task_type": "plan_workflow", "title": "Review",
        "description": null, "payload": {}, "priority": 1, "status": "pending"})
    );
    let bad = app
        .post(
            &format!("{TASKS}/run-dry"),
            &token,
            &json!({"agent_id": "sam", "priority": -3}),
        )
        .await;
    assert_eq!(bad.status, 200);
    assert_eq!(
        (bad.body["valid"].as_bool(), bad.body["message"].as_str()),
        (Some(false), Some("Validation failed"))
    );
    let errors = bad.body["errors"]
        .as_array()
        .expect("errors, a list of strings");
    assert!(errors.iter().all(Value::is_string));
    assert!(
        errors
            .iter()
            .any(|e| e == "priority must be a non-negative number")
    );
    assert!(
        bad.body["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["field"] == "title"))
    );
    assert_eq!(
        app.backend.count("agent_tasks", DEFAULT_TENANT_ID).await,
        0,
        "a dry run writes nothing"
    );

    let types = app.get(&format!("{TASKS}/types"), Some(&token)).await;
    assert_eq!(types.status, 200);
    assert_eq!(
        types.body["data"]["v1_supported"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(
        types.body["data"]["categories"]["zora_shop"][0]["payload_schema"]["title"],
        "Project title"
    );
}

async fn an_idempotency_key_replays_or_conflicts(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let body = json!({"agent_id": "SAM", "task_type": "plan_workflow", "title": "Review", "idempotency_key": "k-1"});
    let first = app.post(TASKS, &token, &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = app.post(TASKS, &token, &body).await;
    assert_eq!(again.status, 200, "the same body again: the existing task");
    assert_eq!(again.body["data"]["id"], first.body["data"]["id"]);
    let mut other = body.clone();
    other["title"] = json!("Another review");
    app.post(TASKS, &token, &other)
        .await
        .assert_error(409, "CONFLICT");

    // The key may come as a header too.
    let header_body = json!({"agent_id": "SAM", "task_type": "plan_workflow", "title": "Header"});
    let send = |body: Value| {
        app.client
            .post(format!("{}{TASKS}", app.base))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("idempotency-key", "k-2")
            .body(body.to_string())
            .send()
    };
    let created = common::answer(send(header_body.clone()).await.expect("send")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["data"]["idempotency_key"], "k-2");
    let replayed = common::answer(send(header_body).await.expect("send")).await;
    assert_eq!(
        (replayed.status, &replayed.body["data"]["id"]),
        (200, &created.body["data"]["id"])
    );
    assert_eq!(
        app.backend.count("agent_tasks", DEFAULT_TENANT_ID).await,
        2,
        "one task per key"
    );
}
