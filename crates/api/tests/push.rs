//! Push delivery on both stores: types registered with a push target, their tasks posted
//! by the engine's pusher to a real HTTP receiver that checks each signature as a
//! Cloudflare Worker or an Edge Function would: a success completes, a 4xx fails for good,
//! a 503 is retried after its Retry-After, a hanging receiver times out and is retried, a
//! wrong secret is refused by the receiver, a redirect is not followed. Registration
//! refuses a URL that is neither https nor loopback http.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::Method;
use serde_json::{Value, json};
use zora_api::{Claims, Role};
use zora_engine::external::{Pusher, REPLAY_WINDOW, signature};
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::{App, spawn_app};

const SECRET: &str = "the edge function's secret";

zora_testkit::both_stores!(pushed_tasks_are_recorded_as_their_receiver_answers);

/// What the receiver saw: calls per path.
type Calls = Arc<Mutex<HashMap<String, u32>>>;

/// A receiver checks the signature as the docs say: over "{timestamp}.{body}" with the
/// secret, and the timestamp within the replay window.
fn verified(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(timestamp) = header("x-zora-timestamp").and_then(|t| t.parse::<i64>().ok()) else {
        return false;
    };
    let fresh =
        (chrono::Utc::now().timestamp() - timestamp).unsigned_abs() <= REPLAY_WINDOW.as_secs();
    fresh && header("x-zora-signature") == Some(signature(SECRET, timestamp, body).as_str())
}

async fn receive(
    State(calls): State<Calls>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = {
        let mut calls = calls.lock().expect("calls");
        let count = calls.entry(path.clone()).or_default();
        *count += 1;
        *count
    };
    if !verified(&headers, &body) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "bad signature"})),
        )
            .into_response();
    }
    let task: Value = serde_json::from_slice(&body).expect("a JSON body");
    match path.as_str() {
        "ok" | "wrong-secret" => axum::Json(json!({
            "result": {"pushed": task["task"]["payload"]["page"], "attempt": task["attempt"]},
            "summary": "Pushed to the edge",
            "journal": [{"category": "agent_action", "title": "The edge ran it"}]}))
        .into_response(),
        "gone" => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "no such page"})),
        )
            .into_response(),
        "flaky" if seen == 1 => (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            "busy",
        )
            .into_response(),
        "flaky" => axum::Json(json!({"result": {"second": true}})).into_response(),
        "hang" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            axum::Json(json!({"result": {}})).into_response()
        }
        "redirect" => (StatusCode::TEMPORARY_REDIRECT, [("location", "/push/ok")]).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn receiver() -> (String, Calls) {
    let calls = Calls::default();
    let app = Router::new()
        .route("/push/{path}", post(receive))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, calls)
}

async fn register(app: &App, token: &str, name: &str, url: &str, secret: &str) -> common::Answer {
    app.send(
        Method::PUT,
        &format!("/api/workers/types/{name}"),
        token,
        Some(
            &json!({"agent_id": "SAM", "payload_schema": {"type": "object"},
                     "push": {"url": url, "timeout_s": 1, "secret": secret}}),
        ),
    )
    .await
}

async fn task_of(app: &App, token: &str, id: &str) -> Value {
    app.get(&format!("/api/agents/tasks/{id}"), Some(token))
        .await
        .body["data"]
        .clone()
}

