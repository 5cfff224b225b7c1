//! Periodic schedules on both stores, on a hand-driven clock: an hour of every-minute
//! slots with three processes taking part and the leader killed mid-hour (and the same
//! through PgBouncer), two processes that both think they lead, downtime, a pause, and a
//! schedule in Europe/Copenhagen across both DST changes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use zora_core::schedule::{Schedule, TaskTemplate};
use zora_core::{DEFAULT_TENANT_ID, Page, Store, TaskFilter};
use zora_engine::Registry;
use zora_engine::schedule::{
    ManualClock, ScheduleDraft, SchedulePatch, Scheduler, SchedulerSettings, create_schedule,
    enqueue_due, update_schedule,
};
use zora_testkit::{TestBackend, TestDatabase, both_stores};

/// A type no handler runs (the template is not checked), so that only enqueuing counts.
const KIND: &str = "report.scheduled";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a time")
        .with_timezone(&Utc)
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

async fn schedule(store: &dyn Store, clock: &ManualClock, cron: &str, zone: &str) -> Schedule {
    let draft = ScheduleDraft {
        name: format!("{cron} in {zone}"),
        cron: cron.into(),
        timezone: zone.into(),
        task: TaskTemplate {
            agent_id: "ORACLE".into(),
            task_type: KIND.into(),
            title: "Scheduled report".into(),
            description: None,
            payload: json!({"scope": "all"}),
            priority: 3,
            max_attempts: None,
            requires_approval: false,
        },
        enabled: true,
        created_by_user_id: None,
    };
    create_schedule(store, &Registry::default(), clock, DEFAULT_TENANT_ID, draft)
        .await
        .expect("created")
}

