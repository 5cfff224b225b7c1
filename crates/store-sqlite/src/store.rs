//! [`SqliteStore`]: the writer and reader pools; `Store` comes from
//! `zora_store_sql::delegate_store!`. Reads go to the readers; claims, rescues and
//! transactions to the writer.

use sqlx::SqlitePool;
use zora_core::{SchemaState, StoreError, StoreTx, TaskWakeups};
use zora_store_sql::{FinishHub, WakeupHub};

use crate::error::store_error;
use crate::tx::SqliteTx;

/// The SQLite store. Cheap to clone: it is a handle on its two pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    migrated_on_open: Vec<String>,
    /// Wake-ups for this process's workers: SQLite has no LISTEN; transactions that make
    /// tasks runnable say so here as they commit. Other processes poll.
    hub: WakeupHub,
    /// Finished tasks, for whoever waits on one in this process (told as transactions
    /// commit, like `hub`).
    finishes: FinishHub,
}

impl SqliteStore {
    pub(crate) fn new(
        writer: SqlitePool,
        reader: SqlitePool,
        migrated_on_open: Vec<String>,
    ) -> Self {
        Self {
            writer,
            reader,
            migrated_on_open,
            hub: WakeupHub::default(),
            finishes: FinishHub::default(),
        }
    }

    /// The migrations opening the file applied (`0001 schema` for a new file).
    pub fn migrated_on_open(&self) -> &[String] {
        &self.migrated_on_open
    }

    /// The writer pool (one connection), for tests that need raw SQL.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools, checkpointing the WAL into the file.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn read_session(&self) -> Result<PoolSession<'_>, StoreError> {
        Ok(PoolSession(&self.reader))
    }

    async fn write_session(&self) -> Result<PoolSession<'_>, StoreError> {
        Ok(PoolSession(&self.writer))
    }

    async fn begin_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        // IMMEDIATE: take the write lock now, not at the first write, so a transaction
        // that reads then writes cannot fail halfway on another process's lock.
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    /// A deferred transaction on a read-only reader connection: it never takes the write
    /// lock, so it does not queue behind the workers' transactions.
    async fn begin_read_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self.reader.begin().await.map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    /// A transaction that tells this store's hubs what it did once it commits.
    fn tx_of(&self, tx: sqlx::Transaction<'static, sqlx::Sqlite>) -> Box<dyn StoreTx> {
        Box::new(SqliteTx::new(tx, self.hub.clone(), self.finishes.clone()))
    }

    /// SQLite has no limits to set (see `tx::limit`): a plain transaction.
    async fn begin_limited_tx(
        &self,
        _limits: zora_core::TxLimits,
    ) -> Result<Box<dyn StoreTx>, StoreError> {
        self.begin_tx().await
    }

    async fn wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError> {
        Ok(self.hub.subscribe())
    }

    async fn watch_finish_of(
        &self,
        id: zora_core::TaskId,
    ) -> Result<Option<Box<dyn zora_core::FinishWatch>>, StoreError> {
        Ok(Some(Box::new(self.finishes.watch(id))))
    }

    fn tell_finished(&self, ids: &[zora_core::TaskId]) {
        if !self.finishes.has_subscribers() {
            return;
        }
        for id in ids {
            self.finishes.send(*id);
        }
    }

    async fn read_schema_state(&self) -> Result<SchemaState, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(store_error)?;
        crate::migrate::schema_state(&mut conn).await
    }
}

zora_store_sql::delegate_store!(SqliteStore, "sqlite");

/// Where a method outside a transaction runs: the pool itself (SQLite has no pooler in
/// front to work around).
pub(crate) struct PoolSession<'a>(&'a SqlitePool);

impl PoolSession<'_> {
    pub(crate) async fn end<T>(self, outcome: Result<T, StoreError>) -> Result<T, StoreError> {
        outcome
    }
}

impl std::ops::Deref for PoolSession<'_> {
    type Target = SqlitePool;

    fn deref(&self) -> &SqlitePool {
        self.0
    }
}
