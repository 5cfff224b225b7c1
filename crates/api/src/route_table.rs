//! The one table of routes: each declared once with its method, path, handler, success
//! status, request and answer schemas, whether it needs the database and whether it
//! waits. The router ([`crate::router`]), the OpenAPI document ([`crate::openapi`]), the
//! database gate and the per-route time bound are all read from it.

use axum::routing::{MethodFilter, MethodRouter, on};

use crate::routes;
use crate::schemas::{self, Schema};
use crate::state::AppState;

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The lower-case name, as OpenAPI keys operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Put => MethodFilter::PUT,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }
}

/// What a route answers on success.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// `application/json` of this schema.
    Json(Schema),
    /// `text/plain` (the Prometheus exposition format).
    Text,
    /// `text/event-stream`.
    EventStream,
    /// No body.
    Empty,
}

/// A route's request body.
#[derive(Debug, Clone, Copy)]
pub struct RequestBody {
    /// Whether a request must carry one.
    pub required: bool,
    pub schema: Schema,
}

/// One route of the API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The OpenAPI `operationId`.
    pub id: &'static str,
    pub method: Method,
    /// With `{id}` for a path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    /// Whether it takes a token (or the console's cookie).
    pub authenticated: bool,
    /// Whether it takes a worker token only (`/api/workers/...`; a user's is refused).
    pub worker: bool,
    /// Whether it needs the database: while the database does not answer, such a route
    /// answers 503 at once ([`crate::gate`]).
    pub needs_database: bool,
    /// Whether it may wait for a task's outcome (`?wait=true`, `/wait`): bounded by its
    /// `timeout` instead of the server's request timeout.
    pub waits: bool,
    /// The success status.
    pub status: u16,
    pub request: Option<RequestBody>,
    /// Its query parameters, as OpenAPI parameter objects.
    pub query: fn() -> Vec<serde_json::Value>,
    pub answer: Answer,
    handler: Handler,
}

/// Makes a route's handler for its method: `|method| on(method, a_handler_fn)`.
type Handler = fn(MethodFilter) -> MethodRouter<AppState>;

impl Operation {
    /// A route of `method`: authenticated, needing the database, answering 200 without
    /// waiting, with no body and no query parameters until said otherwise.
    const fn new(
        method: Method,
        id: &'static str,
        path: &'static str,
        summary: &'static str,
        answer: Answer,
        handler: Handler,
    ) -> Self {
        Self {
            id,
            method,
            path,
            summary,
            authenticated: true,
            worker: false,
            needs_database: true,
            waits: false,
            status: 200,
            request: None,
            query: schemas::no_query,
            answer,
            handler,
        }
    }

    /// Served without a token.
    const fn public(self) -> Self {
        Self {
            authenticated: false,
            ..self
        }
    }

    /// Served to worker tokens only.
    const fn worker(self) -> Self {
        Self {
            worker: true,
            ..self
        }
    }

    /// Served while the database does not answer.
    const fn without_database(self) -> Self {
        Self {
            needs_database: false,
            ..self
        }
    }

    /// Answering `status` on success.
    const fn status(self, status: u16) -> Self {
        Self { status, ..self }
    }

    /// Waiting up to its `timeout` for a task's outcome.
    const fn waits(self) -> Self {
        Self {
            waits: true,
            ..self
        }
    }

    /// Taking a body of `schema`, `required` or not.
    const fn body(self, required: bool, schema: Schema) -> Self {
        Self {
            request: Some(RequestBody { required, schema }),
            ..self
        }
    }

    /// Taking the query parameters `query` gives.
    const fn query(self, query: fn() -> Vec<serde_json::Value>) -> Self {
        Self { query, ..self }
    }

    /// The route's handler, for its method.
    pub(crate) fn method_router(&self) -> MethodRouter<AppState> {
        (self.handler)(self.method.filter())
    }
}

const fn get(
    id: &'static str,
    path: &'static str,
    summary: &'static str,
    answer: Answer,
    handler: Handler,
) -> Operation {
    Operation::new(Method::Get, id, path, summary, answer, handler)
}

const fn post(
    id: &'static str,
    path: &'static str,
    summary: &'static str,
    answer: Answer,
    handler: Handler,
) -> Operation {
    Operation::new(Method::Post, id, path, summary, answer, handler)
}

const fn put(
    id: &'static str,
    path: &'static str,
    summary: &'static str,
    answer: Answer,
    handler: Handler,
) -> Operation {
    Operation::new(Method::Put, id, path, summary, answer, handler)
}

const fn patch(
    id: &'static str,
    path: &'static str,
    summary: &'static str,
    answer: Answer,
    handler: Handler,
) -> Operation {
    Operation::new(Method::Patch, id, path, summary, answer, handler)
}

