//! The store's sessions run without PostgreSQL's JIT: compiling the fair-share claim cost
//! some 20 ms above 64 tasks a batch, ten times the claim itself (see `tx::NO_JIT`).

use zora_testkit::TestDatabase;

#[tokio::test]
async fn a_directly_connected_store_runs_without_jit() {
    let db = TestDatabase::migrated().await;
    let store = db.store().await;
    let server: String = sqlx::query_scalar("SHOW jit")
        .fetch_one(db.pool())
        .await
        .expect("the server's setting");
    let mut conn = store.pool().acquire().await.expect("a store connection");
    let session: String = sqlx::query_scalar("SHOW jit")
        .fetch_one(&mut *conn)
        .await
        .expect("the store's setting");
    assert_eq!(session, "off", "the server says {server}");
}
