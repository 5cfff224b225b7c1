//! [`TxControl`]: a transaction's own commit, rollback, limits, and each task's part.

use async_trait::async_trait;

use crate::error::StoreError;

/// Limits on one transaction, so that a slow statement or a stalled worker cannot hold
/// its row locks past its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLimits {
    /// The longest one statement may run, lock waits included.
    pub statement: std::time::Duration,
    /// The longest the transaction may sit idle between statements (a frozen or cut-off
    /// worker); the server then ends the session, and its locks with it.
    pub idle: std::time::Duration,
}

/// One open transaction's own controls: commit, rollback, limits, each task's part (with
/// its savepoint). Writes are visible to others only after [`TxControl::commit`].
#[async_trait]
pub trait TxControl: Send {
    /// Bounds the rest of this transaction (PostgreSQL: `SET LOCAL statement_timeout`,
    /// `lock_timeout`, `idle_in_transaction_session_timeout`); a statement over a limit
    /// fails with [`StoreError::Transient`]. SQLite has no such limits: its one writer
    /// waits at most its busy timeout, and nothing else holds locks.
    async fn limit(&mut self, limits: TxLimits) -> Result<(), StoreError>;
    /// Commits every write made through this handle.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Discards every write made through this handle.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;

    /// Starts one task's part of a batch. `undoable`: before its first write a savepoint
    /// is taken, so that [`TxControl::end_task`] can undo the task alone. Not: no
    /// savepoint is taken (two round trips saved per writing task), and a part that wrote
    /// cannot be undone; the caller then rolls the whole transaction back and reruns its
    /// tasks one by one, undoable. A task whose writes are all returned as rows (see
    /// [`crate::handler::BatchRows`]) writes nothing in its part either way.
    fn begin_task(&mut self, undoable: bool);
    /// Ends the task's part: `keep` its writes, or undo them (its savepoint, if it took
    /// one, rolled back to). Undoing a part that wrote without a savepoint fails with
    /// [`StoreError::Transient`]: the transaction must be rolled back.
    async fn end_task(&mut self, keep: bool) -> Result<(), StoreError>;
}
