//! Maps sqlx's errors to the core's [`StoreError`], and this crate's own error type.

use sqlx::error::DatabaseError;
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

/// Classifies a sqlx error by SQLSTATE, so callers decide on retries and status codes
/// without matching on message text.
pub(crate) fn store_error(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => database_error(db.as_ref()),
        sqlx::Error::Io(e) => StoreError::Transient(format!("connection lost: {e}")),
        sqlx::Error::PoolTimedOut => {
            StoreError::Transient("no database connection became free in time".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        sqlx::Error::Protocol(e) => StoreError::Transient(format!("protocol error: {e}")),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("TLS error: {e}")),
        other => StoreError::Other(other.to_string()),
    }
}

fn database_error(db: &dyn DatabaseError) -> StoreError {
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let constraint = db.constraint().unwrap_or("unnamed constraint").to_owned();
    match code.as_str() {
        "23505" => StoreError::Conflict { constraint },
        "23503" => StoreError::MissingReference { constraint },
        "23514" | "23502" | "22P02" | "22001" | "22003" | "22007" | "22008" | "22023" => {
            StoreError::InvalidValue {
                detail: db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned()),
            }
        }
        // serialization_failure, deadlock_detected, lock_not_available, query_canceled
        // (statement_timeout), idle_in_transaction_session_timeout, admin/crash shutdown,
        // too_many_connections, and the connection_exception class.
        "40001" | "40P01" | "55P03" | "57014" | "25P03" | "57P01" | "57P02" | "57P03" | "53300" => {
            StoreError::Transient(format!("{} (SQLSTATE {code})", db.message()))
        }
        c if c.starts_with("08") => {
            StoreError::Transient(format!("{} (SQLSTATE {code})", db.message()))
        }
        "42P01" | "42703" | "42704" | "42883" => StoreError::Schema(format!(
            "the database schema is not what this binary needs ({}): run `zora migrate`",
            db.message()
        )),
        _ => StoreError::Other(format!("{} (SQLSTATE {code})", db.message())),
    }
}
