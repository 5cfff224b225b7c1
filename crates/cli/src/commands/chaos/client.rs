//! The API as the chaos trials call it from outside: a few calls, each answered with its
//! status, error code, `Retry-After` and latency, and what the trials make of many.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use zora_domain::ids::ProfileId;

use crate::commands::served::Server;
use crate::exit::CliError;

/// Calls slower than this are given up on (counted as hung).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many rounds of `/ready` and a list in a row [`Client::until_ready`] waits for: more
/// than the server's pool holds connections (10 by default).
const STEADY_ROUNDS: u32 = 12;

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

/// How a call was answered, as a trial records it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub call: Call,
    /// `None`: no answer within [`CLIENT_TIMEOUT`], or the connection failed.
    pub status: Option<u16>,
    /// The error's `error` code, if the body said one.
    pub code: Option<String>,
    pub retry_after: bool,
    pub latency: Duration,
}

/// A call's [`Sample`] and the body it was answered with.
#[derive(Debug, Clone)]
pub struct Answer {
    pub sample: Sample,
    pub body: Value,
}

/// How many answers of each call and status (`create 201`, `list no answer`).
pub fn tally<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> BTreeMap<String, u64> {
    let mut answers = BTreeMap::new();
    for sample in samples {
        let status = sample
            .status
            .map_or("no answer".to_owned(), |s| s.to_string());
        *answers
            .entry(format!("{} {status}", sample.call.name()))
            .or_insert(0) += 1;
    }
    answers
}

/// Latency percentiles, in ms.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The percentiles of `samples`' latencies.
pub fn percentiles<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> Latency {
    let mut ms: Vec<f64> = samples
        .into_iter()
        .map(|s| s.latency.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |share: f64| {
        ms.get(((ms.len() as f64 * share) as usize).min(ms.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Latency {
        p50_ms: at(0.5),
        p90_ms: at(0.9),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or_default(),
    }
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
        let (status, retry_after, body) = match request.send().await {
            Err(_) => (None, false, Value::Null),
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                (
                    Some(status),
                    retry_after,
                    response.json().await.unwrap_or_default(),
                )
            }
        };
        Answer {
            sample: Sample {
                call,
                status,
                code: body["error"].as_str().map(str::to_owned),
                retry_after,
                latency: started.elapsed(),
            },
            body,
        }
    }

    /// Seconds until `/ready` answers 200 and a list is served (at most a minute); then
    /// waits, uncounted, until both have answered [`STEADY_ROUNDS`] times in a row. When
    /// `/ready` first answers, the server's pool may still hold connections the outage
    /// broke, and a call that meets one is answered 503 with `Retry-After` (seen twice in
    /// CI, under the load of the other tests); the pool hands its idle connections out in
    /// turn, testing each, so the rounds go through them all before the steady phase.
    pub async fn until_ready(&self) -> Result<f64, CliError> {
        let started = Instant::now();
        let mut ready_after = None;
        let mut in_a_row = 0;
        while started.elapsed() < Duration::from_secs(60) {
            if self.call(Call::Ready, "").await.sample.status == Some(200)
                && self.call(Call::List, "").await.sample.status == Some(200)
            {
                let first = *ready_after.get_or_insert(started.elapsed().as_secs_f64());
                in_a_row += 1;
                if in_a_row == STEADY_ROUNDS {
                    return Ok(first);
                }
            } else {
                in_a_row = 0;
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
                .sample
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
