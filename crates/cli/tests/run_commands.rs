//! ZORA CORE's commands as an operator types them (its own CLI's lines with `zora` in place
//! of `python -m zora_core.autonomy.cli`), on both stores: output, `--json`, exit codes.

mod common;

use serde_json::json;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store, TaskId};
use zora_testkit::TestBackend;
use zora_testkit::suite::climate::seed_plan;

use common::{assert_one_line_error, json, run, stdout, zora, zora_on};

zora_testkit::both_stores!(
    create_list_show_and_run_a_task,
    run_pending_tasks_prints_zora_cores_summary_and_exit_codes,
    run_task_answers_for_every_state,
    tasks_add_checks_its_input,
);

async fn enqueue(store: &dyn Store, task_type: &str, payload: serde_json::Value) -> TaskId {
    let mut tx = store.begin().await.expect("begin");
    let task = tx
        .insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            "ORACLE",
            task_type,
            "test",
            payload,
        ))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    task.id
}

async fn create_list_show_and_run_a_task(backend: TestBackend) {
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let url = backend.url();
    let payload = json!({"profile_id": profile, "title": "Replace 5 bulbs with LED"}).to_string();
    let created = run(&mut zora_on(
        &url,
        &[
            "create-task",
            "oracle",
            "climate.create_single_mission",
            "LED bulbs",
            "--payload",
            &payload,
            "--priority",
            "3",
        ],
    ));
    assert_eq!(
        created.status.code(),
        Some(0),
        "{}",
        common::stderr(&created)
    );
    let id = stdout(&created).trim().to_owned();
    id.parse::<TaskId>().expect("prints the new task's id");

    let added = run(&mut zora_on(
        &url,
        &[
            "tasks",
            "add",
            "--agent",
            "SAM",
            "--type",
            "plan_workflow",
            "--title",
            "Legacy review",
            "--json",
        ],
    ));
    let added = json(&added);
    assert_eq!(
        (added["status"].as_str(), added["agent_id"].as_str()),
        (Some("pending"), Some("SAM"))
    );

    let listed = json(&run(&mut zora_on(&url, &["tasks", "list", "--json"])));
    assert_eq!(listed["pagination"]["total"], 2);
    assert_eq!(listed["data"][0]["id"], id.as_str(), "priority first");
    let pending = json(&run(&mut zora_on(
        &url,
        &[
            "tasks", "list", "--status", "pending", "--agent", "sam", "--json",
        ],
    )));
    assert_eq!(pending["pagination"]["total"], 1);
    let available = json(&run(&mut zora_on(
        &url,
        &["tasks", "list", "--state", "available,scheduled", "--json"],
    )));
    assert_eq!(available["pagination"]["total"], 2);
    assert_eq!(available["data"][0]["state"], "available");
    let refused = run(&mut zora_on(&url, &["tasks", "list", "--state", "asleep"]));
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("asleep"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let ran = run(&mut zora_on(&url, &["run-task", &id]));
    assert_eq!(ran.status.code(), Some(0));
    let text = stdout(&ran);
    assert!(text.starts_with(&format!("Task {id} completed successfully\n  Summary: Created mission 'Replace 5 bulbs with LED' for profile {profile}\n  Result: {{")), "{text}");

    let shown = json(&run(&mut zora_on(&url, &["tasks", "show", &id, "--json"])));
    assert_eq!(shown["status"], "completed");
    assert_eq!(shown["result"]["title"], "Replace 5 bulbs with LED");
    assert_eq!(shown["payload"]["profile_id"], profile.to_string());
    let text = stdout(&run(&mut zora_on(&url, &["tasks", "show", &id])));
    assert!(text.contains("status:      completed"), "{text}");
}

async fn run_pending_tasks_prints_zora_cores_summary_and_exit_codes(backend: TestBackend) {
    let store = backend.store().await;
    let url = backend.url();
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    enqueue(
        store.as_ref(),
        "climate.create_single_mission",
        json!({"profile_id": profile, "title": "ok"}),
    )
    .await;
    enqueue(
        store.as_ref(),
        "climate.create_single_mission",
        json!({"profile_id": profile}),
    )
    .await;
    let legacy = enqueue(store.as_ref(), "plan_workflow", json!({})).await;

    let output = run(&mut zora_on(
        &url,
        &["run-pending-tasks", "--limit=10", "--verbose"],
    ));
    assert_eq!(output.status.code(), Some(0), "one completed: exit 0");
    let text = stdout(&output);
    assert!(text.starts_with(
        "=== Task Execution Summary ===\nTasks fetched:   2\nTasks executed:  2\n  Completed:     1\n  Failed:        1\n  Retried:       0\n  Skipped:       0\n"
    ), "{text}");
    assert!(text.lines().any(|l| l.starts_with("[+] ")
        && l.ends_with(&format!("Created mission 'ok' for profile {profile}"))));
    assert!(
        text.lines().any(|l| l.starts_with("[-] ")
            && l.ends_with("Missing required fields: profile_id and title"))
    );
    let untouched = store
        .get_task(DEFAULT_TENANT_ID, legacy)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(
        (untouched.status.as_str(), untouched.attempts),
        ("pending", 0),
        "unsupported type left alone"
    );

    enqueue(
        store.as_ref(),
        "climate.create_single_mission",
        json!({"title": "no profile"}),
    )
    .await;
    let only_failures = run(&mut zora_on(&url, &["run-pending-tasks", "--json"]));
    assert_eq!(
        only_failures.status.code(),
        Some(1),
        "nothing completed, something failed: exit 1"
    );
    let summary = json(&only_failures);
    assert_eq!(
        (summary["fetched"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(summary["tasks"][0]["status"], "failed");
    assert_eq!(
        summary["tasks"][0]["task_type"],
        "climate.create_single_mission"
    );
    assert!(
        summary["tasks"][0]["error_message"].is_string()
            && summary["tasks"][0]["result_summary"].is_null()
    );

    let nothing = run(&mut zora_on(
        &url,
        &[
            "run-pending-tasks",
            "--task-type=climate.create_single_mission",
        ],
    ));
    assert_eq!(nothing.status.code(), Some(0), "nothing to do: exit 0");
    assert!(stdout(&nothing).contains("Tasks fetched:   0"));
}

async fn run_task_answers_for_every_state(backend: TestBackend) {
    let store = backend.store().await;
    let url = backend.url();
    let broken = enqueue(store.as_ref(), "climate.create_single_mission", json!({})).await;
    let failed = run(&mut zora_on(&url, &["run-task", &broken.to_string()]));
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        stdout(&failed),
        format!("Task {broken} failed\n  Error: Missing required fields: profile_id and title\n")
    );

    let again = run(&mut zora_on(&url, &["run-task", &broken.to_string()]));
    assert_one_line_error(&again, 1, &format!("Task {broken} is already failed"));
    let unknown = TaskId::new();
    assert_one_line_error(
        &run(&mut zora_on(&url, &["run-task", &unknown.to_string()])),
        1,
        &format!("Task {unknown} not found"),
    );
    assert_one_line_error(
        &run(&mut zora_on(&url, &["run-task", "not-a-uuid"])),
        1,
        "Task not-a-uuid not found",
    );

    let legacy = enqueue(store.as_ref(), "plan_workflow", json!({})).await;
    let unsupported = json(&run(&mut zora_on(
        &url,
        &["run-task", &legacy.to_string(), "--json"],
    )));
    assert_eq!(unsupported["status"], "failed");
    assert!(unsupported["error_message"].as_str().is_some_and(|m| m.starts_with(
        "Unsupported task type: plan_workflow. Supported types: climate.create_missions_from_plan, climate.create_single_mission, "
    )));
}

async fn tasks_add_checks_its_input(backend: TestBackend) {
    let store = backend.store().await;
    let url = backend.url();
    let missing = zora_domain::ids::ProfileId::new();
    let cases: [(Vec<String>, &str); 5] = [
        (
            vec!["--agent".into(), "ODIN".into()],
            "Invalid agent_id. Must be one of: CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM",
        ),
        (
            vec!["--payload".into(), "{not json".into()],
            "--payload is not valid JSON",
        ),
        (
            vec!["--payload".into(), "[1]".into()],
            "--payload must be a JSON object",
        ),
        (
            vec![
                "--payload".into(),
                json!({"profile_id": missing, "title": "x"}).to_string(),
            ],
            "payload.profile_id: Profile",
        ),
        (
            vec!["--run-at".into(), "someday".into()],
            "--run-at 'someday' is neither",
        ),
    ];
    for (extra, expected) in cases {
        // The agent case replaces the agent; the others add their flag.
        let (agent, extra) = match extra.as_slice() {
            [flag, value] if flag == "--agent" => (value.clone(), Vec::new()),
            _ => ("ORACLE".to_owned(), extra),
        };
        let mut args: Vec<String> = ["tasks", "add", "--agent", &agent, "--type"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend([
            "climate.create_single_mission".into(),
            "--title".into(),
            "t".into(),
        ]);
        args.extend(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_one_line_error(&run(&mut zora_on(&url, &refs)), 2, expected);
    }
    assert_eq!(
        backend.count("agent_tasks", DEFAULT_TENANT_ID).await,
        0,
        "nothing created"
    );
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let payload = json!({"profile_id": profile, "title": "later"}).to_string();
    let add = |title: &str| {
        let mut args = vec![
            "tasks",
            "add",
            "--agent",
            "ORACLE",
            "--type",
            "climate.create_single_mission",
        ];
        args.extend([
            "--title",
            title,
            "--payload",
            &payload,
            "--idempotency-key",
            "k1",
        ]);
        args.extend(["--run-at", "10m", "--max-attempts", "2", "--json"]);
        run(&mut zora_on(&url, &args))
    };
    let later = json(&add("later"));
    assert_eq!(later["max_attempts"], 2);
    assert_eq!(later["idempotency_key"], "k1");
    // The same key and task again: the task it made, exit 0, nothing new.
    let replay = add("later");
    assert_eq!(replay.status.code(), Some(0), "a replay is a no-op");
    assert_eq!(json(&replay)["id"], later["id"]);
    // The same key for another task: a conflict, exit 1.
    assert_one_line_error(
        &add("again"),
        1,
        "A different task was already created with idempotency key 'k1'",
    );
    assert_eq!(backend.count("agent_tasks", DEFAULT_TENANT_ID).await, 1);
    // Created as the API creates: with its `agent_task_created` journal entry.
    let journal = backend
        .inspect()
        .await
        .journal(DEFAULT_TENANT_ID, zora_core::Page::new(10, 0))
        .await;
    let created: Vec<_> = journal
        .items
        .iter()
        .filter(|e| e.details["event_type"] == "agent_task_created")
        .collect();
    assert_eq!(created.len(), 1, "one entry for one task");
    assert_eq!(created[0].details["task_id"], later["id"]);
    assert_eq!(created[0].title, "Agent task created: later");

    // A tenant without a row: refused, nothing written.
    let unknown = zora_core::TenantId::new();
    let args = vec![
        "tasks".to_owned(),
        "add".into(),
        "--agent".into(),
        "ORACLE".into(),
        "--type".into(),
        "climate.create_single_mission".into(),
        "--title".into(),
        "elsewhere".into(),
        "--payload".into(),
        payload.clone(),
        "--tenant-id".into(),
        unknown.to_string(),
    ];
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_one_line_error(
        &run(&mut zora_on(&url, &refs)),
        2,
        &format!("Unknown tenant {unknown}"),
    );
    let alias = run(&mut zora_on(
        &url,
        &[
            "create-task",
            "ORACLE",
            "climate.create_single_mission",
            "elsewhere",
            "--payload",
            &payload,
            "--tenant-id",
            &unknown.to_string(),
        ],
    ));
    assert_one_line_error(&alias, 2, &format!("Unknown tenant {unknown}"));
    assert_eq!(backend.count("agent_tasks", unknown).await, 0);
}

#[test]
fn task_types_needs_no_database() {
    let text = run(&mut zora(&[
        "task-types",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ]));
    assert_eq!(text.status.code(), Some(0));
    assert!(stdout(&text).contains("climate.create_single_mission"));
    let catalog = json(&run(&mut zora(&["task-types", "--json"])));
    assert_eq!(
        catalog["v1_supported"],
        json!([
            "climate.create_missions_from_plan",
            "climate.create_single_mission",
            "zora_shop.create_project",
            "zora_shop.update_product_climate_meta"
        ])
    );
    let climate = catalog["categories"]["climate_os"]
        .as_array()
        .expect("climate_os");
    assert_eq!(climate.len(), 2);
    let single = climate
        .iter()
        .find(|t| t["type"] == "climate.create_single_mission")
        .expect("single");
    assert_eq!(
        single["payload_schema"]["profile_id"],
        "UUID of the climate profile"
    );
    assert_eq!(
        single["json_schema"]["properties"]["due_date"]["format"],
        "date"
    );
    assert_eq!(
        single["json_schema"]["required"],
        json!(["profile_id", "title"])
    );
    assert_eq!(
        catalog["categories"]["zora_shop"].as_array().map(Vec::len),
        Some(3)
    );
}
