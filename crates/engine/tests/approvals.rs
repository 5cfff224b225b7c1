//! Which new tasks need a decision: asked for, a type of `ZORA_APPROVAL_TYPES` (the
//! registry's approval types), or on a ZORA CORE 3.x database `agent_task_policies`
//! (the tenant's row, else the global one).

use serde_json::json;
use zora_core::{DEFAULT_TENANT_ID, NewTask, TaskState};
use zora_engine::{Registry, create_task};
use zora_testkit::TestDatabase;
use zora_testkit::fixtures::{ZORA_CORE_2_2, ZORA_CORE_3X_ADDITIONS};

fn legacy(task_type: &str) -> NewTask {
    NewTask::new(DEFAULT_TENANT_ID, "ODIN", task_type, task_type, json!({}))
}

#[tokio::test]
async fn the_3x_policy_table_and_the_approval_types_hold_tasks_for_a_decision() {
    let db = TestDatabase::create().await;
    db.run_script(ZORA_CORE_2_2).await;
    db.run_script(ZORA_CORE_3X_ADDITIONS).await;
    db.migrate().await;
    db.run_script(&format!(
        "INSERT INTO agent_task_policies (tenant_id, task_type, auto_execute) VALUES \
           (NULL, 'held.globally', false), \
           (NULL, 'allowed.here', false), ('{DEFAULT_TENANT_ID}', 'allowed.here', true), \
           (NULL, 'allowed.everywhere', true);"
    ))
    .await;
    let store = db.dyn_store().await;
    let registry = Registry::default().with_approval_types(["held.by.env".to_owned()]);
    for (task_type, held) in [
        ("held.globally", true),
        ("allowed.here", false),
        ("allowed.everywhere", false),
        ("no.policy", false),
        ("held.by.env", true),
    ] {
        let task = create_task(store.as_ref(), &registry, legacy(task_type))
            .await
            .expect("created")
            .into_task();
        assert_eq!(task.requires_approval, held, "{task_type}");
        let state = if held {
            TaskState::AwaitingApproval
        } else {
            TaskState::Available
        };
        assert_eq!(task.state, state, "{task_type}");
    }
}

#[tokio::test]
async fn without_the_3x_table_only_the_approval_types_hold_tasks() {
    let db = TestDatabase::migrated().await;
    let store = db.dyn_store().await;
    let registry = Registry::default().with_approval_types(["held.by.env".to_owned()]);
    let mut plain = legacy("no.policy");
    plain.agent_id = "ORACLE".into();
    let task = create_task(store.as_ref(), &registry, plain)
        .await
        .expect("created")
        .into_task();
    assert!(!task.requires_approval);
}
