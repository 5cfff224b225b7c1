//! `/api/agents/schedules` on a real server, both stores: created with its first slot,
//! read, paused and resumed, changed, deleted; roles and tenants; every invalid body a
//! 400 naming its field, with nothing written.

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use zora_api::Role;
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_app};

const SCHEDULES: &str = "/api/agents/schedules";

zora_testkit::both_stores!(
    a_schedule_is_created_read_changed_and_deleted,
    roles_and_tenants_are_kept_apart,
    invalid_schedules_name_their_fields_and_write_nothing,
);

fn body() -> Value {
    json!({"name": "weekly review", "cron": "0 9 * * MON", "timezone": "Europe/Copenhagen",
           "task": {"agent_id": "oracle", "task_type": zora_testkit::scripted::KIND,
                    "title": "Weekly review", "payload": {"action": "complete"}, "priority": 2}})
}

async fn create(app: &App, token: &str) -> Value {
    let answer = app.post(SCHEDULES, token, &body()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body["data"].clone()
}

async fn a_schedule_is_created_read_changed_and_deleted(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let created = create(&app, &token).await;
    for field in [
        "id",
        "name",
        "cron",
        "timezone",
        "task",
        "enabled",
        "next_run_at",
        "last_run_at",
        "last_task_id",
        "created_at",
        "updated_at",
    ] {
        assert!(created.get(field).is_some(), "{field} in {created}");
    }
    assert_eq!(created["task"]["agent_id"], "ORACLE");
    assert_eq!(created["task"]["priority"], 2);
    assert_eq!(created["enabled"], true);
    assert!(created["last_run_at"].is_null());
    // Monday 09:00 in Copenhagen is 08:00 UTC in winter.
    let next = created["next_run_at"].as_str().expect("a next slot");
    assert!(next.contains("T08:00:00"), "{next}");
    let id = created["id"].as_str().expect("id");
    let one = format!("{SCHEDULES}/{id}");

    let listed = app.get(SCHEDULES, Some(&token)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"][0]["id"], id);
    assert_eq!(app.get(&one, Some(&token)).await.body["data"], created);

    let paused = app
        .send(
            Method::PATCH,
            &one,
            &token,
            Some(&json!({"enabled": false})),
        )
        .await;
    assert_eq!(paused.status, 200, "{}", paused.body);
    assert_eq!(paused.body["data"]["enabled"], false);
    assert!(paused.body["data"]["next_run_at"].is_null());
    let changed = app
        .send(
            Method::PATCH,
            &one,
            &token,
            Some(
                &json!({"enabled": true, "cron": "30 6 * * *", "timezone": "UTC",
                         "name": "daily"}),
            ),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let data = &changed.body["data"];
    assert_eq!(
        (data["name"].as_str(), data["cron"].as_str()),
        (Some("daily"), Some("30 6 * * *"))
    );
    assert!(
        data["next_run_at"]
            .as_str()
            .is_some_and(|n| n.contains("T06:30:00")),
        "{data}"
    );
    assert_eq!(data["task"], created["task"], "the template is kept");

    let deleted = app.send(Method::DELETE, &one, &token, None).await;
    assert_eq!(deleted.status, 204);
    app.get(&one, Some(&token))
        .await
        .assert_error(404, "NOT_FOUND");
    app.send(Method::DELETE, &one, &token, None)
        .await
        .assert_error(404, "NOT_FOUND");
}

async fn roles_and_tenants_are_kept_apart(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let founder = app.token(t.a, Role::Founder);
    let id = create(&app, &founder).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let one = format!("{SCHEDULES}/{id}");
    let admin = app.token(t.a, Role::BrandAdmin);
    assert_eq!(app.post(SCHEDULES, &admin, &body()).await.status, 201);
    let viewer = app.token(t.a, Role::Viewer);
    assert_eq!(
        app.get(SCHEDULES, Some(&viewer)).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    for role in [Role::Member, Role::Viewer] {
        let token = app.token(t.a, role);
        app.post(SCHEDULES, &token, &body())
            .await
            .assert_error(403, "FORBIDDEN");
        app.send(
            Method::PATCH,
            &one,
            &token,
            Some(&json!({"enabled": false})),
        )
        .await
        .assert_error(403, "FORBIDDEN");
        app.send(Method::DELETE, &one, &token, None)
            .await
            .assert_error(403, "FORBIDDEN");
    }
    let other = app.token(t.b, Role::Founder);
    app.get(&one, Some(&other))
        .await
        .assert_error(404, "NOT_FOUND");
    app.send(
        Method::PATCH,
        &one,
        &other,
        Some(&json!({"enabled": false})),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    app.send(Method::DELETE, &one, &other, None)
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(
        app.get(SCHEDULES, Some(&other)).await.body["data"],
        json!([])
    );
    app.get(&format!("{SCHEDULES}/not-a-uuid"), Some(&founder))
        .await
        .assert_error(404, "NOT_FOUND");
    let still = app.get(&one, Some(&founder)).await;
    assert_eq!(still.body["data"]["enabled"], true, "nothing was changed");
}

async fn invalid_schedules_name_their_fields_and_write_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let token = app.token(t.a, Role::Founder);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut body = body();
        edit(&mut body);
        body
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (with(&|b| b["cron"] = json!("61 * * * *")), vec!["cron"]),
        (with(&|b| b["cron"] = json!("0 0 9 * * MON")), vec!["cron"]),
        (
            with(&|b| b["timezone"] = json!("Mars/Olympus")),
            vec!["timezone"],
        ),
        (
            with(&|b| {
                b["cron"] = json!("nonsense");
                b["timezone"] = json!(7);
            }),
            vec!["timezone", "cron"],
        ),
        (with(&|b| b["name"] = json!("  ")), vec!["name"]),
        (with(&|b| b["enabled"] = json!("yes")), vec!["enabled"]),
        (
            with(&|b| b["frequency"] = json!("weekly")),
            vec!["frequency"],
        ),
        (with(&|b| b["task"] = json!("run it")), vec!["task"]),
        (
            with(&|b| b["task"]["title"] = json!(null)),
            vec!["task.title"],
        ),
        (
            with(&|b| b["task"]["agent_id"] = json!("ODIN")),
            vec!["task.agent_id"],
        ),
        (
            with(&|b| b["task"]["run_at"] = json!("2026-12-01T09:00:00Z")),
            vec!["task.run_at"],
        ),
        (
            with(&|b| b["task"]["payload"] = json!({"action": "explode"})),
            vec!["task.payload.action"],
        ),
        (
            with(&|b| {
                b.as_object_mut().map(|o| o.remove("task"));
            }),
            vec!["task"],
        ),
    ];
    for (invalid, fields) in cases {
        let answer = app.post(SCHEDULES, &token, &invalid).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        let named: Vec<&str> = answer.body["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        let mut named_sorted = named.clone();
        named_sorted.sort_unstable();
        let mut expected = fields.clone();
        expected.sort_unstable();
        assert_eq!(named_sorted, expected, "{invalid} → {}", answer.body);
    }
    app.post_raw(
        SCHEDULES,
        &token,
        Some("application/json"),
        b"{\"name\":".to_vec(),
    )
    .await
    .assert_error(400, "INVALID_JSON");
    assert_eq!(
        app.get(SCHEDULES, Some(&token)).await.body["data"],
        json!([])
    );

    let id = create(&app, &token).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let one = format!("{SCHEDULES}/{id}");
    for (patch, field) in [
        (json!({}), "body"),
        (json!({"cron": "* * *"}), "cron"),
        (json!({"timezone": "Nowhere"}), "timezone"),
        (
            json!({"task": {"agent_id": "SAM", "task_type": zora_testkit::scripted::KIND,
                         "title": "x", "payload": {"action": 1}}}),
            "task.payload.action",
        ),
        (json!({"enabled": 1}), "enabled"),
    ] {
        let answer = app.send(Method::PATCH, &one, &token, Some(&patch)).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            answer.body["fields"][0]["field"], field,
            "{patch}: {}",
            answer.body
        );
    }
    let unchanged = app.get(&one, Some(&token)).await;
    assert_eq!(unchanged.body["data"]["cron"], "0 9 * * MON");
}
