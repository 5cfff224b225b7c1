//! Task flow from the command line, both stores: a chain added with `--depends-on` runs in
//! order under `zora worker` with its inputs filled; `tasks cancel`, `tasks approve` and
//! `tasks reject` change a task as the API does; bad flags are one-line errors; one console
//! command plans a week and turns it into missions through a chain.

mod common;

use std::process::Stdio;

use serde_json::Value;
use zora_core::{DEFAULT_TENANT_ID, TaskId};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;

use common::{assert_one_line_error, json, run, spawn_ready, stdout, wait_all_completed, zora_on};
use zora_domain::climate::store as climate_store;

zora_testkit::both_stores!(
    a_chain_added_with_depends_on_runs_in_order_under_a_worker,
    cancel_approve_and_reject_change_a_task_as_the_api_does,
    one_command_suggests_a_week_and_applies_it_through_a_chain,
);

/// `zora tasks add ...` for a mission; returns the new task's id.
fn add(url: &str, title: &str, payload: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "tasks",
        "add",
        "--agent",
        "ORACLE",
        "--type",
        "climate.create_single_mission",
        "--title",
        title,
        "--payload",
        payload,
    ];
    args.extend_from_slice(extra);
    let output = run(&mut zora_on(url, &args));
    assert!(output.status.success(), "{}", common::stderr(&output));
    stdout(&output).trim().to_owned()
}

fn show(url: &str, id: &str) -> Value {
    json(&run(&mut zora_on(url, &["tasks", "show", id, "--json"])))
}

