//! The store test suite (`zora_testkit::suite`) on PostgreSQL, a fresh database per case.

use zora_testkit::{TestDatabase, store_suite};

async fn postgres() -> (std::sync::Arc<dyn zora_core::Store>, TestDatabase) {
    let db = TestDatabase::migrated().await;
    (db.dyn_store().await, db)
}

store_suite!(postgres());
