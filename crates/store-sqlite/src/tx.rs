//! [`SqliteTx`]: one open transaction, which tells the store's wake-up hub about the tasks
//! it made runnable once it commits; `StoreTx` comes from
//! `zora_store_sql::delegate_store_tx!`.

use std::time::Duration;

use sqlx::{Sqlite, Transaction};
use zora_core::StoreError;
use zora_store_sql::{HeldWrites, WakeupHub};

use crate::error::store_error;

/// One SQLite transaction (`BEGIN IMMEDIATE`: it holds the write lock); dropped without
/// commit, it rolls back.
#[derive(Debug)]
pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    hub: WakeupHub,
    /// When the tasks this transaction made runnable are due, told to the hub on commit.
    due: Vec<Duration>,
    writes: HeldWrites,
}

impl SqliteTx {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>, hub: WakeupHub) -> Self {
        Self {
            tx,
            hub,
            due: Vec::new(),
            writes: HeldWrites::default(),
        }
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
