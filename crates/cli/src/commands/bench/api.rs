//! The API's own lines: a real `zora serve` (port 0, no workers of its own) under
//! `CLIENTS` concurrent keep-alive clients: creates (with their create-time checks), a page
//! of 50 tasks, one task by id; requests per second with the p50 and p99 of each
//! request, beside the create limit (the same rows inserted by hand-written SQL).

use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use zora_core::DEFAULT_TENANT_ID;
use zora_domain::climate::bench::BENCH_KIND;

use super::lines::Bench;
use super::report::Row;
use crate::commands::served::Server;
use crate::exit::CliError;
use crate::progress::phase_bar;

/// Concurrent clients of every API line.
pub const CLIENTS: usize = 16;

/// Every API line on `bench`'s store, `n` requests each.
pub async fn api(bench: &Bench, n: usize) -> Result<Vec<Row>, CliError> {
    bench.clear().await?;
    let limit = insert_limit(bench, n).await?;
    bench.clear().await?;
    let server = Server::start(&bench.url, &[], Stdio::null())?;
    let client = zora_engine::http_client_builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .map_err(|e| CliError::Failed(format!("cannot make an HTTP client: {e}")))?;
    let profile = bench.profile;
    let create = measure(bench, "POST /api/agents/tasks", n, {
        let (client, base, token) = (client.clone(), server.base.clone(), server.token.clone());
        move |i| {
            let body = json!({"agent_id": "ORACLE", "task_type": BENCH_KIND,
                "title": format!("Bench mission {i}"),
                "payload": zora_domain::climate::bench::payload(profile, &format!("Bench mission {i}"))});
            client
                .post(format!("{base}/api/agents/tasks"))
                .bearer_auth(&token)
                .json(&body)
        }
    })
    .await?;
    let ids = created_ids(&client, &server).await?;
    let list = measure(bench, "GET /api/agents/tasks (a page of 50)", n, {
        let (client, base, token) = (client.clone(), server.base.clone(), server.token.clone());
        move |_| {
            client
                .get(format!("{base}/api/agents/tasks?limit=50"))
                .bearer_auth(&token)
        }
    })
    .await?;
    let one = measure(bench, "GET /api/agents/tasks/{id}", n, {
        let (client, base, token) = (client.clone(), server.base.clone(), server.token.clone());
        let ids = Arc::new(ids);
        move |i| {
            client
                .get(format!("{base}/api/agents/tasks/{}", ids[i % ids.len()]))
                .bearer_auth(&token)
        }
    })
    .await?;
    let mut create = create;
    create.note = format!(
        "{}, {:.0}% of the create limit",
        create.note,
        create.value / limit.value * 100.0
    );
    Ok(vec![limit, create, list, one])
}

/// The create limit: the rows a create writes, one task a transaction, by `CLIENTS`
/// connections.
async fn insert_limit(bench: &Bench, n: usize) -> Result<Row, CliError> {
    let bar = phase_bar(n as u64, &format!("{}: create limit", bench.name));
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (sql, bar) = (bench.sql.clone(), bar.clone());
        let payload = zora_domain::climate::bench::payload(bench.profile, "Bench mission");
        running.spawn(async move {
            for _ in (client..n).step_by(CLIENTS) {
                sql.insert_one_task(DEFAULT_TENANT_ID, BENCH_KIND, &payload)
                    .await?;
                bar.inc(1);
            }
            Ok::<_, zora_core::StoreError>(())
        });
    }
    while let Some(done) = running.join_next().await {
        done.map_err(|e| CliError::Failed(format!("a client stopped: {e}")))??;
    }
    bar.finish_and_clear();
    let mut row = Row::rate(
        bench.name,
        format!(
            "create limit: a task and its journal entry by hand-written SQL, {CLIENTS} clients"
        ),
        n as u64,
        started.elapsed().as_secs_f64(),
    );
    row.unit = "requests/s";
    Ok(row)
}

/// `n` requests that `request(i)` builds, by `CLIENTS` clients; every answer must be a
/// success. The row's note gives the p50 and p99 of one request.
async fn measure<F>(bench: &Bench, route: &str, n: usize, request: F) -> Result<Row, CliError>
where
    F: Fn(usize) -> reqwest::RequestBuilder + Clone + Send + 'static,
{
    let label = format!("api: {route}, {CLIENTS} keep-alive clients");
    let bar = phase_bar(n as u64, &format!("{}: {label}", bench.name));
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (request, bar) = (request.clone(), bar.clone());
        running.spawn(async move {
            let mut took = Vec::new();
            for i in (client..n).step_by(CLIENTS) {
                let sent = Instant::now();
                let answer = request(i)
                    .send()
                    .await
                    .map_err(|e| format!("request failed: {e}"))?;
                let status = answer.status();
                let body = answer
                    .bytes()
                    .await
                    .map_err(|e| format!("read failed: {e}"))?;
                if !status.is_success() {
                    return Err(format!(
                        "answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    ));
                }
                took.push(sent.elapsed().as_secs_f64() * 1000.0);
                bar.inc(1);
            }
            Ok(took)
        });
    }
    let mut took = Vec::with_capacity(n);
    while let Some(done) = running.join_next().await {
        let done = done.map_err(|e| CliError::Failed(format!("a client stopped: {e}")))?;
        took.extend(done.map_err(|e| CliError::Failed(format!("{route}: {e}")))?);
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() as f64 - 1.0) * q).round() as usize];
    let mut row = Row::rate(bench.name, label, n as u64, seconds);
    row.unit = "requests/s";
    row.note = format!("p50 {:.1} ms, p99 {:.1} ms", at(0.5), at(0.99));
    Ok(row)
}

/// The ids of the tasks the create line made (a page of them).
async fn created_ids(client: &reqwest::Client, server: &Server) -> Result<Vec<String>, CliError> {
    let page: Value = client
        .get(format!("{}/api/agents/tasks?limit=200", server.base))
        .bearer_auth(&server.token)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| CliError::Failed(format!("cannot list the created tasks: {e}")))?
        .json()
        .await
        .map_err(|e| CliError::Failed(format!("cannot read the created tasks: {e}")))?;
    let ids: Vec<String> = page["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|task| task["id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return Err(CliError::Failed("the create line made no task".into()));
    }
    Ok(ids)
}
