//! Cases for schedules, the leader's lease row and retention: tenant-scoped reads and
//! changes, a slot taken once and only from the next slot read, a lead held until it
//! expires or is given up, and a prune that walks the table in windows and keeps the
//! parents of unfinished tasks.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use zora_core::dependency::Dependency;
use zora_core::retention::{Prune, PruneStatus};
use zora_core::schedule::{NewSchedule, ScheduleChange, SlotTaken, TaskTemplate};
use zora_core::{Completion, NewTask, ScheduleId, Store, TaskId, TenantId};

use super::{claim_for, insert_tasks, two_tenants};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a time")
        .with_timezone(&Utc)
}

fn new_schedule(tenant: TenantId, name: &str, next: &str) -> NewSchedule {
    NewSchedule {
        id: ScheduleId::new(),
        tenant_id: tenant,
        name: name.into(),
        cron: "* * * * *".into(),
        timezone: "Europe/Copenhagen".into(),
        task: TaskTemplate {
            agent_id: "SAM".into(),
            task_type: "report.scheduled".into(),
            title: "Report".into(),
            description: Some("every minute".into()),
            payload: json!({"depth": 2}),
            priority: 1,
            max_attempts: Some(3),
            requires_approval: false,
        },
        enabled: true,
        next_run_at: Some(at(next)),
        created_by_user_id: None,
    }
}

pub async fn schedules_are_tenant_scoped_and_change_as_told(store: &dyn Store) {
    let t = two_tenants(store).await;
    let new = new_schedule(t.a, "minutely", "2026-12-01T10:00:00Z");
    let stored = store.insert_schedule(&new).await.expect("insert");
    assert_eq!(
        (
            stored.name.as_str(),
            stored.cron.as_str(),
            stored.timezone.as_str()
        ),
        ("minutely", "* * * * *", "Europe/Copenhagen")
    );
    assert_eq!(stored.task, new.task, "the template round-trips");
    assert_eq!(stored.next_run_at, new.next_run_at);
    assert_eq!((stored.last_run_at, stored.last_task_id), (None, None));
    let got = store.get_schedule(t.a, new.id).await.expect("get");
    assert_eq!(got.as_ref(), Some(&stored));
    assert_eq!(store.get_schedule(t.b, new.id).await.expect("get"), None);
    assert!(store.list_schedules(t.b).await.expect("list").is_empty());
    store
        .insert_schedule(&new_schedule(t.a, "another", "2026-12-01T11:00:00Z"))
        .await
        .expect("insert");
    let names: Vec<String> = store
        .list_schedules(t.a)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["another", "minutely"], "by name");

    let renamed = ScheduleChange {
        name: Some("renamed".into()),
        ..ScheduleChange::default()
    };
    assert_eq!(
        store
            .update_schedule(t.b, new.id, &renamed)
            .await
            .expect("update"),
        None,
        "another tenant's"
    );
    let after = store
        .update_schedule(t.a, new.id, &renamed)
        .await
        .expect("update")
        .expect("there");
    assert_eq!(after.name, "renamed");
    assert_eq!(
        after.next_run_at, new.next_run_at,
        "a rename keeps the next slot"
    );
    let paused = ScheduleChange {
        enabled: Some(false),
        next_run_at: Some(None),
        ..ScheduleChange::default()
    };
    let after = store
        .update_schedule(t.a, new.id, &paused)
        .await
        .expect("update")
        .expect("there");
    assert_eq!((after.enabled, after.next_run_at), (false, None));
    assert!(
        store
            .due_schedules_all_tenants(at("2030-01-01T00:00:00Z"), 10)
            .await
            .expect("due")
            .iter()
            .all(|s| s.id != new.id),
        "a paused schedule is never due"
    );
    assert!(!store.delete_schedule(t.b, new.id).await.expect("delete"));
    assert!(store.delete_schedule(t.a, new.id).await.expect("delete"));
    assert_eq!(store.get_schedule(t.a, new.id).await.expect("get"), None);
}

async fn take(store: &dyn Store, slot: &SlotTaken, tenant: TenantId) -> bool {
    let mut tx = store.begin().await.expect("begin");
    let mut task = NewTask::new(tenant, "SAM", "report.scheduled", "Report", json!({}));
    task.id = slot.task_id;
    tx.insert_task(&task).await.expect("insert task");
    let taken = tx.take_slot(slot).await.expect("take");
    if taken {
        tx.commit().await.expect("commit");
    } else {
        tx.rollback().await.expect("rollback");
    }
    taken
}

