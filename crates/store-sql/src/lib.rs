//! What the SQL stores share: the row mappers, written once over [`Columns`] (each store
//! says how its rows hold uuids, timestamps and JSON), the `Store`/`StoreTx` glue
//! ([`delegate_store!`], [`delegate_store_tx!`]) that forwards each method to the store's
//! own query function, and the embedded-migrations source for sqlx's migrator.

pub mod bench;
mod columns;
mod delegate;
mod finishes;
mod held_writes;
pub mod mappers;
mod migrations;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod wakeups;

pub use async_trait::async_trait;
pub use columns::Columns;
pub use finishes::{FinishHub, HubWatch};
pub use held_writes::HeldWrites;
pub use migrations::{EmbeddedMigrations, MigrationFile, label};
pub use wakeups::WakeupHub;
