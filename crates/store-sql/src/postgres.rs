//! [`Columns`] for PostgreSQL rows: native uuid, timestamptz, date, jsonb and arrays.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

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
