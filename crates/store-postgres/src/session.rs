//! [`Session`]: where a store method outside a [`StoreTx`](zora_core::StoreTx) runs its
//! statements. Directly connected, a pooled connection. Behind a transaction-mode pooler,
//! a transaction of its own: the pooler keeps a client on one server connection only
//! inside a transaction, and sqlx parses a statement and binds it in two round trips,
//! which outside one could reach two different servers ("unnamed prepared statement does
//! not exist").

use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use zora_core::StoreError;

use crate::error::store_error;

/// See the module documentation.
pub(crate) enum Session {
    /// Directly connected: its statements stay prepared.
    Connection(PoolConnection<Postgres>),
    /// Behind a pooler: its statements are not kept.
    Transaction(Transaction<'static, Postgres>),
}

impl Session {
    pub(crate) async fn open(pool: &PgPool, behind_pooler: bool) -> Result<Self, StoreError> {
        Ok(if behind_pooler {
            let begin = format!("BEGIN; {}", crate::tx::NO_JIT);
            Self::Transaction(pool.begin_with(begin).await.map_err(store_error)?)
        } else {
            Self::Connection(pool.acquire().await.map_err(store_error)?)
        })
    }

    /// Ends the session with the method's outcome: a transaction commits when the method
    /// succeeded and rolls back when it failed.
    pub(crate) async fn end<T>(self, outcome: Result<T, StoreError>) -> Result<T, StoreError> {
        match (self, outcome) {
            (Self::Transaction(tx), Ok(value)) => {
                tx.commit().await.map_err(store_error)?;
                Ok(value)
            }
            (_, outcome) => outcome,
        }
    }
}

impl Deref for Session {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Self::Connection(conn) => conn,
            Self::Transaction(tx) => tx,
        }
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Self::Connection(conn) => conn,
            Self::Transaction(tx) => tx,
        }
    }
}

impl crate::sql::Db for Session {
    fn conn(&mut self) -> &mut PgConnection {
        self
    }
    fn keep(&self) -> bool {
        matches!(self, Self::Connection(_))
    }
}