/// The `scheduled_for` of every task the schedules made, in order.
async fn slots(store: &dyn Store) -> Vec<String> {
    let filter = TaskFilter {
        task_type: Some(KIND.into()),
        ..TaskFilter::default()
    };
    let page = store
        .list_tasks(DEFAULT_TENANT_ID, &filter, Page::new(1000, 0))
        .await
        .expect("list");
    let mut slots: Vec<String> = page
        .items
        .iter()
        .map(|t| {
            t.payload["scheduled_for"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    slots.sort();
    slots
}

async fn wait_for_count(store: &dyn Store, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let n = slots(store).await.len();
        assert!(n <= count, "more tasks ({n}) than slots passed ({count})");
        if n == count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "slot {count} was not enqueued in time (have {n})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn every_minute_of_the_hour() -> Vec<String> {
    (0..60)
        .map(|m| format!("2026-12-01T10:{m:02}:00Z"))
        .collect()
}

/// Three schedulers on stores of their own (three processes); the first leads from the
/// start and is killed (aborted: no resignation, its lease must expire) at minute 30.
async fn an_hour_with_three_processes(stores: [Arc<dyn Store>; 3]) {
    let clock = ManualClock::at(at("2026-12-01T09:59:30Z"));
    let created = schedule(stores[0].as_ref(), &clock, "* * * * *", "UTC").await;
    assert_eq!(created.next_run_at, Some(at("2026-12-01T10:00:00Z")));
    let spawn = |store: &Arc<dyn Store>, name: &str| {
        let mut settings = SchedulerSettings::new(name);
        settings.tick = Duration::from_millis(20);
        settings.lease = Duration::from_millis(600);
        let scheduler = Scheduler::new(
            store.clone(),
            Arc::new(Registry::default()),
            Arc::new(clock.clone()),
            settings,
        );
        tokio::spawn(scheduler.run(std::future::pending()))
    };
    let first = spawn(&stores[0], "first");
    clock.set(at("2026-12-01T10:00:00Z"));
    wait_for_count(stores[0].as_ref(), 1).await;
    let others = [spawn(&stores[1], "second"), spawn(&stores[2], "third")];
    for minute in 1..60 {
        if minute == 30 {
            first.abort();
        }
        clock.set(at("2026-12-01T10:00:00Z") + minutes(minute));
        wait_for_count(stores[1].as_ref(), usize::try_from(minute).unwrap_or(0) + 1).await;
    }
    // Time for a double to show, were there one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(slots(stores[1].as_ref()).await, every_minute_of_the_hour());
    for handle in others {
        handle.abort();
    }
    let after = stores[2]
        .get_schedule(DEFAULT_TENANT_ID, created.id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(after.last_run_at, Some(at("2026-12-01T10:59:00Z")));
    assert_eq!(after.next_run_at, Some(at("2026-12-01T11:00:00Z")));
    assert!(after.last_task_id.is_some());
}

async fn an_hour_of_minutes_with_three_workers_one_killed(backend: TestBackend) {
    let stores = [
        backend.separate_store().await,
        backend.separate_store().await,
        backend.separate_store().await,
    ];
    an_hour_with_three_processes(stores).await;
}

#[tokio::test]
async fn an_hour_of_minutes_through_pgbouncer() {
    let db = TestDatabase::migrated().await;
    let stores: [Arc<dyn Store>; 3] = [
        Arc::new(db.store_behind_pooler().await),
        Arc::new(db.store_behind_pooler().await),
        Arc::new(db.store_behind_pooler().await),
    ];
    an_hour_with_three_processes(stores).await;
}

/// Forced: two processes run the leader's step at the same instants.
async fn two_leaders_at_once_insert_each_slot_once(backend: TestBackend) {
    let (a, b) = (
        backend.separate_store().await,
        backend.separate_store().await,
    );
    let clock = ManualClock::at(at("2026-12-01T09:59:30Z"));
    schedule(a.as_ref(), &clock, "* * * * *", "UTC").await;
    let registry = Registry::default();
    let mut enqueued = 0;
    for minute in 0..60 {
        let now = at("2026-12-01T10:00:00Z") + minutes(minute);
        let (one, other) = tokio::join!(
            enqueue_due(a.as_ref(), &registry, now),
            enqueue_due(b.as_ref(), &registry, now)
        );
        enqueued += one.expect("enqueue").len() + other.expect("enqueue").len();
    }
    assert_eq!(enqueued, 60);
    assert_eq!(slots(a.as_ref()).await, every_minute_of_the_hour());
}

async fn downtime_makes_one_catch_up_and_a_pause_nothing(backend: TestBackend) {
    let store = backend.store().await;
    let registry = Registry::default();
    let clock = ManualClock::at(at("2026-12-01T09:59:30Z"));
    let created = schedule(store.as_ref(), &clock, "* * * * *", "UTC").await;
    let step = async |now: &str| {
        enqueue_due(store.as_ref(), &registry, at(now))
            .await
            .expect("enqueue")
    };
    assert_eq!(step("2026-12-01T10:00:00Z").await.len(), 1);
    // Ten minutes down: one task, for the latest slot.
    let caught_up = step("2026-12-01T10:10:30Z").await;
    assert_eq!(caught_up.len(), 1);
    assert_eq!(caught_up[0].slot, at("2026-12-01T10:10:00Z"));
    assert!(caught_up[0].skipped_earlier);
    assert_eq!(
        slots(store.as_ref()).await,
        ["2026-12-01T10:00:00Z", "2026-12-01T10:10:00Z"]
    );
    let task = store
        .get_task(DEFAULT_TENANT_ID, caught_up[0].task_id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(task.run_at, at("2026-12-01T10:10:00Z"));
    assert_eq!(task.title, "Scheduled report");
    assert_eq!(task.priority, 3);
    assert_eq!(task.payload["scope"], "all");
    assert_eq!(task.payload["schedule_id"], created.id.to_string());

    // Paused: nothing, however long.
    clock.set(at("2026-12-01T10:10:40Z"));
    let pause = SchedulePatch {
        enabled: Some(false),
        ..SchedulePatch::default()
    };
    let paused = update_schedule(
        store.as_ref(),
        &registry,
        &clock,
        DEFAULT_TENANT_ID,
        created.id,
        pause,
    )
    .await
    .expect("paused");
    assert_eq!(paused.next_run_at, None);
    assert!(step("2026-12-01T11:00:00Z").await.is_empty());
    // Resumed: from the next slot on; the pause is not replayed.
    clock.set(at("2026-12-01T11:30:20Z"));
    let resume = SchedulePatch {
        enabled: Some(true),
        ..SchedulePatch::default()
    };
    let resumed = update_schedule(
        store.as_ref(),
        &registry,
        &clock,
        DEFAULT_TENANT_ID,
        created.id,
        resume,
    )
    .await
    .expect("resumed");
    assert_eq!(resumed.next_run_at, Some(at("2026-12-01T11:31:00Z")));
    assert!(step("2026-12-01T11:30:50Z").await.is_empty());
    assert_eq!(step("2026-12-01T11:31:00Z").await.len(), 1);
    assert_eq!(slots(store.as_ref()).await.len(), 3);
}

/// Steps the clock from `from` to `to` by `step`, enqueuing at each; the slots made.
async fn run_between(store: &dyn Store, from: &str, to: &str, step: i64) -> Vec<String> {
    let registry = Registry::default();
    let mut now = at(from);
    while now <= at(to) {
        enqueue_due(store, &registry, now).await.expect("enqueue");
        now += minutes(step);
    }
    slots(store).await
}

async fn copenhagen_across_the_dst_changes(backend: TestBackend) {
    let store = backend.store().await;
    // Spring (2026-03-29, 02:00 → 03:00 local): 02:30 does not exist; it runs at 03:00
    // CEST (01:00 UTC) that day, then at 02:30 CEST (00:30 UTC).
    let clock = ManualClock::at(at("2026-03-28T12:00:00Z"));
    schedule(store.as_ref(), &clock, "30 2 * * *", "Europe/Copenhagen").await;
    let spring = run_between(
        store.as_ref(),
        "2026-03-28T12:00:00Z",
        "2026-03-31T12:00:00Z",
        30,
    )
    .await;
    assert_eq!(
        spring,
        [
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:30:00Z",
            "2026-03-31T00:30:00Z"
        ]
    );
    // Autumn (2026-10-25, 03:00 → 02:00 local): a fixed time runs once, at its first pass;
    // an every-30-minutes one runs in both passes of the repeated hour.
    let autumn = TestBackend::sqlite().await;
    let store = autumn.store().await;
    let clock = ManualClock::at(at("2026-10-24T12:00:00Z"));
    schedule(store.as_ref(), &clock, "30 2 * * *", "Europe/Copenhagen").await;
    let fixed = run_between(
        store.as_ref(),
        "2026-10-24T12:00:00Z",
        "2026-10-26T12:00:00Z",
        30,
    )
    .await;
    assert_eq!(fixed, ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
    let interval = TestBackend::sqlite().await;
    let store = interval.store().await;
    let clock = ManualClock::at(at("2026-10-24T23:50:00Z"));
    schedule(store.as_ref(), &clock, "*/30 2 * * *", "Europe/Copenhagen").await;
    let both = run_between(
        store.as_ref(),
        "2026-10-24T23:50:00Z",
        "2026-10-25T02:10:00Z",
        10,
    )
    .await;
    assert_eq!(
        both,
        [
            "2026-10-25T00:00:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T01:30:00Z"
        ]
    );
}

both_stores!(
    an_hour_of_minutes_with_three_workers_one_killed,
    two_leaders_at_once_insert_each_slot_once,
    downtime_makes_one_catch_up_and_a_pause_nothing,
    copenhagen_across_the_dst_changes,
    the_leader_prunes_old_finished_tasks_on_its_own,
);

/// `--retention`: the leading scheduler prunes old finished tasks on its own, window by
/// window, and keeps the recent ones.
async fn the_leader_prunes_old_finished_tasks_on_its_own(backend: TestBackend) {
    let store = backend.store().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let task =
            zora_core::NewTask::new(DEFAULT_TENANT_ID, "SAM", KIND, format!("t{i}"), json!({}));
        let created = zora_engine::create_task(store.as_ref(), &Registry::default(), task)
            .await
            .expect("created");
        ids.push(created.into_task().id);
    }
    let quoted = |ids: &[zora_core::TaskId]| {
        ids.iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    backend
        .execute(&format!(
            "UPDATE agent_tasks SET status = 'completed', \
               completed_at = '2020-01-01T00:00:00.000Z' WHERE id IN ({})",
            quoted(&ids[..4])
        ))
        .await;
    let mut settings = SchedulerSettings::new("pruner");
    settings.tick = Duration::from_millis(20);
    settings.prune_every = Duration::from_millis(20);
    settings.retention = Some(zora_core::retention::Prune {
        older_than: Duration::from_secs(30 * 24 * 3600),
        status: zora_core::retention::PruneStatus::All,
        window: 2,
    });
    let clock = ManualClock::at(at("2026-12-01T10:00:00Z"));
    let scheduler = Scheduler::new(
        store.clone(),
        Arc::new(Registry::default()),
        Arc::new(clock),
        settings,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(scheduler.run(async move {
        let _ = stopped.await;
    }));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while slots_left(store.as_ref()).await > 1 {
        assert!(tokio::time::Instant::now() < deadline, "not pruned in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    let report = running.await.expect("stopped");
    assert_eq!(report.pruned, 4);
    assert!(
        store
            .get_task(DEFAULT_TENANT_ID, ids[4])
            .await
            .expect("get")
            .is_some(),
        "the pending one stays"
    );
}

async fn slots_left(store: &dyn Store) -> usize {
    let filter = TaskFilter {
        task_type: Some(KIND.into()),
        ..TaskFilter::default()
    };
    let page = store
        .list_tasks(DEFAULT_TENANT_ID, &filter, Page::new(100, 0))
        .await
        .expect("list");
    page.items.len()
}
