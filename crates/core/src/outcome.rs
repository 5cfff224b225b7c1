//! What a successful `apply` returns ([`Outcome`]): the task's result, summary and journal
//! entries, and the rows it produces (`R`: its handler's [`BatchRows`]), which the engine
//! hands back, with every other task's of the batch, to that type's
//! [`BatchRows::write_batch`] in the applying transaction, committed with the completions.
//!
//! A handler returns its rows instead of writing them so that a batch of tasks costs one
//! round trip per table, not one per task, and so that a task that fails leaves none
//! behind without a savepoint. Handlers whose tasks produce the same rows type share
//! that write: a batch mixing them still writes each table once. A write that must find
//! the rows as the batch read them (a plan still `proposed`, a product's metadata as it
//! was) checks it there, and a batch that finds otherwise fails the write with
//! [`StoreError::Transient`] or [`StoreError::Conflict`]: the engine then rolls it back and
//! reruns its tasks one by one.

use serde_json::Value;

use crate::error::StoreError;
use crate::journal::NewJournalEntry;
use crate::store::HandlerTx;

/// See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<R = ()> {
    pub result: Value,
    pub summary: String,
    /// Journal entries, written with the completion.
    pub journal: Vec<NewJournalEntry>,
    /// The rows the task produces, written for the batch.
    pub rows: R,
}

impl Outcome {
    /// An outcome with its result, summary and journal entries, and no rows.
    pub fn new(result: Value, summary: String, journal: Vec<NewJournalEntry>) -> Self {
        Self {
            result,
            summary,
            journal,
            rows: (),
        }
    }
}

impl<R> Outcome<R> {
    /// The same outcome, producing `rows`.
    pub fn with_rows<S>(self, rows: S) -> Outcome<S> {
        self.map_rows(|_| rows)
    }

    /// The same outcome, its rows turned into `map`'s.
    pub fn map_rows<S>(self, map: impl FnOnce(R) -> S) -> Outcome<S> {
        Outcome {
            result: self.result,
            summary: self.summary,
            journal: self.journal,
            rows: map(self.rows),
        }
    }
}

/// The rows one task produces, as a type of its domain defines them, and how a batch's
/// are written: set-based, one statement per table, in the applying transaction.
#[async_trait::async_trait]
pub trait BatchRows: Sized + Send + Sync + 'static {
    /// Writes the rows of every task of a batch that completed, in the order the tasks
    /// ran. An error rolls the whole batch back; a [`StoreError::Transient`] or
    /// [`StoreError::Conflict`] (the rows are not as the batch read them) has its tasks
    /// rerun one by one, each in a transaction of its own.
    async fn write_batch(tx: &mut dyn HandlerTx, rows: Vec<Self>) -> Result<(), StoreError>;
}

/// No rows: a type whose tasks write only their journal.
#[async_trait::async_trait]
impl BatchRows for () {
    async fn write_batch(_tx: &mut dyn HandlerTx, _rows: Vec<Self>) -> Result<(), StoreError> {
        Ok(())
    }
}
