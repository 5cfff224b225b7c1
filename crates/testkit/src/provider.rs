//! A local HTTP server standing in for an OpenAI-compatible provider, for the model
//! planner's tests: it answers what the test says and keeps every request it got.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};

/// What the stand-in answers: the message content, or a delay, or an HTTP error.
#[derive(Debug, Clone)]
pub enum Reply {
    Content(String),
    Slow(Duration),
    Error(u16),
}

/// A running stand-in: its base URL (`.../v1`) and the requests it received.
#[derive(Debug)]
pub struct Provider {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Value>>>,
}

/// Starts a stand-in on 127.0.0.1:0 that answers every call with `reply`.
pub async fn provider(reply: Reply) -> Provider {
    let requests: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = requests.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |Json(body): Json<Value>| {
            let reply = reply.clone();
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push(body);
                match reply {
                    Reply::Content(content) => {
                        (axum::http::StatusCode::OK, Json(json!({"choices": [{"message": {"role": "assistant", "content": content}}]})))
                    }
                    Reply::Slow(delay) => {
                        tokio::time::sleep(delay).await;
                        (axum::http::StatusCode::OK, Json(json!({})))
                    }
                    Reply::Error(code) => (
                        axum::http::StatusCode::from_u16(code).expect("status"),
                        Json(json!({"error": "down"})),
                    ),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Provider { url, requests }
}
