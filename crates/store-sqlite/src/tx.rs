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
