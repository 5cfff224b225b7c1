//! The lines `zora bench` measures, each from an empty queue: the raw-SQL limit, the
//! engine's worker pool (a real `zora worker` process, whose peak RSS is read from
//! `/proc`), the four-type mix, pick-up latency, and claims beside a large table.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde_json::Value;
use zora_core::{
    ClaimRequest, ClaimScope, DEFAULT_TENANT_ID, MAX_PAGE_SIZE, NewTask, Page, Store, StoreError,
    TaskFilter,
};
use zora_domain::climate::bench::{BENCH_KIND, MissionLimit};
use zora_domain::ids::{BrandId, PlanId, ProductId, ProfileId};
use zora_engine::{Worker, WorkerSettings};
use zora_store_sql::bench::BenchSql;

use super::report::Row;
use crate::commands::demo;
use crate::commands::served::memory_mib;
use crate::exit::CliError;
use crate::progress::phase_bar;
use crate::wiring::registry;

/// One store under measure.
pub struct Bench {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    pub sql: Arc<dyn BenchSql>,
    /// The hand-written limit of the bench's type, on the store's pool.
    pub limit: MissionLimit,
    /// The URL a worker process opens.
    pub url: String,
    /// The profile every mission task names.
    pub profile: ProfileId,
}

impl Bench {
    /// Empties the tables the bench writes: the queue's and the missions.
    pub async fn clear(&self) -> Result<(), StoreError> {
        self.sql.clear().await?;
        self.limit.clear().await
    }

    /// Empties the tables, then queues `n` mission tasks.
    pub async fn fill(&self, n: u64) -> Result<(), StoreError> {
        self.clear().await?;
        self.fill_pending(n).await
    }

    /// Queues `n` mission tasks beside what is there.
    async fn fill_pending(&self, n: u64) -> Result<(), StoreError> {
        let payload = zora_domain::climate::bench::payload(self.profile, "Bench mission");
        self.sql
            .fill_pending(DEFAULT_TENANT_ID, BENCH_KIND, &payload, n)
            .await
    }
}

/// The limit: `clients` connections each running [`MissionLimit::batch`] until the
/// queue is empty.
pub async fn limit(bench: &Bench, batch: u32, n: u64, clients: usize) -> Result<Row, CliError> {
    bench.fill(n).await?;
    let bar = phase_bar(n, &format!("{}: limit, batches of {batch}", bench.name));
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let sql = bench.limit.clone();
        let bar = bar.clone();
        running.spawn(async move {
            loop {
                match sql.batch(DEFAULT_TENANT_ID, batch).await? {
                    0 => return Ok::<_, StoreError>(()),
                    done => bar.inc(done),
                }
            }
        });
    }
    while let Some(done) = running.join_next().await {
        done.map_err(|e| CliError::Failed(format!("a limit client stopped: {e}")))??;
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let clients = if clients == 1 {
        "1 client".to_owned()
    } else {
        format!("{clients} clients")
    };
    Ok(Row::rate(
        bench.name,
        format!("limit: hand-written SQL, batches of {batch}, {clients}"),
        n,
        seconds,
    ))
}

/// The engine: `n` single-mission tasks drained by a `zora worker` process of
/// `concurrency` batches. Returns the row and the worker's peak RSS in MiB.
pub async fn engine(bench: &Bench, concurrency: usize, n: u64) -> Result<(Row, f64), CliError> {
    bench.fill(n).await?;
    let label = format!("engine: zora worker, concurrency {concurrency}");
    let drained = drain(bench, concurrency, n, &label).await?;
    Ok((
        Row::rate(bench.name, label, n, drained.seconds),
        drained.rss,
    ))
}

/// Which products the mix's climate-metadata upserts name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Products {
    /// One product for them all: every upsert writes the same row, so batches of several
    /// workers queue on its lock (a hot row).
    Shared,
    /// A product of its own for each upsert.
    OnePerUpsert,
}

/// Which task types a mix queues, in equal parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MixTypes {
    /// ZORA CORE's four v1 types.
    V1,
    /// The v1 four and the agents' four deterministic types (a weekly plan suggested, a
    /// summary of the week, a health review, a review of climate claims).
    WithAgents,
}

