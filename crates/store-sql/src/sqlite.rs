//! SQLite: [`Columns`] for its rows, the text forms it stores values in (lower-case
//! uuids, one fixed-width millisecond UTC timestamp, `YYYY-MM-DD` dates, JSON text for
//! JSON and arrays, 0/1 booleans), and its errors classified ([`store_error`]): what the
//! store and every domain's SQLite queries share.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::SqliteExecutor;
use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::Columns;
use crate::columns::decode_error;
use zora_core::{StoreError, TenantId};

/// The stored timestamp format: UTC, fixed width, milliseconds. SQL defaults write the
/// same text with `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// A timestamp as stored: `2026-11-25T08:08:00.123Z`.
pub fn timestamp_text(at: DateTime<Utc>) -> String {
    at.format(TIMESTAMP_FORMAT).to_string()
}

/// Reads a stored timestamp; also accepts what other writers may have put there
/// (`YYYY-MM-DD HH:MM:SS[.fff]`, RFC 3339 with an offset).
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    NaiveDateTime::parse_from_str(text, TIMESTAMP_FORMAT)
        .map(|naive| naive.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map(|n| n.and_utc())
        })
}

fn parse<T, E>(
    column: &str,
    text: Option<String>,
    f: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, sqlx::Error>
where
    E: std::error::Error + Send + Sync + 'static,
{
    text.map(|t| f(&t).map_err(|e| decode_error(column, e)))
        .transpose()
}

fn required<T>(column: &str, value: Option<T>) -> Result<T, sqlx::Error> {
    value.ok_or_else(|| decode_error(column, std::fmt::Error))
}

impl Columns for SqliteRow {
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
        required(column, self.opt_uuid(column)?)
    }
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, sqlx::Error> {
        parse(column, self.try_get(column)?, Uuid::parse_str)
    }
    fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
        required(column, self.opt_timestamp(column)?)
    }
    fn opt_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        parse(column, self.try_get(column)?, parse_timestamp)
    }
    fn opt_date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
        parse(column, self.try_get(column)?, |t| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
        })
    }
    fn opt_json(&self, column: &str) -> Result<Option<Value>, sqlx::Error> {
        parse(column, self.try_get(column)?, |t| {
            serde_json::from_str::<Value>(t)
        })
    }
    fn opt_text_list(&self, column: &str) -> Result<Option<Vec<String>>, sqlx::Error> {
        parse(column, self.try_get(column)?, |t| {
            serde_json::from_str::<Vec<String>>(t)
        })
    }
}

/// The SQL expression for "now" in the stored format; `strftime`'s `%f` is `SS.SSS`.
pub const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The SQL expression for a random UUID (version 4) in the stored lower-case text form.
pub const RANDOM_UUID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
    substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
    substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/// Rounds to 2 decimals the way PostgreSQL's `float8 → numeric(p,2)` cast does: on the
/// shortest decimal text of the number, half away from zero (so 1.005 becomes 1.01, as
/// it does there, not 1.0 as `(x * 100).round() / 100` would give).
pub fn round2(value: f64) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let text = format!("{}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if fraction.len() <= 2 {
        return value;
    }
    let kept: String = format!("{whole}{}", &fraction[..2]);
    let mut hundredths: u128 = kept.parse().unwrap_or_default();
    if fraction.as_bytes()[2] >= b'5' {
        hundredths += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let rounded = hundredths as f64 / 100.0;
    rounded.copysign(value)
}

/// Ids as the JSON array text `json_each` reads.
pub fn id_array<T: Copy + Into<Uuid>>(ids: &[T]) -> String {
    let texts: Vec<String> = ids
        .iter()
        .map(|id| (*id).into().hyphenated().to_string())
        .collect();
    Value::from(texts).to_string()
}

/// SQLite's primary result codes that mean "try again": `SQLITE_BUSY`, `SQLITE_LOCKED`.
const BUSY: i64 = 5;
const LOCKED: i64 = 6;

/// Classifies a sqlx error by SQLite's constraint kind and result code, never by text.
pub fn store_error(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            match db.kind() {
                ErrorKind::UniqueViolation => StoreError::Conflict {
                    constraint: message,
                },
                ErrorKind::ForeignKeyViolation => StoreError::MissingReference {
                    constraint: message,
                },
                ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                    StoreError::InvalidValue { detail: message }
                }
                _ => {
                    let code: i64 = db.code().and_then(|c| c.parse().ok()).unwrap_or_default();
                    match code & 0xff {
                        BUSY | LOCKED => {
                            StoreError::Transient(format!("database is busy: {message}"))
                        }
                        _ if message.starts_with("no such table")
                            || message.starts_with("no such column") =>
                        {
                            StoreError::Schema(format!(
                                "the database schema is not what this binary needs ({message})"
                            ))
                        }
                        _ => StoreError::Other(format!("{message} (SQLite code {code})")),
                    }
                }
            }
        }
        sqlx::Error::Io(e) => StoreError::Transient(format!("I/O error: {e}")),
        sqlx::Error::PoolTimedOut => {
            StoreError::Transient("no database connection became free in time".into())
        }
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        other => StoreError::Other(other.to_string()),
    }
}

/// Maps every row with `map`, turning the first decode failure into a [`StoreError`].
pub fn all<T>(
    rows: &[SqliteRow],
    map: fn(&SqliteRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(map)
        .collect::<Result<_, _>>()
        .map_err(store_error)
}

/// Runs `sql`, a read of one tenant's rows by id (`?1` the tenant, `?2` the ids as a JSON
/// array for `json_each`), and maps each row with `map`.
pub async fn tenant_rows_by_ids<'e, E, I, T>(
    executor: E,
    sql: &'static str,
    tenant: TenantId,
    ids: &[I],
    map: fn(&SqliteRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError>
where
    E: SqliteExecutor<'e>,
    I: Copy + Into<Uuid>,
{
    let found = sqlx::query(sql)
        .bind(tenant.to_string())
        .bind(id_array(ids))
        .fetch_all(executor)
        .await
        .map_err(store_error)?;
    all(&found, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_the_stored_format() {
        let at = parse_timestamp("2026-11-25T08:08:00.123Z").expect("parse");
        assert_eq!(timestamp_text(at), "2026-11-25T08:08:00.123Z");
        assert!(parse_timestamp("2026-11-25 08:08:00").is_ok());
        assert!(parse_timestamp("2026-11-25T09:08:00.5+01:00").is_ok());
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn round2_matches_postgres_numeric_rounding() {
        for (input, expected) in [
            (20.456, 20.46),
            (1.005, 1.01),
            (0.125, 0.13),
            (-2.675, -2.68),
            (12.5, 12.5),
            (7.0, 7.0),
            (0.004, 0.0),
            (123_456_789.999, 123_456_790.0),
        ] {
            assert_eq!(round2(input), expected, "{input}");
        }
    }
}
