//! [`PgTx`]: one open transaction; `StoreTx` comes from `zora_store_sql::delegate_store_tx!`.

use sqlx::{Postgres, Transaction};

/// One PostgreSQL transaction; dropped without commit, it rolls back.
#[derive(Debug)]
pub(crate) struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl PgTx {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        Self { tx }
    }
}

zora_store_sql::delegate_store_tx!(PgTx);
