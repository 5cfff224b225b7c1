//! The Python SDK's line: `PROCESSES` processes of `zora_worker` (`--python`) with a no-op
//! function, each claiming up to `CLAIM` tasks at once through a real `zora serve`, drain
//! the queue; tasks per second, and the p50 and p99 of claim to completion (`started_at`
//! to `completed_at`, on the database's clock).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use zora_api::{AuthConfig, Claims};
use zora_core::DEFAULT_TENANT_ID;

use super::lines::{Bench, per_task_ms};
use super::report::Row;
use crate::commands::served::Server;
use crate::exit::CliError;
use crate::progress::phase_bar;

/// Worker processes.
pub const PROCESSES: usize = 4;
/// The most tasks one process holds, and so claims at once.
pub const CLAIM: u32 = 50;
/// The external type the line serves.
const KIND: &str = "bench.noop";
/// How long the drain may take before the line gives up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);

/// One SDK worker: registers the no-op type, then claims and completes until killed.
const WORKER: &str = r#"
import os
from zora_worker import Worker

worker = Worker(os.environ["ZORA_URL"], token=os.environ["ZORA_WORKER_TOKEN"],
                name=os.environ["ZORA_WORKER_NAME"], wait_s=1)

@worker.task("bench.noop", agent_id="SAM", payload_schema={"type": "object"})
def noop(task):
    return {}

worker.run(concurrency=int(os.environ["ZORA_CONCURRENCY"]))
"#;

/// Processes killed when dropped.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The SDK line on `bench`'s store, `n` tasks, with the `python` that has `zora_worker`.
pub async fn sdk(bench: &Bench, n: u64, python: &Path) -> Result<Row, CliError> {
    bench.clear().await?;
    let secret = zora_core::TaskId::new().to_string();
    let server = Server::start_with_secret(&bench.url, &secret, Stdio::null())?;
    let token = AuthConfig::with_secret(secret.into_bytes())
        .issue(&Claims::for_worker(
            None,
            Some(vec![KIND.to_owned()]),
            Duration::from_secs(3600),
        ))
        .ok_or_else(|| CliError::Failed("cannot sign a worker token".into()))?;
    let registered = zora_engine::http_client()
        .put(format!("{}/api/workers/types/{KIND}", server.base))
        .bearer_auth(&token)
        .json(&json!({"agent_id": "SAM", "payload_schema": {"type": "object"}}))
        .send()
        .await
        .map_err(|e| CliError::Failed(format!("cannot register {KIND}: {e}")))?;
    if !registered.status().is_success() {
        return Err(CliError::Failed(format!(
            "registering {KIND} answered {}",
            registered.status()
        )));
    }
    bench
        .sql
        .fill_pending(DEFAULT_TENANT_ID, KIND, &json!({}), n)
        .await?;
    let bar = phase_bar(n, &format!("{}: python SDK workers", bench.name));
    let started = Instant::now();
    let workers = Workers(
        (0..PROCESSES)
            .map(|i| {
                Command::new(python)
                    .args(["-c", WORKER])
                    .env("ZORA_URL", &server.base)
                    .env("ZORA_WORKER_TOKEN", &token)
                    .env("ZORA_WORKER_NAME", format!("py-bench-{i}"))
                    .env("ZORA_CONCURRENCY", CLAIM.to_string())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|e| {
                        CliError::Failed(format!("cannot start {}: {e}", python.display()))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?,
    );
    loop {
        let left = bench.sql.unfinished().await?;
        bar.set_position(n.saturating_sub(left));
        if left == 0 {
            break;
        }
        if started.elapsed() > GIVE_UP_AFTER {
            return Err(CliError::Failed(format!(
                "the SDK workers left {left} of {n} tasks after {} s: is zora_worker \
                 installed for {}?",
                GIVE_UP_AFTER.as_secs(),
                python.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(workers);
    bar.finish_and_clear();
    let mut spans = per_task_ms(bench.store.as_ref(), n as usize, |task| {
        Some((task.completed_at? - task.started_at?).num_microseconds()? as f64 / 1000.0)
    })
    .await?;
    spans.sort_by(f64::total_cmp);
    let at = |q: f64| spans[((spans.len() as f64 - 1.0) * q).round() as usize];
    let mut row = Row::rate(
        bench.name,
        format!(
            "python SDK: {PROCESSES} processes of zora_worker, claims of up to {CLAIM}, a no-op function"
        ),
        n,
        seconds,
    );
    row.note = format!(
        "claim to complete p50 {:.1} ms, p99 {:.1} ms",
        at(0.5),
        at(0.99)
    );
    Ok(row)
}
