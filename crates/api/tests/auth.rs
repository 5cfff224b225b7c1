//! Authentication on a real server: each of the API's 401 codes, the cookie, a server
//! without a secret, and routing before authentication.

mod common;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use zora_api::{AuthConfig, Claims, Role};
use zora_core::{DEFAULT_TENANT_ID, UserId};
use zora_testkit::TestBackend;

use common::{SECRET, spawn_app, spawn_with};

const TASKS: &str = "/api/agents/tasks";

fn sign(claims: &serde_json::Value, alg: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("sign")
}

fn claims() -> serde_json::Value {
    serde_json::to_value(Claims::for_user(
        DEFAULT_TENANT_ID,
        UserId::new(),
        Role::Founder,
    ))
    .expect("claims")
}

#[tokio::test]
async fn every_bad_token_gets_its_documented_401_code() {
    let app = spawn_app(TestBackend::sqlite().await).await;
    let now = chrono::Utc::now().timestamp();
    let good = sign(&claims(), Algorithm::HS256, SECRET);
    let (_, payload_and_signature) = good.split_once('.').expect("jwt");
    let payload = payload_and_signature.split('.').next().expect("payload");
    // {"alg":"none","typ":"JWT"}
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let with = |change: serde_json::Value| {
        let mut c = claims();
        for (k, v) in change.as_object().expect("object") {
            if v.is_null() {
                c.as_object_mut().expect("object").remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        sign(&c, Algorithm::HS256, SECRET)
    };
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "MISSING_TOKEN"),
        (Some("Bearer ".into()), "MISSING_TOKEN"),
        (Some("Basic dXNlcjpwYXNz".into()), "INVALID_AUTH_HEADER"),
        (Some("Bearer not-a-jwt".into()), "INVALID_TOKEN"),
        (Some("Bearer a.b.c".into()), "INVALID_TOKEN"),
        (Some(format!("Bearer {none}")), "INVALID_TOKEN"),
        (
            Some(format!(
                "Bearer {}",
                sign(&claims(), Algorithm::HS512, SECRET)
            )),
            "INVALID_TOKEN",
        ),
        (
            Some(format!(
                "Bearer {}",
                sign(&claims(), Algorithm::HS256, b"another key")
            )),
            "INVALID_SIGNATURE",
        ),
        (
            Some(format!("Bearer {}", with(json!({"exp": now - 1})))),
            "TOKEN_EXPIRED",
        ),
        (
            Some(format!("Bearer {}", with(json!({"nbf": now + 3600})))),
            "INVALID_TOKEN",
        ),
        (
            Some(format!("Bearer {}", with(json!({"tenant_id": null})))),
            "INVALID_PAYLOAD",
        ),
        (
            Some(format!("Bearer {}", with(json!({"tenant_id": "tenant-1"})))),
            "INVALID_PAYLOAD",
        ),
        (
            Some(format!("Bearer {}", with(json!({"user_id": "user-1"})))),
            "INVALID_PAYLOAD",
        ),
        (
            Some(format!("Bearer {}", with(json!({"role": "admin"})))),
            "INVALID_PAYLOAD",
        ),
        (
            Some(format!("Bearer {}", with(json!({"exp": "tomorrow"})))),
            "INVALID_PAYLOAD",
        ),
    ];
    for (header, code) in cases {
        let answer = match &header {
            None => app.get(TASKS, None).await,
            Some(value) => app.get_with_header(TASKS, "authorization", value).await,
        };
        assert_eq!(answer.body["error"], code, "{header:?}: {}", answer.body);
        answer.assert_error(401, code);
    }
    // No exp and no nbf: checked only when present.
    let ok = app
        .get_with_header(
            TASKS,
            "authorization",
            &format!("Bearer {}", with(json!({"exp": null, "iat": null}))),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let ok = app.get(TASKS, Some(&good)).await;
    assert_eq!(
        ok.status, 200,
        "a token whose user has no row works: {}",
        ok.body
    );
}

#[tokio::test]
async fn the_cookie_carries_a_token_too() {
    let app = spawn_app(TestBackend::sqlite().await).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Viewer);
    let answer = app
        .get_with_header(
            TASKS,
            "cookie",
            &format!("theme=dark; zora_access_token={token}"),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn routing_comes_before_authentication_and_public_routes_are_public() {
    let app = spawn_app(TestBackend::sqlite().await).await;
    app.get("/api/nowhere", None)
        .await
        .assert_error(404, "NOT_FOUND");
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let unknown = app.get("/api/nowhere", Some(&token)).await;
    unknown.assert_error(404, "NOT_FOUND");
    assert_eq!(
        unknown.body["message"],
        "The requested endpoint does not exist"
    );
    assert_eq!(app.get("/health", None).await.body, json!({"status": "ok"}));
    let ready = app.get("/ready", None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (200, Some("ready"))
    );
    let wrong_method = app
        .client
        .delete(format!("{}{TASKS}", app.base))
        .send()
        .await
        .expect("send");
    common::answer(wrong_method)
        .await
        .assert_error(405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn a_server_without_a_secret_answers_auth_not_configured() {
    let app = spawn_with(TestBackend::sqlite().await, AuthConfig::unconfigured()).await;
    let answer = app.get(TASKS, Some("a.b.c")).await;
    answer.assert_error(500, "AUTH_NOT_CONFIGURED");
    assert_eq!(
        answer.body["message"],
        "Authentication is not configured on this server"
    );
}
