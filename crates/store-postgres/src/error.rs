//! Maps sqlx's errors to the core's [`StoreError`], and this crate's own error type.

use thiserror::Error;
use zora_core::StoreError;

/// What connecting to or migrating a PostgreSQL database can fail with. Each message is
/// one line an operator can act on, without SQL or driver internals.
#[derive(Debug, Error)]
pub enum PgError {
    /// The URL did not parse.
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    /// The server could not be reached or refused us.
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect {
        /// `host:port/database`, never the password.
        target: String,
        /// Why, in one line.
        reason: String,
        /// Whether the server did not answer (down, restarting, starting up) rather than
        /// refused us: worth trying again in a moment.
        unreachable: bool,
    },
    /// A migration failed; the message names the migration and the cause.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PgError {
    /// Whether connecting failed because the server did not answer (down, restarting,
    /// starting up): a moment later it may.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Connect {
                unreachable: true,
                ..
            }
        )
    }
}

pub(crate) use zora_store_sql::postgres::store_error;
