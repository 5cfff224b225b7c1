//! [`SqliteTx`]: one open transaction; `StoreTx` comes from
//! `zora_store_sql::delegate_store_tx!`.

use sqlx::{Sqlite, Transaction};

/// One SQLite transaction (`BEGIN IMMEDIATE`: it holds the write lock); dropped without
/// commit, it rolls back.
#[derive(Debug)]
pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteTx {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        Self { tx }
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
