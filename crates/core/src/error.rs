//! Errors of the core model: a field that failed to parse, and what a store can report.

use thiserror::Error;

/// An input value that failed to parse, naming the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ParseError {
    /// The field, as the caller spelled it (`agent_id`, `payload.profile_id`).
    pub field: String,
    /// What is wrong with it, in words an operator can act on.
    pub message: String,
}

impl ParseError {
    /// A parse error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a store operation can fail with.
///
/// The variants carry no SQL text: they are safe to show to an operator, and the
/// executor decides from [`StoreError::is_transient`] whether a task is retried.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint or index refused the write (`constraint` names it).
    #[error("conflicts with an existing row ({constraint})")]
    Conflict {
        /// The constraint or index that refused the write.
        constraint: String,
    },
    /// A foreign key refused the write: a referenced row is missing.
    #[error("a referenced row does not exist ({constraint})")]
    MissingReference {
        /// The foreign key that refused the write.
        constraint: String,
    },
    /// A CHECK or NOT NULL constraint, or a value the column type refuses.
    #[error("a value was refused by the database ({detail})")]
    InvalidValue {
        /// The constraint, column or type that refused it.
        detail: String,
    },
    /// A failure that may pass on its own: a lost connection, a serialization failure,
    /// a deadlock, a lock or statement timeout, a pool that had no connection to give.
    #[error("transient database failure: {0}")]
    Transient(String),
    /// The schema is not what this binary needs (migrations pending, a table of another
    /// shape); the message says what to do.
    #[error("{0}")]
    Schema(String),
    /// The database could not be reached or refused the connection.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else; the message is safe to log but is not shown to API clients.
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    /// Whether retrying the same operation later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_) | Self::Unavailable(_))
    }
}
