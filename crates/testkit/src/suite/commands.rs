//! Suite cases for agent commands.

use serde_json::json;
use zora_core::command::{CommandStatus, CommandUpdate, NewCommand};
use zora_core::{CommandId, Page, Store};

use super::two_tenants;

pub async fn commands_move_through_their_states_per_tenant(store: &dyn Store) {
    let t = two_tenants(store).await;
    let new = NewCommand {
        id: CommandId::new(),
        tenant_id: t.a,
        created_by_user_id: None,
        raw_prompt: "Plan climate missions for next week".into(),
        target_agents: Some(vec!["ORACLE".into(), "LUMINA".into()]),
    };
    let mut tx = store.begin().await.expect("begin");
    let stored = tx.insert_command(&new).await.expect("insert");
    assert_eq!(stored.status, CommandStatus::Received);
    assert_eq!(stored.tasks_created_count, 0);
    assert_eq!(stored.metadata, json!({}));
    assert_eq!(stored.target_agents, new.target_agents);
    let update = CommandUpdate {
        status: CommandStatus::TasksCreated,
        parsed_summary: Some("Created 1 task(s)".into()),
        tasks_created_count: 1,
        error_message: None,
        metadata: json!({"planner": "fallback", "reason": "no model configured"}),
    };
    assert!(
        !tx.update_command(t.b, new.id, &update)
            .await
            .expect("update as B")
    );
    assert!(
        tx.update_command(t.a, new.id, &update)
            .await
            .expect("update")
    );
    tx.commit().await.expect("commit");

    let got = store
        .get_command(t.a, new.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got.status, CommandStatus::TasksCreated);
    assert_eq!(got.tasks_created_count, 1);
    assert_eq!(got.metadata["planner"], "fallback");
    assert!(store.get_command(t.b, new.id).await.expect("get").is_none());

    let listed = store
        .list_commands(t.a, Some(CommandStatus::TasksCreated), Page::default())
        .await
        .expect("list");
    assert_eq!(listed.total, 1);
    let none = store
        .list_commands(t.a, Some(CommandStatus::Failed), Page::default())
        .await
        .expect("list");
    assert_eq!(none.total, 0);
    assert_eq!(
        store
            .list_commands(t.b, None, Page::default())
            .await
            .expect("list")
            .total,
        0
    );
}

pub async fn a_commands_tasks_are_found_by_either_link(store: &dyn Store) {
    let t = two_tenants(store).await;
    let command = CommandId::new();
    let mut tx = store.begin().await.expect("begin");
    tx.insert_command(&NewCommand {
        id: command,
        tenant_id: t.a,
        created_by_user_id: None,
        raw_prompt: "plan".into(),
        target_agents: None,
    })
    .await
    .expect("command");
    let mut linked =
        zora_core::NewTask::new(t.a, "LUMINA", "plan_workflow", "by command_id", json!({}));
    linked.command_id = Some(command);
    let by_payload = zora_core::NewTask::new(
        t.a,
        "ORACLE",
        "research_topic",
        "by payload",
        json!({"source_command_id": command.to_string()}),
    );
    let unrelated = zora_core::NewTask::new(t.a, "SAM", "x", "unrelated", json!({}));
    let mut other_tenant = zora_core::NewTask::new(
        t.b,
        "SAM",
        "x",
        "tenant B",
        json!({"source_command_id": command.to_string()}),
    );
    other_tenant.command_id = None;
    for task in [&linked, &by_payload, &unrelated, &other_tenant] {
        tx.insert_task(task).await.expect("task");
    }
    tx.commit().await.expect("commit");
    let found = store.command_tasks(t.a, command).await.expect("tasks");
    let mut expected = vec![linked.id, by_payload.id];
    expected.sort();
    assert_eq!(
        found.iter().map(|t| t.id).collect::<Vec<_>>(),
        expected,
        "oldest first, ties by id"
    );
    let theirs = store.command_tasks(t.b, command).await.expect("tasks");
    assert_eq!(
        theirs.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        ["tenant B"],
        "each tenant sees only its own rows"
    );
}
