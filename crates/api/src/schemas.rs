//! The JSON Schemas of what the routes take and answer, for the OpenAPI document: the
//! typed ones from the same types the routes serialize (`schemars`), the rest written
//! here beside them. Each route of [`crate::route_table`] names its own.

use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::FieldError;
use crate::routes::commands::CommandListItem;
use crate::routes::tasks::TaskListItem;
use crate::task_object::TaskObject;

/// A schema, written into the document's generator (which collects the named types
/// under `/components/schemas`).
pub type Schema = fn(&mut SchemaGenerator) -> Value;

/// The error body every failure answers with.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// UNAUTHORIZED, MISSING_TOKEN, FORBIDDEN, NOT_FOUND, INVALID_JSON, VALIDATION_ERROR, ...
    pub error: String,
    pub message: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// On VALIDATION_ERROR: each field at fault.
    pub fields: Option<Vec<FieldError>>,
}

/// The body of `POST /api/agents/commands`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubmitCommandBody {
    /// The command, in free text.
    pub raw_prompt: String,
    /// The agents it is for (CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM).
    pub target_agents: Option<Vec<String>>,
}

/// The body of `POST /api/agents/tasks` and `run-dry`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateTaskBody {
    /// CONNOR, LUMINA, EIVOR, ORACLE, AEGIS or SAM (any case).
    pub agent_id: String,
    pub task_type: String,
    pub title: String,
    pub description: Option<String>,
    /// The task type's payload (see `x-payload-schemas`).
    pub payload: Option<Map<String, Value>>,
    /// Higher runs first; non-negative.
    pub priority: Option<u32>,
    /// Not before this time (RFC 3339).
    pub run_at: Option<chrono::DateTime<chrono::Utc>>,
    pub max_attempts: Option<u32>,
    pub requires_approval: Option<bool>,
    pub idempotency_key: Option<String>,
    /// Parents that must complete first (at most 20, of the same tenant): a task id, or
    /// `{"task_id": id, "inputs": {"child_field": "parent_result_field"}}`; in a batch,
    /// also a `ref` of the batch (`"plan"` or `{"ref": "plan", "inputs": {...}}`).
    pub depends_on: Option<Vec<Value>>,
}

/// One task of `POST /api/agents/tasks/batch`: a create body and its `ref`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchTaskBody {
    #[serde(flatten)]
    pub task: CreateTaskBody,
    /// A short name, unique in the batch, that other tasks' `depends_on` may name.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// The body of `POST /api/agents/tasks/batch`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchBody {
    /// 1 to 100 tasks, created in one transaction.
    pub tasks: Vec<BatchTaskBody>,
}

fn of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// `{"data": schema}`.
fn data(schema: Value) -> Value {
    json!({"type": "object", "required": ["data"], "properties": {"data": schema}})
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn pagination() -> Value {
    json!({"type": "object", "required": ["limit", "offset", "total", "has_more"], "properties": {
        "limit": {"type": "integer"}, "offset": {"type": "integer"}, "total": {"type": "integer"},
        "has_more": {"type": "boolean"}}})
}

/// A page: `{"data": [item], "pagination": {...}}`.
fn page(item: Value) -> Value {
    json!({"type": "object", "required": ["data", "pagination"], "properties": {
        "data": array(item), "pagination": pagination()}})
}

pub fn error(generator: &mut SchemaGenerator) -> Value {
    of::<ErrorBody>(generator)
}

pub fn health(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}})
}

pub fn ready(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["status", "database"], "properties": {
        "status": {"enum": ["ready", "not_ready"]},
        "database": {"enum": ["postgres", "sqlite"]},
        "reason": {"type": "string", "description": "Why not ready (pending migrations, no answer)"}}})
}

pub fn openapi(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "description": "An OpenAPI 3.1 document: this one",
        "required": ["openapi", "paths"], "properties": {
            "openapi": {"const": "3.1.0"}, "paths": {"type": "object"},
            "x-payload-schemas": {"type": "object", "description": "Each task type's payload schema"}}})
}

