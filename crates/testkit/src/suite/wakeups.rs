//! Cases for the store's word that tasks became runnable.

use std::time::Duration;

use chrono::Utc;
use zora_core::{Failure, FailureKind, Store, TaskId, TaskWakeups};

use super::{claim_for, insert_tasks, task, two_tenants};

/// The next word, within a few seconds.
async fn word(wakeups: &mut Box<dyn TaskWakeups>, what: &str) -> Vec<Duration> {
    tokio::time::timeout(Duration::from_secs(5), wakeups.next())
        .await
        .unwrap_or_else(|_| panic!("no word of {what}"))
        .expect("the store keeps its subscriptions open")
}

fn near(due: &[Duration], want: Duration) -> bool {
    due.iter()
        .any(|d| *d <= want && *d + Duration::from_secs(5) > want)
}

pub async fn wakeups_say_when_tasks_become_runnable(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let mut wakeups = store.subscribe_wakeups().await.expect("subscribe");
    let mut second = store
        .subscribe_wakeups()
        .await
        .expect("a second subscriber");

    // An insert of a task due now: "now", to every subscriber.
    let due = task(t.a, &kind, "due now");
    insert_tasks(store, std::slice::from_ref(&due)).await;
    assert!(
        word(&mut wakeups, "an insert")
            .await
            .contains(&Duration::ZERO)
    );
    assert!(
        word(&mut second, "an insert")
            .await
            .contains(&Duration::ZERO)
    );

    // An insert of a later task: when it is due.
    let mut later = task(t.a, &kind, "in a minute");
    later.run_at = Some(Utc::now() + chrono::Duration::seconds(60));
    insert_tasks(store, std::slice::from_ref(&later)).await;
    let heard = word(&mut wakeups, "a later insert").await;
    assert!(near(&heard, Duration::from_secs(60)), "{heard:?}");

    // A retry: when its backoff ends.
    let claimed = store
        .claim_tasks(&claim_for(t.a, &[kind.as_str()], 10, "worker-1"))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let mut tx = store.begin().await.expect("begin");
    tx.fail_tasks(&[Failure {
        lease: claimed[0].lease().expect("lease"),
        kind: FailureKind::Transient,
        message: "connection lost".into(),
        retry_in: Some(Duration::from_secs(30)),
    }])
    .await
    .expect("fail");
    tx.commit().await.expect("commit");
    let heard = word(&mut wakeups, "a retry").await;
    assert!(near(&heard, Duration::from_secs(30)), "{heard:?}");

    // Made due at once (the run route): now.
    let mut tx = store.begin().await.expect("begin");
    let made_due = tx.make_task_due(t.a, later.id).await.expect("make due");
    assert!(made_due.is_some());
    tx.commit().await.expect("commit");
    assert!(
        word(&mut wakeups, "a task made due")
            .await
            .contains(&Duration::ZERO)
    );

    // Nothing is said of a transaction that rolls back.
    let mut tx = store.begin().await.expect("begin");
    tx.insert_task(&task(t.b, &kind, "rolled back"))
        .await
        .expect("insert");
    tx.rollback().await.expect("rollback");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), wakeups.next())
            .await
            .is_err(),
        "a rolled-back insert wakes no one"
    );
}

/// Whether `watch` gives word within `within`.
async fn told(watch: &mut Box<dyn zora_core::FinishWatch>, within: Duration) -> bool {
    tokio::time::timeout(within, watch.next()).await.is_ok()
}

/// A watch of a task is told when it completes, fails for good or is rescued to failed;
/// not when it is claimed or sent back for a retry, nor when another task finishes.
pub async fn a_watch_is_told_when_its_task_finishes(store: &dyn Store) {
    let t = two_tenants(store).await;
    let kind = format!("kind.{}", TaskId::new());
    let [completes, retries, rescued, other] =
        ["completes", "retries then fails", "rescued", "other"]
            .map(|title| task(t.a, &kind, title));
    let mut last_try = retries.clone();
    last_try.max_attempts = Some(2);
    let mut rescued = rescued;
    rescued.max_attempts = Some(1);
    insert_tasks(
        store,
        &[
            completes.clone(),
            last_try.clone(),
            rescued.clone(),
            other.clone(),
        ],
    )
    .await;
    let watch = |id| async move {
        store
            .watch_finish(id)
            .await
            .expect("watch")
            .expect("this store tells of finishes")
    };
    let (mut on_completes, mut on_retries, mut on_rescued) = (
        watch(completes.id).await,
        watch(last_try.id).await,
        watch(rescued.id).await,
    );
    let short = Duration::from_millis(300);

    let claimed = store
        .claim_tasks(&claim_for(t.a, &[kind.as_str()], 10, "w"))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 4);
    let lease_of = |id: TaskId| {
        claimed
            .iter()
            .find(|c| c.id == id)
            .and_then(zora_core::Task::lease)
            .expect("claimed")
    };
    assert!(
        !told(&mut on_completes, short).await,
        "a claim is no finish"
    );

    let mut tx = store.begin().await.expect("begin");
    tx.complete_tasks(&[zora_core::Completion {
        lease: lease_of(other.id),
        result: serde_json::json!({}),
        summary: "other".into(),
    }])
    .await
    .expect("complete other");
    tx.fail_tasks(&[Failure {
        lease: lease_of(last_try.id),
        kind: FailureKind::Transient,
        message: "again".into(),
        retry_in: Some(Duration::ZERO),
    }])
    .await
    .expect("retry");
    tx.commit().await.expect("commit");
    assert!(
        !told(&mut on_completes, short).await,
        "another task's finish"
    );
    assert!(!told(&mut on_retries, short).await, "a retry is no finish");

    let mut tx = store.begin().await.expect("begin");
    tx.complete_tasks(&[zora_core::Completion {
        lease: lease_of(completes.id),
        result: serde_json::json!({}),
        summary: "done".into(),
    }])
    .await
    .expect("complete");
    tx.commit().await.expect("commit");
    assert!(
        told(&mut on_completes, Duration::from_secs(5)).await,
        "completed"
    );

    let again = store
        .claim_tasks(&claim_for(t.a, &[kind.as_str()], 10, "w2"))
        .await
        .expect("claim the retry");
    let lease = again
        .iter()
        .find(|c| c.id == last_try.id)
        .and_then(zora_core::Task::lease)
        .expect("claimed again");
    let mut tx = store.begin().await.expect("begin");
    tx.fail_tasks(&[Failure {
        lease,
        kind: FailureKind::Permanent,
        message: "for good".into(),
        retry_in: None,
    }])
    .await
    .expect("fail");
    tx.commit().await.expect("commit");
    assert!(
        told(&mut on_retries, Duration::from_secs(5)).await,
        "failed for good"
    );

    // The rescued task's lease: expired at once by a zero-length re-lease.
    let mut tx = store.begin().await.expect("begin");
    tx.release_tasks(&[lease_of(rescued.id)])
        .await
        .expect("release");
    tx.commit().await.expect("commit");
    let mut dead = claim_for(t.a, &[kind.as_str()], 10, "dead");
    dead.lease_duration = Duration::ZERO;
    let held = store.claim_tasks(&dead).await.expect("claim");
    assert!(held.iter().any(|c| c.id == rescued.id));
    tokio::time::sleep(Duration::from_millis(20)).await;
    store
        .rescue_expired_leases_all_tenants(
            zora_core::RescuePolicy {
                max_lost_attempts: 1,
            },
            100,
        )
        .await
        .expect("rescue");
    assert!(
        told(&mut on_rescued, Duration::from_secs(5)).await,
        "rescued to failed"
    );
}
