//! The OpenAPI 3.1 document (`GET /api/openapi.json`), generated from the same types the
//! routes answer with (their JSON Schemas come from `schemars`, JSON Schema 2020-12 as
//! OpenAPI 3.1 uses), from [`OPERATIONS`], the table the router is built from, and from
//! the registry: each task type's payload schema.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value, json};
use zora_engine::Registry;

use crate::error::FieldError;
use crate::routes::tasks::TaskListItem;
use crate::task_object::TaskObject;

/// Every route of the API, one variant each: the router's handler for each is an
/// exhaustive `match` (`crate::handler`), so a route without a handler does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Ready,
    Metrics,
    Openapi,
    ListTasks,
    TaskCounts,
    Stats,
    Events,
    Session,
    CreateTask,
    CreateBatch,
    RunDry,
    TaskTypes,
    GetTask,
    TaskJournal,
    WaitTask,
    RunTask,
    CancelTask,
    DecideTask,
    ListCommands,
    SubmitCommand,
    GetCommand,
    ListSchedules,
    CreateSchedule,
    PreviewSchedule,
    GetSchedule,
    UpdateSchedule,
    DeleteSchedule,
}

impl Route {
    /// The OpenAPI `operationId`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Ready => "ready",
            Self::Metrics => "metrics",
            Self::Openapi => "openapi",
            Self::ListTasks => "listTasks",
            Self::TaskCounts => "taskCounts",
            Self::Stats => "stats",
            Self::Events => "events",
            Self::Session => "session",
            Self::CreateTask => "createTask",
            Self::CreateBatch => "createTaskBatch",
            Self::RunDry => "runDry",
            Self::TaskTypes => "taskTypes",
            Self::GetTask => "getTask",
            Self::TaskJournal => "taskJournal",
            Self::WaitTask => "waitTask",
            Self::RunTask => "runTask",
            Self::CancelTask => "cancelTask",
            Self::DecideTask => "decideTask",
            Self::ListCommands => "listCommands",
            Self::SubmitCommand => "submitCommand",
            Self::GetCommand => "getCommand",
            Self::ListSchedules => "listSchedules",
            Self::CreateSchedule => "createSchedule",
            Self::PreviewSchedule => "previewSchedule",
            Self::GetSchedule => "getSchedule",
            Self::UpdateSchedule => "updateSchedule",
            Self::DeleteSchedule => "deleteSchedule",
        }
    }
}

/// One route: method, path, what it does, whether it needs a token.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub route: Route,
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub authenticated: bool,
}

impl Operation {
    /// The OpenAPI `operationId`.
    pub fn id(&self) -> &'static str {
        self.route.id()
    }
}

