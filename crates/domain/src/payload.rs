//! Payload field types shared by the handlers: a reference to a row as given (checked
//! against the tenant's rows, never trusted to be a UUID), a `YYYY-MM-DD` date, a field
//! whose presence matters, and the "required fields" rule with ZORA CORE's wording.

use std::borrow::Cow;
use std::fmt;

use crate::zora_shop::tables::Patch;
use chrono::NaiveDate;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use uuid::Uuid;
use zora_core::handler::TaskError;

/// A row id as the payload gives it. A value that is not a UUID is kept as text: it then
/// names no row, and the handler answers "not found or does not belong to tenant", as
/// for any other id it cannot find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    /// The id, when the text is a UUID.
    pub fn id<T: From<Uuid>>(&self) -> Option<T> {
        Uuid::parse_str(self.0.trim()).ok().map(T::from)
    }

    /// Whether nothing was given (`""`), which counts as missing.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Any scalar is accepted and kept as text: a number is not a UUID either, and
        // gets the same "not found" answer.
        Ok(Self(match Value::deserialize(deserializer)? {
            Value::String(text) => text,
            other => other.to_string(),
        }))
    }
}

impl JsonSchema for Reference {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Uuid".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "uuid"})
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| serde::de::Error::custom(format!("'{text}' is not a date as YYYY-MM-DD")))
    }
}

impl JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "date"})
    }
}

/// A field whose presence matters: absent leaves the stored value, present (even as
/// null) writes it. Use with `#[serde(default)]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Present<T>(pub Patch<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| Self(Patch::Set(value)))
    }
}

impl<T: JsonSchema> JsonSchema for Present<T> {
    fn schema_name() -> Cow<'static, str> {
        Option::<T>::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Option::<T>::json_schema(generator)
    }
}

/// Whether a text field was given: absent and blank both count as missing.
pub fn has_text(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|text| !text.trim().is_empty())
}

/// Whether a reference was given.
pub fn has_reference(value: &Option<Reference>) -> bool {
    value.as_ref().is_some_and(|r| !r.is_blank())
}

/// ZORA CORE's "Missing required fields: a and b" (or "field: a" for one), naming the
/// first missing field.
pub fn require(fields: &[(&str, bool)]) -> Result<(), TaskError> {
    if fields.iter().all(|(_, present)| *present) {
        return Ok(());
    }
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    let message = match names.as_slice() {
        [one] => format!("Missing required field: {one}"),
        [rest @ .., last] => format!("Missing required fields: {} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let first_missing = fields
        .iter()
        .find(|(_, present)| !present)
        .map_or("", |(n, _)| *n);
    Err(TaskError::field(first_missing, message))
}

/// The id a reference names, or `None` when it is not a UUID (which then names no row).
pub fn resolve<T: From<Uuid>>(reference: &Option<Reference>) -> Option<T> {
    reference.as_ref().and_then(Reference::id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_use_zora_cores_wording() {
        let err = require(&[("profile_id", true), ("plan_id", false)]).expect_err("missing");
        assert_eq!(
            err.message,
            "Missing required fields: profile_id and plan_id"
        );
        assert_eq!(err.field.as_deref(), Some("plan_id"));
        let err = require(&[("product_id", false)]).expect_err("missing");
        assert_eq!(err.message, "Missing required field: product_id");
        require(&[("a", true)]).expect("present");
    }

    #[test]
    fn references_keep_what_was_given() {
        let r: Reference =
            serde_json::from_value(serde_json::json!("not-a-uuid")).expect("any text");
        assert_eq!(r.id::<Uuid>(), None);
        assert_eq!(r.to_string(), "not-a-uuid");
        let n: Reference = serde_json::from_value(serde_json::json!(42)).expect("a number");
        assert_eq!(n.to_string(), "42");
        let u: Reference =
            serde_json::from_value(serde_json::json!("6F9619FF-8B86-D011-B42D-00C04FC964FF"))
                .expect("uuid");
        assert!(u.id::<Uuid>().is_some(), "any case");
    }

    #[test]
    fn dates_must_be_calendar_dates() {
        let err =
            serde_json::from_value::<Date>(serde_json::json!("31/12/2025")).expect_err("not ISO");
        assert!(err.to_string().contains("is not a date as YYYY-MM-DD"));
        assert!(serde_json::from_value::<Date>(serde_json::json!("2025-02-30")).is_err());
        serde_json::from_value::<Date>(serde_json::json!("2025-12-31")).expect("ISO date");
    }
}
