//! [`Columns`]: reading typed values out of a row, whatever the backend stores them as.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;

/// Reads one column of a row as the engine's value types. PostgreSQL has native uuid,
/// timestamptz and jsonb; SQLite stores them as text: each store implements this once and
/// every row mapper works on both.
pub trait Columns {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i32, sqlx::Error>;
    fn opt_int(&self, column: &str) -> Result<Option<i32>, sqlx::Error>;
    fn big(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn opt_float(&self, column: &str) -> Result<Option<f64>, sqlx::Error>;
    fn boolean(&self, column: &str) -> Result<bool, sqlx::Error>;
    fn uuid(&self, column: &str) -> Result<Uuid, sqlx::Error>;
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, sqlx::Error>;
    fn opt_timestamp(&self, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    fn opt_date(&self, column: &str) -> Result<Option<NaiveDate>, sqlx::Error>;
    fn opt_json(&self, column: &str) -> Result<Option<Value>, sqlx::Error>;
    fn opt_text_list(&self, column: &str) -> Result<Option<Vec<String>>, sqlx::Error>;

    /// A date that must be present.
    fn date(&self, column: &str) -> Result<NaiveDate, sqlx::Error> {
        self.opt_date(column)?.ok_or_else(|| null_error(column))
    }

    /// A JSON object column; NULL reads as `{}`.
    fn object(&self, column: &str) -> Result<Value, sqlx::Error> {
        Ok(self
            .opt_json(column)?
            .unwrap_or_else(|| Value::Object(Default::default())))
    }

    /// An id column.
    fn id<T: From<Uuid>>(&self, column: &str) -> Result<T, sqlx::Error> {
        self.uuid(column).map(T::from)
    }

    /// A nullable id column.
    fn opt_id<T: From<Uuid>>(&self, column: &str) -> Result<Option<T>, sqlx::Error> {
        Ok(self.opt_uuid(column)?.map(T::from))
    }

    /// A text column parsed into `T` (an enum label).
    fn parsed<T: std::str::FromStr>(&self, column: &str) -> Result<T, sqlx::Error>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        self.text(column)?
            .parse()
            .map_err(|e| decode_error(column, e))
    }
}

/// A column that could not be turned into its value.
pub fn decode_error(
    column: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(source),
    }
}

fn null_error(column: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: "unexpected NULL".into(),
    }
}
