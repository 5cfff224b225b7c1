//! The conformance suite (`zora_testkit::suite`) on SQLite, a fresh database file per case.

use zora_testkit::{TestSqlite, store_suite};

async fn sqlite() -> (std::sync::Arc<dyn zora_core::Store>, TestSqlite) {
    let files = TestSqlite::new();
    (files.dyn_store().await, files)
}

store_suite!(sqlite());