impl MixTypes {
    fn count(self) -> u64 {
        match self {
            MixTypes::V1 => 4,
            MixTypes::WithAgents => 8,
        }
    }
}

/// A mix: `types` in equal parts, one task in 20 with an invalid payload.
pub async fn mix(
    bench: &Bench,
    n: u64,
    concurrency: usize,
    types: MixTypes,
    products: Products,
) -> Result<(Row, f64), CliError> {
    bench.clear().await?;
    let bar = phase_bar(n, &format!("{}: mix, seeding", bench.name));
    seed_mix(bench.store.as_ref(), n, types, products, &bar).await?;
    bar.finish_and_clear();
    let kinds = match types {
        MixTypes::V1 => "4 types".to_owned(),
        MixTypes::WithAgents => "8 types (the v1 four and the agents' four)".to_owned(),
    };
    let label = match products {
        Products::Shared => format!("mix: {kinds}, 5% invalid, concurrency {concurrency}"),
        Products::OnePerUpsert => {
            format!("mix: {kinds}, 5% invalid, a product per upsert, concurrency {concurrency}")
        }
    };
    let drained = drain(bench, concurrency, n, &label).await?;
    Ok((
        Row::rate(bench.name, label, n, drained.seconds),
        drained.rss,
    ))
}

/// Runs a worker process on the queue until nothing is left unfinished.
/// What a drain took: its seconds, the worker's peak RSS in MiB, and the seconds at which
/// each tenth of the tasks was done.
pub struct Drained {
    pub seconds: f64,
    pub rss: f64,
    pub tenths: Vec<f64>,
}

