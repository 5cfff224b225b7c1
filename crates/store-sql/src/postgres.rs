//! PostgreSQL: [`Columns`] for its rows (native uuid, timestamptz, date, jsonb and
//! arrays), where a statement runs ([`Db`]) and whether it stays prepared there, and its
//! errors classified ([`store_error`]): what the store and every domain's PostgreSQL
//! queries share. Statements are kept prepared on the server or not: not behind a
//! transaction-mode pooler, which hands each transaction to any server connection.
//! Whether they are is the store's own setting, carried by where a statement runs
//! ([`Db`]): two stores of one process, one behind a pooler and one not, each keep to
//! their own.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::error::DatabaseError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{FromRow, PgConnection, Postgres, Row};
use uuid::Uuid;
use zora_core::{StoreError, TenantId};

use crate::Columns;

impl Columns for PgRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }
    fn int(&self, column: &str) -> Result<i32, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i32>, sqlx::Error> {
        self.try_get(column)
    }
    fn big(&self, column: &str) -> Result<i64, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_float(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(column)
    }
    fn boolean(&self, column: &str) -> Result<bool, sqlx::Error> {
        self.try_get(column)
    }
    fn uuid(&self, column: &str) -> Result<Uuid, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, sqlx::Error> {
        self.try_get(column)
    }
    fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_json(&self, column: &str) -> Result<Option<Value>, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_text_list(&self, column: &str) -> Result<Option<Vec<String>>, sqlx::Error> {
        self.try_get(column)
    }
}

/// Where a query runs: a connection, and whether its statements may stay prepared there.
pub trait Db: Send {
    /// The connection the statements run on.
    fn conn(&mut self) -> &mut PgConnection;
    /// Whether a statement may stay prepared on the server (named, cached): never behind
    /// a transaction-mode pooler.
    fn keep(&self) -> bool;
}

/// A transaction's connection as a domain receives it ([`crate::Sql::Postgres`]).
#[derive(Debug)]
pub struct PgDb<'a> {
    conn: &'a mut PgConnection,
    keep: bool,
}

impl<'a> PgDb<'a> {
    pub fn new(conn: &'a mut PgConnection, keep: bool) -> Self {
        Self { conn, keep }
    }
}

impl Db for PgDb<'_> {
    fn conn(&mut self) -> &mut PgConnection {
        self.conn
    }
    fn keep(&self) -> bool {
        self.keep
    }
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

pub fn query(keep: bool, sql: &str) -> Query<'_, Postgres, PgArguments> {
    sqlx::query(sql).persistent(keep)
}

pub fn query_scalar<O>(keep: bool, sql: &str) -> QueryScalar<'_, Postgres, O, PgArguments>
where
    (O,): for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_scalar(sql).persistent(keep)
}

pub fn query_as<O>(keep: bool, sql: &str) -> QueryAs<'_, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_as(sql).persistent(keep)
}

/// Classifies a sqlx error by SQLSTATE, so callers decide on retries and status codes
/// without matching on message text.
pub fn store_error(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => database_error(db.as_ref()),
        sqlx::Error::Io(e) => StoreError::Transient(format!("connection lost: {e}")),
        sqlx::Error::PoolTimedOut => {
            StoreError::Transient("no database connection became free in time".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        sqlx::Error::Protocol(e) => StoreError::Transient(format!("protocol error: {e}")),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("TLS error: {e}")),
        other => StoreError::Other(other.to_string()),
    }
}

fn database_error(db: &dyn DatabaseError) -> StoreError {
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let constraint = db.constraint().unwrap_or("unnamed constraint").to_owned();
    match code.as_str() {
        "23505" => StoreError::Conflict { constraint },
        "23503" => StoreError::MissingReference { constraint },
        "23514" | "23502" | "22P02" | "22001" | "22003" | "22007" | "22008" | "22023" => {
            StoreError::InvalidValue {
                detail: db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned()),
            }
        }
        // serialization_failure, deadlock_detected, lock_not_available, query_canceled
        // (statement_timeout), idle_in_transaction_session_timeout, admin/crash shutdown,
        // too_many_connections, and the connection_exception class.
        "40001" | "40P01" | "55P03" | "57014" | "25P03" | "57P01" | "57P02" | "57P03" | "53300" => {
            StoreError::Transient(format!("{} (SQLSTATE {code})", db.message()))
        }
        c if c.starts_with("08") => {
            StoreError::Transient(format!("{} (SQLSTATE {code})", db.message()))
        }
        "42P01" | "42703" | "42704" | "42883" => StoreError::Schema(format!(
            "the database schema is not what this binary needs ({}): run `zora migrate`",
            db.message()
        )),
        _ => StoreError::Other(format!("{} (SQLSTATE {code})", db.message())),
    }
}

/// Ids as plain UUIDs, the shape `= ANY($n)` binds.
pub fn uuids<T: Copy + Into<Uuid>>(ids: &[T]) -> Vec<Uuid> {
    ids.iter().map(|id| (*id).into()).collect()
}

/// Maps every row with `map`, turning the first decode failure into a [`StoreError`].
pub fn all<T>(
    rows: &[PgRow],
    map: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(map)
        .collect::<Result<_, _>>()
        .map_err(store_error)
}

/// Runs `sql`, a read of one tenant's rows by id (`$1` the tenant, `$2` the ids), and maps
/// each row with `map`.
pub async fn tenant_rows_by_ids<I, T>(
    db: &mut impl Db,
    sql: &'static str,
    tenant: TenantId,
    ids: &[I],
    map: fn(&PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError>
where
    I: Copy + Into<Uuid>,
{
    let found = query(db.keep(), sql)
        .bind(tenant.0)
        .bind(uuids(ids))
        .fetch_all(db.conn())
        .await
        .map_err(store_error)?;
    all(&found, map)
}
