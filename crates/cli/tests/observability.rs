//! What an operator sees of a running worker, both stores: `--metrics-addr` serves its
//! counters and the queue, `--log-format json` writes one JSON object per log line with
//! the task's span (`RUST_LOG` overrides `-v`), `zora status` shows the last hour's failure rate (`--all-tenants`: every
//! tenant's); a bad address is
//! refused by name.

mod common;

use serde_json::{Value, json};
use zora_core::stats::Scope;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store};
use zora_testkit::TestBackend;
use zora_testkit::metrics::sample;
use zora_testkit::suite::climate::seed_plan;
use zora_testkit::suite::{insert_tasks, two_tenants};

use common::{enqueue_missions, json, run, spawn_ready, stdout, wait_all_completed, zora_on};

zora_testkit::both_stores!(a_worker_shows_its_metrics_json_logs_and_failure_rate);

async fn a_worker_shows_its_metrics_json_logs_and_failure_rate(backend: TestBackend) {
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let logs = fresh_log_path("worker-logs");
    let (mut child, ready) = spawn_ready(
        &backend.url(),
        &[
            "--poll-interval",
            "100ms",
            "--metrics-addr",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "-v",
        ],
        std::fs::File::create(&logs).expect("log file").into(),
    );
    let url = ready
        .split_once("metrics on ")
        .map(|(_, url)| url.trim().to_owned())
        .unwrap_or_else(|| panic!("the ready line names the metrics URL: {ready}"));

    let ids = enqueue_missions(store.as_ref(), profile, 10).await;
    let broken = enqueue_broken_mission(store.as_ref()).await;
    wait_all_completed(store.as_ref(), &ids).await;
    wait_failed(store.as_ref(), 1).await;

    let response = zora_engine::http_client()
        .get(&url)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let scrape = response.text().await.expect("text");
    let of_type = |name: &str| format!("{name}{{task_type=\"climate.create_single_mission\"}}");
    assert_eq!(
        sample(&scrape, &of_type("zora_tasks_claimed_total")),
        Some(11.0),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, &of_type("zora_tasks_completed_total")),
        Some(10.0)
    );
    assert_eq!(
        sample(&scrape, &of_type("zora_tasks_failed_total")),
        Some(1.0)
    );
    assert_eq!(
        sample(&scrape, &of_type("zora_task_duration_seconds_count")),
        Some(11.0)
    );
    assert_eq!(sample(&scrape, "zora_workers_alive"), Some(1.0));
    assert_eq!(
        sample(
            &scrape,
            "zora_queue_tasks{task_type=\"climate.create_single_mission\",status=\"completed\"}"
        ),
        Some(10.0)
    );

    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert_eq!(child.wait().expect("wait").code(), Some(0));

    // Every log line is a JSON object; each task's line carries its span.
    let lines: Vec<Value> = std::fs::read_to_string(&logs)
        .expect("logs")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let ran: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "task ran")
        .collect();
    assert_eq!(ran.len(), 11, "{lines:?}");
    let failed = ran
        .iter()
        .find(|line| line["span"]["task_id"] == broken.to_string().as_str())
        .expect("the broken task's line");
    assert_eq!(failed["fields"]["outcome"], "failed");
    assert!(failed["fields"]["error"].is_string(), "{failed}");
    assert_eq!(failed["span"]["task_type"], "climate.create_single_mission");
    assert_eq!(
        failed["span"]["tenant_id"],
        DEFAULT_TENANT_ID.to_string().as_str()
    );
    assert_eq!(failed["span"]["attempt"], 1);
    let _ = std::fs::remove_file(&logs);

    let status = stdout(&run(&mut zora_on(&backend.url(), &["status"])));
    assert!(
        status.contains("Last hour: 11 finished, 1 failed (9.1% failure rate)"),
        "{status}"
    );
    assert!(
        status.contains("climate.create_single_mission"),
        "counts per type: {status}"
    );

    // Every tenant's view counts another tenant's task too.
    let other = two_tenants(store.as_ref()).await.b;
    let legacy = NewTask::new(other, "SAM", "legacy.type", "other tenant's", json!({}));
    insert_tasks(store.as_ref(), &[legacy]).await;
    let all = json(&run(&mut zora_on(
        &backend.url(),
        &["status", "--all-tenants", "--json"],
    )));
    assert_eq!(all["tenant_id"], Value::Null, "{all}");
    assert_eq!(all["counts"]["completed"], 10);
    assert_eq!(
        all["counts"]["pending"], 1,
        "the other tenant's task: {all}"
    );
    assert_eq!(all["last_hour"]["failed"], 1);
    let text = stdout(&run(&mut zora_on(
        &backend.url(),
        &["status", "--all-tenants"],
    )));
    assert!(text.starts_with("All tenants\n"), "{text}");
}

/// A mission whose payload names no profile: it fails for good.
async fn enqueue_broken_mission(store: &dyn Store) -> zora_core::TaskId {
    let broken = NewTask::new(
        DEFAULT_TENANT_ID,
        "ORACLE",
        "climate.create_single_mission",
        "broken",
        json!({"title": "no profile"}),
    );
    insert_tasks(store, &[broken]).await[0].id
}

async fn wait_failed(store: &dyn Store, n: u64) {
    for _ in 0..400 {
        let stats = store
            .queue_stats(Scope::Tenant(DEFAULT_TENANT_ID))
            .await
            .expect("stats");
        if stats.counts["failed"] == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the task did not fail");
}

/// A fresh path for a file of this test.
fn fresh_log_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("zora-{name}-{}.log", uuid::Uuid::new_v4()))
}

#[test]
fn a_metrics_address_that_cannot_be_used_is_refused_by_name() {
    let files = zora_testkit::TestSqlite::new();
    let output = run(&mut zora_on(
        &files.url(),
        &["worker", "--metrics-addr", "localhost-9187"],
    ));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        common::stderr(&output).contains("--metrics-addr"),
        "{}",
        common::stderr(&output)
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let output = run(&mut zora_on(
        &files.url(),
        &["worker", "--metrics-addr", &address],
    ));
    common::assert_one_line_error(
        &output,
        2,
        &format!("--metrics-addr: cannot listen on {address}"),
    );
}

#[test]
fn rust_log_overrides_the_verbosity_flags() {
    // `status` on a new file migrates it, which it says at `info`.
    let stderr_of = |args: &[&str], rust_log: Option<&str>| {
        let fresh = zora_testkit::TestSqlite::new();
        let mut command = zora_on(&fresh.url(), args);
        if let Some(filter) = rust_log {
            command.env("RUST_LOG", filter);
        }
        let output = run(&mut command);
        assert_eq!(output.status.code(), Some(0));
        common::stderr(&output)
    };
    let said = "migrated the SQLite database";
    assert!(stderr_of(&["-v", "status"], None).contains(said));
    assert!(
        !stderr_of(&["status"], None).contains(said),
        "warn by default"
    );
    let silenced = stderr_of(&["-v", "status"], Some("error"));
    assert!(
        silenced.is_empty(),
        "RUST_LOG=error silences -v: {silenced}"
    );
    assert!(
        stderr_of(&["status"], Some("info")).contains(said),
        "RUST_LOG=info speaks without -v"
    );
}
