//! The store test suite through a transaction-mode PgBouncer (`scripts/pgbouncer-up`),
//! with the store opened as behind a pooler: no statement kept between transactions, no
//! startup parameter PgBouncer refuses, every method outside a transaction in one of its
//! own. Every case but the LISTEN one, which a transaction-mode pooler cannot carry: there
//! the store refuses to subscribe.

use zora_testkit::{Subject, TestDatabase, store_suite};

async fn through_pgbouncer() -> (Subject, TestDatabase) {
    let db = TestDatabase::migrated().await;
    (Subject::postgres(db.store_behind_pooler().await), db)
}

store_suite!(behind_pooler: through_pgbouncer());

#[tokio::test]
async fn listen_is_refused_behind_a_pooler_with_the_way_out() {
    let (subject, _db) = through_pgbouncer().await;
    let store = subject.store();
    let Err(err) = store.subscribe_wakeups().await else {
        panic!("LISTEN behind a transaction-mode pooler must be refused");
    };
    assert!(err.to_string().contains("--no-listen"), "{err}");
}

#[tokio::test]
async fn a_finish_watch_is_none_behind_a_pooler() {
    let (subject, _db) = through_pgbouncer().await;
    let store = subject.store();
    let watch = store
        .watch_finish(zora_core::TaskId::new())
        .await
        .expect("no error: waiters poll instead");
    assert!(watch.is_none());
}

/// The pooler's server connections hold a statement another client prepared
/// (named `sqlx_s_1`, as sqlx names a client's first); a store behind the pooler must
/// still open and read its schema: it names no statement of its own (42P05 otherwise).
#[tokio::test]
async fn a_store_behind_a_pooler_prepares_nothing_another_client_could_collide_with() {
    use sqlx::{Connection, Executor};
    let db = TestDatabase::migrated().await;
    let options = db
        .pooler_url()
        .await
        .parse::<sqlx::postgres::PgConnectOptions>()
        .expect("url")
        .extra_float_digits(None);
    // Clients one after another, each leaving a prepared statement on the server
    // connection it was handed (the pooler's few, for this database of the test's own).
    for _ in 0..4 {
        let mut conn = sqlx::PgConnection::connect_with(&options)
            .await
            .expect("connect");
        conn.execute("BEGIN").await.expect("begin");
        // A later one may find the name taken already (42P05): so much the better.
        let _ = sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(&mut conn)
            .await;
        conn.execute("COMMIT").await.expect("commit");
        conn.close().await.expect("close");
    }
    for _ in 0..8 {
        let store = db.store_behind_pooler().await;
        zora_core::Queue::schema_state(&store)
            .await
            .expect("the schema read prepared nothing");
    }
}

/// The pooler setting belongs to the store opened with it: in one process, a store behind
/// the pooler prepares nothing it keeps, and a store connected directly, opened after
/// it, still keeps its statements prepared (a process-wide switch turned them off for
/// both).
#[tokio::test]
async fn a_direct_store_keeps_its_statements_beside_one_behind_a_pooler() {
    use zora_core::Queue;
    let db = TestDatabase::migrated().await;
    let behind = db.store_behind_pooler().await;
    let direct = zora_store_postgres::connect(
        db.url(),
        &zora_store_postgres::PgStoreOptions {
            max_connections: 1,
            ..zora_store_postgres::PgStoreOptions::default()
        },
    )
    .await
    .expect("connect directly");
    let (tenant, id) = (zora_core::DEFAULT_TENANT_ID, zora_core::TaskId::new());
    for _ in 0..3 {
        assert!(behind.get_task(tenant, id).await.expect("read").is_none());
        assert!(direct.get_task(tenant, id).await.expect("read").is_none());
    }
    let mut conn = direct.pool().acquire().await.expect("its one connection");
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_prepared_statements \
         WHERE statement LIKE '%FROM agent_tasks t%' AND statement NOT LIKE '%pg_prepared_statements%'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    assert!(kept >= 1, "the direct store keeps its statements prepared");
}
