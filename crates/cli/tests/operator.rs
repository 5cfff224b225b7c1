//! The operator's commands, both stores: `commands submit`, `tasks retry`, `tasks run
//! [--wait]`, with `--json` and exit codes.

mod common;

use serde_json::json;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store, TaskId};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;

use common::{assert_one_line_error, json, run, stdout, zora_on};

zora_testkit::both_stores!(
    commands_submit_plans_a_prompt_into_tasks,
    tasks_retry_and_run_request_runs,
);

async fn enqueue(store: &dyn Store, payload: serde_json::Value) -> TaskId {
    let mut tx = store.begin().await.expect("begin");
    let task = tx
        .insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            "ORACLE",
            "climate.create_single_mission",
            "op",
            payload,
        ))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    task.id
}

async fn commands_submit_plans_a_prompt_into_tasks(backend: TestBackend) {
    let url = backend.url();
    let output = run(&mut zora_on(
        &url,
        &[
            "commands",
            "submit",
            "Propose new climate missions",
            "--json",
        ],
    ));
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let submitted = json(&output);
    assert_eq!(submitted["command"]["status"], "tasks_created");
    assert_eq!(
        submitted["summary"],
        "Created 1 task(s) from command (fallback mode)"
    );
    let task = &submitted["tasks_created"][0];
    assert_eq!(task["task_type"], "propose_new_climate_missions");
    assert_eq!(task["command_id"], submitted["command"]["id"]);
    assert_eq!(
        task["payload"]["source_command_id"],
        submitted["command"]["id"]
    );

    let targeted = json(&run(&mut zora_on(
        &url,
        &[
            "commands",
            "submit",
            "do it",
            "--agents",
            "aegis,sam",
            "--json",
        ],
    )));
    assert_eq!(targeted["tasks_created"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        targeted["command"]["target_agents"],
        json!(["AEGIS", "SAM"])
    );
    let text = stdout(&run(&mut zora_on(
        &url,
        &["commands", "submit", "check the api"],
    )));
    assert!(
        text.contains(": tasks_created") && text.contains("review_system_health"),
        "{text}"
    );

    assert_one_line_error(
        &run(&mut zora_on(
            &url,
            &["commands", "submit", "x", "--agents", "ODIN"],
        )),
        2,
        "--agents: Invalid agent_id",
    );
    assert_one_line_error(
        &run(&mut zora_on(&url, &["commands", "submit", "  "])),
        2,
        "must not be empty",
    );
}

async fn tasks_retry_and_run_request_runs(backend: TestBackend) {
    let store = backend.store().await;
    let url = backend.url();
    let broken = enqueue(store.as_ref(), json!({})).await;
    run(&mut zora_on(&url, &["run-task", &broken.to_string()]));
    let retried = json(&run(&mut zora_on(
        &url,
        &["tasks", "retry", &broken.to_string(), "--json"],
    )));
    assert_eq!(
        (retried["status"].as_str(), retried["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    assert!(retried["error_message"].is_null());

    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let good = enqueue(
        store.as_ref(),
        json!({"profile_id": profile, "title": "Now"}),
    )
    .await;
    let queued = run(&mut zora_on(&url, &["tasks", "run", &good.to_string()]));
    assert_eq!(queued.status.code(), Some(0));
    assert!(stdout(&queued).contains("queued"), "{}", stdout(&queued));
    let ran = run(&mut zora_on(
        &url,
        &["tasks", "run", &good.to_string(), "--wait"],
    ));
    assert_eq!(ran.status.code(), Some(0), "{}", common::stderr(&ran));
    assert!(
        stdout(&ran).starts_with(&format!("Task {good} completed successfully")),
        "{}",
        stdout(&ran)
    );
    assert_one_line_error(
        &run(&mut zora_on(&url, &["tasks", "retry", &good.to_string()])),
        1,
        "Task is already completed",
    );
    assert_one_line_error(
        &run(&mut zora_on(&url, &["tasks", "run", "nope", "--wait"])),
        1,
        "Task nope not found",
    );
}
