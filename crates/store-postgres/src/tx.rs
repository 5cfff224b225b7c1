//! [`PgTx`]: one open transaction; `StoreTx` comes from `zora_store_sql::delegate_store_tx!`.

use sqlx::{PgConnection, Postgres, Transaction};
use zora_core::{StoreError, TxLimits};

use zora_store_sql::HeldWrites;

use crate::error::store_error;

/// One PostgreSQL transaction; dropped without commit, it rolls back.
#[derive(Debug)]
pub(crate) struct PgTx {
    tx: Transaction<'static, Postgres>,
    writes: HeldWrites,
}

impl PgTx {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        Self {
            tx,
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
pub(crate) async fn limit(conn: &mut PgConnection, limits: TxLimits) -> Result<(), StoreError> {
    let statement = limits.statement.as_millis().max(1).to_string();
    let idle = limits.idle.as_millis().max(1).to_string();
    crate::sql::query(
        "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), \
           set_config('idle_in_transaction_session_timeout', $2, true)",
    )
    .bind(statement)
    .bind(idle)
    .execute(conn)
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
