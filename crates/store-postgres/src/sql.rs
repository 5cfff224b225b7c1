//! The statements of this store, built with sqlx's `query`, `query_scalar` and
//! `query_as`, and kept prepared on the server or not: not behind a transaction-mode
//! pooler, which hands each transaction to any server connection. Whether they are is
//! the store's own setting ([`PgStoreOptions::behind_pooler`](crate::PgStoreOptions)),
//! carried by where a statement runs ([`Db`]): two stores of one process, one behind a
//! pooler and one not, each keep to their own.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{FromRow, PgConnection, Postgres};

/// Where a query runs: a connection, and whether its statements may stay prepared there.
pub(crate) trait Db: Send {
    /// The connection the statements run on.
    fn conn(&mut self) -> &mut PgConnection;
    /// Whether a statement may stay prepared on the server (named, cached): never behind
    /// a transaction-mode pooler.
    fn keep(&self) -> bool;
}

/// A bare connection (the migrator's): its statements are not kept, which is right
/// everywhere, if slower.
impl Db for PgConnection {
    fn conn(&mut self) -> &mut PgConnection {
        self
    }
    fn keep(&self) -> bool {
        false
    }
}

pub(crate) fn query(keep: bool, sql: &str) -> Query<'_, Postgres, PgArguments> {
    sqlx::query(sql).persistent(keep)
}

pub(crate) fn query_scalar<O>(keep: bool, sql: &str) -> QueryScalar<'_, Postgres, O, PgArguments>
where
    (O,): for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_scalar(sql).persistent(keep)
}

pub(crate) fn query_as<O>(keep: bool, sql: &str) -> QueryAs<'_, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_as(sql).persistent(keep)
}
