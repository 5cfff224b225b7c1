//! Values as the SQLite store writes them: "now" in SQL, durations as `strftime`
//! modifiers, id lists for `json_each`, and `numeric(p,2)` rounding.

pub use zora_store_sql::sqlite::round2;
pub(crate) use zora_store_sql::sqlite::timestamp_text as timestamp;
pub(crate) use zora_store_sql::sqlite::{NOW, id_array};

/// The SQL for now shifted by `modifier`, an SQL expression holding a
/// [`seconds_modifier`] (a bound parameter or a batch field), in [`NOW`]'s format.
pub(crate) fn now_plus(modifier: &str) -> String {
    format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', {modifier})")
}

/// A duration as a `strftime` modifier: `+30.000 seconds`.
pub(crate) fn seconds_modifier(duration: std::time::Duration) -> String {
    format!("+{:.3} seconds", duration.as_secs_f64())
}
