//! Transaction limits on PostgreSQL: a statement stuck behind another's row lock, and a
//! transaction left idle by a stalled worker, both end with a transient error instead of
//! holding locks past the lease.

use std::time::{Duration, Instant};

use zora_core::{Queue, StoreError, TxLimits};
use zora_testkit::TestDatabase;
use zora_testkit::suite::{claim_for, insert_tasks, task, two_tenants};

const TIGHT: TxLimits = TxLimits {
    statement: Duration::from_millis(300),
    idle: Duration::from_millis(300),
};

#[tokio::test]
async fn a_lock_wait_past_the_statement_limit_fails_transiently() {
    let db = TestDatabase::migrated().await;
    let store = db.store().await;
    let t = two_tenants(&store).await;
    insert_tasks(&store, &[task(t.a, "kind.limits", "locked")]).await;
    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.limits"], 1, "w"))
        .await
        .expect("claim");
    let lease = claimed[0].lease().expect("lease");

    let mut holder = store.begin().await.expect("begin");
    assert_eq!(
        holder
            .lock_leased_tasks(std::slice::from_ref(&lease))
            .await
            .expect("lock")
            .len(),
        1
    );
    // Limits set with the BEGIN itself, in one round trip (the executor's way).
    let mut waiter = store.begin_limited(TIGHT).await.expect("begin");
    let started = Instant::now();
    let error = waiter
        .lock_leased_tasks(std::slice::from_ref(&lease))
        .await
        .expect_err("the lock is held");
    assert!(matches!(error, StoreError::Transient(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "bounded wait");
    holder.rollback().await.expect("rollback");

    let mut unlimited = store.begin().await.expect("begin");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        unlimited
            .lock_leased_tasks(&[lease])
            .await
            .expect("the limits were local to their transaction")
            .len(),
        1
    );
    unlimited.rollback().await.expect("rollback");
}

#[tokio::test]
async fn an_idle_transaction_is_ended_by_the_server_and_its_locks_freed() {
    let db = TestDatabase::migrated().await;
    let store = db.store().await;
    let t = two_tenants(&store).await;
    insert_tasks(&store, &[task(t.a, "kind.idle", "stalled")]).await;
    let claimed = store
        .claim_tasks(&claim_for(t.a, &["kind.idle"], 1, "w"))
        .await
        .expect("claim");
    let lease = claimed[0].lease().expect("lease");

    let mut stalled = store.begin().await.expect("begin");
    stalled.limit(TIGHT).await.expect("limit");
    stalled
        .lock_leased_tasks(std::slice::from_ref(&lease))
        .await
        .expect("lock");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut next = store.begin().await.expect("begin");
    next.limit(TIGHT).await.expect("limit");
    assert_eq!(
        next.lock_leased_tasks(std::slice::from_ref(&lease))
            .await
            .expect("the stalled session's lock is gone")
            .len(),
        1
    );
    next.rollback().await.expect("rollback");
    assert!(
        stalled.commit().await.is_err(),
        "the stalled transaction cannot commit"
    );
}
