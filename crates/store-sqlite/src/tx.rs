//! [`SqliteTx`]: one open transaction, with its controls ([`TxControl`]), which tells the
//! store's hubs about the tasks it made runnable and those it finished once it commits;
//! a domain's SQL runs on its connection ([`HandlerTx`]); the queue's writes are
//! implemented in their own modules.

use std::time::Duration;

use sqlx::{Sqlite, SqliteConnection, Transaction};
use zora_core::{Connection, HandlerTx, ReadTx, StoreError, TaskId, TxControl, TxLimits};
use zora_store_sql::{FinishHub, SAVEPOINT, TaskPart, WakeupHub};

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
    part: TaskPart,
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
            part: TaskPart::default(),
        }
    }

    /// Where the reads run.
    pub(crate) fn read(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Where a write runs: first the task's savepoint, if this is its first write.
    pub(crate) async fn write(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        if self.part.savepoint_needed() {
            self.run(SAVEPOINT).await?;
        }
        Ok(&mut self.tx)
    }

    /// Notes tasks this transaction finished, to tell on commit.
    pub(crate) fn note_finished(&mut self, ids: &[TaskId]) {
        self.finished.extend_from_slice(ids);
    }

    /// Notes tasks this transaction made runnable, due in `due_in`, to tell on commit.
    pub(crate) fn note_due_in(&mut self, due_in: Duration) {
        if !self.due.contains(&due_in) {
            self.due.push(due_in);
        }
    }

    async fn run(&mut self, sql: &'static str) -> Result<(), StoreError> {
        sqlx::Executor::execute(&mut *self.tx, sql)
            .await
            .map(|_| ())
            .map_err(store_error)
    }
}

impl ReadTx for SqliteTx {
    fn reader(&mut self) -> Connection<'_> {
        Connection::new(self.read(), false)
    }
}

#[zora_store_sql::async_trait]
impl HandlerTx for SqliteTx {
    async fn writer(&mut self) -> Result<Connection<'_>, StoreError> {
        Ok(Connection::new(self.write().await?, false))
    }
}

#[zora_store_sql::async_trait]
impl TxControl for SqliteTx {
    /// SQLite has no statement or idle limits to set: its one writer waits at most the
    /// busy timeout, and no other session can hold the locks of a stalled one.
    async fn limit(&mut self, _limits: TxLimits) -> Result<(), StoreError> {
        Ok(())
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let this = *self;
        this.tx.commit().await.map_err(store_error)?;
        for due_in in this.due {
            this.hub.send(due_in);
        }
        // Checked after the commit: a waiter that subscribes later reads the task finished.
        if this.finishes.has_subscribers() {
            for id in this.finished {
                this.finishes.send(id);
            }
        }
        Ok(())
    }
    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(store_error)
    }
    fn begin_task(&mut self, undoable: bool) {
        self.part.begin(undoable);
    }
    async fn end_task(&mut self, keep: bool) -> Result<(), StoreError> {
        for statement in self.part.end(keep)? {
            self.run(statement).await?;
        }
        Ok(())
    }
}
