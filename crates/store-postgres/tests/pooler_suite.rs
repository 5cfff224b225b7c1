//! The store test suite through a transaction-mode PgBouncer (`scripts/pgbouncer-up`),
//! with the store opened as behind a pooler: no statement kept between transactions, no
//! startup parameter PgBouncer refuses, every method outside a transaction in one of its
//! own. Every case but the LISTEN one, which a transaction-mode pooler cannot carry: there
//! the store refuses to subscribe.

use zora_testkit::{TestDatabase, store_suite};

async fn through_pgbouncer() -> (std::sync::Arc<dyn zora_core::Store>, TestDatabase) {
    let db = TestDatabase::migrated().await;
    let store = db.store_behind_pooler().await;
    (std::sync::Arc::new(store), db)
}

store_suite!(behind_pooler: through_pgbouncer());

#[tokio::test]
async fn listen_is_refused_behind_a_pooler_with_the_way_out() {
    let (store, _db) = through_pgbouncer().await;
    let Err(err) = store.subscribe_wakeups().await else {
        panic!("LISTEN behind a transaction-mode pooler must be refused");
    };
    assert!(err.to_string().contains("--no-listen"), "{err}");
}

#[tokio::test]
async fn a_finish_watch_is_none_behind_a_pooler() {
    let (store, _db) = through_pgbouncer().await;
    let watch = store
        .watch_finish(zora_core::DEFAULT_TENANT_ID, zora_core::TaskId::new())
        .await
        .expect("no error: waiters poll instead");
    assert!(watch.is_none());
}
