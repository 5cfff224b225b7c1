//! The store traits: everything the executor, the API and the workers need from storage,
//! in one trait per part. [`Queue`] and [`QueueTx`] cover `agent_tasks` and the engine's
//! own tables; each domain (climate, shop, journal, commands, tenants) has its own
//! transaction trait in its module, next to its rows; [`TxControl`] is the transaction's
//! own commit, rollback and savepoints. Schedules have [`ScheduleStore`] and [`ScheduleTx`].
//!
//! [`Store`] and [`StoreTx`] are the unions every backend provides, with nothing of their
//! own: implementing the parts is implementing them. A handler reads and writes through
//! `&mut dyn StoreTx` and names the domain it uses by importing its trait. A new domain
//! is one trait in its module and one line in each union below; a new method is one line
//! in its domain's trait and one implementation per store, in that store's domain module.

use async_trait::async_trait;

pub use crate::climate::ClimateTx;
pub use crate::command::{CommandStore, CommandTx};
pub use crate::insight::InsightTx;
pub use crate::journal::JournalTx;
pub use crate::schedule::{ScheduleStore, ScheduleTx};
pub use crate::shop::ShopTx;
pub use crate::tenant::TenantTx;

mod control;
mod queue;

pub use control::{TxControl, TxLimits};
pub use queue::{Queue, QueueTx};

/// A storage backend: PostgreSQL in production, SQLite as the zero-setup default.
pub trait Store: Queue + CommandStore + ScheduleStore {}

impl<S: Queue + CommandStore + ScheduleStore> Store for S {}

/// One open transaction, every part of it. Dropped without [`TxControl::commit`], it
/// rolls back.
pub trait StoreTx:
    TxControl + QueueTx + ClimateTx + ShopTx + JournalTx + CommandTx + TenantTx + ScheduleTx + InsightTx
{
}

impl<
    T: TxControl
        + QueueTx
        + ClimateTx
        + ShopTx
        + JournalTx
        + CommandTx
        + TenantTx
        + ScheduleTx
        + InsightTx,
> StoreTx for T
{
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
