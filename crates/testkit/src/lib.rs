//! Test support: a fresh PostgreSQL database per test, ZORA CORE fixtures, catalog
//! snapshots for schema comparisons, and the store test suite every store runs.

pub mod catalog;
pub mod fixtures;
pub mod pg;
pub mod suite;

pub use pg::TestDatabase;
