//! What opening a SQLite database can fail with ([`SqliteError`]), and sqlx's SQLite
//! errors mapped to the core's [`StoreError`].

use thiserror::Error;
use zora_core::StoreError;

/// What opening a SQLite database can fail with, in one line.
#[derive(Debug, Error)]
pub enum SqliteError {
    /// The URL did not parse, or names an in-memory database.
    #[error("DATABASE_URL is not a usable SQLite URL: {0}")]
    InvalidUrl(String),
    /// The file could not be opened or created.
    #[error("cannot open the SQLite database {path}: {reason}")]
    Open {
        /// The file.
        path: String,
        /// Why, in one line.
        reason: String,
    },
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) use zora_store_sql::sqlite::store_error;