const fn delete(
    id: &'static str,
    path: &'static str,
    summary: &'static str,
    answer: Answer,
    handler: Handler,
) -> Operation {
    Operation::new(Method::Delete, id, path, summary, answer, handler)
}

/// Every route of the API.
pub const OPERATIONS: &[Operation] = &[
    get(
        "health",
        "/health",
        "The process answers",
        Answer::Json(schemas::health),
        |method| on(method, routes::health::health),
    ).public().without_database(),
    // It reads the gate itself.
    get(
        "ready",
        "/ready",
        "The database answers and its schema is current (503 when not)",
        Answer::Json(schemas::ready),
        |method| on(method, routes::health::ready),
    ).public().without_database(),
    get(
        "metrics",
        "/metrics",
        "The engine's metrics, in the Prometheus text format",
        Answer::Text,
        |method| on(method, routes::metrics::metrics),
    ).public(),
    get(
        "openapi",
        "/api/openapi.json",
        "This document",
        Answer::Json(schemas::openapi),
        |method| on(method, routes::document::openapi),
    ).public().without_database(),
    get(
        "listTasks",
        "/api/agents/tasks",
        "The tenant's tasks, highest priority first",
        Answer::Json(schemas::task_page),
        |method| on(method, routes::tasks::list),
    ).query(schemas::list_query),
    get(
        "taskCounts",
        "/api/agents/tasks/counts",
        "How many of the tenant's tasks are in each state",
        Answer::Json(schemas::state_counts),
        |method| on(method, routes::stats::counts),
    ),
    get(
        "stats",
        "/api/agents/stats",
        "The queue's health: counts per type and status, the oldest due task, the last hour's finishes per minute, workers alive",
        Answer::Json(schemas::stats),
        |method| on(method, routes::stats::stats),
    ),
    get(
        "events",
        "/api/agents/events",
        "Server-sent events: `counts` (tasks per state) at once and at each change",
        Answer::EventStream,
        |method| on(method, routes::events::events),
    ),
    get(
        "modelUsage",
        "/api/agents/usage",
        "The tenant's model usage from `from` to `to` (default the last 30 days): calls, tokens and cost per day, model, task type or agent, with the totals",
        Answer::Json(schemas::usage),
        |method| on(method, routes::usage::usage),
    ).query(schemas::usage_query),
    get(
        "session",
        "/api/agents/session",
        "Who the token names, and what the role may do",
        Answer::Json(schemas::session),
        |method| on(method, routes::session::session),
    ),
    post(
        "createTask",
        "/api/agents/tasks",
        "Create a pending task, checked as it will be run",
        Answer::Json(schemas::task),
        |method| on(method, routes::create::create),
    ).status(201).waits().body(true, schemas::create_body).query(schemas::wait_query),
    post(
        "createTaskBatch",
        "/api/agents/tasks/batch",
        "Create several tasks, with dependencies among them by ref, all or nothing",
        Answer::Json(schemas::batch),
        |method| on(method, routes::batch::create_batch),
    ).status(201).body(true, schemas::batch_body),
    post(
        "runDry",
        "/api/agents/tasks/run-dry",
        "Check a task without creating it",
        Answer::Json(schemas::dry_run),
        |method| on(method, routes::create::run_dry),
    ).body(true, schemas::create_body),
    get(
        "taskTypes",
        "/api/agents/tasks/types",
        "The task types this engine runs, with their payload schemas",
        Answer::Json(schemas::task_types),
        |method| on(method, routes::create::types),
    ).without_database(),
    get(
        "getTask",
        "/api/agents/tasks/{id}",
        "One task in full",
        Answer::Json(schemas::task),
        |method| on(method, routes::tasks::get),
    ),
    get(
        "taskJournal",
        "/api/agents/tasks/{id}/journal",
        "The journal entries about a task, oldest first",
        Answer::Json(schemas::journal),
        |method| on(method, routes::tasks::journal),
    ),
    get(
        "waitTask",
        "/api/agents/tasks/{id}/wait",
        "Wait for a task's outcome: 200 once it is completed or failed, 202 at the timeout",
        Answer::Json(schemas::task),
        |method| on(method, routes::waiting::wait),
    ).waits().query(schemas::timeout_query),
    post(
        "runTask",
        "/api/agents/tasks/{id}/run",
        "Queue a pending task or reset a failed one",
        Answer::Json(schemas::task_execution),
        |method| on(method, routes::run::run),
    ).waits().query(schemas::wait_query),
    post(
        "cancelTask",
        "/api/agents/tasks/{id}/cancel",
        "Cancel a task: a pending one at once (200), a running one at its next lease check (202)",
        Answer::Json(schemas::task_execution),
        |method| on(method, routes::cancel::cancel),
    ).body(false, schemas::cancel_body),
    post(
        "decideTask",
        "/api/agents/tasks/{id}/decision",
        "Approve or reject a task awaiting a decision (founders only)",
        Answer::Json(schemas::decision),
        |method| on(method, routes::decision::decide),
    ).body(true, schemas::decision_body),
    get(
        "listCommands",
        "/api/agents/commands",
        "The tenant's commands, newest first",
        Answer::Json(schemas::command_page),
        |method| on(method, routes::commands::list),
    ).query(schemas::page_query),
    post(
        "submitCommand",
        "/api/agents/commands",
        "Submit a free-text command: LUMINA plans it into tasks",
        Answer::Json(schemas::submitted_command),
        |method| on(method, routes::commands::submit),
    ).status(201).body(true, schemas::command_body),
    get(
        "getCommand",
        "/api/agents/commands/{id}",
        "One command and its tasks",
        Answer::Json(schemas::command),
        |method| on(method, routes::commands::get),
    ),
    get(
        "listSchedules",
        "/api/agents/schedules",
        "The tenant's periodic schedules, by name",
        Answer::Json(schemas::schedules),
        |method| on(method, routes::schedules::list),
    ),
    post(
        "createSchedule",
        "/api/agents/schedules",
        "Create a periodic schedule: a cron in a time zone and a task template (founders and brand admins)",
        Answer::Json(schemas::schedule),
        |method| on(method, routes::schedules::create),
    ).status(201).body(true, schemas::new_schedule_body),
    get(
        "previewSchedule",
        "/api/agents/schedules/preview",
        "The next five slots of a cron expression in a time zone, or 400 naming the field at fault",
        Answer::Json(schemas::preview),
        |method| on(method, routes::schedules::preview),
    ).query(schemas::preview_query),
    get(
        "getSchedule",
        "/api/agents/schedules/{id}",
        "One schedule, with its next and last slot",
        Answer::Json(schemas::schedule),
        |method| on(method, routes::schedules::get),
    ),
    patch(
        "updateSchedule",
        "/api/agents/schedules/{id}",
        "Change a schedule (any of name, cron, timezone, task, enabled); a resume does not replay the pause",
        Answer::Json(schemas::schedule),
        |method| on(method, routes::schedules::update),
    ).body(true, schemas::schedule_change_body),
    delete(
        "deleteSchedule",
        "/api/agents/schedules/{id}",
        "Delete a schedule; the tasks it made stay",
        Answer::Empty,
        |method| on(method, routes::schedules::delete),
    ).status(204),
    put(
        "registerWorkerType",
        "/api/workers/types/{task_type}",
        "Register a task type served by external workers, with its payload and result schemas (worker tokens only)",
        Answer::Json(schemas::worker_type),
        |method| on(method, routes::workers::types::register),
    ).worker().body(true, schemas::worker_type_body),
    delete(
        "unregisterWorkerType",
        "/api/workers/types/{task_type}",
        "Unregister an external task type; its pending tasks stay pending (a worker, or a founder for the tenant's own)",
        Answer::Empty,
        |method| on(method, routes::workers::types::unregister),
    ).status(204),
    post(
        "claimWorkerTasks",
        "/api/workers/claim",
        "Claim due tasks of registered types under a lease, waiting up to wait_s for work (worker tokens only)",
        Answer::Json(schemas::worker_claims),
        |method| on(method, routes::workers::claim::claim),
    ).worker().waits().body(true, schemas::worker_claim_body),
    post(
        "heartbeatWorkerTask",
        "/api/workers/tasks/{id}/heartbeat",
        "Extend a claimed task's lease; 409 LEASE_LOST or CANCELLED when it no longer holds (worker tokens only)",
        Answer::Json(schemas::worker_lease),
        |method| on(method, routes::workers::outcome::beat),
    ).worker().body(true, schemas::worker_heartbeat_body),
    post(
        "completeWorkerTask",
        "/api/workers/tasks/{id}/complete",
        "Complete a claimed task with its result and journal entries, under its lease (worker tokens only)",
        Answer::Json(schemas::task),
        |method| on(method, routes::workers::outcome::complete_task),
    ).worker().body(true, schemas::worker_complete_body),
    post(
        "failWorkerTask",
        "/api/workers/tasks/{id}/fail",
        "Record a claimed task's failed attempt: retried when retryable and attempts are left (worker tokens only)",
        Answer::Json(schemas::task),
        |method| on(method, routes::workers::outcome::fail_task),
    ).worker().body(true, schemas::worker_fail_body),
    post(
        "recordWorkerOutcomes",
        "/api/workers/outcomes",
        "Heartbeats, completions and failures of claimed tasks in one request, each answered on its own; the completions written in one transaction (worker tokens only)",
        Answer::Json(schemas::worker_outcomes),
        |method| on(method, routes::workers::outcomes::record),
    ).worker().body(true, schemas::worker_outcomes_body),
];
