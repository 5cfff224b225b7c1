//! A local HTTP server standing in for an OpenAI-compatible provider, for the planner's
//! and the model-backed types' tests: it answers what the test says, in order, and keeps
//! every request it got.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// The model name the stand-in answers with.
pub const STAND_IN_MODEL: &str = "stand-in-model";

/// What the stand-in answers: the message content (with a usage of 11 prompt and 7
/// completion tokens), or nothing until a delay has passed, or an HTTP error (with a
/// `Retry-After` in seconds when given), or a 200 whose body is not an answer.
#[derive(Debug, Clone)]
pub enum Reply {
    Content(String),
    Slow(Duration),
    Error(u16),
    ErrorRetryAfter(u16, u64),
    Garbage,
}

/// A running stand-in: its base URL (`.../v1`) and the requests it received.
#[derive(Debug)]
pub struct Provider {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Value>>>,
}

impl Provider {
    /// How many calls it has answered or is answering.
    pub fn calls(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }
}

/// Starts a stand-in on 127.0.0.1:0 that answers every call with `reply`.
pub async fn provider(reply: Reply) -> Provider {
    provider_answering(vec![reply]).await
}

/// Starts a stand-in that answers the calls with `replies` in order, the last one for
/// every call after.
pub async fn provider_answering(replies: Vec<Reply>) -> Provider {
    assert!(!replies.is_empty(), "a stand-in needs a reply");
    let requests: Arc<Mutex<Vec<Value>>> = Arc::default();
    let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
    let seen = requests.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |Json(body): Json<Value>| {
            let seen = seen.clone();
            let replies = replies.clone();
            async move {
                seen.lock().expect("lock").push(body);
                let reply = {
                    let mut replies = replies.lock().expect("lock");
                    if replies.len() > 1 {
                        replies.pop_front().expect("a reply")
                    } else {
                        replies[0].clone()
                    }
                };
                answer(reply).await
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

async fn answer(reply: Reply) -> Response {
    let error = |code: u16| {
        (
            StatusCode::from_u16(code).expect("status"),
            Json(json!({"error": "down"})),
        )
    };
    match reply {
        Reply::Content(content) => Json(json!({
            "model": STAND_IN_MODEL,
            "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7},
        }))
        .into_response(),
        Reply::Slow(delay) => {
            tokio::time::sleep(delay).await;
            Json(json!({})).into_response()
        }
        Reply::Error(code) => error(code).into_response(),
        Reply::ErrorRetryAfter(code, seconds) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            (headers, error(code)).into_response()
        }
        Reply::Garbage => (StatusCode::OK, "<html>not an answer</html>").into_response(),
    }
}

/// The model-backed types' access to `provider`, each call given `timeout`.
pub fn model_access(provider: &Provider, timeout: Duration) -> zora_domain::ModelAccess {
    let chat = zora_engine::chat::OpenAiChat::new(zora_engine::chat::ChatSettings {
        base_url: provider.url.clone(),
        api_key: "test-key".into(),
        model: "asked-model".into(),
    });
    zora_domain::ModelAccess::new(Some(Arc::new(chat)), timeout)
}
