//! The body of `POST /api/agents/tasks` and `run-dry`, read into a [`NewTask`]. Each
//! field is read with serde into its type by [`Fields`], and every fault is collected, not
//! only the first (a plain `#[derive(Deserialize)]` struct stops at the first), so a body
//! with three faults answers three `fields`, each with ZORA CORE's message.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use zora_core::NewTask;
use zora_core::agent::AgentId;

use crate::auth::AuthUser;
use crate::error::FieldError;
use crate::routes::depends_on::{self, ParentItem};

/// The longest `title` and `task_type` the columns hold.
const TITLE_MAX: usize = 500;
const TASK_TYPE_MAX: usize = 100;

const REQUIRED: &str = "agent_id, task_type, and title are required";
const RUN_AT: &str = "run_at must be an RFC 3339 time, like 2026-12-01T09:00:00Z";

/// A body's fields, read one by one; each fault is noted and reading goes on.
struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields<'_> {
    fn fault(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// `key` read as a `T` and accepted by `accept` (`None` refuses it with `message`);
    /// absent or null is `None`.
    fn read<T: DeserializeOwned, U>(
        &mut self,
        key: &str,
        message: &str,
        accept: impl FnOnce(T) -> Option<U>,
    ) -> Option<U> {
        let value = self.body.get(key).filter(|v| !v.is_null())?;
        let read = serde_json::from_value(value.clone()).ok().and_then(accept);
        if read.is_none() {
            self.fault(key, message);
        }
        read
    }

    /// `key` as text.
    fn text(&mut self, key: &str) -> Option<String> {
        self.read(key, &format!("{key} must be a string"), Some)
    }

    /// A required text field: absent, null or blank is [`REQUIRED`], a longer one than
    /// `max` characters refused.
    fn required(&mut self, key: &str, max: Option<usize>) -> Option<String> {
        let faults = self.errors.len();
        let text = self.text(key).filter(|t| !t.trim().is_empty());
        if text.is_none() && self.errors.len() == faults {
            self.fault(key, REQUIRED);
        }
        match (text, max) {
            (Some(t), Some(max)) if t.chars().count() > max => {
                self.fault(key, format!("{key} must be at most {max} characters"));
                None
            }
            (text, _) => text,
        }
    }
}

/// Reads a new task of `user`'s tenant from a request body, every field checked; `Err`
/// lists each fault.
pub fn parse(
    body: &Map<String, Value>,
    user: &AuthUser,
    agents: &[String],
) -> Result<NewTask, Vec<FieldError>> {
    let (mut task, parents) = parse_with_parents(body, user, agents, false)?;
    task.depends_on = parents.iter().filter_map(ParentItem::on_task).collect();
    Ok(task)
}

/// [`parse`], with its `depends_on` items as read (`refs`: a batch's refs allowed, left
/// for the batch to resolve); `task.depends_on` is left empty.
pub fn parse_with_parents(
    body: &Map<String, Value>,
    user: &AuthUser,
    agents: &[String],
    refs: bool,
) -> Result<(NewTask, Vec<ParentItem>), Vec<FieldError>> {
    let mut fields = Fields {
        body,
        errors: Vec::new(),
    };
    let agent = fields.required("agent_id", None);
    let task_type = fields.required("task_type", Some(TASK_TYPE_MAX));
    let title = fields.required("title", Some(TITLE_MAX));
    let agent = agent.and_then(|a| match AgentId::parse(&a, agents) {
        Ok(agent) => Some(agent),
        Err(e) => {
            fields.fault("agent_id", e.message);
            None
        }
    });
    let description = fields.text("description");
    let payload = fields.read("payload", "payload must be a JSON object", |v: Value| {
        v.is_object().then_some(v)
    });
    let priority = fields.read(
        "priority",
        "priority must be a non-negative number",
        |p: i32| (p >= 0).then_some(p),
    );
    let run_at = fields.read("run_at", RUN_AT, |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    });
    let max_attempts = fields.read(
        "max_attempts",
        "max_attempts must be a positive integer",
        |n: i32| (n >= 1).then_some(n),
    );
    let requires_approval = fields.read(
        "requires_approval",
        "requires_approval must be true or false",
        Some,
    );
    let idempotency_key = fields.text("idempotency_key");
    let parents = match body.get("depends_on").filter(|v| !v.is_null()) {
        None => Vec::new(),
        Some(value) => depends_on::read(value, refs).unwrap_or_else(|message| {
            fields.fault("depends_on", message);
            Vec::new()
        }),
    };
    if !parents.is_empty() && run_at.is_some_and(|at| at > Utc::now()) {
        fields.fault(
            "run_at",
            "run_at: a task with depends_on runs once its parents complete; a later run_at \
             cannot be combined with it",
        );
    }
    let (Some(agent), Some(task_type), Some(title), []) =
        (agent, task_type, title, fields.errors.as_slice())
    else {
        return Err(fields.errors);
    };
    let mut task = NewTask::new(
        user.tenant_id,
        agent.as_str(),
        task_type.trim(),
        title,
        payload.unwrap_or_else(|| Value::Object(Map::new())),
    );
    task.description = description;
    task.priority = priority.unwrap_or(0);
    task.run_at = run_at;
    task.max_attempts = max_attempts;
    task.requires_approval = requires_approval.unwrap_or(false);
    task.idempotency_key = idempotency_key;
    task.created_by_user_id = Some(user.user_id);
    Ok((task, parents))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use zora_core::{TenantId, UserId};

    use super::*;
    use crate::auth::Role;

    fn read(body: Value) -> Result<NewTask, Vec<FieldError>> {
        let user = AuthUser {
            tenant_id: TenantId::new(),
            user_id: UserId::new(),
            role: Role::Founder,
            account_type: None,
        };
        let Value::Object(body) = body else {
            panic!("an object")
        };
        parse(&body, &user, &zora_core::agent::default_agents())
    }

    #[test]
    fn every_fault_is_listed_with_its_field() {
        let faults = read(json!({"agent_id": "ODIN", "title": 7, "priority": -1,
                                 "run_at": "soon", "requires_approval": "yes"}))
        .expect_err("five faults");
        let fields: Vec<&str> = faults.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "task_type",
                "title",
                "agent_id",
                "priority",
                "run_at",
                "requires_approval"
            ]
        );
        assert_eq!(faults[0].message, REQUIRED);
        assert_eq!(faults[1].message, "title must be a string");
    }

    #[test]
    fn a_valid_body_is_a_new_task() {
        let task = read(
            json!({"agent_id": "oracle", "task_type": " t ", "title": "x",
                               "priority": 3, "max_attempts": 2, "run_at": "2026-12-01T09:00:00Z"}),
        )
        .expect("valid");
        assert_eq!(
            (task.agent_id.as_str(), task.task_type.as_str()),
            ("ORACLE", "t")
        );
        assert_eq!((task.priority, task.max_attempts), (3, Some(2)));
        assert_eq!(task.payload, json!({}));
        assert!(task.run_at.is_some());
    }
}
