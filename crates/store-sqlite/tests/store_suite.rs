//! The conformance suite (`zora_testkit::suite`) on SQLite, a fresh database file per case.

use zora_testkit::{Subject, TestSqlite, store_suite};

async fn sqlite() -> (Subject, TestSqlite) {
    let files = TestSqlite::new();
    (Subject::sqlite(files.store().await), files)
}

store_suite!(sqlite());
