//! Model usage over a real server, on both stores: an external worker's completion with
//! its model call (alone and in a batch) recorded with it, priced when the engine knows
//! the model, summed by `GET /api/agents/usage` per model, type, agent and day for the
//! tenant alone; a usage out of shape refused naming its field, with nothing recorded.

mod common;

use serde_json::{Value, json};
use zora_api::Role;
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::spawn_app;
use common::workers::{claim, create, lease, outcome, register, worker_token};

zora_testkit::both_stores!(a_workers_model_calls_are_recorded_with_its_completions);

async fn a_workers_model_calls_are_recorded_with_its_completions(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = worker_token(&app, None, None);
    register(&app, &worker).await;
    for n in 0..3 {
        create(&app, t.a, &format!("https://zora.example/{n}")).await;
    }
    create(&app, t.b, "https://zora.example/other").await;
    let held = claim(&app, &worker, "py-usage", json!({"max": 4})).await;
    let of_a: Vec<&Value> = held
        .iter()
        .filter(|c| c["task"]["tenant_id"] == t.a.to_string())
        .collect();
    let id = |claimed: &Value| claimed["task"]["id"].as_str().expect("id").to_owned();

    let bad = outcome(
        &app,
        &worker,
        &id(of_a[0]),
        "complete",
        json!({"lease": lease(of_a[0]),
        "result": {"findings": []}, "usage": {"model": "gpt-4o-mini", "prompt_tokens": -1,
        "completion_tokens": 5}}),
    )
    .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["fields"][0]["field"], "usage.prompt_tokens");

    let done = outcome(
        &app,
        &worker,
        &id(of_a[0]),
        "complete",
        json!({"lease": lease(of_a[0]),
        "result": {"findings": []}, "usage": {"model": "gpt-4o-mini-2024-07-18",
        "prompt_tokens": 1_000_000, "completion_tokens": 1_000_000}}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let together = app
        .post(
            "/api/workers/outcomes",
            &worker,
            &json!({"completions": [
                {"task_id": id(of_a[1]), "lease": lease(of_a[1]), "result": {"findings": []},
                 "usage": {"model": "local-llama", "prompt_tokens": 10, "completion_tokens": 4}},
                {"task_id": id(of_a[2]), "lease": lease(of_a[2]), "result": {"findings": []},
                 "usage": {"model": "local-llama", "prompt_tokens": 20, "completion_tokens": 6,
                           "cost_usd": 0.01}},
            ]}),
        )
        .await;
    assert_eq!(together.status, 200, "{}", together.body);
    assert!(
        together.body["data"]["completions"]
            .as_array()
            .expect("answers")
            .iter()
            .all(|a| a["status"] == "completed"),
        "{}",
        together.body
    );

    let viewer = app.token(t.a, Role::Viewer);
    let shown = app
        .get(&format!("/api/agents/tasks/{}", id(of_a[0])), Some(&viewer))
        .await;
    assert_eq!(shown.body["data"]["usage"]["calls"], 1, "{}", shown.body);
    assert_eq!(shown.body["data"]["usage"]["prompt_tokens"], 1_000_000);
    let listed = app.get("/api/agents/tasks?limit=50", Some(&viewer)).await;
    let with_usage = listed.body["data"]
        .as_array()
        .expect("a page")
        .iter()
        .filter(|t| t["usage"].is_object())
        .count();
    assert_eq!(
        with_usage, 3,
        "the page reads each task's usage: {}",
        listed.body
    );
    let none = app
        .get(
            &format!("/api/agents/tasks/{}", id(&held[3])),
            Some(&app.token(t.b, Role::Founder)),
        )
        .await;
    assert!(none.body["data"]["usage"].is_null(), "{}", none.body);
    let by_model = app
        .get("/api/agents/usage?group_by=model", Some(&viewer))
        .await;
    assert_eq!(by_model.status, 200, "{}", by_model.body);
    let lines = by_model.body["data"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "{}", by_model.body);
    assert_eq!(lines[0]["key"], "gpt-4o-mini-2024-07-18");
    assert_eq!(lines[0]["prompt_tokens"], 1_000_000);
    let priced = lines[0]["cost_usd"].as_f64().expect("priced by the engine");
    assert!((priced - 0.75).abs() < 1e-9, "{priced}");
    assert_eq!(lines[1]["key"], "local-llama");
    assert_eq!(lines[1]["calls"], 2);
    assert_eq!(
        lines[1]["cost_usd"], 0.01,
        "the worker's own cost; none for the other"
    );
    assert_eq!(by_model.body["totals"]["calls"], 3);
    assert!(by_model.body["budget"].is_null());

    let by_agent = app
        .get("/api/agents/usage?group_by=agent", Some(&viewer))
        .await;
    assert_eq!(by_agent.body["data"][0]["key"], "SAM");
    let by_type = app
        .get("/api/agents/usage?group_by=task_type", Some(&viewer))
        .await;
    assert_eq!(by_type.body["data"][0]["key"], "review_accessibility");
    let other = app
        .get("/api/agents/usage", Some(&app.token(t.b, Role::Founder)))
        .await;
    assert_eq!(
        other.body["totals"]["calls"], 0,
        "another tenant's spend is its own"
    );
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for line in [
        "zora_model_tokens_total{model=\"gpt-4o-mini-2024-07-18\",kind=\"prompt\"} 1000000",
        "zora_model_tokens_total{model=\"local-llama\",kind=\"completion\"} 10",
        "zora_model_cost_usd_total{model=\"local-llama\"} 0.01",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }

    for (query, field) in [
        ("group_by=week", "group_by"),
        ("from=yesterday", "from"),
        ("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from"),
    ] {
        let refused = app
            .get(&format!("/api/agents/usage?{query}"), Some(&viewer))
            .await;
        refused.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(refused.body["fields"][0]["field"], field, "{query}");
    }
}
