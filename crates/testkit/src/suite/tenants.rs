//! Suite cases of the tenant lookup and of read-only transactions.

use zora_core::{Store, TenantId};

use super::{insert_tasks, task, two_tenants};
use zora_domain::climate::store as climate_store;

pub async fn a_tenant_exists_only_with_its_row(store: &dyn Store) {
    let t = two_tenants(store).await;
    assert!(store.tenant_exists(t.a).await.expect("lookup"));
    assert!(store.tenant_exists(t.b).await.expect("lookup"));
    assert!(!store.tenant_exists(TenantId::new()).await.expect("lookup"));
}

/// A read transaction sees the committed rows and refuses every write.
pub async fn a_read_transaction_reads_and_refuses_writes(store: &dyn Store) {
    let t = two_tenants(store).await;
    insert_tasks(store, &[task(t.a, "kind.read", "seen")]).await;
    let mut tx = store.begin_read().await.expect("begin read");
    assert!(
        climate_store::profiles(&mut *tx, t.a, &[zora_domain::ids::ProfileId::new()])
            .await
            .expect("a read")
            .is_empty()
    );
    // The type offers no write; a write a domain's SQL tries on its connection fails.
    let delete = "DELETE FROM agent_tasks";
    let write = match zora_store_sql::Sql::open(tx.reader()).expect("a backend's connection") {
        zora_store_sql::Sql::Postgres(mut db) => {
            use zora_store_sql::postgres::Db;
            sqlx::query(delete).execute(db.conn()).await.map(drop)
        }
        zora_store_sql::Sql::Sqlite(conn) => sqlx::query(delete).execute(conn).await.map(drop),
    };
    assert!(write.is_err(), "a read-only transaction cannot write");
    drop(tx);
    let listed = store
        .list_tasks(
            t.a,
            &zora_core::TaskFilter::default(),
            zora_core::Page::new(10, 0),
        )
        .await
        .expect("list");
    assert_eq!(
        listed.total, 1,
        "nothing written through the read transaction"
    );
}