pub fn task(generator: &mut SchemaGenerator) -> Value {
    data(of::<TaskObject<zora_core::Task>>(generator))
}

pub fn task_page(generator: &mut SchemaGenerator) -> Value {
    page(of::<TaskObject<TaskListItem>>(generator))
}

pub fn state_counts(_: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "description": "Every state with its count of tasks",
        "additionalProperties": {"type": "integer", "minimum": 0}}),
    )
}

pub fn stats(generator: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["queue", "finished_per_minute", "workers_alive"],
        "properties": {
            "queue": of::<zora_core::stats::QueueStats>(generator),
            "finished_per_minute": array(of::<zora_core::stats::MinuteCount>(generator)),
            "workers_alive": {"type": "integer", "minimum": 0}}}),
    )
}

pub fn session(generator: &mut SchemaGenerator) -> Value {
    data(json!({"type": "object",
        "required": ["tenant_id", "user_id", "role", "can_operate", "can_decide", "can_create"],
        "properties": {
            "tenant_id": {"type": "string", "format": "uuid"},
            "user_id": {"type": "string", "format": "uuid"},
            "role": of::<crate::auth::Role>(generator),
            "can_operate": {"type": "boolean"}, "can_decide": {"type": "boolean"},
            "can_create": {"type": "boolean"}}}))
}

pub fn create_body(generator: &mut SchemaGenerator) -> Value {
    of::<CreateTaskBody>(generator)
}

pub fn batch_body(generator: &mut SchemaGenerator) -> Value {
    of::<BatchBody>(generator)
}

pub fn batch(generator: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["tasks", "refs"], "properties": {
        "tasks": array(of::<TaskObject<zora_core::Task>>(generator)),
        "refs": {"type": "object", "additionalProperties": {"type": "string", "format": "uuid"}}}}),
    )
}

pub fn dry_run(generator: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["valid", "message"], "properties": {
        "valid": {"type": "boolean"},
        "message": {"type": "string"},
        "preview": {"type": "object", "description": "When valid: the task as it would be created"},
        "errors": array(json!({"type": "string"})),
        "fields": array(of::<FieldError>(generator))}})
}

pub fn task_types(_: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["supported", "categories"], "properties": {
        "v1_supported": array(json!({"type": "string"})),
        "supported": array(json!({"type": "string"})),
        "approval_types": array(json!({"type": "string"})),
        "categories": {"type": "object", "additionalProperties": array(json!({
            "type": "object", "required": ["type", "description", "json_schema"], "properties": {
                "type": {"type": "string"}, "description": {"type": "string"},
                "requires_approval": {"type": "boolean"},
                "payload_schema": {"type": "object", "additionalProperties": {"type": "string"}},
                "json_schema": {"type": "object"},
                "alias_of": {"type": "string"}}}))}}}),
    )
}

pub fn journal(generator: &mut SchemaGenerator) -> Value {
    data(array(of::<zora_core::journal::JournalEntry>(generator)))
}

/// A task and what was done with it (`execution`: a synchronous run's outcome).
pub fn task_execution(generator: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["data"], "properties": {
        "data": of::<TaskObject<zora_core::Task>>(generator),
        "execution": {"type": "object", "properties": {
            "status": {"type": "string", "description": "What was done or came of it: completed, failed, running, cancelled, cancelling, ..."},
            "message": {"type": ["string", "null"]},
            "is_v1_supported": {"type": "boolean"},
            "supported_v1_types": array(json!({"type": "string"})),
            "cli_command": {"type": "string"}}}}})
}

pub fn cancel_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "properties": {"reason": {"type": "string"}}})
}

pub fn decision_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["decision"], "properties": {
        "decision": {"enum": ["approve", "reject"]}, "reason": {"type": "string"}}})
}