async fn a_chain_added_with_depends_on_runs_in_order_under_a_worker(backend: TestBackend) {
    let url = backend.url();
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let a = add(
        &url,
        "A",
        &format!(r#"{{"profile_id": "{profile}", "title": "A"}}"#),
        &[],
    );
    let b = add(
        &url,
        "B",
        r#"{"title": "B"}"#,
        &["--depends-on", &format!("{a}:profile_id=profile_id")],
    );
    let c = add(
        &url,
        "C",
        &format!(r#"{{"profile_id": "{profile}", "title": "C"}}"#),
        &["--depends-on", &b],
    );
    let shown = show(&url, &b);
    assert_eq!(shown["state"], "blocked", "{shown}");
    assert_eq!(shown["depends_on"][0]["task_id"], a.as_str());
    assert_eq!(shown["dependents"][0], c.as_str());

    let (mut worker, _) = spawn_ready(&url, &["--poll-interval", "100ms"], Stdio::null());
    let ids: Vec<TaskId> = [&a, &b, &c]
        .iter()
        .map(|id| id.parse().expect("a task id"))
        .collect();
    wait_all_completed(store.as_ref(), &ids).await;
    let _ = worker.kill();
    let _ = worker.wait();
    let (a, b, c) = (show(&url, &a), show(&url, &b), show(&url, &c));
    assert_eq!(b["payload"]["profile_id"], profile.to_string());
    let at = |task: &Value, field: &str| task[field].as_str().unwrap_or_default().to_owned();
    assert!(at(&b, "started_at") >= at(&a, "completed_at"), "B after A");
    assert!(at(&c, "started_at") >= at(&b, "completed_at"), "C after B");

    let bad = run(&mut zora_on(
        &url,
        &[
            "tasks",
            "add",
            "--agent",
            "ORACLE",
            "--type",
            "x.y",
            "--title",
            "t",
            "--depends-on",
            "nope",
        ],
    ));
    assert_one_line_error(&bad, 2, "--depends-on 'nope': 'nope' is not a task id");
    let unknown = TaskId::new().to_string();
    let missing = run(&mut zora_on(
        &url,
        &[
            "tasks",
            "add",
            "--agent",
            "ORACLE",
            "--type",
            "climate.create_single_mission",
            "--title",
            "t",
            "--payload",
            &format!(r#"{{"profile_id": "{profile}", "title": "t"}}"#),
            "--depends-on",
            &unknown,
        ],
    ));
    assert_one_line_error(&missing, 2, "not found or does not belong to tenant");
}

async fn cancel_approve_and_reject_change_a_task_as_the_api_does(backend: TestBackend) {
    let url = backend.url();
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let payload = format!(r#"{{"profile_id": "{profile}", "title": "x"}}"#);
    let pending = add(&url, "pending", &payload, &[]);
    let cancelled = run(&mut zora_on(
        &url,
        &["tasks", "cancel", &pending, "--reason", "no longer needed"],
    ));
    assert!(
        stdout(&cancelled).contains("cancelled"),
        "{}",
        stdout(&cancelled)
    );
    let shown = show(&url, &pending);
    assert_eq!(shown["state"], "cancelled");
    assert_eq!(shown["error_message"], "Cancelled: no longer needed");
    let twice = run(&mut zora_on(&url, &["tasks", "cancel", &pending]));
    assert_one_line_error(&twice, 1, "Task is already failed");

    let held = add(&url, "held", &payload, &["--requires-approval"]);
    assert_eq!(show(&url, &held)["state"], "awaiting_approval");
    let approved = run(&mut zora_on(&url, &["tasks", "approve", &held]));
    assert!(approved.status.success(), "{}", common::stderr(&approved));
    assert_eq!(show(&url, &held)["state"], "available");

    let refused = add(&url, "refused", &payload, &["--requires-approval"]);
    run(&mut zora_on(
        &url,
        &["tasks", "reject", &refused, "--reason", "too costly"],
    ));
    let shown = show(&url, &refused);
    assert_eq!(shown["state"], "rejected");
    assert_eq!(shown["error_message"], "Rejected: too costly");
    let again = run(&mut zora_on(&url, &["tasks", "approve", &refused]));
    assert_one_line_error(&again, 1, "Task was already rejected");

    // ZORA_APPROVAL_TYPES holds every new task of its types.
    let typed = run(zora_on(
        &url,
        &[
            "tasks",
            "add",
            "--agent",
            "ORACLE",
            "--type",
            "climate.create_single_mission",
            "--title",
            "typed",
            "--payload",
            &payload,
        ],
    )
    .env("ZORA_APPROVAL_TYPES", "climate.create_single_mission"));
    let typed = stdout(&typed).trim().to_owned();
    assert_eq!(show(&url, &typed)["state"], "awaiting_approval");
}

/// "plan our climate missions for next week and apply them": the keyword planner's
/// suggestion and its dependent apply task, run by `zora worker`, the suggested actions
/// becoming missions exactly once.
async fn one_command_suggests_a_week_and_applies_it_through_a_chain(backend: TestBackend) {
    let url = backend.url();
    let store = backend.store().await;
    let mut tx = store.begin().await.expect("begin");
    let profile = zora_domain::ids::ProfileId::new();
    climate_store::insert_profile(
        &mut *tx,
        &zora_domain::climate::tables::NewProfile {
            id: profile,
            tenant_id: DEFAULT_TENANT_ID,
            name: "Our household".into(),
            profile_type: "person".into(),
        },
    )
    .await
    .expect("profile");
    tx.commit().await.expect("commit");
    let submitted = json(&run(&mut zora_on(
        &url,
        &[
            "commands",
            "submit",
            "plan our climate missions for next week and apply them",
            "--json",
        ],
    )));
    let tasks = submitted["tasks_created"].as_array().expect("tasks");
    let kinds: Vec<&str> = tasks
        .iter()
        .filter_map(|t| t["task_type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "propose_new_climate_missions",
            "climate.create_missions_from_plan",
            "plan_workflow"
        ],
        "{submitted}"
    );
    let (suggest, apply) = (
        tasks[0]["id"].as_str().expect("id"),
        tasks[1]["id"].as_str().expect("id"),
    );
    let blocked = show(&url, apply);
    assert_eq!(blocked["state"], "blocked", "{blocked}");
    assert_eq!(blocked["depends_on"][0]["task_id"], suggest);

    let (mut worker, _) = spawn_ready(&url, &["--poll-interval", "100ms"], Stdio::null());
    let ids: Vec<TaskId> = [suggest, apply]
        .iter()
        .map(|id| id.parse().expect("a task id"))
        .collect();
    wait_all_completed(store.as_ref(), &ids).await;
    let _ = worker.kill();
    let _ = worker.wait();
    let (suggested, applied) = (show(&url, suggest), show(&url, apply));
    let items = suggested["result"]["items"]
        .as_array()
        .expect("items")
        .len();
    assert!((4..=5).contains(&items), "{suggested}");
    assert_eq!(
        applied["payload"]["plan_id"],
        suggested["result"]["plan_id"]
    );
    assert_eq!(applied["payload"]["profile_id"], profile.to_string());
    let missions = applied["result"]["mission_ids"]
        .as_array()
        .expect("missions");
    assert_eq!(missions.len(), items, "{applied}");
    assert_eq!(
        backend.count("climate_missions", DEFAULT_TENANT_ID).await,
        items as i64,
        "each suggested action became one mission"
    );
}
