//! [`SqliteTx`]: one open transaction, which tells the store's hubs about the tasks it
//! made runnable and those it finished once it commits; `StoreTx` comes from
//! `zora_store_sql::delegate_store_tx!`.

use std::time::Duration;

use sqlx::{Sqlite, Transaction};
use zora_core::{StoreError, TaskId};
use zora_store_sql::{FinishHub, HeldWrites, WakeupHub};

use crate::error::store_error;

/// One SQLite transaction (`BEGIN IMMEDIATE`: it holds the write lock); dropped without
/// commit, it rolls back.
#[derive(Debug)]
pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    hub: WakeupHub,
    /// When the tasks this transaction made runnable are due, told to the hub on commit.
    due: Vec<Duration>,
    finishes: FinishHub,
    /// The tasks this transaction finished, told to `finishes` on commit.
    finished: Vec<TaskId>,
    writes: HeldWrites,
}

impl SqliteTx {
    pub(crate) fn new(
        tx: Transaction<'static, Sqlite>,
        hub: WakeupHub,
        finishes: FinishHub,
    ) -> Self {
        Self {
            tx,
            hub,
            due: Vec::new(),
            finishes,
            finished: Vec::new(),
            writes: HeldWrites::default(),
        }
    }

    fn note_finished(&mut self, ids: &[TaskId]) {
        self.finished.extend_from_slice(ids);
    }

    fn note_due_in(&mut self, due_in: Duration) {
        if !self.due.contains(&due_in) {
            self.due.push(due_in);
        }
    }

    async fn commit_tx(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)?;
        for due_in in self.due {
            self.hub.send(due_in);
        }
        // Checked after the commit: a waiter that subscribes later reads the task finished.
        if self.finishes.has_subscribers() {
            for id in self.finished {
                self.finishes.send(id);
            }
        }
        Ok(())
    }
}

zora_store_sql::delegate_store_tx!(SqliteTx);

/// SQLite has no statement or idle limits to set: its one writer waits at most the busy
/// timeout, and no other session can hold the locks of a stalled one.
pub(crate) async fn limit(
    _tx: &mut Transaction<'static, Sqlite>,
    _limits: zora_core::TxLimits,
) -> Result<(), zora_core::StoreError> {
    Ok(())
}