pub fn decision(generator: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["data", "decision"], "properties": {
        "data": of::<TaskObject<zora_core::Task>>(generator),
        "decision": {"enum": ["approved", "rejected"]}}})
}

pub fn command_page(generator: &mut SchemaGenerator) -> Value {
    page(of::<CommandListItem>(generator))
}

pub fn command_body(generator: &mut SchemaGenerator) -> Value {
    of::<SubmitCommandBody>(generator)
}

pub fn submitted_command(generator: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["command", "tasks_created", "summary"], "properties": {
        "command": of::<zora_core::command::Command>(generator),
        "tasks_created": array(of::<TaskObject<TaskListItem>>(generator)),
        "summary": {"type": "string"}}}),
    )
}

pub fn command(generator: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["data", "tasks"], "properties": {
        "data": of::<zora_core::command::Command>(generator),
        "tasks": array(of::<TaskObject<TaskListItem>>(generator))}})
}

pub fn schedule(generator: &mut SchemaGenerator) -> Value {
    data(of::<zora_core::schedule::Schedule>(generator))
}

pub fn schedules(generator: &mut SchemaGenerator) -> Value {
    data(array(of::<zora_core::schedule::Schedule>(generator)))
}

/// A schedule's fields as a body takes them (every one optional in a change).
fn schedule_body() -> Value {
    let template = json!({"type": "object", "required": ["agent_id", "task_type", "title"],
        "description": "A create body without run_at, idempotency_key or depends_on",
        "properties": {"agent_id": {"type": "string"}, "task_type": {"type": "string"},
            "title": {"type": "string"}, "description": {"type": "string"},
            "payload": {"type": "object"}, "priority": {"type": "integer", "minimum": 0},
            "max_attempts": {"type": "integer", "minimum": 1},
            "requires_approval": {"type": "boolean"}}});
    json!({"type": "object", "additionalProperties": false, "properties": {
        "name": {"type": "string", "maxLength": 200},
        "cron": {"type": "string", "description": "5 fields: minute hour day-of-month month day-of-week", "examples": ["0 9 * * MON"]},
        "timezone": {"type": "string", "default": "UTC", "examples": ["Europe/Copenhagen"]},
        "task": template, "enabled": {"type": "boolean", "default": true}}})
}

pub fn new_schedule_body(_: &mut SchemaGenerator) -> Value {
    let mut body = schedule_body();
    body["required"] = json!(["name", "cron", "task"]);
    body
}

pub fn schedule_change_body(_: &mut SchemaGenerator) -> Value {
    schedule_body()
}

pub fn preview(_: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["cron", "timezone", "next_runs"], "properties": {
        "cron": {"type": "string"}, "timezone": {"type": "string"},
        "next_runs": array(json!({"type": "string", "format": "date-time"}))}}),
    )
}

/// An external type as `PUT /api/workers/types/{task_type}` answers it.
pub fn worker_type(_: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["task_type", "agent_id", "payload_schema", "external", "workers_alive"],
        "properties": {
            "task_type": {"type": "string"}, "agent_id": {"type": "string"},
            "description": {"type": "string"}, "payload_schema": {"type": ["object", "boolean"]},
            "result_schema": {"type": ["object", "boolean", "null"]},
            "timeout_s": {"type": "integer"}, "max_attempts": {"type": ["integer", "null"]},
            "external": {"const": true},
            "tenant_id": {"type": ["string", "null"], "description": "null: registered for every tenant"},
            "registered_by": {"type": ["string", "null"]},
            "updated_at": {"type": "string", "format": "date-time"},
            "workers_alive": {"type": "integer", "description": "External workers that claimed or beat for the type within a lease"}}}),
    )
}

