//! `/api/agents/schedules`: list, create, read, change
//! and delete the tenant's schedules. Founders and brand admins write; every role reads.
//! A body's every fault is listed with its field; the task template is read as a create
//! body (`task.payload.title: ...`) and checked as its type would check the task.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use zora_core::ScheduleId;
use zora_core::schedule::TaskTemplate;
use zora_engine::schedule::{
    CronSpec, ScheduleDraft, ScheduleError, SchedulePatch, create_schedule, delete_schedule,
    update_schedule,
};

use crate::auth::AuthUser;
use crate::body::JsonObject;
use crate::error::{ApiError, FieldError};
use crate::routes::create::validation;
use crate::routes::create_body;
use crate::state::AppState;

const FIELDS: &[&str] = &["name", "cron", "timezone", "task", "enabled"];
/// Create-body fields a template may not carry: a slot decides when its task runs, and
/// each slot's task is new.
const NOT_IN_TEMPLATE: &[(&str, &str)] = &[
    (
        "run_at",
        "a schedule's task runs at each slot: run_at cannot be set",
    ),
    (
        "idempotency_key",
        "each slot makes a new task: idempotency_key cannot be set",
    ),
    (
        "depends_on",
        "a scheduled task cannot depend on other tasks",
    ),
];
const WRITERS_ONLY: &str = "Only founders and brand admins can change schedules";

fn fault(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn schedule_id(id: &str) -> Result<ScheduleId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::NotFound(format!("Schedule '{id}' not found")))
}

/// A body's fields, each fault noted: the unknown ones, then each known one read.
struct Body<'a> {
    body: &'a Map<String, Value>,
    faults: Vec<FieldError>,
}

impl<'a> Body<'a> {
    fn new(body: &'a Map<String, Value>) -> Self {
        let faults = body
            .keys()
            .filter(|key| !FIELDS.contains(&key.as_str()))
            .map(|key| {
                fault(
                    key,
                    format!("{key} is not a schedule field (name, cron, timezone, task, enabled)"),
                )
            })
            .collect();
        Self { body, faults }
    }

    fn text(&mut self, key: &str, required: bool) -> Option<String> {
        match self.body.get(key) {
            Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
            None | Some(Value::Null) if !required => None,
            Some(Value::String(_)) if !required => {
                self.faults
                    .push(fault(key, format!("{key} must not be blank")));
                None
            }
            Some(Value::String(_)) | None | Some(Value::Null) => {
                self.faults.push(fault(key, format!("{key} is required")));
                None
            }
            Some(_) => {
                self.faults
                    .push(fault(key, format!("{key} must be a string")));
                None
            }
        }
    }

    /// The cron and the zone, those given, checked together with the body's other faults
    /// (the engine checks them again, as it must for the CLI).
    fn check_spec(&mut self, cron: Option<&str>, timezone: Option<&str>) {
        if cron.is_none() && timezone.is_none() {
            return;
        }
        let probe = CronSpec::parse(cron.unwrap_or("* * * * *"), timezone.unwrap_or("UTC"));
        if let Err(faults) = probe {
            self.faults
                .extend(faults.into_iter().map(|f| fault(f.field, f.message)));
        }
    }

    fn enabled(&mut self) -> Option<bool> {
        match self.body.get("enabled") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(enabled)) => Some(*enabled),
            Some(_) => {
                self.faults
                    .push(fault("enabled", "enabled must be true or false"));
                None
            }
        }
    }

    fn task(&mut self, user: &AuthUser, agents: &[String], required: bool) -> Option<TaskTemplate> {
        let task = match self.body.get("task") {
            Some(Value::Object(task)) => task,
            None | Some(Value::Null) if !required => return None,
            None | Some(Value::Null) => {
                self.faults.push(fault(
                    "task",
                    "task is required: {agent_id, task_type, title, payload?}",
                ));
                return None;
            }
            Some(_) => {
                self.faults
                    .push(fault("task", "task must be a JSON object"));
                return None;
            }
        };
        for (key, message) in NOT_IN_TEMPLATE {
            if task.get(*key).is_some_and(|v| !v.is_null()) {
                self.faults.push(fault(key, *message).within("task"));
            }
        }
        match create_body::parse(task, user, agents) {
            Ok(new) => Some(TaskTemplate::of(&new)),
            Err(faults) => {
                self.faults
                    .extend(faults.into_iter().map(|f| f.within("task")));
                None
            }
        }
    }
}

