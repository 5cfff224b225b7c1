//! Every task type's payload parser on generated JSON (proptest): any value, of any shape
//! and depth, with the types' own field names among its keys, is parsed or refused, never
//! a panic; a refusal names a field and says something; and the outcome is the same after
//! the payload goes through its JSON text, as it does between a client and the store.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;
use zora_core::handler::DynHandler;
use zora_domain::ModelAccess;
use zora_testkit::fuzz::json;

fn handlers() -> Vec<Arc<dyn DynHandler>> {
    zora_domain::all(&ModelAccess::default())
}

/// What a parse said: accepted, or the refusal's field and message.
fn outcome(handler: &dyn DynHandler, payload: &Value) -> Result<(), (Option<String>, String)> {
    handler
        .parse(payload)
        .map(|_| ())
        .map_err(|e| (e.field.clone(), e.message.clone()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_is_parsed_or_refused_by_name(payload in json()) {
        for handler in handlers() {
            match outcome(handler.as_ref(), &payload) {
                Ok(()) => {}
                Err((field, message)) => {
                    prop_assert!(!message.trim().is_empty(), "{}: an empty refusal", handler.kind());
                    if let Some(field) = field {
                        prop_assert!(!field.trim().is_empty(), "{}: a blank field in {message}", handler.kind());
                    }
                }
            }
        }
    }

    #[test]
    fn the_outcome_survives_the_json_text(payload in json()) {
        let text = serde_json::to_string(&payload).expect("encode");
        let again: Value = serde_json::from_str(&text).expect("decode");
        for handler in handlers() {
            prop_assert_eq!(
                outcome(handler.as_ref(), &payload),
                outcome(handler.as_ref(), &again),
                "{}", handler.kind()
            );
        }
    }
}
