//! The store test suite (`zora_testkit::suite`) on PostgreSQL, a fresh database per case.

use zora_testkit::{Subject, TestDatabase, store_suite};

async fn postgres() -> (Subject, TestDatabase) {
    let db = TestDatabase::migrated().await;
    (Subject::postgres(db.store().await), db)
}

store_suite!(postgres());
