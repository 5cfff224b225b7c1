//! `zora worker` and `zora serve`'s in-process workers as processes: the ready line, tasks
//! run as they come, a clean stop on SIGTERM, a worker killed mid-batch whose tasks
//! another finishes exactly once.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Queue, Store, TaskStatus};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;

use common::{
    assert_one_line_error, enqueue_missions, json, run, spawn_ready, wait_all_completed, zora_on,
};

zora_testkit::both_stores!(
    a_worker_process_runs_tasks_until_sigterm,
    a_killed_workers_tasks_are_finished_once_by_another,
    a_worker_killed_mid_transaction_loses_nothing_and_its_tasks_run_at_once,
);

async fn a_worker_process_runs_tasks_until_sigterm(backend: TestBackend) {
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let (mut child, first) = spawn_ready(
        &backend.url(),
        &["--poll-interval", "100ms", "--concurrency", "2"],
        Stdio::null(),
    );
    assert!(
        first.starts_with("worker ") && first.trim_end().ends_with("ready, serving all tenants"),
        "{first}"
    );

    let ids = enqueue_missions(store.as_ref(), profile, 20).await;
    wait_all_completed(store.as_ref(), &ids).await;

    // The registry lists it while it runs ("workers alive" is a query) ...
    let worker_id = first
        .split_whitespace()
        .nth(1)
        .expect("worker id")
        .to_owned();
    let status = json(&run(&mut zora_on(&backend.url(), &["status", "--json"])));
    let workers = status["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), 1, "{status}");
    assert_eq!(workers[0]["id"], worker_id.as_str());
    assert_eq!(workers[0]["pid"], child.id());
    assert_eq!(workers[0]["concurrency"], 2);
    assert_eq!(workers[0]["tenant_id"], serde_json::Value::Null);
    assert_eq!(status["counts"]["completed"], 20, "{status}");

    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert_eq!(child.wait().expect("wait").code(), Some(0), "a clean stop");

    // ... and no more once it has stopped.
    let status = run(&mut zora_on(&backend.url(), &["status"]));
    assert!(
        common::stdout(&status).contains("Workers alive: none"),
        "{}",
        common::stdout(&status)
    );
}

#[test]
fn a_heartbeat_as_long_as_the_lease_is_refused() {
    let files = zora_testkit::TestSqlite::new();
    let output = run(&mut zora_on(
        &files.url(),
        &[
            "worker",
            "--lease-duration",
            "10s",
            "--heartbeat-interval",
            "10s",
        ],
    ));
    assert_one_line_error(
        &output,
        2,
        "--heartbeat-interval (10s) must be shorter than --lease-duration (10s)",
    );
    assert!(
        !files.path().exists(),
        "refused before the database is opened"
    );
}

#[test]
fn a_type_the_engine_does_not_run_is_refused_by_name() {
    let files = zora_testkit::TestSqlite::new();
    let supported = zora_domain::registry(zora_domain::all(&zora_domain::ModelAccess::default()))
        .kinds()
        .join(", ");
    for (flag, value, kind) in [
        ("--type-concurrency", "shop.unknown=2", "shop.unknown"),
        (
            "--task-type",
            "climate.create_single_missions",
            "climate.create_single_missions",
        ),
    ] {
        let output = run(&mut zora_on(&files.url(), &["worker", flag, value]));
        assert_one_line_error(
            &output,
            2,
            &format!("{flag}: Unsupported task type: {kind}. Supported types: {supported}"),
        );
    }
    let output = run(&mut zora_on(
        &files.url(),
        &[
            "worker",
            "--type-concurrency",
            "climate.create_single_mission=0",
        ],
    ));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        common::stderr(&output).contains("must be a whole number of at least 1"),
        "{}",
        common::stderr(&output)
    );
}

