//! What the SQL stores share, and what a domain's own SQL runs on: the row mappers,
//! written once over [`Columns`] (each store says how its rows hold uuids, timestamps and
//! JSON), each backend's statements and error classification ([`postgres`], [`sqlite`]),
//! a transaction's connection opened for a domain ([`Sql`]), a task's savepoint
//! bookkeeping ([`TaskPart`]), the wake-up and finish hubs of a store without `LISTEN`,
//! and the embedded-migrations source for sqlx's migrator.

pub mod bench;
mod columns;
mod finishes;
pub mod mappers;
mod migrations;
#[cfg(feature = "postgres")]
pub mod postgres;
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod task_part;
pub mod wakeups;

pub use async_trait::async_trait;
pub use columns::{Columns, decode_error};
pub use finishes::{FinishHub, HubWatch};
pub use migrations::{
    DOMAIN_VERSIONS, EmbeddedMigrations, IndexDef, MigrationFile, MigrationSet, Superseded, index,
    label, unique,
};
pub use sql::Sql;
pub use task_part::{CannotUndo, RELEASE_SAVEPOINT, ROLLBACK_TO_SAVEPOINT, SAVEPOINT, TaskPart};
pub use wakeups::WakeupHub;

/// ZORA CORE's queue order, the claim's and the listing's by default (the task table
/// aliased `t`).
pub const QUEUE_ORDER: &str = "t.priority DESC, t.created_at ASC, t.id ASC";

/// The `ORDER BY` of a task listing (the task table aliased `t`), the same on both stores;
/// ties are broken by `id`, so pages never overlap.
pub fn list_order(order: zora_core::TaskOrder) -> &'static str {
    match order {
        zora_core::TaskOrder::Queue => QUEUE_ORDER,
        zora_core::TaskOrder::Newest => "t.created_at DESC, t.id DESC",
        zora_core::TaskOrder::Oldest => "t.created_at ASC, t.id ASC",
    }
}

/// The `error_message` of a task failed for the attempts it lost to expired leases
/// (`zora_core::RescuePolicy`): a `format`/`printf` pattern of the count and the last
/// lease's lapse, the same on both stores.
pub const LOST_TOO_OFTEN: &str = "Lease expired %s times, the most a task may lose \
    (it may be stopping its worker); last: %s";