pub fn worker_type_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["agent_id", "payload_schema"],
        "properties": {
            "agent_id": {"type": "string", "description": "The agent the type's tasks are for (CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM)"},
            "description": {"type": "string"},
            "payload_schema": {"type": ["object", "boolean"], "description": "JSON Schema (draft 2020-12) every payload meets at create time"},
            "result_schema": {"type": ["object", "boolean", "null"], "description": "JSON Schema every result meets at completion"},
            "timeout_s": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 300, "description": "The default lease of a claim, at most 600 s"},
            "max_attempts": {"type": ["integer", "null"], "minimum": 1, "maximum": 100}}})
}

pub fn worker_claim_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["worker", "types"],
        "properties": {
            "worker": {"type": "string", "minLength": 1, "maxLength": 100, "description": "The process's name, the lease owner"},
            "types": array(json!({"type": "string"})),
            "max": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1},
            "wait_s": {"type": "integer", "minimum": 0, "maximum": 30, "default": 0},
            "lease_s": {"type": "integer", "minimum": 5, "maximum": 600, "description": "Default: the types' timeout_s, at most 600"}}})
}

pub fn worker_claims(generator: &mut SchemaGenerator) -> Value {
    data(array(
        json!({"type": "object", "required": ["task", "lease", "attempt", "inputs_applied"],
        "properties": {
            "task": of::<TaskObject<zora_core::Task>>(generator),
            "lease": {"type": "object", "required": ["token", "expires_at"], "properties": {
                "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}},
            "attempt": {"type": "integer"},
            "inputs_applied": {"type": "boolean", "description": "Whether parents' results filled payload fields"}}}),
    ))
}

pub fn worker_lease(_: &mut SchemaGenerator) -> Value {
    data(
        json!({"type": "object", "required": ["expires_at"], "properties": {
        "expires_at": {"type": "string", "format": "date-time"}}}),
    )
}

pub fn worker_heartbeat_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["lease"], "properties": {
        "lease": {"type": "string"}, "lease_s": {"type": "integer", "minimum": 5, "maximum": 600}}})
}

pub fn worker_complete_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["lease", "result"], "properties": {
        "lease": {"type": "string"}, "result": {"type": "object"}, "summary": {"type": "string"},
        "journal": array(json!({"type": "object", "required": ["category", "title"], "properties": {
            "category": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
            "details": {"type": "object"}}})),
        "usage": {"type": "object", "properties": {"model": {"type": "string"},
            "prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"},
            "cost_usd": {"type": "number"}}}}})
}

pub fn worker_fail_body(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["lease", "error"], "properties": {
        "lease": {"type": "string"}, "error": {"type": "string"},
        "retryable": {"type": "boolean", "default": true},
        "retry_after_s": {"type": "integer", "minimum": 0}}})
}

/// `body` with a `task_id` (a string) beside its own fields.
fn with_task_id(mut body: Value) -> Value {
    body["required"]
        .as_array_mut()
        .expect("a body's required list")
        .insert(0, Value::from("task_id"));
    body["properties"]["task_id"] = json!({"type": "string", "format": "uuid"});
    body
}

pub fn worker_outcomes_body(generator: &mut SchemaGenerator) -> Value {
    let list = |item: Value| json!({"type": "array", "maxItems": 100, "items": with_task_id(item)});
    json!({"type": "object", "additionalProperties": false, "properties": {
        "heartbeats": list(worker_heartbeat_body(generator)),
        "completions": list(worker_complete_body(generator)),
        "failures": list(worker_fail_body(generator))}})
}

pub fn worker_outcomes(_: &mut SchemaGenerator) -> Value {
    let refused = json!({"type": "object", "required": ["task_id", "error", "message", "status"],
        "properties": {"task_id": {"type": "string"}, "error": {"type": "string"},
            "message": {"type": "string"}, "status": {"type": "integer"}, "fields": {"type": "array"}}});
    let either = |answer: Value| json!({"type": "array", "items": {"anyOf": [answer, refused]}});
    data(
        json!({"type": "object", "required": ["heartbeats", "completions", "failures"], "properties": {
        "heartbeats": either(json!({"type": "object", "required": ["task_id", "expires_at"], "properties": {
            "task_id": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}})),
        "completions": either(json!({"type": "object", "required": ["task_id", "status", "replay"], "properties": {
            "task_id": {"type": "string"}, "status": {"type": "string"}, "replay": {"type": "boolean"}}})),
        "failures": either(json!({"type": "object", "required": ["task_id", "status", "state", "replay"], "properties": {
            "task_id": {"type": "string"}, "status": {"type": "string"}, "state": {"type": "string"},
            "replay": {"type": "boolean"}}}))}}),
    )
}