impl From<ScheduleError> for ApiError {
    fn from(err: ScheduleError) -> Self {
        match err {
            ScheduleError::Invalid(faults) => validation(
                faults
                    .into_iter()
                    .map(|f| fault(f.field, f.message))
                    .collect(),
            ),
            ScheduleError::Template(refused) => ApiError::from(refused).within("task"),
            ScheduleError::NotFound(id) => Self::NotFound(format!("Schedule '{id}' not found")),
            ScheduleError::Store(store) => store.into(),
        }
    }
}

/// `GET /api/agents/schedules`: the tenant's schedules, by name.
pub async fn list(user: AuthUser, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let schedules = state.store.list_schedules(user.tenant_id).await?;
    Ok(Json(json!({"data": schedules})))
}

/// `GET /api/agents/schedules/{id}`.
pub async fn get(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let schedule = state
        .store
        .get_schedule(user.tenant_id, schedule_id(&id)?)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Schedule '{id}' not found")))?;
    Ok(Json(json!({"data": schedule})))
}

/// `GET /api/agents/schedules/preview?cron=...&timezone=...`: the next five slots of a
/// cron expression in a time zone (default UTC), by the clock schedules run on, or 400
/// naming the field at fault: the console checks a cron as it is typed.
pub async fn preview(
    _user: AuthUser,
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let cron = query.get("cron").map(String::as_str).unwrap_or_default();
    if cron.trim().is_empty() {
        return Err(validation(vec![fault("cron", "cron is required")]));
    }
    let timezone = query
        .get("timezone")
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or("UTC");
    let spec = CronSpec::parse(cron, timezone).map_err(|faults| {
        validation(
            faults
                .into_iter()
                .map(|f| fault(f.field, f.message))
                .collect(),
        )
    })?;
    let mut at = state.clock.now().await?;
    let mut next_runs = Vec::new();
    while next_runs.len() < 5 {
        let Some(next) = spec.next_after(at) else {
            break;
        };
        next_runs.push(next);
        at = next;
    }
    Ok(Json(
        json!({"data": {"cron": cron, "timezone": timezone, "next_runs": next_runs}}),
    ))
}

/// `POST /api/agents/schedules`: 201 with the schedule and its first slot.
pub async fn create(
    user: AuthUser,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_operator(WRITERS_ONLY)?;
    let mut fields = Body::new(&body);
    let name = fields.text("name", true);
    let cron = fields.text("cron", true);
    let timezone = fields.text("timezone", false);
    fields.check_spec(cron.as_deref(), timezone.as_deref());
    let task = fields.task(&user, &state.agents, true);
    let enabled = fields.enabled();
    let (Some(name), Some(cron), Some(task), []) = (name, cron, task, fields.faults.as_slice())
    else {
        return Err(validation(fields.faults));
    };
    let draft = ScheduleDraft {
        name,
        cron,
        timezone: timezone.unwrap_or_else(|| "UTC".into()),
        task,
        enabled: enabled.unwrap_or(true),
        created_by_user_id: Some(user.user_id),
    };
    let schedule = create_schedule(
        state.store.as_ref(),
        &state.registry,
        state.clock.as_ref(),
        user.tenant_id,
        draft,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"data": schedule}))))
}

/// `PATCH /api/agents/schedules/{id}`: any of the fields; see
/// [`zora_engine::schedule::update_schedule`] for what moves the next slot.
pub async fn update(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    user.require_operator(WRITERS_ONLY)?;
    let id = schedule_id(&id)?;
    let mut fields = Body::new(&body);
    let patch = SchedulePatch {
        name: fields.text("name", false),
        cron: fields.text("cron", false),
        timezone: fields.text("timezone", false),
        task: fields.task(&user, &state.agents, false),
        enabled: fields.enabled(),
    };
    fields.check_spec(patch.cron.as_deref(), patch.timezone.as_deref());
    if !fields.faults.is_empty() {
        return Err(validation(fields.faults));
    }
    if patch == SchedulePatch::default() {
        return Err(validation(vec![fault(
            "body",
            "Nothing to change: give any of name, cron, timezone, task, enabled",
        )]));
    }
    let schedule = update_schedule(
        state.store.as_ref(),
        &state.registry,
        state.clock.as_ref(),
        user.tenant_id,
        id,
        patch,
    )
    .await?;
    Ok(Json(json!({"data": schedule})))
}

/// `DELETE /api/agents/schedules/{id}`: 204; the tasks it made stay.
pub async fn delete(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    user.require_operator(WRITERS_ONLY)?;
    delete_schedule(state.store.as_ref(), user.tenant_id, schedule_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
