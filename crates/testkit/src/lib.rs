//! Test support: a fresh PostgreSQL database or SQLite file per test, ZORA CORE fixtures,
//! catalog snapshots for schema comparisons, the reads only tests make ([`Inspector`]),
//! and the conformance suite every store runs.

pub mod backend;
pub mod browser;
pub mod catalog;
pub mod fixtures;
pub mod fuzz;
pub mod inspect;
pub mod metrics;
pub mod pg;
pub mod provider;
pub mod runs;
pub mod scripted;
pub mod sqlite;
pub mod suite;
mod tenants;

pub use backend::TestBackend;
pub use inspect::{Inspector, Subject};
pub use pg::TestDatabase;
pub use sqlite::TestSqlite;
pub use tenants::insert_tenant;