/// Every route of the API. The router is built from this table, so the document cannot
/// miss one.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        route: Route::Health,
        method: "get",
        path: "/health",
        summary: "The process answers",
        authenticated: false,
    },
    Operation {
        route: Route::Ready,
        method: "get",
        path: "/ready",
        summary: "The database answers and its schema is current",
        authenticated: false,
    },
    Operation {
        route: Route::Metrics,
        method: "get",
        path: "/metrics",
        summary: "The engine's metrics, in the Prometheus text format",
        authenticated: false,
    },
    Operation {
        route: Route::Openapi,
        method: "get",
        path: "/api/openapi.json",
        summary: "This document",
        authenticated: false,
    },
    Operation {
        route: Route::ListTasks,
        method: "get",
        path: "/api/agents/tasks",
        summary: "The tenant's tasks, highest priority first",
        authenticated: true,
    },
    Operation {
        route: Route::TaskCounts,
        method: "get",
        path: "/api/agents/tasks/counts",
        summary: "How many of the tenant's tasks are in each state",
        authenticated: true,
    },
    Operation {
        route: Route::Stats,
        method: "get",
        path: "/api/agents/stats",
        summary: "The queue's health: counts per type and status, the oldest due task, the last hour's finishes per minute, workers alive",
        authenticated: true,
    },
    Operation {
        route: Route::Events,
        method: "get",
        path: "/api/agents/events",
        summary: "Server-sent events: `counts` (tasks per state) at once and at each change",
        authenticated: true,
    },
    Operation {
        route: Route::Session,
        method: "get",
        path: "/api/agents/session",
        summary: "Who the token names, and what the role may do",
        authenticated: true,
    },
    Operation {
        route: Route::CreateTask,
        method: "post",
        path: "/api/agents/tasks",
        summary: "Create a pending task, checked as it will be run",
        authenticated: true,
    },
    Operation {
        route: Route::CreateBatch,
        method: "post",
        path: "/api/agents/tasks/batch",
        summary: "Create several tasks, with dependencies among them by ref, all or nothing",
        authenticated: true,
    },
    Operation {
        route: Route::RunDry,
        method: "post",
        path: "/api/agents/tasks/run-dry",
        summary: "Check a task without creating it",
        authenticated: true,
    },
    Operation {
        route: Route::TaskTypes,
        method: "get",
        path: "/api/agents/tasks/types",
        summary: "The task types this engine runs, with their payload schemas",
        authenticated: true,
    },
    Operation {
        route: Route::GetTask,
        method: "get",
        path: "/api/agents/tasks/{id}",
        summary: "One task in full",
        authenticated: true,
    },
    Operation {
        route: Route::TaskJournal,
        method: "get",
        path: "/api/agents/tasks/{id}/journal",
        summary: "The journal entries about a task, oldest first",
        authenticated: true,
    },
    Operation {
        route: Route::WaitTask,
        method: "get",
        path: "/api/agents/tasks/{id}/wait",
        summary: "Wait for a task's outcome: 200 once it is completed or failed, 202 at the timeout",
        authenticated: true,
    },
    Operation {
        route: Route::RunTask,
        method: "post",
        path: "/api/agents/tasks/{id}/run",
        summary: "Queue a pending task or reset a failed one",
        authenticated: true,
    },
    Operation {
        route: Route::CancelTask,
        method: "post",
        path: "/api/agents/tasks/{id}/cancel",
        summary: "Cancel a task: a pending one at once (200), a running one at its next lease check (202)",
        authenticated: true,
    },
    Operation {
        route: Route::DecideTask,
        method: "post",
        path: "/api/agents/tasks/{id}/decision",
        summary: "Approve or reject a task awaiting a decision (founders only)",
        authenticated: true,
    },
    Operation {
        route: Route::ListCommands,
        method: "get",
        path: "/api/agents/commands",
        summary: "The tenant's commands, newest first",
        authenticated: true,
    },
    Operation {
        route: Route::SubmitCommand,
        method: "post",
        path: "/api/agents/commands",
        summary: "Submit a free-text command: LUMINA plans it into tasks",
        authenticated: true,
    },
    Operation {
        route: Route::GetCommand,
        method: "get",
        path: "/api/agents/commands/{id}",
        summary: "One command and its tasks",
        authenticated: true,
    },
    Operation {
        route: Route::ListSchedules,
        method: "get",
        path: "/api/agents/schedules",
        summary: "The tenant's periodic schedules, by name",
        authenticated: true,
    },
    Operation {
        route: Route::CreateSchedule,
        method: "post",
        path: "/api/agents/schedules",
        summary: "Create a periodic schedule: a cron in a time zone and a task template (founders and brand admins)",
        authenticated: true,
    },
    Operation {
        route: Route::PreviewSchedule,
        method: "get",
        path: "/api/agents/schedules/preview",
        summary: "The next five slots of a cron expression in a time zone, or 400 naming the field at fault",
        authenticated: true,
    },
    Operation {
        route: Route::GetSchedule,
        method: "get",
        path: "/api/agents/schedules/{id}",
        summary: "One schedule, with its next and last slot",
        authenticated: true,
    },
    Operation {
        route: Route::UpdateSchedule,
        method: "patch",
        path: "/api/agents/schedules/{id}",
        summary: "Change a schedule (any of name, cron, timezone, task, enabled); a resume does not replay the pause",
        authenticated: true,
    },
    Operation {
        route: Route::DeleteSchedule,
        method: "delete",
        path: "/api/agents/schedules/{id}",
        summary: "Delete a schedule (204); the tasks it made stay",
        authenticated: true,
    },
];

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

fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.into_generator()
}

fn content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// The whole document.
pub fn document(registry: &Registry) -> Value {
    let mut generator = generator();
    let error = generator.subschema_for::<ErrorBody>().to_value();
    let task = generator
        .subschema_for::<TaskObject<zora_core::Task>>()
        .to_value();
    let item = generator
        .subschema_for::<TaskObject<TaskListItem>>()
        .to_value();
    let body = generator.subschema_for::<CreateTaskBody>().to_value();
    let batch_body = generator.subschema_for::<BatchBody>().to_value();
    let command_body = generator.subschema_for::<SubmitCommandBody>().to_value();
    let command_item = generator
        .subschema_for::<crate::routes::commands::CommandListItem>()
        .to_value();
    let pagination = json!({"type": "object", "required": ["limit", "offset", "total", "has_more"], "properties": {
        "limit": {"type": "integer"}, "offset": {"type": "integer"}, "total": {"type": "integer"}, "has_more": {"type": "boolean"}}});
    let data = |schema: Value| json!({"type": "object", "required": ["data"], "properties": {"data": schema}});
    let mut paths: Map<String, Value> = Map::new();
    for op in OPERATIONS {
        let ok = match op.route {
            Route::ListTasks => {
                json!({"type": "object", "properties": {"data": {"type": "array", "items": item}, "pagination": pagination}})
            }
            Route::GetTask | Route::CreateTask | Route::WaitTask => data(task.clone()),
            Route::TaskCounts => {
                data(json!({"type": "object", "additionalProperties": {"type": "integer"}}))
            }
            Route::CreateBatch => data(json!({"type": "object", "required": ["tasks", "refs"],
                "properties": {"tasks": {"type": "array", "items": task},
                               "refs": {"type": "object", "additionalProperties": {"type": "string", "format": "uuid"}}}})),
            Route::RunTask | Route::CancelTask => {
                json!({"type": "object", "properties": {"data": task, "execution": {"type": "object"}}})
            }
            Route::DecideTask => {
                json!({"type": "object", "properties": {"data": task, "decision": {"enum": ["approved", "rejected"]}}})
            }
            Route::ListCommands => {
                json!({"type": "object", "properties": {"data": {"type": "array", "items": command_item}, "pagination": pagination}})
            }
            _ => json!({"type": "object"}),
        };
        let status = if matches!(
            op.route,
            Route::CreateTask | Route::CreateBatch | Route::SubmitCommand
        ) {
            "201"
        } else {
            "200"
        };
        let mut operation = json!({
            "operationId": op.id(),
            "summary": op.summary,
            "responses": {
                status: {"description": "Success", "content": content(ok)},
                "default": {"description": "Any error, in the one error shape", "content": content(error.clone())},
            },
        });
        if op.route == Route::Metrics {
            operation["responses"][status]["content"] =
                json!({"text/plain": {"schema": {"type": "string"}}});
        }
        if op.route == Route::Events {
            operation["responses"][status]["content"] =
                json!({"text/event-stream": {"schema": {"type": "string"}}});
        }
        if op.authenticated {
            operation["security"] = json!([{"bearer": []}, {"cookie": []}]);
        }
        match op.route {
            Route::CreateTask | Route::RunDry => {
                operation["requestBody"] =
                    json!({"required": true, "content": content(body.clone())});
            }
            Route::CreateBatch => {
                operation["requestBody"] =
                    json!({"required": true, "content": content(batch_body.clone())});
            }
            Route::CancelTask => {
                operation["requestBody"] = json!({"required": false, "content": content(json!({
                    "type": "object", "properties": {"reason": {"type": "string"}}}))});
            }
            Route::DecideTask => {
                operation["requestBody"] = json!({"required": true, "content": content(json!({
                    "type": "object", "required": ["decision"], "properties": {
                        "decision": {"enum": ["approve", "reject"]}, "reason": {"type": "string"}}}))});
            }
            Route::SubmitCommand => {
                operation["requestBody"] =
                    json!({"required": true, "content": content(command_body.clone())});
            }
            Route::CreateSchedule | Route::UpdateSchedule => {
                let template = json!({"type": "object", "required": ["agent_id", "task_type", "title"],
                    "description": "A create body without run_at, idempotency_key or depends_on",
                    "properties": {"agent_id": {"type": "string"}, "task_type": {"type": "string"},
                        "title": {"type": "string"}, "description": {"type": "string"},
                        "payload": {"type": "object"}, "priority": {"type": "integer", "minimum": 0},
                        "max_attempts": {"type": "integer", "minimum": 1},
                        "requires_approval": {"type": "boolean"}}});
                let mut schedule = json!({"type": "object", "additionalProperties": false, "properties": {
                    "name": {"type": "string", "maxLength": 200},
                    "cron": {"type": "string", "description": "5 fields: minute hour day-of-month month day-of-week", "examples": ["0 9 * * MON"]},
                    "timezone": {"type": "string", "default": "UTC", "examples": ["Europe/Copenhagen"]},
                    "task": template, "enabled": {"type": "boolean", "default": true}}});
                if op.route == Route::CreateSchedule {
                    schedule["required"] = json!(["name", "cron", "task"]);
                }
                operation["requestBody"] = json!({"required": true, "content": content(schedule)});
            }
            _ => {}
        }
        if op.path.contains("{id}") {
            operation["parameters"] = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}]);
        }
        let wait_parameters = json!([
            {"name": "wait", "in": "query", "schema": {"type": "boolean", "default": false}},
            {"name": "timeout", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 120, "default": 30}},
        ]);
        match op.route {
            Route::WaitTask => {
                if let Some(list) = operation["parameters"].as_array_mut() {
                    list.push(wait_parameters[1].clone());
                }
            }
            Route::CreateTask => operation["parameters"] = wait_parameters,
            Route::RunTask => {
                if let (Some(list), Some(extra)) = (
                    operation["parameters"].as_array_mut(),
                    wait_parameters.as_array(),
                ) {
                    list.extend(extra.iter().cloned());
                }
            }
            _ => {}
        }
        if op.route == Route::PreviewSchedule {
            operation["parameters"] = json!([
                {"name": "cron", "in": "query", "required": true, "schema": {"type": "string", "examples": ["0 9 * * MON"]}},
                {"name": "timezone", "in": "query", "schema": {"type": "string", "default": "UTC"}},
            ]);
        }
        if op.route == Route::ListTasks {
            operation["parameters"] = json!([
                {"name": "status", "in": "query", "schema": {"enum": ["pending", "in_progress", "completed", "failed"]}},
                {"name": "state", "in": "query", "description": "Comma-separated fine-grained states",
                 "schema": {"type": "string", "examples": ["available,blocked"]}},
                {"name": "agent_id", "in": "query", "schema": {"type": "string"}},
                {"name": "task_type", "in": "query", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "description": "Text the title contains (any case)", "schema": {"type": "string"}},
                {"name": "order", "in": "query", "description": "queue (priority, then oldest), newest or oldest", "schema": {"enum": ["queue", "newest", "oldest"], "default": "queue"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 50}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            ]);
        }
        paths
            .entry(op.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|methods| methods.insert(op.method.to_owned(), operation));
    }
    let payloads: Map<String, Value> = registry
        .handlers()
        .map(|h| (h.kind().to_owned(), h.payload_schema()))
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
