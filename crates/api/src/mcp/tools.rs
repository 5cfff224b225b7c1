//! The MCP server's tools: each is one route of the route table, named for a model, its
//! input schema the route's own path id, query parameters and body fields, generated
//! from the same types as the API's bodies (JSON Schema draft 2020-12, inlined).

use std::sync::{Arc, LazyLock};

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::route_table::{OPERATIONS, Operation};

/// A tool: the route it calls and what of the route it offers.
#[derive(Debug)]
pub(super) struct ToolSpec {
    pub name: &'static str,
    /// The route's `operationId`.
    pub operation: &'static str,
    pub description: &'static str,
    /// The query parameters it takes (`None`: all of the route's).
    pub query: Option<&'static [&'static str]>,
    /// The body fields it takes (`None`: all of the route's body).
    pub body: Option<&'static [&'static str]>,
    /// What its answer adds to the route's.
    pub adds: Adds,
}

/// What a tool's answer adds to its route's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Adds {
    Nothing,
    /// The task's last journal entries, as `journal`.
    Journal,
    /// `finished`: whether the route answered the task finished (200, not 202).
    Finished,
}

impl ToolSpec {
    /// The route this tool calls.
    pub fn route(&self) -> &'static Operation {
        OPERATIONS
            .iter()
            .find(|op| op.id == self.operation)
            .expect("every tool names a route of the table")
    }

    /// Whether it only reads.
    fn read_only(&self) -> bool {
        self.route().method == crate::route_table::Method::Get
    }
}

const fn tool(name: &'static str, operation: &'static str, description: &'static str) -> ToolSpec {
    ToolSpec {
        name,
        operation,
        description,
        query: None,
        body: None,
        adds: Adds::Nothing,
    }
}

/// Every tool, in the order `tools/list` gives them.
pub(super) static TOOLS: &[ToolSpec] = &[
    tool(
        "list_task_types",
        "taskTypes",
        "The task types this engine runs (built-in and registered by external workers), each with its payload fields and JSON Schema.",
    ),
    tool(
        "list_tasks",
        "listTasks",
        "The tenant's tasks, filtered by status, state, agent, type or words of the title, highest priority first, a page at a time.",
    ),
    ToolSpec {
        adds: Adds::Journal,
        ..tool(
            "get_task",
            "getTask",
            "One task in full: state, payload, result, errors by attempt, its parents (depends_on) and children (dependents), and its last journal entries.",
        )
    },
    ToolSpec {
        query: Some(&[]),
        ..tool(
            "create_task",
            "createTask",
            "Create a task for one of the six agents (CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM): its payload is checked as it will be run; depends_on chains it after other tasks (their results fill its payload through inputs); requires_approval makes it wait for a founder.",
        )
    },
    tool(
        "create_tasks",
        "createTaskBatch",
        "Create several tasks at once, all or nothing; an item's depends_on may name an earlier item by its ref, to make a chain.",
    ),
    ToolSpec {
        adds: Adds::Finished,
        ..tool(
            "wait_for_task",
            "waitTask",
            "Wait until a task is completed or failed (timeout in seconds, at most 120); answers the task and whether it finished.",
        )
    },
    tool(
        "run_task",
        "runTask",
        "Queue a pending task for the workers now, or retry a failed one.",
    ),
    tool(
        "cancel_task",
        "cancelTask",
        "Cancel a task, with a reason: a pending one at once, a running one at its worker's next lease check.",
    ),
    tool(
        "decide_task",
        "decideTask",
        "Approve or reject a task awaiting a founder's decision, with a reason (founders only).",
    ),
    tool(
        "submit_command",
        "submitCommand",
        "Submit a free-text command: LUMINA plans it into tasks for the agents; the answer lists them.",
    ),
    tool(
        "queue_health",
        "stats",
        "The queue's health: tasks per type and status, the oldest due task's wait, the last hour's finishes and failure rate, the workers alive.",
    ),
    tool(
        "list_schedules",
        "listSchedules",
        "The tenant's periodic schedules: cron, time zone, task template, next and last slot.",
    ),
    tool(
        "create_schedule",
        "createSchedule",
        "Create a periodic schedule: a cron in a time zone and the task it creates at each slot (founders and brand admins).",
    ),
    ToolSpec {
        body: Some(&["enabled"]),
        ..tool(
            "set_schedule_enabled",
            "updateSchedule",
            "Pause (enabled: false) or resume (enabled: true) a schedule (founders and brand admins).",
        )
    },
];

/// The tool named `name`.
pub(super) fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|tool| tool.name == name)
}

