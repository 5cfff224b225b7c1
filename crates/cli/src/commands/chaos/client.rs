//! The API as the chaos trials call it from outside: a few calls, each answered with its
//! status, error code, `Retry-After` and latency.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zora_core::ProfileId;

use crate::commands::served::Server;
use crate::exit::CliError;

/// Calls slower than this are given up on (counted as hung).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Health,
    Ready,
    /// `GET /api/agents/tasks?limit=5`.
    List,
    /// `POST /api/agents/tasks`: a single mission, with an `Idempotency-Key`.
    Create,
    /// `GET /api/agents/tasks/{id}` of a task made before.
    Get,
}

impl Call {
    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Ready => "ready",
            Self::List => "list",
            Self::Create => "create",
            Self::Get => "get",
        }
    }

    /// Whether the call reads or writes the database (`/ready` only reads the gate).
    pub fn needs_database(self) -> bool {
        matches!(self, Self::List | Self::Create | Self::Get)
    }
}

/// How a call was answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `None`: no answer within [`CLIENT_TIMEOUT`], or the connection failed.
    pub status: Option<u16>,
    pub code: Option<String>,
    pub retry_after: bool,
    pub latency: Duration,
    pub body: Value,
}

/// A success: 200 or 201.
pub fn success(status: u16) -> bool {
    matches!(status, 200 | 201)
}

/// A client of one server, creating single missions for `profile`.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    profile: ProfileId,
}

impl Client {
    pub fn new(server: &Server, profile: ProfileId) -> Result<Self, CliError> {
        Ok(Self {
            http: zora_engine::http_client_builder()
                .timeout(CLIENT_TIMEOUT)
                .build()
                .map_err(|e| CliError::Failed(format!("cannot build an HTTP client: {e}")))?,
            base: server.base.clone(),
            token: server.token.clone(),
            profile,
        })
    }

    /// One call; `key` is a create's idempotency key, or the task a get reads.
    pub async fn call(&self, call: Call, key: &str) -> Answer {
        let started = Instant::now();
        let request = match call {
            Call::Health => self.http.get(format!("{}/health", self.base)),
            Call::Ready => self.http.get(format!("{}/ready", self.base)),
            Call::List => self
                .http
                .get(format!("{}/api/agents/tasks?limit=5", self.base))
                .bearer_auth(&self.token),
            Call::Get => self
                .http
                .get(format!("{}/api/agents/tasks/{key}", self.base))
                .bearer_auth(&self.token),
            Call::Create => self
                .http
                .post(format!("{}/api/agents/tasks", self.base))
                .bearer_auth(&self.token)
                .header("Idempotency-Key", key)
                .json(&json!({
                    "agent_id": "ORACLE",
                    "task_type": "climate.create_single_mission",
                    "title": format!("Chaos mission {key}"),
                    "payload": {"profile_id": self.profile, "title": format!("Mission {key}")},
                })),
        };
        match request.send().await {
            Err(_) => Answer {
                status: None,
                code: None,
                retry_after: false,
                latency: started.elapsed(),
                body: Value::Null,
            },
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                let body: Value = response.json().await.unwrap_or_default();
                Answer {
                    status: Some(status),
                    code: body["error"].as_str().map(str::to_owned),
                    retry_after,
                    latency: started.elapsed(),
                    body,
                }
            }
        }
    }

    /// Seconds until `/ready` answers 200 (at most a minute).
    pub async fn until_ready(&self) -> Result<f64, CliError> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if self.call(Call::Ready, "").await.status == Some(200) {
                return Ok(started.elapsed().as_secs_f64());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(CliError::Failed(
            "the server was not ready a minute after the database came back".into(),
        ))
    }

    /// Sends the create of `key` until it succeeds (a replay, if it was made).
    pub async fn create_until_done(&self, key: &str) -> Result<(), CliError> {
        for _ in 0..50 {
            if self
                .call(Call::Create, key)
                .await
                .status
                .is_some_and(success)
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(CliError::Failed(format!(
            "the create of key {key} never succeeded after the trial"
        )))
    }
}
