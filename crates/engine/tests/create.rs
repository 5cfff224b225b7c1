//! The one create path (`zora_engine::create_task`, which the API and the CLI share), on
//! both stores: the journal entry, idempotency replays and conflicts, an unknown tenant,
//! and create-time validation on the read path.

use std::time::Duration;

use serde_json::json;
use zora_core::{NewTask, TenantId};
use zora_engine::{CreateError, Created, check_new_task, create_task};
use zora_testkit::TestBackend;
use zora_testkit::scripted::registry_with_scripted;
use zora_testkit::suite::climate::seed_plan;
use zora_testkit::suite::two_tenants;

use zora_testkit::runs::journal_of;

zora_testkit::both_stores!(
    a_created_task_has_its_journal_entry_and_a_key_replays_or_conflicts,
    an_unknown_tenant_is_refused_and_nothing_written,
);

/// SQLite only: a PostgreSQL write transaction takes no lock to wait behind.
#[tokio::test]
async fn validation_reads_without_waiting_for_a_writer_on_sqlite() {
    validation_reads_without_waiting_for_a_writer(TestBackend::sqlite().await).await;
}

fn mission(tenant: TenantId, profile: impl serde::Serialize, title: &str) -> NewTask {
    NewTask::new(
        tenant,
        "ORACLE",
        "climate.create_single_mission",
        title,
        json!({"profile_id": profile, "title": title}),
    )
}

async fn a_created_task_has_its_journal_entry_and_a_key_replays_or_conflicts(backend: TestBackend) {
    let store = backend.store().await;
    let registry = registry_with_scripted(Duration::from_secs(1));
    let t = two_tenants(store.as_ref()).await;
    let (profile, _, _) = seed_plan(store.as_ref(), t.a).await;
    let mut new = mission(t.a, profile, "LED bulbs");
    new.idempotency_key = Some("k".into());
    let Created::New(first) = create_task(store.as_ref(), &registry, new.clone())
        .await
        .expect("create")
    else {
        panic!("the first call creates");
    };
    let journal = journal_of(&backend.inspect().await, t.a, first.id).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].details["event_type"], "agent_task_created");

    let mut again = new.clone();
    again.id = zora_core::TaskId::new();
    let replay = create_task(store.as_ref(), &registry, again.clone())
        .await
        .expect("replay");
    assert_eq!(replay, Created::Replayed(first.clone()));
    again.title = "Something else".into();
    let conflict = create_task(store.as_ref(), &registry, again)
        .await
        .expect_err("another task under the same key");
    assert!(matches!(conflict, CreateError::KeyConflict(ref key) if key == "k"));
    assert_eq!(backend.count("agent_tasks", t.a).await, 1);
    assert_eq!(
        journal_of(&backend.inspect().await, t.a, first.id)
            .await
            .len(),
        1
    );
}

async fn an_unknown_tenant_is_refused_and_nothing_written(backend: TestBackend) {
    let store = backend.store().await;
    let registry = registry_with_scripted(Duration::from_secs(1));
    let unknown = TenantId::new();
    for task_type in ["climate.create_single_mission", "plan_workflow"] {
        let mut new = mission(unknown, "p", "t");
        new.task_type = task_type.into();
        let err = create_task(store.as_ref(), &registry, new)
            .await
            .expect_err("no such tenant");
        assert!(matches!(err, CreateError::UnknownTenant(id) if id == unknown));
        assert_eq!(err.to_string(), format!("Unknown tenant {unknown}"));
    }
    assert_eq!(backend.count("agent_tasks", unknown).await, 0);
    assert_eq!(backend.count("journal_entries", unknown).await, 0);
}

/// Validation opens a read-only transaction: on SQLite a reader, so it does not queue
/// behind a write transaction (a worker's batch) holding the one writer (which blocks
/// every other `BEGIN IMMEDIATE`).
async fn validation_reads_without_waiting_for_a_writer(backend: TestBackend) {
    let store = backend.store().await;
    let registry = registry_with_scripted(Duration::from_secs(1));
    let t = two_tenants(store.as_ref()).await;
    let (profile, _, _) = seed_plan(store.as_ref(), t.a).await;
    let writer = store.begin().await.expect("a writer holds its transaction");
    let checked = tokio::time::timeout(
        Duration::from_secs(3),
        check_new_task(store.as_ref(), &registry, &mission(t.a, profile, "x")),
    )
    .await
    .expect("the check waited for the writer");
    checked.expect("valid");
    let refused = tokio::time::timeout(
        Duration::from_secs(3),
        check_new_task(
            store.as_ref(),
            &registry,
            &mission(t.a, zora_domain::ids::ProfileId::new(), "x"),
        ),
    )
    .await
    .expect("the check waited for the writer");
    assert!(
        matches!(refused, Err(CreateError::Invalid(_))),
        "{refused:?}"
    );
    writer.rollback().await.expect("rollback");
}