/// The tools as `tools/list` gives them, made once.
pub(super) fn listed() -> Vec<Tool> {
    static LISTED: LazyLock<Vec<Tool>> = LazyLock::new(|| TOOLS.iter().map(described).collect());
    LISTED.clone()
}

fn described(spec: &ToolSpec) -> Tool {
    let mut tool = Tool::new(spec.name, spec.description, Arc::new(input_schema(spec)));
    tool.annotations = Some(if spec.read_only() {
        ToolAnnotations::new().read_only(true)
    } else {
        ToolAnnotations::new().read_only(false)
    });
    tool
}

/// The names of the route's path parameters (`{id}` in its path).
pub(super) fn path_parameters(op: &Operation) -> Vec<&'static str> {
    op.path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The query parameters `spec` takes: `(name, schema, description, required)`.
pub(super) fn query_parameters(spec: &ToolSpec) -> Vec<(String, Value, Value, bool)> {
    (spec.route().query)()
        .into_iter()
        .filter_map(|parameter| {
            let name = parameter["name"].as_str()?.to_owned();
            let offered = spec
                .query
                .is_none_or(|names| names.contains(&name.as_str()));
            offered.then(|| {
                (
                    name,
                    parameter["schema"].clone(),
                    parameter["description"].clone(),
                    parameter["required"].as_bool().unwrap_or(false),
                )
            })
        })
        .collect()
}

/// The route's body schema, inlined, when it has one.
fn body_schema(op: &Operation) -> Option<Value> {
    let body = op.request?;
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut generator = SchemaGenerator::new(settings);
    Some((body.schema)(&mut generator))
}

/// `{type: object, properties, required, additionalProperties: false}`: the path
/// parameters, then the query parameters, then the body's fields.
fn input_schema(spec: &ToolSpec) -> JsonObject {
    let op = spec.route();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for name in path_parameters(op) {
        properties.insert(
            name.to_owned(),
            json!({"type": "string", "description": format!("The {name} of the {}", noun(op))}),
        );
        required.push(Value::from(name));
    }
    for (name, mut schema, description, needed) in query_parameters(spec) {
        if let (Some(schema), Some(description)) = (schema.as_object_mut(), description.as_str()) {
            schema.insert("description".into(), Value::from(description));
        }
        if needed {
            required.push(Value::from(name.as_str()));
        }
        properties.insert(name, schema);
    }
    if let Some(body) = body_schema(op) {
        let offered = |field: &str| spec.body.is_none_or(|fields| fields.contains(&field));
        if let Some(fields) = body["properties"].as_object() {
            for (field, schema) in fields.iter().filter(|(field, _)| offered(field)) {
                properties.insert(field.clone(), schema.clone());
            }
        }
        for field in body["required"].as_array().into_iter().flatten() {
            if field.as_str().is_some_and(offered) {
                required.push(field.clone());
            }
        }
    }
    let mut schema = Map::new();
    schema.insert("type".into(), Value::from("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    schema.insert("additionalProperties".into(), Value::Bool(false));
    schema
}

/// What a route's `{id}` names: a task, a schedule, a command.
fn noun(op: &Operation) -> &'static str {
    if op.path.contains("/schedules/") {
        "schedule"
    } else if op.path.contains("/commands/") {
        "command"
    } else {
        "task"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_a_route_with_a_closed_object_schema() {
        let tools = listed();
        assert_eq!(tools.len(), TOOLS.len());
        for (spec, tool) in TOOLS.iter().zip(&tools) {
            let schema = &tool.input_schema;
            assert_eq!(schema["type"], "object", "{}", spec.name);
            assert_eq!(schema["additionalProperties"], false, "{}", spec.name);
            for name in path_parameters(spec.route()) {
                assert!(
                    schema["properties"].get(name).is_some(),
                    "{}: {name}",
                    spec.name
                );
            }
            let text = serde_json::to_string(&**schema).expect("json");
            assert!(
                !text.contains("\"$ref\""),
                "{}: inlined, no $ref: {text}",
                spec.name
            );
        }
        let decide = spec("decide_task").expect("decide_task");
        let schema = input_schema(decide);
        assert_eq!(schema["required"], json!(["id", "decision"]));
        let enable = input_schema(spec("set_schedule_enabled").expect("tool"));
        let offered: Vec<&String> = enable["properties"]
            .as_object()
            .expect("props")
            .keys()
            .collect();
        assert_eq!(offered, ["enabled", "id"], "only what the tool offers");
    }
}
