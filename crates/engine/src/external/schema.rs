//! An external type's JSON Schemas (draft 2020-12): checked when the type is registered,
//! then met by every payload at create time and every result at completion. A fault is
//! said where it is, as a path under the value's own name (`payload.items[2].url`), with
//! the schema's own message.

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::Value;
use zora_core::handler::TaskError;

/// How many of a value's faults one refusal lists.
const MAX_FAULTS: usize = 10;

/// A compiled schema.
#[derive(Debug)]
pub struct Schema(Validator);

/// A value's fault against a schema: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFault {
    /// `payload.url`, `result.items[2]`: the value's name, then the path in it.
    pub field: String,
    pub message: String,
}

impl SchemaFault {
    /// The fault as a task's validation error: its field the path inside the value
    /// (`url`, as a built-in type's parser names a payload's field; none for the value
    /// itself), its message the whole path's.
    pub fn into_task_error(self) -> TaskError {
        let message = format!("{}: {}", self.field, self.message);
        match self.field.split_once('.') {
            Some((_, inner)) => TaskError::field(inner, message),
            None => TaskError::permanent(message),
        }
    }
}

impl Schema {
    /// Compiles `schema`, a JSON Schema of draft 2020-12 (whatever its `$schema` says). The
    /// error says why it is not one. A `$ref` outside the schema is refused: nothing is
    /// fetched.
    pub fn compile(schema: &Value) -> Result<Self, String> {
        if !(schema.is_object() || schema.is_boolean()) {
            return Err("must be a JSON Schema: an object or a boolean".into());
        }
        if let Err(err) = jsonschema::draft202012::meta::validate(schema) {
            let at = err.instance_path().to_string();
            return Err(if at.is_empty() {
                format!("is not a valid JSON Schema: {err}")
            } else {
                format!("is not a valid JSON Schema at {at}: {err}")
            });
        }
        jsonschema::draft202012::new(schema)
            .map(Self)
            .map_err(|err| format!("is not a usable JSON Schema: {err}"))
    }

    /// The faults of `value`, named `name` (`payload`, `result`), at most [`MAX_FAULTS`]
    /// of them. A missing required property is said at its own
    /// path (`payload.url`), not at its object's.
    pub fn faults(&self, name: &str, value: &Value) -> Vec<SchemaFault> {
        self.0
            .iter_errors(value)
            .take(MAX_FAULTS)
            .map(|err| {
                let mut field = name.to_owned();
                for segment in err.instance_path() {
                    push_segment(&mut field, &segment);
                }
                if let ValidationErrorKind::Required {
                    property: Value::String(property),
                } = err.kind()
                {
                    push_segment(&mut field, &LocationSegment::Property(property.into()));
                }
                SchemaFault {
                    field,
                    message: err.to_string(),
                }
            })
            .collect()
    }

    /// `Ok` when `value` meets the schema; else its first fault.
    pub fn check(&self, name: &str, value: &Value) -> Result<(), SchemaFault> {
        match self.faults(name, value).into_iter().next() {
            Some(fault) => Err(fault),
            None => Ok(()),
        }
    }
}

fn push_segment(field: &mut String, segment: &LocationSegment<'_>) {
    match segment {
        LocationSegment::Property(name) => {
            field.push('.');
            field.push_str(name);
        }
        LocationSegment::Index(index) => {
            field.push('[');
            field.push_str(&index.to_string());
            field.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn review_schema() -> Schema {
        Schema::compile(&json!({
            "type": "object", "required": ["url"],
            "properties": {"url": {"type": "string"},
                           "pages": {"type": "array", "items": {"type": "integer", "minimum": 1}}}
        }))
        .expect("a valid schema")
    }

    #[test]
    fn a_missing_property_is_named_at_its_own_path() {
        let fault = review_schema()
            .check("payload", &json!({}))
            .expect_err("url is required");
        assert_eq!(fault.field, "payload.url");
        assert_eq!(fault.message, "\"url\" is a required property");
    }

    #[test]
    fn a_nested_fault_is_named_by_its_path() {
        let faults = review_schema().faults("payload", &json!({"url": 3, "pages": [1, 0]}));
        let fields: Vec<_> = faults.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["payload.pages[1]", "payload.url"]);
        assert_eq!(faults[0].message, "0 is less than the minimum of 1");
        let error = faults[1].clone().into_task_error();
        assert_eq!(error.field.as_deref(), Some("url"));
        assert_eq!(error.message, "payload.url: 3 is not of type \"string\"");
    }

    #[test]
    fn a_valid_value_has_no_fault() {
        assert!(
            review_schema()
                .check(
                    "payload",
                    &json!({"url": "https://zora.example", "pages": [1]})
                )
                .is_ok()
        );
    }

    #[test]
    fn an_invalid_schema_says_where() {
        let refused = Schema::compile(&json!({"type": "objekt"})).expect_err("no such type");
        assert!(refused.contains("at /type"), "{refused}");
        let refused = Schema::compile(&json!("object")).expect_err("a string is no schema");
        assert!(refused.contains("object or a boolean"), "{refused}");
    }

    #[test]
    fn a_ref_outside_the_schema_is_not_fetched() {
        let refused = Schema::compile(&json!({"$ref": "https://example.com/schema.json"}))
            .expect_err("nothing is fetched");
        assert!(refused.contains("usable"), "{refused}");
    }
}
