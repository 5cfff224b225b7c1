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
