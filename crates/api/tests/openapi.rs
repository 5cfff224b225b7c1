//! The OpenAPI document: public, OpenAPI 3.1, every `$ref` resolves, every task type's
//! payload schema is in it, and every operation it lists is routed (a live request to each
//! reaches a handler: never the unknown-endpoint 404, never a 405).

mod common;

use serde_json::Value;
use zora_api::{OPERATIONS, Role};
use zora_core::DEFAULT_TENANT_ID;
use zora_testkit::TestBackend;

use common::spawn_app;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(target.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_route_and_every_route_is_served() {
    let app = spawn_app(TestBackend::sqlite().await).await;
    let answer = app.get("/api/openapi.json", None).await;
    assert_eq!(answer.status, 200, "public");
    let doc = answer.body;
    assert_eq!(doc["openapi"], "3.1.0");
    for op in OPERATIONS {
        let operation = &doc["paths"][op.path][op.method.as_str()];
        assert_eq!(
            operation["operationId"],
            op.id,
            "{} {} documented",
            op.method.as_str(),
            op.path
        );
        assert!(
            operation["responses"]["default"].is_object(),
            "{}: the error shape documented",
            op.id
        );
        let success = &operation["responses"][op.status.to_string()];
        assert!(success.is_object(), "{}: its success documented", op.id);
        if let Some(schema) = success["content"]["application/json"]["schema"].as_object() {
            assert!(
                schema.contains_key("properties") || schema.contains_key("$ref"),
                "{}: its answer's fields documented, not a bare object: {schema:?}",
                op.id
            );
        }
    }
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {target}");
    }
    for kind in [
        "climate.create_missions_from_plan",
        "climate.create_single_mission",
        "zora_shop.create_project",
        "zora_shop.update_product_climate_meta",
    ] {
        assert_eq!(
            doc["x-payload-schemas"][kind]["type"], "object",
            "{kind}'s payload schema"
        );
    }

    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    for op in OPERATIONS {
        let path = op
            .path
            .replace("{id}", "00000000-0000-0000-0000-0000000000ff");
        let url = format!("{}{path}", app.base);
        let method = op
            .method
            .as_str()
            .to_uppercase()
            .parse()
            .expect("an HTTP method");
        let request = app
            .client
            .request(method, url)
            .header("content-type", "application/json")
            .body("{}");
        let response = request.bearer_auth(&token).send().await.expect("send");
        let streams = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        if streams {
            // The event stream never ends: its answering 200 is its being routed.
            assert_eq!(
                response.status(),
                200,
                "{} {path} is routed",
                op.method.as_str()
            );
            continue;
        }
        let answer = common::answer(response).await;
        assert_ne!(
            answer.status,
            405,
            "{} {path} is routed",
            op.method.as_str()
        );
        assert_ne!(
            answer.body["message"],
            "The requested endpoint does not exist",
            "{} {path} is routed",
            op.method.as_str()
        );
    }
}
