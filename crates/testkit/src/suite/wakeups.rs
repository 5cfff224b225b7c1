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
