//! Generated create bodies (proptest) against the API on a real server over SQLite: every
//! answer is a success or a documented refusal, never a 5xx, and a refused body writes
//! nothing (the tenant's tasks, journal, commands and schedules stay as they were).

mod common;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use zora_api::Role;
use zora_core::DEFAULT_TENANT_ID;
use zora_testkit::fuzz::json as any_json;

/// A create body: each field of ZORA CORE's create body present or not, each value a plausible one or
/// anything at all.
fn create_body() -> impl Strategy<Value = Value> {
    let text = |choices: &'static [&'static str]| {
        prop_oneof![
            6 => proptest::sample::select(choices).prop_map(Value::from),
            1 => any_json(),
        ]
    };
    let often = |strategy| proptest::option::weighted(0.9, strategy);
    let fields = (
        often(text(&["ORACLE", "sam", "EIVOR", "NOBODY", ""])),
        often(text(&[
            "climate.create_single_mission",
            "zora_shop.update_product_climate_meta",
            "summarize_recent_activity",
            "review_climate_claims",
            "no.such_type",
        ])),
        often(text(&["Replace 5 bulbs", "Week", "", "   "])),
        proptest::option::of(prop_oneof![2 => Just(json!({})), 1 => any_json()]),
        proptest::option::of(prop_oneof![any::<i64>().prop_map(Value::from), any_json()]),
        proptest::option::weighted(0.2, any_json()),
        proptest::option::weighted(0.2, any_json()),
    );
    fields.prop_map(
        |(agent, kind, title, payload, priority, depends_on, extra)| {
            let mut body = Map::new();
            for (key, value) in [
                ("agent_id", agent),
                ("task_type", kind),
                ("title", title),
                ("payload", payload),
                ("priority", priority),
                ("depends_on", depends_on),
                ("requires_approval", extra),
            ] {
                if let Some(value) = value {
                    body.insert(key.to_owned(), value);
                }
            }
            Value::Object(body)
        },
    )
}

#[test]
fn any_create_body_is_answered_without_a_5xx_and_a_refusal_writes_nothing() {
    let (runtime, app) = common::blocking_app();
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let written = || runtime.block_on(common::footprint(&app, &[DEFAULT_TENANT_ID]));
    let config = ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    };
    proptest!(config, |(body in create_body())| {
        let before = written();
        let answer = runtime.block_on(app.post("/api/agents/tasks", &token, &body));
        prop_assert!(
            [201, 400].contains(&answer.status),
            "{} for {body}: {}", answer.status, answer.body
        );
        if answer.status == 400 {
            prop_assert!(answer.body["error"].is_string() && answer.body["message"].is_string());
            prop_assert_eq!(written(), before, "a refused body wrote nothing: {}", body);
        }
    });
    let created = written()[0][0];
    assert!(created > 0, "the generator reaches the success path too");
}
