//! What the SQL stores share: the row mappers, written once over [`Columns`] (each store
//! says how its rows hold uuids, timestamps and JSON), and the embedded-migrations source
//! for sqlx's migrator.

mod columns;
pub mod mappers;
mod migrations;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use columns::Columns;
pub use migrations::{EmbeddedMigrations, MigrationFile, label};
