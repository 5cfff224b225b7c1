//! The PostgreSQL store: the queue's embedded migrations, which apply to an empty database
//! and to a live ZORA CORE one (and the domains' migrations it is given, after them), and
//! the queries behind [`zora_core::Store`] and [`zora_core::StoreTx`]: each module
//! (`tasks`, `dependencies`, `journal`, `commands`, `tenants`, `workers`, ...) holds its
//! queries and its part of the traits.
//!
//! The queue's SQL lives here and only here: one named query per store method, every
//! query made for a tenant filtered by `tenant_id`, the system-wide ones named so. A
//! domain's SQL is the domain's own.

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
pub mod migrate;
mod retention;
mod rows;
mod schedules;
mod scratch;
mod session;
mod sql;
mod store;
mod tasks;
mod tenants;
mod tx;
mod usage;
mod waiters;
mod wakeups;
mod workers;

pub use connect::{PgStoreOptions, connect};
pub use error::PgError;
pub use migrate::{
    MigrationReport, MigrationStep, QUEUE_MIGRATIONS, migrate, migrate_with_progress,
    migration_labels, schema_state,
};
pub use scratch::{create_database, drop_database, url_with_database};
pub use store::PgStore;
pub use tasks::{claim_locked_sql, claim_sql};
