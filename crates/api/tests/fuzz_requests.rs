//! Generated requests (proptest) against the API on a real server over SQLite: any method
//! on any route (with real, foreign, unknown and malformed ids), any query string, any
//! body and content type, any token (a founder's, a viewer's, another tenant's, an
//! expired one, garbage, none). Every answer is a success or a documented refusal in the
//! one error shape, never a 5xx; a request that is refused changes nothing (the tenant's
//! tasks, journal, commands and schedules, and the other tenant's). `PROPTEST_CASES` sets how many (256 by
//! default; `PROPTEST_CASES=100000 scripts/test -E 'binary(fuzz_requests)'` for the long
//! run).

mod common;

use proptest::prelude::*;
use serde_json::json;
use zora_api::{Claims, OPERATIONS, Role};
use zora_core::{DEFAULT_TENANT_ID, TenantId, UserId};
use zora_testkit::fuzz::json as any_json;

/// What a generated request is made of.
#[derive(Debug, Clone)]
struct Request {
    method: &'static str,
    path: String,
    query: String,
    body: Option<(String, Vec<u8>)>,
    token: usize,
}

/// Paths: every route's, its `{id}` a real task's, another tenant's, unknown or not an
/// id; and paths of no route.
fn path(real: String, foreign: String) -> impl Strategy<Value = String> {
    let routes: Vec<&'static str> = OPERATIONS.iter().map(|op| op.path).collect();
    let ids = prop_oneof![
        Just(real),
        Just(foreign),
        Just("00000000-0000-0000-0000-0000000000ff".to_owned()),
        "[a-z0-9%.-]{0,40}",
    ];
    prop_oneof![
        6 => (proptest::sample::select(routes), ids).prop_map(|(p, id)| p.replace("{id}", &id)),
        1 => "/[a-z/._%-]{0,40}",
    ]
}

fn request(real: String, foreign: String) -> impl Strategy<Value = Request> {
    let body = prop_oneof![
        Just(None),
        any_json().prop_map(|v| Some(("application/json".to_owned(), v.to_string().into_bytes()))),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| Some(("application/json".to_owned(), b))),
        any_json().prop_map(|v| Some(("text/plain".to_owned(), v.to_string().into_bytes()))),
    ];
    (
        proptest::sample::select(vec!["GET", "POST", "PATCH", "DELETE", "PUT"]),
        path(real, foreign),
        "[a-z_=&0-9,%-]{0,30}",
        body,
        0..6usize,
    )
        .prop_map(|(method, path, query, body, token)| Request {
            method,
            path,
            query,
            body,
            token,
        })
}

#[test]
fn any_request_is_answered_without_a_5xx_and_a_refusal_changes_nothing() {
    let (runtime, app) = common::blocking_app();
    let other = TenantId::new();
    let (real, foreign) = runtime.block_on(async {
        let mut tx = app.store.begin().await.expect("begin");
        zora_testkit::insert_tenant(
            tx.as_mut(),
            &zora_core::tenant::NewTenant {
                id: other,
                name: "Other tenant".into(),
                slug: None,
            },
        )
        .await
        .expect("tenant");
        tx.commit().await.expect("commit");
        let founder = app.token(DEFAULT_TENANT_ID, Role::Founder);
        let body =
            json!({"agent_id": "EIVOR", "task_type": "summarize_recent_activity", "title": "Week"});
        let real = app.post("/api/agents/tasks", &founder, &body).await;
        let theirs = app
            .post("/api/agents/tasks", &app.token(other, Role::Founder), &body)
            .await;
        (
            real.body["data"]["id"].as_str().expect("id").to_owned(),
            theirs.body["data"]["id"].as_str().expect("id").to_owned(),
        )
    });
    let mut expired = Claims::for_user(DEFAULT_TENANT_ID, UserId::new(), Role::Founder);
    expired.exp = Some(chrono::Utc::now().timestamp() - 60);
    let tokens: Vec<Option<String>> = vec![
        Some(app.token(DEFAULT_TENANT_ID, Role::Founder)),
        Some(app.token(DEFAULT_TENANT_ID, Role::Viewer)),
        Some(app.token(other, Role::Member)),
        app.auth.issue(&expired),
        Some("not.a.token".to_owned()),
        None,
    ];
    let written = || runtime.block_on(common::footprint(&app, &[DEFAULT_TENANT_ID, other]));
    // 256 cases unless `PROPTEST_CASES` says otherwise.
    let config = ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    };
    proptest!(config, |(req in request(real.clone(), foreign.clone()))| {
        let before = written();
        // A wait on a task no worker runs lasts its whole `timeout`: a second here.
        let query = if req.path.ends_with("/wait") { format!("{}&timeout=1", req.query) } else { req.query.clone() };
        let url = format!("{}{}{}", app.base, req.path, if query.is_empty() { String::new() } else { format!("?{query}") });
        let mut builder = app.client.request(req.method.parse().expect("method"), &url)
            .timeout(std::time::Duration::from_secs(150));
        if let Some(token) = &tokens[req.token] {
            builder = builder.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = &req.body {
            builder = builder.header("content-type", content_type.as_str()).body(bytes.clone());
        }
        let response = runtime.block_on(async { builder.send().await });
        let response = response.map_err(|e| TestCaseError::fail(format!("{} {url}: no answer: {e}", req.method)))?;
        let streams = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        if streams {
            prop_assert_eq!(response.status().as_u16(), 200);
            return Ok(());
        }
        let answer = runtime.block_on(common::answer(response));
        prop_assert!(
            answer.status < 500 || (answer.status == 503 && answer.headers.contains_key("retry-after")),
            "{} {} answered {}: {}", req.method, url, answer.status, answer.body
        );
        if answer.status >= 400 {
            let shaped = answer.body["error"].is_string() && answer.body["status"] == answer.status;
            let text_ok = answer.status == 404 && req.path.starts_with("/admin");
            prop_assert!(shaped || text_ok, "{} {}: {} {}", req.method, url, answer.status, answer.body);
            prop_assert_eq!(written(), before, "{} {} refused ({}) yet changed something", req.method, url, answer.status);
        }
    });
}
