//! The OpenAPI 3.1 document (`GET /api/openapi.json`), built from the route table
//! ([`crate::route_table::OPERATIONS`], which the router is built from too) and from the
//! registry: each task type's payload schema. Schemas come from `schemars` (JSON Schema
//! 2020-12, as OpenAPI 3.1 uses), the named ones under `/components/schemas`.

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use zora_engine::Registry;

use crate::route_table::{Answer, OPERATIONS, Operation};
use crate::schemas;

fn content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// The document's entry for one route.
fn operation(op: &Operation, generator: &mut SchemaGenerator, error: &Value) -> Value {
    let success = match op.answer {
        Answer::Json(schema) => {
            json!({"description": "Success", "content": content(schema(generator))})
        }
        Answer::Text => json!({"description": "Success",
            "content": {"text/plain": {"schema": {"type": "string"}}}}),
        Answer::EventStream => json!({"description": "Success",
            "content": {"text/event-stream": {"schema": {"type": "string"}}}}),
        Answer::Empty => json!({"description": "Success, no body"}),
    };
    let mut operation = json!({
        "operationId": op.id,
        "summary": op.summary,
        "responses": {
            op.status.to_string(): success,
            "default": {"description": "Any error, in the one error shape", "content": content(error.clone())},
        },
    });
    if op.authenticated {
        operation["security"] = json!([{"bearer": []}, {"cookie": []}]);
    }
    if let Some(body) = op.request {
        operation["requestBody"] =
            json!({"required": body.required, "content": content((body.schema)(generator))});
    }
    let mut parameters = Vec::new();
    if op.path.contains("{id}") {
        parameters.push(json!({"name": "id", "in": "path", "required": true,
            "schema": {"type": "string", "format": "uuid"}}));
    }
    parameters.extend((op.query)());
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    operation
}

/// The whole document.
pub fn document(registry: &Registry) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let error = schemas::error(&mut generator);
    let mut paths: Map<String, Value> = Map::new();
    for op in OPERATIONS {
        let entry = operation(op, &mut generator, &error);
        if let Some(methods) = paths
            .entry(op.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            methods.insert(op.method.as_str().to_owned(), entry);
        }
    }
    let payloads: Map<String, Value> = registry
        .entries()
        .map(|(kind, h)| (kind.to_owned(), h.payload_schema()))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "ZORA CORE task engine", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE_NAME},
            },
        },
        "x-payload-schemas": payloads,
    })
}
