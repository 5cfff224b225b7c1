//! Values as the SQLite store writes them: "now" in SQL, durations as `strftime`
//! modifiers, id lists for `json_each`, and `numeric(p,2)` rounding.

use serde_json::Value;
use uuid::Uuid;

pub(crate) use zora_store_sql::sqlite::timestamp_text as timestamp;

/// The SQL expression for "now" in the stored format; `strftime`'s `%f` is `SS.SSS`.
pub(crate) const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The SQL for now shifted by `modifier`, an SQL expression holding a
/// [`seconds_modifier`] (a bound parameter or a batch field), in [`NOW`]'s format.
pub(crate) fn now_plus(modifier: &str) -> String {
    format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', {modifier})")
}

/// A duration as a `strftime` modifier: `+30.000 seconds`.
pub(crate) fn seconds_modifier(duration: std::time::Duration) -> String {
    format!("+{:.3} seconds", duration.as_secs_f64())
}

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
pub(crate) fn id_array<T: Copy + Into<Uuid>>(ids: &[T]) -> String {
    let texts: Vec<String> = ids
        .iter()
        .map(|id| (*id).into().hyphenated().to_string())
        .collect();
    Value::from(texts).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
