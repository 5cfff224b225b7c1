//! What opening a SQLite database can fail with ([`SqliteError`]), and sqlx's SQLite
//! errors mapped to the core's [`StoreError`].

use sqlx::error::ErrorKind;
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

/// SQLite's primary result codes that mean "try again": `SQLITE_BUSY`, `SQLITE_LOCKED`.
const BUSY: i64 = 5;
const LOCKED: i64 = 6;

/// Classifies a sqlx error by SQLite's constraint kind and result code, never by text.
pub(crate) fn store_error(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            match db.kind() {
                ErrorKind::UniqueViolation => StoreError::Conflict {
                    constraint: message,
                },
                ErrorKind::ForeignKeyViolation => StoreError::MissingReference {
                    constraint: message,
                },
                ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                    StoreError::InvalidValue { detail: message }
                }
                _ => {
                    let code: i64 = db.code().and_then(|c| c.parse().ok()).unwrap_or_default();
                    match code & 0xff {
                        BUSY | LOCKED => {
                            StoreError::Transient(format!("database is busy: {message}"))
                        }
                        _ if message.starts_with("no such table")
                            || message.starts_with("no such column") =>
                        {
                            StoreError::Schema(format!(
                                "the database schema is not what this binary needs ({message})"
                            ))
                        }
                        _ => StoreError::Other(format!("{message} (SQLite code {code})")),
                    }
                }
            }
        }
        sqlx::Error::Io(e) => StoreError::Transient(format!("I/O error: {e}")),
        sqlx::Error::PoolTimedOut => {
            StoreError::Transient("no database connection became free in time".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        other => StoreError::Other(other.to_string()),
    }
}
