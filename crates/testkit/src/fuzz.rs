//! Generated JSON for property tests (proptest): any value up to four levels deep, its
//! objects keyed by the task types' own field names as often as by anything, its leaves
//! the texts payloads expect (UUIDs, dates, labels, URLs) beside arbitrary ones.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Every field name some type's payload has, so that generated objects hit real fields.
pub fn field_names() -> Vec<String> {
    let mut names: Vec<String> = zora_domain::all(&zora_domain::ModelAccess::default())
        .iter()
        .flat_map(|h| h.fields().iter().map(|(name, _)| (*name).to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Leaves as payloads hold them: the kinds of JSON, and the texts fields expect
/// (UUIDs, dates, labels, URLs) beside arbitrary ones.
pub fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("6f9619ff-8b86-d011-b42d-00c04fc964ff".to_owned()),
            Just("2026-12-14".to_owned()),
            Just("2026-02-30".to_owned()),
            Just("low_impact".to_owned()),
            Just("climate_neutral".to_owned()),
            Just("https://zora.example/climate".to_owned()),
            Just(String::new()),
            Just("   ".to_owned()),
            ".{0,40}",
        ]
        .prop_map(Value::from),
    ]
}

/// Any JSON up to four levels deep, objects keyed by real field names or anything.
pub fn json() -> impl Strategy<Value = Value> {
    let names = field_names();
    leaf().prop_recursive(4, 64, 8, move |inner| {
        let key = prop_oneof![
            3 => proptest::sample::select(names.clone()),
            1 => ".{0,12}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}