pub async fn drain(
    bench: &Bench,
    concurrency: usize,
    n: u64,
    label: &str,
) -> Result<Drained, CliError> {
    let bar = phase_bar(n, &format!("{}: {label}", bench.name));
    let mut worker = spawn_worker(&bench.url, concurrency)?;
    let started = Instant::now();
    let mut tenths = Vec::with_capacity(10);
    // Counting the unfinished tasks is a scan: on a large queue it is asked seldom, so
    // that it neither takes the worker's cores nor keeps SQLite's WAL from checkpointing.
    let poll = Duration::from_millis((n / 1_000).clamp(10, 1_000));
    loop {
        let left = bench.sql.unfinished().await?;
        let done = n.saturating_sub(left);
        bar.set_position(done);
        while tenths.len() < 10 && done * 10 >= n * (tenths.len() as u64 + 1) {
            tenths.push(started.elapsed().as_secs_f64());
        }
        if left == 0 {
            break;
        }
        if let Ok(Some(status)) = worker.try_wait() {
            return Err(CliError::Failed(format!(
                "the worker process stopped ({status}) with {left} tasks left"
            )));
        }
        tokio::time::sleep(poll).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let rss = memory_mib(worker.id(), "VmHWM").unwrap_or(f64::NAN);
    let _ = worker.kill();
    let _ = worker.wait();
    bar.finish_and_clear();
    Ok(Drained {
        seconds,
        rss,
        tenths,
    })
}

/// `zora worker` on `url`, once it has said it is ready.
fn spawn_worker(url: &str, concurrency: usize) -> Result<Child, CliError> {
    let exe = std::env::current_exe().map_err(|e| {
        CliError::Failed(format!("cannot find this program to start a worker: {e}"))
    })?;
    let mut child = Command::new(exe)
        .args(["worker", "--database-url", url, "--batch-size", "100"])
        .args([
            "--concurrency",
            &concurrency.to_string(),
            "--poll-interval",
            "20ms",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot start a worker process: {e}")))?;
    let mut ready = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut ready);
    }
    if !ready.contains(" ready") {
        let _ = child.kill();
        return Err(CliError::Failed(format!(
            "the worker process did not start (it said {ready:?})"
        )));
    }
    Ok(child)
}

/// Pick-up latency: an idle in-process worker that listens, `n` tasks inserted one at a
/// time; the p50 and p99 of `started_at - created_at`, in milliseconds.
pub async fn latency(bench: &Bench, n: usize) -> Result<[Row; 2], CliError> {
    bench.clear().await?;
    let settings = WorkerSettings {
        concurrency: 1,
        poll_interval: Duration::from_secs(30),
        ..WorkerSettings::default()
    };
    let worker = Worker::new(bench.store.clone(), Arc::new(registry()), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let bar = phase_bar(n as u64, &format!("{}: pick-up latency", bench.name));
    let started = Instant::now();
    for i in 0..n {
        let mut tx = bench.store.begin().await?;
        tx.insert_task(&mission_task(bench.profile, i)).await?;
        tx.commit().await?;
        bar.inc(1);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    while bench.sql.unfinished().await? > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let _ = running.await;
    bar.finish_and_clear();
    let mut waits = pick_up_waits(bench.store.as_ref(), n).await?;
    waits.sort_by(f64::total_cmp);
    let at = |q: f64| waits[((waits.len() as f64 - 1.0) * q).round() as usize];
    let row = |name: &str, value: f64| Row {
        store: bench.name,
        line: format!("pick-up latency {name}: an idle worker, tasks inserted one at a time"),
        tasks: n as u64,
        seconds,
        value,
        unit: "ms",
        note: String::new(),
    };
    Ok([row("p50", at(0.5)), row("p99", at(0.99))])
}

/// `started_at - created_at` of the `n` tasks of the (cleared) queue, in milliseconds.
async fn pick_up_waits(store: &dyn Store, n: usize) -> Result<Vec<f64>, CliError> {
    per_task_ms(store, n, |task| {
        Some((task.started_at? - task.created_at).num_microseconds()? as f64 / 1000.0)
    })
    .await
}

/// `span` of each of the `n` tasks of the (cleared) queue, in milliseconds, read a page
/// at a time; a task without one (never started, never finished) is an error.
pub async fn per_task_ms(
    store: &dyn Store,
    n: usize,
    span: impl Fn(&zora_core::Task) -> Option<f64>,
) -> Result<Vec<f64>, CliError> {
    let mut spans = Vec::with_capacity(n);
    while spans.len() < n {
        let page = Page::new(MAX_PAGE_SIZE, spans.len() as u64);
        let tasks = store
            .list_tasks(DEFAULT_TENANT_ID, &TaskFilter::default(), page)
            .await?
            .items;
        if tasks.is_empty() {
            return Err(CliError::Failed(format!(
                "{} of {n} tasks vanished",
                n - spans.len()
            )));
        }
        for task in tasks {
            let ms = span(&task).ok_or_else(|| {
                CliError::Failed(format!(
                    "task {} has no such span ({})",
                    task.id, task.status
                ))
            })?;
            spans.push(ms);
        }
    }
    Ok(spans)
}

/// Claims at size: `pending` due tasks beside `finished` completed and `not_due` later
/// ones, claimed in batches of 50 as a worker claims across tenants.
pub async fn claim_at_size(
    bench: &Bench,
    pending: u64,
    finished: u64,
    not_due: u64,
) -> Result<Row, CliError> {
    bench.clear().await?;
    let bar = phase_bar(
        finished + not_due + pending,
        &format!("{}: claims beside {finished} finished, filling", bench.name),
    );
    bench
        .sql
        .fill_ballast(DEFAULT_TENANT_ID, BENCH_KIND, finished, not_due)
        .await?;
    bench.fill_pending(pending).await?;
    bar.set_position(finished + not_due);
    let (claimed, seconds) = claim_all(bench, &bar).await?;
    Ok(Row::rate(
        bench.name,
        format!(
            "claims of 50 beside {} finished and {} not yet due",
            super::report::thousands(finished),
            super::report::thousands(not_due)
        ),
        claimed,
        seconds,
    ))
}

/// Claims beside blocked tasks: `pending` due tasks created after `blocked` tasks that
/// wait on a parent (so that they come first in claim order), claimed in batches of 50.
pub async fn claim_beside_blocked(
    bench: &Bench,
    pending: u64,
    blocked: u64,
) -> Result<Row, CliError> {
    bench.clear().await?;
    let bar = phase_bar(
        pending,
        &format!("{}: claims beside {blocked} blocked", bench.name),
    );
    if blocked > 0 {
        bench
            .sql
            .fill_blocked(DEFAULT_TENANT_ID, BENCH_KIND, blocked)
            .await?;
    }
    bench.fill_pending(pending).await?;
    let (claimed, seconds) = claim_all(bench, &bar).await?;
    Ok(Row::rate(
        bench.name,
        format!(
            "claims of 50 beside {} blocked tasks",
            super::report::thousands(blocked)
        ),
        claimed,
        seconds,
    ))
}

/// Claims every runnable task in batches of 50, as a worker claims across tenants;
/// returns how many and the seconds it took.
async fn claim_all(bench: &Bench, bar: &ProgressBar) -> Result<(u64, f64), CliError> {
    let request = ClaimRequest {
        scope: ClaimScope::AllTenants { per_tenant_cap: 50 },
        task_types: vec![BENCH_KIND.to_owned()],
        limit: 50,
        owner: "bench".into(),
        lease_duration: Duration::from_secs(600),
    };
    let started = Instant::now();
    let mut claimed = 0;
    loop {
        let batch = bench.store.claim_tasks(&request).await?;
        if batch.is_empty() {
            break;
        }
        claimed += batch.len() as u64;
        bar.inc(batch.len() as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    Ok((claimed, seconds))
}

fn mission_task(profile: ProfileId, i: usize) -> NewTask {
    NewTask::new(
        DEFAULT_TENANT_ID,
        "ORACLE",
        BENCH_KIND,
        format!("Bench mission {i}"),
        zora_domain::climate::bench::payload(profile, &format!("Bench mission {i}")),
    )
}

/// Queues `n` tasks of `types` for the default tenant: a weekly plan of its own for each
/// plan task, shared brands for the shop ones and a product as `products` says, and every
/// 20th task with an empty payload (it fails validation).
async fn seed_mix(
    store: &dyn Store,
    n: u64,
    types: MixTypes,
    products: Products,
    bar: &ProgressBar,
) -> Result<(), CliError> {
    let run_id = demo::uuid_suffix();
    let brands = [BrandId::new(), BrandId::new()];
    let mut product = ProductId::new();
    let mut tx = store.begin().await?;
    demo::seed_shop(tx.as_mut(), DEFAULT_TENANT_ID, brands, product, &run_id).await?;
    let mut profile = ProfileId::new();
    for i in 0..n {
        let kind = i % types.count();
        let plan = PlanId::new();
        if kind == 0 {
            // A plan applies once: each plan task gets one (and its profile, which the
            // next task, a single mission, names too).
            profile = ProfileId::new();
            demo::seed_climate(
                tx.as_mut(),
                DEFAULT_TENANT_ID,
                profile,
                plan,
                &format!("{run_id}-{i}"),
            )
            .await?;
        }
        if kind == 3 && products == Products::OnePerUpsert {
            product = ProductId::new();
            let slug = format!("{run_id}-{i}");
            demo::seed_product(tx.as_mut(), DEFAULT_TENANT_ID, product, brands[0], &slug).await?;
        }
        let v1 = kind < demo::V1_VALID as u64;
        let spec = if v1 {
            demo::demo_tasks(profile, plan, brands, product, &format!("{run_id}-{i}"))
                .swap_remove(kind as usize)
        } else {
            demo::agent_tasks(profile, [product, product])
                .swap_remove(kind as usize - demo::V1_VALID)
        };
        // Every 20th task falls on kind 3 or 7: an upsert, whose empty payload is
        // invalid, and a claims review, whose fields are all optional, so it names its
        // products by something not a list.
        let payload = match (i % 20 == 19, v1) {
            (false, _) => spec.payload,
            (true, true) => Value::Object(Default::default()),
            (true, false) => serde_json::json!({"product_ids": "all"}),
        };
        tx.insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            spec.agent,
            spec.task_type,
            spec.title,
            payload,
        ))
        .await?;
        bar.inc(1);
    }
    tx.commit().await?;
    Ok(())
}
