//! The statements of this store, built with sqlx's `query`, `query_scalar` and
//! `query_as`, and kept prepared on the server or not: not behind a transaction-mode
//! pooler, which hands each transaction to any server connection.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{FromRow, Postgres};

static KEEP_PREPARED: AtomicBool = AtomicBool::new(true);

/// From now on in this process, statements are not kept prepared: each one is parsed
/// unnamed in its transaction and gone with it. Once a store is opened behind a pooler
/// (a process talks to one database, one way), every store of the process obeys it.
pub(crate) fn stop_keeping_prepared_statements() {
    KEEP_PREPARED.store(false, Ordering::Relaxed);
}

fn keep() -> bool {
    KEEP_PREPARED.load(Ordering::Relaxed)
}

pub(crate) fn query(sql: &str) -> Query<'_, Postgres, PgArguments> {
    sqlx::query(sql).persistent(keep())
}

pub(crate) fn query_scalar<'q, O>(sql: &'q str) -> QueryScalar<'q, Postgres, O, PgArguments>
where
    (O,): for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_scalar(sql).persistent(keep())
}

pub(crate) fn query_as<'q, O>(sql: &'q str) -> QueryAs<'q, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_as(sql).persistent(keep())
}
