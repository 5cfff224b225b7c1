//! The SQLite store: the zero-setup default. One database file in WAL mode, one writer
//! connection (every write transaction `BEGIN IMMEDIATE`) and a pool of readers, the same
//! tables and behaviour as the PostgreSQL store, migrations applied on open.
//!
//! Values are stored by the conventions `migrations/0001_schema.sql` states.

mod approvals;
pub mod bench;
mod commands;
mod connect;
mod dependencies;
mod error;
mod external_types;
mod insight;
mod inspection;
mod journal;
mod migrate;
mod retention;
mod rows;
mod schedules;
mod store;
mod tasks;
mod tenants;
mod tx;
mod usage;
mod values;
mod workers;

pub use connect::{SqliteError, SqliteStoreOptions, inspect, open};
pub use migrate::{QUEUE_MIGRATIONS, all_labels as migration_labels};
pub use store::SqliteStore;
pub use values::round2;
