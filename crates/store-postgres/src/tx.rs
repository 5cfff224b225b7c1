//! [`PgTx`]: one open transaction; `StoreTx` comes from `zora_store_sql::delegate_store_tx!`.

use sqlx::{PgConnection, Postgres, Transaction};
use zora_core::{StoreError, TxLimits};

use zora_store_sql::HeldWrites;

use crate::error::store_error;
use crate::sql::Db;

/// One PostgreSQL transaction; dropped without commit, it rolls back.
#[derive(Debug)]
pub(crate) struct PgTx {
    tx: KeptTx,
    writes: HeldWrites,
}

/// An open transaction and whether its statements may stay prepared (its store's
/// setting): where the queries of a [`PgTx`] run.
#[derive(Debug)]
pub(crate) struct KeptTx {
    tx: Transaction<'static, Postgres>,
    keep: bool,
}

impl KeptTx {
    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Db for KeptTx {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
    fn keep(&self) -> bool {
        self.keep
    }
}

impl std::ops::Deref for KeptTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for KeptTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

impl PgTx {
    /// A transaction of a store that keeps its statements prepared (`keep`) or not.
    pub(crate) fn new(tx: Transaction<'static, Postgres>, keep: bool) -> Self {
        Self {
            tx: KeptTx { tx, keep },
            writes: HeldWrites::default(),
        }
    }

    /// Nothing to note: the triggers of migration 0006 notify on the rows themselves,
    /// whoever writes them, and PostgreSQL delivers the notifications on commit.
    fn note_due_in(&mut self, _due_in: std::time::Duration) {}

    /// Nothing to note: the outcome statements notify the waited tasks themselves.
    fn note_finished(&mut self, _ids: &[zora_core::TaskId]) {}

    async fn commit_tx(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }
}

zora_store_sql::delegate_store_tx!(PgTx);

/// Sets the limits for this transaction only (`set_config(..., true)` is `SET LOCAL`), in
/// one statement.
pub(crate) async fn limit(db: &mut impl Db, limits: TxLimits) -> Result<(), StoreError> {
    let statement = limits.statement.as_millis().max(1).to_string();
    let idle = limits.idle.as_millis().max(1).to_string();
    crate::sql::query(
        db.keep(),
        "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), \
           set_config('idle_in_transaction_session_timeout', $2, true)",
    )
    .bind(statement)
    .bind(idle)
    .execute(db.conn())
    .await
    .map(|_| ())
    .map_err(store_error)
}

/// `BEGIN` with [`limit`]'s settings in the same simple query: one round trip. The values
/// are whole milliseconds written into the text (nothing from outside).
pub(crate) fn begin_limited_sql(limits: TxLimits) -> String {
    let statement = limits.statement.as_millis().max(1);
    let idle = limits.idle.as_millis().max(1);
    format!(
        "BEGIN; SET LOCAL statement_timeout = {statement}; SET LOCAL lock_timeout = {statement}; \
         SET LOCAL idle_in_transaction_session_timeout = {idle}"
    )
}