async fn a_killed_workers_tasks_are_finished_once_by_another(backend: TestBackend) {
    const TASKS: usize = 2000;
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let journal_before = journal_total(&backend.inspect().await).await;
    enqueue_missions(store.as_ref(), profile, TASKS).await;

    let worker = |lease: &str| spawn_worker(&backend.url(), lease, &["--claim-visibly"]);
    let mut doomed = worker("2s");
    let frozen_mid_batch = freeze_mid_batch(&doomed, store.as_ref(), async || {
        count(store.as_ref(), "in_progress").await > 0
    })
    .await;
    doomed.kill().expect("SIGKILL");
    doomed.wait().expect("reaped");
    assert!(frozen_mid_batch, "the worker was never caught mid-batch");
    assert!(count(store.as_ref(), "completed").await < TASKS as u64);

    let mut rescuer = worker("30s");
    for _ in 0..600 {
        if count(store.as_ref(), "completed").await == TASKS as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rescuer.kill().expect("stop");
    rescuer.wait().expect("reaped");
    let stats = store
        .queue_stats(zora_core::stats::Scope::Tenant(DEFAULT_TENANT_ID))
        .await
        .expect("stats");
    assert_eq!(
        stats.counts.get("completed").copied(),
        Some(TASKS as u64),
        "every task completed: {stats:?}"
    );
    applied_once_each(&backend, journal_before, TASKS).await;
}

#[tokio::test]
async fn an_idle_worker_on_postgres_starts_a_new_task_well_before_its_poll() {
    let backend = TestBackend::postgres().await;
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let (mut worker, ready) = spawn_ready(
        &backend.url(),
        &["--poll-interval", "30s", "--rescue-interval", "30s"],
        Stdio::null(),
    );
    assert!(ready.contains(" ready, serving all tenants"), "{ready}");
    // Let its first look find nothing and the worker go idle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ids = enqueue_missions(store.as_ref(), profile, 1).await;
    wait_all_completed(store.as_ref(), &ids).await;
    let task = store
        .get_task(DEFAULT_TENANT_ID, ids[0])
        .await
        .expect("get")
        .expect("task");
    let waited = task.started_at.expect("started") - task.created_at;
    assert!(
        waited < chrono::Duration::seconds(5),
        "LISTEN/NOTIFY woke it, not the 30s poll: it waited {waited}"
    );
    worker.kill().expect("stop");
    worker.wait().expect("reaped");
}

#[tokio::test]
async fn three_workers_drain_ten_thousand_tasks_none_twice() {
    let backend = TestBackend::postgres().await;
    let url = backend.url();
    drain_with_workers(&backend, &url, 10_000, 3, &["--concurrency", "2"]).await;
}

#[tokio::test]
async fn workers_without_listen_drain_through_a_transaction_mode_pgbouncer() {
    let backend = TestBackend::postgres().await;
    let pooler = backend.pooler_url().await;
    let (mut worker, ready) = spawn_ready(
        &pooler,
        &["--no-listen", "--poll-interval", "100ms"],
        Stdio::null(),
    );
    assert!(ready.contains("polling every 100ms"), "{ready}");
    worker.kill().expect("stop");
    worker.wait().expect("reaped");
    // Two processes, four batches each at once, through a pooler of four server
    // connections: every statement must survive being handed to any of them.
    drain_with_workers(
        &backend,
        &pooler,
        3_000,
        2,
        &["--no-listen", "--concurrency", "4", "--batch-size", "10"],
    )
    .await;
}

/// Queues `tasks` missions, runs `workers` worker processes with `args` on `url` (polling
/// every 100ms) until all are completed, stops them, and checks that each task ran once.
async fn drain_with_workers(
    backend: &TestBackend,
    url: &str,
    tasks: usize,
    workers: usize,
    args: &[&str],
) {
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let ids = enqueue_missions(store.as_ref(), profile, tasks).await;
    let logs: Vec<std::path::PathBuf> = (0..workers)
        .map(|i| std::env::temp_dir().join(format!("zora-drain-{}-{i}.log", uuid::Uuid::new_v4())))
        .collect();
    let mut running: Vec<_> = logs
        .iter()
        .map(|log| {
            zora_on(
                url,
                &[&["worker", "--poll-interval", "100ms"], args].concat(),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("spawn zora worker")
        })
        .collect();
    for _ in 0..1200 {
        if count(store.as_ref(), "completed").await == tasks as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut exits = Vec::new();
    for (worker, log) in running.iter_mut().zip(&logs) {
        let early = worker.try_wait().expect("status");
        worker.kill().expect("stop");
        worker.wait().expect("reaped");
        let stderr = std::fs::read_to_string(log).unwrap_or_default();
        let _ = std::fs::remove_file(log);
        exits.push(format!("exited early: {early:?}; stderr: {stderr}"));
    }
    assert_eq!(
        count(store.as_ref(), "completed").await,
        tasks as u64,
        "workers: {exits:#?}"
    );
    assert_eq!(
        backend.count("climate_missions", DEFAULT_TENANT_ID).await,
        tasks as i64,
        "one mission per task: none executed twice"
    );
    let sample = store
        .get_task(DEFAULT_TENANT_ID, ids[tasks / 2])
        .await
        .expect("get")
        .expect("task");
    assert_eq!((sample.attempts, sample.errors.len()), (1, 0));
}

/// A `zora worker` of batches of 10, two at a time, polling every 100ms, with `lease`.
fn spawn_worker(url: &str, lease: &str, extra: &[&str]) -> std::process::Child {
    let mut args = vec![
        "worker",
        "--batch-size",
        "10",
        "--concurrency",
        "2",
        "--poll-interval",
        "100ms",
        "--rescue-interval",
        "200ms",
        "--lease-duration",
        lease,
    ];
    args.extend_from_slice(extra);
    zora_on(url, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn zora worker")
}

/// The one-transaction path: a worker killed with a batch's transaction open leaves its
/// tasks pending and uncharged (the database rolls the claim back with the effects), so
/// another worker runs them at once, not after a lease, and each exactly once.
async fn a_worker_killed_mid_transaction_loses_nothing_and_its_tasks_run_at_once(
    backend: TestBackend,
) {
    const TASKS: usize = 2000;
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let journal_before = journal_total(&backend.inspect().await).await;
    enqueue_missions(store.as_ref(), profile, TASKS).await;

    // A lease far longer than the test: a task it had to wait out would never finish.
    let mut doomed = spawn_worker(&backend.url(), "10m", &[]);
    let frozen_mid_batch = freeze_mid_batch(&doomed, store.as_ref(), async || {
        backend.a_writer_is_mid_transaction().await
    })
    .await;
    assert_eq!(
        count(store.as_ref(), "in_progress").await,
        0,
        "no task is claimed visibly on this path"
    );
    doomed.kill().expect("SIGKILL");
    doomed.wait().expect("reaped");
    assert!(
        frozen_mid_batch,
        "the worker was never caught mid-transaction"
    );
    let completed_at_kill = count(store.as_ref(), "completed").await;
    assert!(completed_at_kill < TASKS as u64);

    let mut next = spawn_worker(&backend.url(), "10m", &[]);
    let started = std::time::Instant::now();
    while count(store.as_ref(), "completed").await < TASKS as u64
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    next.kill().expect("stop");
    next.wait().expect("reaped");
    assert_eq!(
        count(store.as_ref(), "completed").await,
        TASKS as u64,
        "every task completed without waiting out a lease"
    );
    applied_once_each(&backend, journal_before, TASKS).await;
    let charged_twice = store
        .list_tasks(
            DEFAULT_TENANT_ID,
            &zora_core::TaskFilter::default(),
            zora_core::Page::new(100, 0),
        )
        .await
        .expect("list")
        .items
        .into_iter()
        .filter(|t| t.attempts != 1)
        .count();
    assert_eq!(
        charged_twice, 0,
        "the killed batch's attempts were not charged"
    );
}

/// Freezes `worker` (SIGSTOP) once it has completed some tasks, and leaves it frozen when
/// `mid_batch` says it holds a batch then; else lets it go on (SIGCONT) and tries again.
/// Whether it was caught mid-batch.
async fn freeze_mid_batch(
    worker: &std::process::Child,
    store: &dyn Store,
    mut mid_batch: impl AsyncFnMut() -> bool,
) -> bool {
    let pid = worker.id().to_string();
    let signal = |name: &str| {
        std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("kill");
    };
    for _ in 0..2000 {
        if count(store, "completed").await >= 50 {
            signal("-STOP");
            if mid_batch().await {
                return true;
            }
            signal("-CONT");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// `tasks` missions, one journal entry each since `journal_before`: none applied twice.
async fn applied_once_each(backend: &TestBackend, journal_before: u64, tasks: usize) {
    assert_eq!(
        journal_total(&backend.inspect().await).await - journal_before,
        tasks as u64,
        "one journal entry per task: none applied twice"
    );
    assert_eq!(
        backend.count("climate_missions", DEFAULT_TENANT_ID).await,
        tasks as i64,
        "one mission per task"
    );
}

async fn count(store: &dyn Store, status: &str) -> u64 {
    let stats = store
        .queue_stats(zora_core::stats::Scope::Tenant(DEFAULT_TENANT_ID))
        .await
        .expect("stats");
    stats.counts.get(status).copied().unwrap_or(0)
}

async fn journal_total(inspect: &zora_testkit::Inspector) -> u64 {
    inspect
        .journal(DEFAULT_TENANT_ID, zora_core::Page::new(1, 0))
        .await
        .total
}

#[tokio::test]
async fn serve_runs_a_worker_in_process_on_sqlite() {
    let files = zora_testkit::TestSqlite::new();
    let mut child = zora_on(&files.url(), &["serve", "--dev", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zora serve");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).expect("line");
        lines.push(line.trim_end().to_owned());
    }
    let address = lines[0]
        .strip_prefix("listening on ")
        .expect("address")
        .to_owned();
    let token = lines[2].clone();
    let client = zora_engine::http_client();
    let created = client
        .post(format!("{address}/api/agents/tasks"))
        .bearer_auth(&token)
        .json(&json!({"agent_id": "SAM", "task_type": "zora_shop.update_product_climate_meta", "title": "bad",
                      "payload": {"product_id": "00000000-0000-0000-0000-0000000000aa"}}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 400, "checked at create time");
    let created: serde_json::Value = client
        .post(format!("{address}/api/agents/tasks"))
        .bearer_auth(&token)
        .json(&json!({"agent_id": "SAM", "task_type": "climate.create_single_mission", "title": "fails when run",
                      "payload": {"title": "x", "profile_id": "00000000-0000-0000-0000-0000000000ab"}}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    assert_eq!(created["error"], "VALIDATION_ERROR");
    let store = files.store().await;
    let mut tx = store.begin().await.expect("begin");
    let task = tx
        .insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            "SAM",
            "climate.create_single_mission",
            "no profile",
            json!({}),
        ))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let mut ran = false;
    for _ in 0..200 {
        let status = store
            .get_task(DEFAULT_TENANT_ID, task.id)
            .await
            .expect("get")
            .expect("task")
            .status;
        if status == TaskStatus::Failed {
            ran = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert_eq!(child.wait().expect("wait").code(), Some(0), "a clean stop");
    assert!(ran, "the in-process worker ran the task");
}

/// `--wait-for-database`: a server that does not answer is waited for, up to the limit;
/// a server that refuses (a wrong password) ends the start at once, limit or not.
#[test]
fn a_worker_waits_for_a_silent_database_but_not_for_a_refusal() {
    let started = std::time::Instant::now();
    let output = run(&mut zora_on(
        "postgres://zora:zora@127.0.0.1:1/x",
        &["worker", "--wait-for-database", "2s"],
    ));
    assert_eq!(output.status.code(), Some(2), "{}", common::stderr(&output));
    assert!(
        common::stderr(&output).contains("cannot connect"),
        "{}",
        common::stderr(&output)
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let admin = zora_testkit::pg::admin_url();
    let wrong = match admin.split_once('@') {
        Some((_, rest)) => format!("postgres://zora:not-the-password@{rest}"),
        None => panic!("no user in {admin}"),
    };
    let started = std::time::Instant::now();
    let output = run(&mut zora_on(
        &wrong,
        &["worker", "--wait-for-database", "30s"],
    ));
    assert_eq!(output.status.code(), Some(2), "{}", common::stderr(&output));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a refusal is not waited out: {:?}",
        started.elapsed()
    );
}
