//! Test support: a fresh PostgreSQL database or SQLite file per test, ZORA CORE fixtures,
//! catalog snapshots for schema comparisons, and the conformance suite every store runs.

pub mod backend;
pub mod catalog;
pub mod fixtures;
pub mod metrics;
pub mod pg;
pub mod provider;
pub mod scripted;
pub mod sqlite;
pub mod suite;

pub use backend::TestBackend;
pub use pg::TestDatabase;
pub use sqlite::TestSqlite;
