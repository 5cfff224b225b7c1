//! External types as the API and the CLI show them: the registration with `external:
//! true` and the workers alive that serve it, and the catalog's entry beside the
//! built-in types.

use serde_json::{Value, json};
use zora_core::WorkerInfo;
use zora_core::external::ExternalType;
use zora_core::worker::WorkerKind;

use crate::registry::Registry;

/// The external workers among `workers` that serve `kind` (its tenant's, or every
/// tenant's), by name.
pub fn workers_serving<'a>(kind: &ExternalType, workers: &'a [WorkerInfo]) -> Vec<&'a WorkerInfo> {
    workers
        .iter()
        .filter(|w| w.kind == WorkerKind::External)
        .filter(|w| w.task_types.contains(&kind.task_type))
        .filter(|w| {
            kind.tenant_id.is_none() || w.tenant_id.is_none() || w.tenant_id == kind.tenant_id
        })
        .collect()
}

/// `{task_type, agent_id, description, payload_schema, result_schema, timeout_s,
/// max_attempts, push, external: true, tenant_id, registered_by, updated_at,
/// workers_alive}` (`push`: `{url, timeout_s}`, its secret never shown),
/// `workers_alive` counting `workers` that serve it.
pub fn type_object(kind: &ExternalType, workers: &[WorkerInfo]) -> Value {
    let d = &kind.definition;
    json!({
        "task_type": kind.task_type,
        "agent_id": d.agent_id,
        "description": d.description,
        "payload_schema": d.payload_schema,
        "result_schema": d.result_schema,
        "timeout_s": d.timeout_s,
        "max_attempts": d.max_attempts,
        "push": d.push,
        "external": true,
        "tenant_id": kind.tenant_id,
        "registered_by": kind.registered_by,
        "updated_at": kind.updated_at,
        "workers_alive": workers_serving(kind, workers).len(),
    })
}

impl Registry {
    /// [`Registry::catalog`] with `external` types in the category `external`, each
    /// entry as a built-in one (its `payload_schema` the descriptions of its schema's
    /// properties, `json_schema` the schema) with `external: true`, its agent and its
    /// workers alive (`workers`: name, types, last beat, tasks in hand).
    pub fn catalog_with(&self, external: &[ExternalType], workers: &[WorkerInfo]) -> Value {
        let mut catalog = self.catalog();
        let entries: Vec<Value> = external
            .iter()
            .map(|kind| {
                let serving = workers_serving(kind, workers);
                json!({
                    "type": kind.task_type,
                    "description": kind.definition.description,
                    "requires_approval": self.requires_approval(&kind.task_type),
                    "payload_schema": field_descriptions(&kind.definition.payload_schema),
                    "json_schema": kind.definition.payload_schema,
                    "external": true,
                    "agent_id": kind.definition.agent_id,
                    "workers_alive": serving.len(),
                    "workers": serving.iter().map(|w| json!({
                        "name": w.id, "task_types": w.task_types, "last_beat_at": w.heartbeat_at,
                        "tasks_in_hand": w.tasks_in_hand,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        if entries.is_empty() {
            return catalog;
        }
        for kind in external {
            if let Some(supported) = catalog["supported"].as_array_mut() {
                supported.push(Value::from(kind.task_type.clone()));
            }
        }
        catalog["categories"]["external"] = Value::Array(entries);
        catalog
    }
}

/// `{field: description}` of a schema's top-level properties (empty text where one has
/// none), as ZORA CORE's clients read a type's fields.
fn field_descriptions(schema: &Value) -> Value {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return json!({});
    };
    properties
        .iter()
        .map(|(name, property)| {
            let description = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            (name.clone(), Value::from(description))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}