pub fn usage(generator: &mut SchemaGenerator) -> Value {
    let totals = json!({"type": "object", "required": ["calls", "prompt_tokens", "completion_tokens", "cost_usd"],
        "properties": {"calls": {"type": "integer"}, "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"}, "cost_usd": {"type": ["number", "null"]}}});
    json!({"type": "object", "required": ["data", "totals", "from", "to", "group_by", "budget"],
        "properties": {
            "data": array(of::<zora_core::usage::UsageLine>(generator)),
            "totals": totals,
            "from": {"type": "string", "format": "date-time"},
            "to": {"type": "string", "format": "date-time"},
            "group_by": {"enum": ["day", "model", "task_type", "agent"]},
            "budget": {"type": "null", "description": "The tenant's budget, when one is set (to come)"}}})
}

/// The usage window and its grouping.
pub fn usage_query() -> Vec<Value> {
    vec![
        json!({"name": "from", "in": "query", "description": "RFC 3339; default: 30 days before `to`", "schema": {"type": "string", "format": "date-time"}}),
        json!({"name": "to", "in": "query", "description": "RFC 3339, exclusive; default: now", "schema": {"type": "string", "format": "date-time"}}),
        json!({"name": "group_by", "in": "query", "schema": {"enum": ["day", "model", "task_type", "agent"], "default": "day"}}),
    ]
}

/// No query parameters.
pub fn no_query() -> Vec<Value> {
    Vec::new()
}

/// `timeout`: how long a waiting route waits.
pub fn timeout_query() -> Vec<Value> {
    vec![
        json!({"name": "timeout", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 120, "default": 30}}),
    ]
}

/// `wait` and `timeout`: a synchronous create or run.
pub fn wait_query() -> Vec<Value> {
    let mut query = vec![
        json!({"name": "wait", "in": "query", "schema": {"type": "boolean", "default": false}}),
    ];
    query.extend(timeout_query());
    query
}

/// `limit` and `offset`.
pub fn page_query() -> Vec<Value> {
    vec![
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 50}}),
        json!({"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}),
    ]
}

/// The task list's filters and order, and a page.
pub fn list_query() -> Vec<Value> {
    let mut query = vec![
        json!({"name": "status", "in": "query", "schema": {"enum": ["pending", "in_progress", "completed", "failed"]}}),
        json!({"name": "state", "in": "query", "description": "Comma-separated fine-grained states",
         "schema": {"type": "string", "examples": ["available,blocked"]}}),
        json!({"name": "agent_id", "in": "query", "schema": {"type": "string"}}),
        json!({"name": "task_type", "in": "query", "schema": {"type": "string"}}),
        json!({"name": "q", "in": "query", "description": "Text the title contains (any case)", "schema": {"type": "string"}}),
        json!({"name": "order", "in": "query", "description": "queue (priority, then oldest), newest or oldest", "schema": {"enum": ["queue", "newest", "oldest"], "default": "queue"}}),
    ];
    query.extend(page_query());
    query
}

/// `cron` and `timezone`.
pub fn preview_query() -> Vec<Value> {
    vec![
        json!({"name": "cron", "in": "query", "required": true, "schema": {"type": "string", "examples": ["0 9 * * MON"]}}),
        json!({"name": "timezone", "in": "query", "schema": {"type": "string", "default": "UTC"}}),
    ]
}
