//! Running the `zora` binary in tests: a clean environment, captured output; queueing
//! missions and waiting for them.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::json;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store, TaskStatus};

/// `zora` with a clean environment: no database, tenant, Supabase or model variables
/// inherited.
pub fn zora(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zora"));
    command.args(args);
    for var in [
        "DATABASE_URL",
        "ZORA_TENANT_ID",
        "SUPABASE_URL",
        "SUPABASE_SERVICE_KEY",
        "RUST_LOG",
        "ZORA_AGENTS",
        "ZORA_LOG_FORMAT",
        "ZORA_METRICS_ADDR",
        "ZORA_APPROVAL_TYPES",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ZORA_PLANNER_MODEL",
        "ZORA_PLANNER_TIMEOUT",
        "ZORA_MODEL_TIMEOUT",
        "ZORA_JWT_SECRET",
    ] {
        command.env_remove(var);
    }
    command.current_dir(std::env::temp_dir());
    command
}

/// `zora` on the database at `url`.
pub fn zora_on(url: &str, args: &[&str]) -> Command {
    let mut command = zora(args);
    command.env("DATABASE_URL", url);
    command
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("run zora")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Exit `code` with exactly one `error: ...` line on stderr containing `expected`.
pub fn assert_one_line_error(output: &Output, code: i32, expected: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(expected),
        "{err}"
    );
}

/// Runs `command` in `dir` (where a default `sqlite://zora.db` lands).
pub fn run_in(command: &mut Command, dir: &std::path::Path) -> Output {
    run(command.current_dir(dir))
}

/// Queues `n` `climate.create_single_mission` tasks for `profile` in one transaction.
pub async fn enqueue_missions(
    store: &dyn Store,
    profile: impl serde::Serialize,
    n: usize,
) -> Vec<zora_core::TaskId> {
    let profile = json!(profile);
    let mut tx = store.begin().await.expect("begin");
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let task = NewTask::new(
            DEFAULT_TENANT_ID,
            "ORACLE",
            "climate.create_single_mission",
            format!("m{i}"),
            json!({"profile_id": profile, "title": format!("mission {i}")}),
        );
        ids.push(tx.insert_task(&task).await.expect("insert").id);
    }
    tx.commit().await.expect("commit");
    ids
}

/// Waits (up to 20 s) until every task of `ids` is completed.
pub async fn wait_all_completed(store: &dyn Store, ids: &[zora_core::TaskId]) {
    for _ in 0..400 {
        let mut done = 0;
        for id in ids {
            if store
                .get_task(DEFAULT_TENANT_ID, *id)
                .await
                .expect("get")
                .expect("task")
                .status
                == TaskStatus::Completed
            {
                done += 1;
            }
        }
        if done == ids.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the worker did not complete every task");
}

/// Spawns `zora worker ARGS` on `url`, its stderr to `stderr`, and waits for its ready
/// line (which it returns).
pub fn spawn_ready(url: &str, args: &[&str], stderr: Stdio) -> (Child, String) {
    let mut child = zora_on(url, &[&["worker"], args].concat())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn zora worker");
    let mut ready = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut ready)
        .expect("ready line");
    (child, ready)
}
