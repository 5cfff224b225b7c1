//! `zora prune` and `zora schedules` from the command line, both stores: old finished
//! tasks deleted in batches with counts printed, a completed parent of a pending task
//! kept, journal entries kept, `--dry-run` deleting nothing; schedules added, listed,
//! paused, resumed and deleted, a bad cron a one-line error.

mod common;

use serde_json::json;
use zora_core::dependency::Dependency;
use zora_core::{DEFAULT_TENANT_ID, NewTask, TaskId};
use zora_engine::{Registry, create_task};
use zora_testkit::TestBackend;

use common::{assert_one_line_error, json as json_of, run, stderr, stdout, zora_on};

zora_testkit::both_stores!(
    prune_deletes_old_finished_tasks_but_not_a_parent_of_a_pending_one,
    schedules_are_managed_from_the_command_line,
);

async fn add(backend: &TestBackend, title: &str, parent: Option<TaskId>) -> TaskId {
    let store = backend.store().await;
    let mut task = NewTask::new(
        DEFAULT_TENANT_ID,
        "ORACLE",
        "report.legacy",
        title,
        json!({}),
    );
    if let Some(parent) = parent {
        task.depends_on = vec![Dependency {
            task_id: parent,
            ..Dependency::default()
        }];
    }
    create_task(store.as_ref(), &Registry::default(), task)
        .await
        .expect("created")
        .into_task()
        .id
}

async fn finish(backend: &TestBackend, ids: &[TaskId], status: &str, at: &str) {
    let list = ids
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");
    backend
        .execute(&format!(
            "UPDATE agent_tasks SET status = '{status}', completed_at = '{at}' WHERE id IN ({list})"
        ))
        .await;
}

const LONG_AGO: &str = "2020-01-01T00:00:00.000Z";

async fn prune_deletes_old_finished_tasks_but_not_a_parent_of_a_pending_one(backend: TestBackend) {
    let url = backend.url();
    let mut old = Vec::new();
    for i in 0..5 {
        old.push(add(&backend, &format!("old {i}"), None).await);
    }
    finish(&backend, &old, "completed", LONG_AGO).await;
    let failed = add(&backend, "old failed", None).await;
    finish(&backend, &[failed], "failed", LONG_AGO).await;
    let recent = add(&backend, "recent", None).await;
    finish(&backend, &[recent], "completed", "2999-01-01T00:00:00.000Z").await;
    let parent = add(&backend, "parent", None).await;
    let child = add(&backend, "child", Some(parent)).await;
    finish(&backend, &[parent], "completed", LONG_AGO).await;
    let journal = backend.count("journal_entries", DEFAULT_TENANT_ID).await;
    let tasks = backend.count("agent_tasks", DEFAULT_TENANT_ID).await;

    let dry = run(&mut zora_on(
        &url,
        &["prune", "--older-than", "30d", "--dry-run"],
    ));
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(
        stdout(&dry).trim(),
        "Would delete 6 all tasks finished more than 30days ago; 1 kept as parents of \
         unfinished tasks (dry run: nothing deleted)"
    );
    assert_eq!(backend.count("agent_tasks", DEFAULT_TENANT_ID).await, tasks);

    let failed_only = json_of(&run(&mut zora_on(
        &url,
        &[
            "prune",
            "--older-than",
            "30d",
            "--status",
            "failed",
            "--json",
        ],
    )));
    assert_eq!(failed_only["deleted"], 1);

    let pruned = run(&mut zora_on(
        &url,
        &["prune", "--older-than", "30d", "--batch", "2"],
    ));
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    let said = stdout(&pruned);
    assert!(
        said.starts_with("Deleted 5 all tasks finished more than 30days ago in ")
            && said.contains("1 kept as parents of unfinished tasks"),
        "{said}"
    );
    assert_eq!(backend.count("agent_tasks", DEFAULT_TENANT_ID).await, 3);
    let store = backend.store().await;
    for kept in [recent, parent, child] {
        assert!(
            store
                .get_task(DEFAULT_TENANT_ID, kept)
                .await
                .expect("read")
                .is_some()
        );
    }
    assert_eq!(
        backend.count("journal_entries", DEFAULT_TENANT_ID).await,
        journal,
        "journal entries are never pruned"
    );

    // Once the child is finished too, the parent goes.
    finish(&backend, &[child], "completed", LONG_AGO).await;
    let again = json_of(&run(&mut zora_on(
        &url,
        &["prune", "--older-than", "30d", "--json"],
    )));
    assert_eq!(
        (again["deleted"].as_u64(), again["kept_as_parents"].as_u64()),
        (Some(2), Some(0))
    );

    let bad = run(&mut zora_on(&url, &["prune", "--older-than", "soon"]));
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--older-than"), "{}", stderr(&bad));
}

async fn schedules_are_managed_from_the_command_line(backend: TestBackend) {
    let url = backend.url();
    let added = json_of(&run(&mut zora_on(
        &url,
        &[
            "schedules",
            "add",
            "nightly",
            "--cron",
            "0 2 * * *",
            "--timezone",
            "Europe/Copenhagen",
            "--agent",
            "eivor",
            "--type",
            "report.legacy",
            "--title",
            "Nightly",
            "--payload",
            r#"{"depth": 2}"#,
            "--json",
        ],
    )));
    let id = added["id"].as_str().expect("id").to_owned();
    assert_eq!(added["task"]["agent_id"], "EIVOR");
    assert!(added["next_run_at"].is_string());
    let listed = run(&mut zora_on(&url, &["schedules", "list"]));
    let listed = stdout(&listed);
    assert!(
        listed.contains(&id) && listed.contains("\"0 2 * * *\" Europe/Copenhagen"),
        "{listed}"
    );
    let paused = json_of(&run(&mut zora_on(
        &url,
        &["schedules", "pause", &id, "--json"],
    )));
    assert_eq!(
        (paused["enabled"].as_bool(), paused["next_run_at"].is_null()),
        (Some(false), true)
    );
    let resumed = run(&mut zora_on(&url, &["schedules", "resume", &id]));
    assert!(
        stdout(&resumed).starts_with(&format!("Schedule {id} resumed: ")),
        "{}",
        stdout(&resumed)
    );
    let deleted = run(&mut zora_on(&url, &["schedules", "delete", &id]));
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(
        stdout(&run(&mut zora_on(&url, &["schedules", "list"]))).trim(),
        "No schedules"
    );
    let missing = run(&mut zora_on(&url, &["schedules", "pause", &id]));
    assert_one_line_error(&missing, 1, &format!("Schedule {id} not found"));

    let bad = run(&mut zora_on(
        &url,
        &[
            "schedules",
            "add",
            "bad",
            "--cron",
            "every day",
            "--agent",
            "SAM",
            "--type",
            "t",
            "--title",
            "x",
        ],
    ));
    assert_one_line_error(&bad, 2, "--cron: cron must be 5 fields");
}
