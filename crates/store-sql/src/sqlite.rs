//! [`Columns`] for SQLite rows, and the text forms SQLite stores values in (SCHEMA.md,
//! "SQLite conventions"): lower-case uuids, one fixed-width millisecond UTC timestamp,
//! `YYYY-MM-DD` dates, JSON text for JSON and arrays, 0/1 booleans.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::Columns;
use crate::columns::decode_error;

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
}