async fn pushed_tasks_are_recorded_as_their_receiver_answers(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let worker = app
        .auth
        .issue(&Claims::for_worker(
            Some(t.a),
            None,
            Duration::from_secs(600),
        ))
        .expect("signed");
    let (base, calls) = receiver().await;

    for url in [
        "http://zora.example/push",
        "ftp://127.0.0.1/push",
        "not a url",
    ] {
        let refused = register(&app, &worker, "push.refused", url, SECRET).await;
        refused.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            refused.body["fields"][0]["field"], "push.url",
            "{url}: {}",
            refused.body
        );
    }
    let short = register(
        &app,
        &worker,
        "push.refused",
        &format!("{base}/push/ok"),
        "short",
    )
    .await;
    assert_eq!(
        short.body["fields"][0]["field"], "push.secret",
        "{}",
        short.body
    );

    let user = app.token(t.a, Role::Founder);
    let mut ids = HashMap::new();
    for path in ["ok", "gone", "flaky", "hang", "redirect", "wrong-secret"] {
        let name = format!("push.{}", path.replace('-', "_"));
        let secret = if path == "wrong-secret" {
            "another secret, not the edge's"
        } else {
            SECRET
        };
        let registered =
            register(&app, &worker, &name, &format!("{base}/push/{path}"), secret).await;
        assert_eq!(registered.status, 200, "{}", registered.body);
        assert!(
            registered.body["data"]["push"].get("secret").is_none(),
            "never shown"
        );
        let created = app
            .post(
                "/api/agents/tasks",
                &user,
                &json!({"agent_id": "SAM", "task_type": name, "title": path,
                          "payload": {"page": path}, "max_attempts": 3}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        ids.insert(
            path,
            created.body["data"]["id"].as_str().expect("id").to_owned(),
        );
    }
    // A push type is not claimed by external workers.
    let claim = app
        .post(
            "/api/workers/claim",
            &worker,
            &json!({"worker": "py", "types": ["push.ok"]}),
        )
        .await;
    claim.assert_error(400, "VALIDATION_ERROR");

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let pusher = tokio::spawn(Pusher::new(app.store.clone(), "push-test").run(async {
        let _ = stopped.await;
    }));
    let settled = |task: &Value, want: &str| task["state"] == want;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ok = task_of(&app, &user, &ids["ok"]).await;
        let flaky = task_of(&app, &user, &ids["flaky"]).await;
        let hang = task_of(&app, &user, &ids["hang"]).await;
        let done = settled(&ok, "completed")
            && settled(&flaky, "completed")
            && hang["errors"].as_array().is_some_and(|e| !e.is_empty());
        if done || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(());
    pusher.await.expect("the pusher ends");

    let ok = task_of(&app, &user, &ids["ok"]).await;
    assert_eq!(ok["state"], "completed", "{ok}");
    assert_eq!(ok["result"], json!({"pushed": "ok", "attempt": 1}));
    assert_eq!(ok["result_summary"], "Pushed to the edge");
    let journal = app
        .get(
            &format!("/api/agents/tasks/{}/journal", ids["ok"]),
            Some(&user),
        )
        .await;
    assert!(
        journal.body["data"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["title"] == "The edge ran it"),
        "{}",
        journal.body
    );

    let gone = task_of(&app, &user, &ids["gone"]).await;
    assert_eq!(
        (gone["state"].as_str(), gone["error_message"].as_str()),
        (Some("failed"), Some("no such page"))
    );

    let flaky = task_of(&app, &user, &ids["flaky"]).await;
    assert_eq!(flaky["state"], "completed", "{flaky}");
    assert_eq!(flaky["attempts"], 2, "503 then success: {flaky}");
    assert_eq!(
        flaky["errors"][0]["error"],
        "the push URL answered 503 Service Unavailable"
    );

    let hang = task_of(&app, &user, &ids["hang"]).await;
    assert_eq!(hang["errors"][0]["error"], "no answer within 1 s", "{hang}");
    assert_eq!(hang["errors"][0]["kind"], "transient");

    let redirect = task_of(&app, &user, &ids["redirect"]).await;
    assert_eq!(redirect["state"], "failed", "{redirect}");
    assert!(
        redirect["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("redirects are not followed")),
        "{redirect}"
    );
    let wrong = task_of(&app, &user, &ids["wrong-secret"]).await;
    assert_eq!(
        (wrong["state"].as_str(), wrong["error_message"].as_str()),
        (Some("failed"), Some("bad signature"))
    );

    let calls = calls.lock().expect("calls").clone();
    assert_eq!(
        calls.get("ok"),
        Some(&1),
        "the redirect was not followed to /ok: {calls:?}"
    );
    assert_eq!(calls.get("flaky"), Some(&2), "{calls:?}");
}
