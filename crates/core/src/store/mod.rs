//! The store traits: everything the executor, the API and the workers need from storage,
//! in one trait per part. [`Queue`] and [`QueueTx`] cover `agent_tasks` and the engine's
//! own tables; the journal, commands, tenants and schedules each have their transaction
//! trait in their module, next to their rows; [`TxControl`] is the transaction's own
//! commit, rollback and savepoints. Schedules have [`ScheduleStore`] and [`ScheduleTx`].
//!
//! [`Store`] and [`StoreTx`] are the unions every backend provides, with nothing of their
//! own: implementing the parts is implementing them. A handler sees less: [`HandlerTx`],
//! the journal, the queue's reports, and the transaction's [`Connection`] on which its
//! domain runs its own SQL; its batch read sees only a [`ReadTx`]. No table of a domain is named here or in a store.

use async_trait::async_trait;

use crate::error::StoreError;

pub use crate::command::{CommandStore, CommandTx};
pub use crate::external::ExternalTypeStore;
pub use crate::insight::InsightTx;
pub use crate::journal::JournalTx;
pub use crate::schedule::{ScheduleStore, ScheduleTx};
pub use crate::usage::{UsageStore, UsageTx};

mod connection;
mod control;
mod queue;

pub use connection::Connection;
pub use control::{TxControl, TxLimits};
pub use queue::{Queue, QueueTx};

/// A storage backend: PostgreSQL in production, SQLite as the zero-setup default.
pub trait Store: Queue + CommandStore + ScheduleStore + ExternalTypeStore + UsageStore {}

impl<S: Queue + CommandStore + ScheduleStore + ExternalTypeStore + UsageStore> Store for S {}

/// One open transaction, every part of it. Dropped without [`TxControl::commit`], it
/// rolls back.
pub trait StoreTx: TxControl + QueueTx + HandlerTx + CommandTx + ScheduleTx + UsageTx {}

impl<T: TxControl + QueueTx + HandlerTx + CommandTx + ScheduleTx + UsageTx> StoreTx for T {}

/// A transaction that only reads: the queue's reports ([`InsightTx`]) and the
/// transaction's connection for a domain's own reads. A handler's batch read (`load`)
/// gets one; so does create-time validation, on a transaction the database also holds
/// to reading ([`Queue::begin_read`]). Dropping it ends it.
pub trait ReadTx: InsightTx + Send {
    /// The connection a domain's reads run on.
    fn reader(&mut self) -> Connection<'_>;
}

/// What a task's handler may touch in the batch transaction: what a [`ReadTx`] reads,
/// the journal, and the transaction's connection for its domain's own writes. Not the
/// queue's writes, nor the transaction's commit: those are the engine's.
#[async_trait]
pub trait HandlerTx: ReadTx + JournalTx + Send {
    /// The connection a domain's writes run on: if this is the first write of a task's
    /// undoable part, its savepoint is taken first (see [`TxControl::begin_task`]).
    async fn writer(&mut self) -> Result<Connection<'_>, StoreError>;
}

/// Where a database's schema stands against the migrations this binary embeds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaState {
    /// Embedded migrations not yet applied (version and description).
    pub pending: Vec<String>,
    /// Applied migrations this binary does not know: the schema is newer than it.
    pub unknown_applied: Vec<i64>,
}

impl SchemaState {
    /// Whether every embedded migration is applied.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Word from the store that tasks became runnable (inserted, retried, released, made due),
/// for a worker waiting for work: PostgreSQL's `LISTEN`, SQLite's in-process notifier.
#[async_trait]
pub trait TaskWakeups: Send {
    /// Waits for the next word and returns when the tasks it names are due, soonest first
    /// (zero: now), with everything that arrived meanwhile; `None` once no more can come.
    /// Cancel-safe: dropping the future loses nothing.
    async fn next(&mut self) -> Option<Vec<std::time::Duration>>;
}

/// Word that a watched task finished (completed, or failed for good), for someone waiting
/// on its outcome: PostgreSQL's `LISTEN`, SQLite's in-process notifier.
#[async_trait]
pub trait FinishWatch: Send {
    /// Resolves at word that the task may have finished; the caller reads it to see.
    /// Cancel-safe: dropping the future loses nothing.
    async fn next(&mut self);
}