pub async fn a_slot_is_taken_once_and_only_from_the_slot_read(store: &dyn Store) {
    let t = two_tenants(store).await;
    let new = new_schedule(t.a, "minutely", "2026-12-01T10:00:00Z");
    store.insert_schedule(&new).await.expect("insert");
    let due = store
        .due_schedules_all_tenants(at("2026-12-01T10:00:00Z"), 100)
        .await
        .expect("due");
    assert!(due.iter().any(|s| s.id == new.id));
    assert!(
        store
            .due_schedules_all_tenants(at("2026-12-01T09:59:59Z"), 100)
            .await
            .expect("due")
            .iter()
            .all(|s| s.id != new.id),
        "not due before its slot"
    );
    let slot = |expected: &str, slot: &str, next: &str| SlotTaken {
        tenant_id: t.a,
        schedule_id: new.id,
        expected: at(expected),
        slot: at(slot),
        next: at(next),
        task_id: TaskId::new(),
    };
    let first = slot(
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:01:00Z",
    );
    assert!(take(store, &first, t.a).await);
    let after = store
        .get_schedule(t.a, new.id)
        .await
        .expect("get")
        .expect("there");
    assert_eq!(after.next_run_at, Some(at("2026-12-01T10:01:00Z")));
    assert_eq!(after.last_run_at, Some(at("2026-12-01T10:00:00Z")));
    assert_eq!(after.last_task_id, Some(first.task_id));
    // A second leader that read the same next slot: refused, its task rolled back.
    let again = slot(
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:01:00Z",
    );
    assert!(!take(store, &again, t.a).await);
    assert_eq!(store.get_task(t.a, again.task_id).await.expect("get"), None);
    // The next slot read, but the slot recorded already: the unique key refuses it.
    let recorded = slot(
        "2026-12-01T10:01:00Z",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:02:00Z",
    );
    assert!(!take(store, &recorded, t.a).await);
    let other_tenant = SlotTaken {
        tenant_id: t.b,
        ..slot(
            "2026-12-01T10:01:00Z",
            "2026-12-01T10:01:00Z",
            "2026-12-01T10:02:00Z",
        )
    };
    assert!(
        !take(store, &other_tenant, t.b).await,
        "another tenant's schedule"
    );
    let after = store
        .get_schedule(t.a, new.id)
        .await
        .expect("get")
        .expect("there");
    assert_eq!(
        after.next_run_at,
        Some(at("2026-12-01T10:01:00Z")),
        "unmoved"
    );
}

pub async fn one_holder_leads_until_its_lease_expires_or_it_resigns(store: &dyn Store) {
    let role = format!("test-{}", TaskId::new());
    let short = Duration::from_millis(300);
    assert!(store.lead(&role, "a", short).await.expect("lead"));
    assert!(
        !store.lead(&role, "b", short).await.expect("lead"),
        "a leads"
    );
    assert!(store.lead(&role, "a", short).await.expect("renew"));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(
        store.lead(&role, "b", short).await.expect("lead"),
        "a's lease expired"
    );
    assert!(!store.lead(&role, "a", short).await.expect("lead"));
    store
        .resign(&role, "a")
        .await
        .expect("resign: not the holder, nothing");
    assert!(!store.lead(&role, "a", short).await.expect("lead"));
    store.resign(&role, "b").await.expect("resign");
    assert!(
        store.lead(&role, "a", short).await.expect("lead"),
        "at once after resigning"
    );
    let now = store.database_now().await.expect("now");
    assert!(
        (Utc::now() - now).num_seconds().abs() < 60,
        "the database clock is sane"
    );
}

pub async fn a_prune_walks_windows_and_keeps_parents_of_unfinished_tasks(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = "report.pruned";
    let tasks: Vec<NewTask> = (0..7)
        .map(|i| NewTask::new(t.a, "SAM", kind, format!("t{i}"), json!({})))
        .chain([NewTask::new(t.b, "SAM", kind, "other tenant's", json!({}))])
        .collect();
    let stored = insert_tasks(store, &tasks).await;
    // Finish all of them; then a pending child of the first.
    for tenant in [t.a, t.b] {
        let claimed = store
            .claim_tasks(&claim_for(tenant, &[kind], 10, "pruner"))
            .await
            .expect("claim");
        let mut tx = store.begin().await.expect("begin");
        let done: Vec<Completion> = claimed
            .iter()
            .map(|task| Completion {
                lease: task.lease().expect("lease"),
                result: json!({}),
                summary: "done".into(),
            })
            .collect();
        tx.complete_tasks(&done).await.expect("complete");
        tx.commit().await.expect("commit");
    }
    let mut child = NewTask::new(t.a, "SAM", "report.waiting", "child", json!({}));
    child.depends_on = vec![Dependency {
        task_id: stored[0].id,
        ..Dependency::default()
    }];
    insert_tasks(store, &[child.clone()]).await;
    tokio::time::sleep(Duration::from_millis(20)).await;

    let prune = Prune {
        older_than: Duration::from_millis(5),
        status: PruneStatus::All,
        window: 3,
    };
    let walk = async |dry_run: bool| {
        let (mut deleted, mut kept, mut windows, mut after) = (0, 0, 0, None);
        loop {
            let batch = store
                .prune_finished_tasks_all_tenants(&prune, after, dry_run)
                .await
                .expect("prune");
            windows += 1;
            deleted += batch.deleted;
            kept += batch.kept_as_parents;
            match batch.next_after {
                Some(next) => after = Some(next),
                None => return (deleted, kept, windows),
            }
        }
    };
    let (would, kept, windows) = walk(true).await;
    assert_eq!(
        (would, kept),
        (7, 1),
        "every finished task but the parent, all tenants'"
    );
    assert!(windows >= 3, "windows of 3 rows: {windows}");
    assert!(
        store
            .get_task(t.a, stored[1].id)
            .await
            .expect("get")
            .is_some(),
        "dry"
    );
    let failed_only = Prune {
        status: PruneStatus::Failed,
        ..prune
    };
    let none = store
        .prune_finished_tasks_all_tenants(&failed_only, None, false)
        .await
        .expect("prune");
    assert_eq!(none.deleted, 0, "none failed");
    let (deleted, kept, _) = walk(false).await;
    assert_eq!((deleted, kept), (7, 1));
    assert!(
        store
            .get_task(t.a, stored[0].id)
            .await
            .expect("get")
            .is_some(),
        "the parent"
    );
    assert!(
        store.get_task(t.a, child.id).await.expect("get").is_some(),
        "the child"
    );
    for gone in &stored[1..] {
        assert_eq!(
            store.get_task(gone.tenant_id, gone.id).await.expect("get"),
            None
        );
    }
}
