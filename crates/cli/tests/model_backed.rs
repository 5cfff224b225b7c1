//! Model-backed tasks from the command line: under `zora worker` processes, the worker
//! waiting on the model keeps its lease by heartbeat, is SIGKILLed, and another worker
//! rescues the task and records its answer exactly once; `zora demo` with a model runs
//! every type it enqueues.

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store, TaskId, TaskStatus};
use zora_testkit::TestBackend;
use zora_testkit::provider::{Provider, Reply, provider_answering};

use common::{json, run, stderr, zora_on};

zora_testkit::both_stores!(
    a_worker_killed_while_waiting_on_the_model_is_rescued_and_records_once,
    the_demo_with_a_model_completes_every_valid_task
);

fn spawn_worker(url: &str, provider: &Provider) -> std::process::Child {
    zora_on(
        url,
        &[
            "worker",
            "--poll-interval",
            "100ms",
            "--rescue-interval",
            "200ms",
            "--lease-duration",
            "2s",
        ],
    )
    .env("OPENAI_API_KEY", "test-key")
    .env("OPENAI_BASE_URL", &provider.url)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn zora worker")
}

async fn task(store: &dyn Store, id: TaskId) -> zora_core::Task {
    store
        .get_task(DEFAULT_TENANT_ID, id)
        .await
        .expect("get")
        .expect("task")
}

async fn a_worker_killed_while_waiting_on_the_model_is_rescued_and_records_once(
    backend: TestBackend,
) {
    let store = backend.store().await;
    let provider = provider_answering(vec![
        Reply::Slow(Duration::from_secs(120)),
        Reply::Content("Peatland rewetting stores carbon.".into()),
    ])
    .await;
    let mut tx = store.begin().await.expect("begin");
    let id = tx
        .insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            "ORACLE",
            "research_topic",
            "Research peatlands",
            json!({"topic": "peatland rewetting"}),
        ))
        .await
        .expect("insert")
        .id;
    tx.commit().await.expect("commit");

    let mut doomed = spawn_worker(&backend.url(), &provider);
    for _ in 0..200 {
        if provider.calls() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(provider.calls(), 1, "the worker asked the model");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = task(store.as_ref(), id).await;
    assert_eq!(waiting.status, TaskStatus::InProgress);
    assert!(
        waiting.lease_expires_at.expect("leased") > chrono::Utc::now(),
        "the heartbeat kept the 2s lease alive past 3s of waiting"
    );
    doomed.kill().expect("SIGKILL");
    doomed.wait().expect("reaped");

    let mut rescuer = spawn_worker(&backend.url(), &provider);
    let mut done = task(store.as_ref(), id).await;
    for _ in 0..300 {
        if done.status == TaskStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        done = task(store.as_ref(), id).await;
    }
    rescuer.kill().expect("stop");
    rescuer.wait().expect("reaped");
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");
    assert_eq!(provider.calls(), 2, "asked again after the rescue, once");
    assert_eq!(
        done.result.as_ref().expect("result")["answer"],
        "Peatland rewetting stores carbon."
    );
    assert_eq!(done.attempts, 2);
    let inspect = backend.inspect().await;
    let entries: Vec<_> = inspect
        .journal(DEFAULT_TENANT_ID, zora_core::Page::new(200, 0))
        .await
        .items
        .into_iter()
        .filter(|e| e.details["task_id"] == id.to_string().as_str())
        .collect();
    assert_eq!(entries.len(), 1, "the answer recorded once");
}

async fn the_demo_with_a_model_completes_every_valid_task(backend: TestBackend) {
    let provider = provider_answering(vec![Reply::Content(
        "Rewetted peatlands stop emitting carbon.".into(),
    )])
    .await;
    let url = backend.url();
    let demo = tokio::task::spawn_blocking(move || {
        run(zora_on(&url, &["demo", "--json"])
            .env("OPENAI_API_KEY", "test-key")
            .env("OPENAI_BASE_URL", &provider.url))
    })
    .await
    .expect("demo");
    assert_eq!(demo.status.code(), Some(0), "{}", stderr(&demo));
    let output = json(&demo);
    assert_eq!(
        output["run"]["completed"], 10,
        "the v1 four, the agents' four and the two model-backed ones: {output}"
    );
    assert_eq!(output["run"]["failed"], 3, "the three invalid ones");
    let research = output["run"]["tasks"]
        .as_array()
        .expect("reports")
        .iter()
        .find(|r| r["task_type"] == "research_topic")
        .expect("research_topic ran")
        .clone();
    assert_eq!(research["status"], "completed", "{research}");
}
