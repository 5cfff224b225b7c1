//! The handler seam: what a task type implements ([`TaskHandler`], typed, River's `Worker`
//! is the model), what the executor calls ([`DynHandler`], object-safe, implemented for
//! every `TaskHandler`), their errors and outcomes, and the retry policy.
//!
//! A task runs in phases: its payload is parsed (a permanent error names the field),
//! `prepare` runs outside any transaction under the task's lease (for handlers that call
//! the outside world), `load` reads what a whole batch needs in a few queries, then
//! `apply` runs inside the batch transaction, in the task's own savepoint: it checks the
//! references (`check`, called by the engine), makes the writes that cannot wait and
//! returns the result, the summary, the journal entries and the rows it produces
//! ([`Outcome`]), which the engine writes for the whole batch through the handler's
//! [`BatchRows`] type and commits with the task's completion, or not at all.

use std::any::{Any, TypeId};
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::TenantId;
pub use crate::outcome::{BatchRows, Outcome};
use crate::store::{HandlerTx, ReadTx};
use crate::task::{FailureKind, Task};

crate::label_enum! {
    /// Where a task type is listed (`GET /api/agents/tasks/types`).
    pub enum Category (field = "category") {
        /// Climate OS: missions, weekly plans.
        ClimateOs => "climate_os",
        /// ZORA SHOP: projects, product climate metadata.
        ZoraShop => "zora_shop",
        /// Types beyond v1 the engine handles.
        Agents => "agents",
    }
}

/// Why a task did not complete, in words an operator can act on. Never carries SQL or
/// driver text: store errors are turned into safe messages (and logged in full).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TaskError {
    pub kind: FailureKind,
    pub message: String,
    /// The payload field at fault, when there is one.
    pub field: Option<String>,
    /// How long the failure asks to wait before the next attempt (a provider's
    /// `Retry-After`): the retry comes no sooner than this, however short the backoff.
    pub retry_after: Option<Duration>,
}

impl TaskError {
    /// An error of `kind` with its message.
    pub fn of_kind(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// An error that retrying will not fix: invalid payload, missing or foreign reference.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::of_kind(FailureKind::Permanent, message)
    }

    /// A permanent error about one payload field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::permanent(message)
        }
    }

    /// An error that may pass on a later attempt.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::of_kind(FailureKind::Transient, message)
    }

    /// This error, asking the retry to wait at least `delay`.
    pub fn retry_after(self, delay: Option<Duration>) -> Self {
        Self {
            retry_after: delay,
            ..self
        }
    }

    /// `field: message` when the message does not already name its field (`Profile X not
    /// found ...` becomes `profile_id: Profile X not found ...`), else the message: how the
    /// API and the CLI show a payload error.
    pub fn with_field(&self) -> String {
        match &self.field {
            Some(field) if !self.message.contains(field.as_str()) => {
                format!("{field}: {}", self.message)
            }
            _ => self.message.clone(),
        }
    }

    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self.kind, FailureKind::Permanent)
    }
}

impl From<StoreError> for TaskError {
    /// A store failure as an operator should read it on the task: the kind of failure,
    /// never the database's own text (the executor logs that where it catches it).
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Transient(_) | StoreError::Unavailable(_) => {
                Self::transient("Temporary database failure; the task will be retried")
            }
            StoreError::Conflict { .. } => {
                Self::permanent("A row this task writes conflicts with an existing one")
            }
            StoreError::MissingReference { .. } => {
                Self::permanent("A row this task refers to does not exist any more")
            }
            StoreError::InvalidValue { .. } => {
                Self::permanent("The database refused a value of this task")
            }
            StoreError::Schema(_) => {
                Self::transient("The database schema is not current; run `zora migrate`")
            }
            StoreError::Other(_) => {
                Self::transient("Internal database error; the task will be retried")
            }
        }
    }
}

/// How often and how soon a failed task is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Claims in all, the first included; a task's own `max_attempts` overrides it.
    pub max_attempts: i32,
    /// The delay before the second attempt; it doubles with each further one.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, at most 2s, 4s, 8s, 16s apart (capped at 10 minutes).
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempt` failed, or `None` when the task
    /// has used all of `max_attempts` (the task's own, else the policy's): the capped
    /// exponential delay less a random part of up to half of it ("equal jitter"), so
    /// that tasks that failed together do not all come back at the same instant.
    pub fn next_delay(&self, attempt: i32, max_attempts: Option<i32>) -> Option<Duration> {
        self.jittered_delay(attempt, max_attempts, fastrand::f64())
    }

    /// [`RetryPolicy::next_delay`] with the random draw given: `0.0` keeps the whole
    /// delay, `1.0` takes half of it off.
    pub fn jittered_delay(
        &self,
        attempt: i32,
        max_attempts: Option<i32>,
        draw: f64,
    ) -> Option<Duration> {
        let max = max_attempts.unwrap_or(self.max_attempts);
        if attempt >= max {
            return None;
        }
        let exponent = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        Some(ceiling.mul_f64(1.0 - draw.clamp(0.0, 1.0) / 2.0))
    }
}

/// A task type. One implementation per file; its payload type is the one parser used at
/// create time and at run time, and yields the JSON Schema the API publishes.
#[async_trait]
pub trait TaskHandler: Send + Sync + 'static {
    /// The payload, parsed with serde (unknown fields tolerated).
    type Payload: DeserializeOwned + JsonSchema + Send + Sync + 'static;
    /// What [`TaskHandler::load`] reads for a batch.
    type Context: Default + Send + Sync + 'static;
    /// The rows a task produces, written for the whole batch; `()` for a type that writes
    /// only its journal.
    type Rows: BatchRows;

    /// The stable `task_type` string; never the Rust type name.
    const KIND: &'static str;
    /// Where the type is listed.
    const CATEGORY: Category;
    /// One line on what the type does.
    const DESCRIPTION: &'static str;
    /// ZORA CORE's short description of each payload field.
    const FIELDS: &'static [(&'static str, &'static str)];

    /// Whether the type has a [`TaskHandler::prepare`] step. A type without one (every
    /// deterministic type) is claimed, applied and completed by a worker in one
    /// transaction, one row version per task; a type with one is claimed visibly under a
    /// lease first, and its `prepare` runs outside any transaction. Set it with
    /// `prepare`: a `prepare` on a type that says `false` runs inside the transaction.
    const PREPARES: bool = false;

    /// Whether [`TaskHandler::check`] looks up rows the payload names (a profile, a plan,
    /// products), so creating a task loads its context to check it. A type whose `load`
    /// reads only aggregates for `apply` (counts over a window) says `false`: creating one
    /// then costs no aggregate, which at a hundred thousand tasks would be a scan each.
    const CHECKS_ROWS: bool = true;

    /// How failures of this type are retried.
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::default()
    }

    /// How long one run may take.
    fn timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    /// The most tasks of this type one worker holds at once, for a handler that calls a
    /// rate-limited service; `None` (the default): only the worker's own limits apply.
    /// `zora worker --type-concurrency KIND=N` overrides it.
    fn concurrency_limit(&self) -> Option<usize> {
        None
    }

    /// Checks that need no database: required fields, enum values.
    fn validate(&self, _payload: &Self::Payload) -> Result<(), TaskError> {
        Ok(())
    }

    /// Work outside any transaction, under the task's lease (calls to the outside world).
    async fn prepare(
        &self,
        _task: &Task,
        _payload: &Self::Payload,
    ) -> Result<Option<Value>, TaskError> {
        Ok(None)
    }

    /// Reads what a whole batch needs (profiles, plans, brands, products) in a few
    /// queries: the batch hook.
    async fn load(
        &self,
        _tx: &mut dyn ReadTx,
        _batch: &[(&Task, &Self::Payload)],
    ) -> Result<Self::Context, StoreError> {
        Ok(Self::Context::default())
    }

    /// Checks that the rows the payload names exist for `tenant`, with no write: run
    /// before every `apply` (by the engine, not by `apply` itself) and at create time.
    fn check(
        &self,
        tenant: TenantId,
        payload: &Self::Payload,
        context: &Self::Context,
    ) -> Result<(), TaskError>;

    /// Makes the task's writes that cannot wait and returns its outcome with the rows it
    /// produces; [`TaskHandler::check`] has passed for the same payload and context.
    async fn apply(
        &self,
        tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Self::Payload,
        prepared: Option<Value>,
        context: &Self::Context,
    ) -> Result<Outcome<Self::Rows>, TaskError>;
}

/// A parsed payload or a loaded context, as the executor passes them around.
pub type Erased = Box<dyn Any + Send + Sync>;

/// What the executor calls: [`TaskHandler`] with its types erased.
#[async_trait]
pub trait DynHandler: Send + Sync {
    fn kind(&self) -> &'static str;
    fn category(&self) -> Category;
    fn description(&self) -> &'static str;
    fn fields(&self) -> &'static [(&'static str, &'static str)];
    /// The payload's JSON Schema, field descriptions from the doc comments.
    fn payload_schema(&self) -> Value;
    fn retry_policy(&self) -> RetryPolicy;
    fn timeout(&self) -> Duration;
    fn concurrency_limit(&self) -> Option<usize>;
    fn prepares(&self) -> bool;
    /// [`TaskHandler::CHECKS_ROWS`].
    fn checks_rows(&self) -> bool;
    /// Parses and validates a payload: a permanent error names the field.
    fn parse(&self, payload: &Value) -> Result<Erased, TaskError>;
    async fn prepare(&self, task: &Task, payload: &Erased) -> Result<Option<Value>, TaskError>;
    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Erased)],
    ) -> Result<Erased, StoreError>;
    fn check(&self, tenant: TenantId, payload: &Erased, context: &Erased) -> Result<(), TaskError>;
    /// The outcome's rows are `None` for a type that produces none.
    async fn apply(
        &self,
        tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Erased,
        prepared: Option<Value>,
        context: &Erased,
    ) -> Result<Outcome<Option<Erased>>, TaskError>;
    /// The type of the rows its tasks produce, `None` for none: handlers with the same
    /// one write their batch's rows together, through any one of them.
    fn rows_type(&self) -> Option<TypeId>;
    /// Writes a batch's rows of [`DynHandler::rows_type`] (see [`BatchRows`]).
    async fn write_rows(&self, tx: &mut dyn HandlerTx, rows: Vec<Erased>)
    -> Result<(), StoreError>;
}

/// The seam is type-erased so that one registry holds handlers of different payload and
/// context types behind `dyn DynHandler`; the typed `TaskHandler` impls never see
/// `Erased`. A payload or context reaches only the handler that made it (the executor
/// keys both by the task's type), so the downcast cannot fail.
fn downcast<T: 'static>(value: &Erased) -> &T {
    #[allow(clippy::expect_used)]
    value
        .downcast_ref::<T>()
        .expect("a handler received another handler's payload or context")
}

/// [`downcast`], taking the value: rows reach only the write of their own type (the
/// engine groups them by [`DynHandler::rows_type`]).
fn downcast_owned<T: 'static>(value: Erased) -> Box<T> {
    #[allow(clippy::expect_used)]
    value
        .downcast::<T>()
        .expect("a handler's rows reached the write of another type")
}

/// Parses `payload` into `P`, naming the field at fault: `due_date: ...`.
pub fn parse_payload<P: DeserializeOwned>(payload: &Value) -> Result<P, TaskError> {
    if !payload.is_object() {
        return Err(TaskError::field("payload", "payload must be a JSON object"));
    }
    serde_path_to_error::deserialize(payload).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner().to_string();
        TaskError::field(field.clone(), format!("{field}: {inner}"))
    })
}

#[async_trait]
impl<H: TaskHandler> DynHandler for H {
    fn kind(&self) -> &'static str {
        H::KIND
    }
    fn category(&self) -> Category {
        H::CATEGORY
    }
    fn description(&self) -> &'static str {
        H::DESCRIPTION
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        H::FIELDS
    }
    fn payload_schema(&self) -> Value {
        // Self-contained (no `$defs`), so it can be embedded anywhere: in the API's type
        // catalog and in the OpenAPI document.
        let mut settings = schemars::generate::SchemaSettings::draft2020_12();
        settings.inline_subschemas = true;
        settings
            .into_generator()
            .into_root_schema_for::<H::Payload>()
            .to_value()
    }
    fn retry_policy(&self) -> RetryPolicy {
        TaskHandler::retry_policy(self)
    }
    fn timeout(&self) -> Duration {
        TaskHandler::timeout(self)
    }
    fn concurrency_limit(&self) -> Option<usize> {
        TaskHandler::concurrency_limit(self)
    }
    fn prepares(&self) -> bool {
        H::PREPARES
    }
    fn checks_rows(&self) -> bool {
        H::CHECKS_ROWS
    }
    fn parse(&self, payload: &Value) -> Result<Erased, TaskError> {
        let parsed: H::Payload = parse_payload(payload)?;
        self.validate(&parsed)?;
        Ok(Box::new(parsed))
    }
    async fn prepare(&self, task: &Task, payload: &Erased) -> Result<Option<Value>, TaskError> {
        TaskHandler::prepare(self, task, downcast::<H::Payload>(payload)).await
    }
    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Erased)],
    ) -> Result<Erased, StoreError> {
        let typed: Vec<(&Task, &H::Payload)> = batch
            .iter()
            .map(|(task, payload)| (*task, downcast::<H::Payload>(payload)))
            .collect();
        let context = TaskHandler::load(self, tx, &typed).await?;
        Ok(Box::new(context))
    }
    fn check(&self, tenant: TenantId, payload: &Erased, context: &Erased) -> Result<(), TaskError> {
        TaskHandler::check(
            self,
            tenant,
            downcast::<H::Payload>(payload),
            downcast::<H::Context>(context),
        )
    }
    async fn apply(
        &self,
        tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Erased,
        prepared: Option<Value>,
        context: &Erased,
    ) -> Result<Outcome<Option<Erased>>, TaskError> {
        let (payload, context) = (
            downcast::<H::Payload>(payload),
            downcast::<H::Context>(context),
        );
        // Every apply is checked first, here, so that no handler can forget it.
        TaskHandler::check(self, task.tenant_id, payload, context)?;
        let outcome = TaskHandler::apply(self, tx, task, payload, prepared, context).await?;
        let erase = self.rows_type().is_some();
        Ok(outcome.map_rows(|rows| erase.then(|| Box::new(rows) as Erased)))
    }
    fn rows_type(&self) -> Option<TypeId> {
        let rows = TypeId::of::<H::Rows>();
        (rows != TypeId::of::<()>()).then_some(rows)
    }
    async fn write_rows(
        &self,
        tx: &mut dyn HandlerTx,
        rows: Vec<Erased>,
    ) -> Result<(), StoreError> {
        let typed = rows
            .into_iter()
            .map(|rows| *downcast_owned::<H::Rows>(rows))
            .collect();
        H::Rows::write_batch(tx, typed).await
    }
}

/// Serializes a result object; a handler's result types are plain data.
pub fn to_result<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop_at_the_limit() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.jittered_delay(1, None, 0.0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            policy.jittered_delay(3, None, 0.0),
            Some(Duration::from_secs(8))
        );
        assert_eq!(policy.next_delay(5, None), None);
        assert_eq!(
            policy.next_delay(1, Some(1)),
            None,
            "the task's own limit wins"
        );
        let long = RetryPolicy {
            max_attempts: 100,
            ..policy
        };
        assert_eq!(
            long.jittered_delay(60, None, 0.0),
            Some(Duration::from_secs(600)),
            "capped"
        );
    }

    #[test]
    fn jitter_takes_off_at_most_half_and_spreads_retries() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.jittered_delay(3, None, 1.0),
            Some(Duration::from_secs(4)),
            "half of 8s at the most"
        );
        let delays: std::collections::BTreeSet<Duration> = (0..50)
            .map(|_| policy.next_delay(3, None).expect("retried"))
            .collect();
        assert!(
            delays
                .iter()
                .all(|d| (Duration::from_secs(4)..=Duration::from_secs(8)).contains(d)),
            "{delays:?}"
        );
        assert!(delays.len() > 1, "fifty retries do not share one instant");
    }

    #[test]
    fn payload_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            count: Option<f64>,
        }
        let err = parse_payload::<P>(&serde_json::json!({"count": "three"})).expect_err("string");
        assert_eq!(err.field.as_deref(), Some("count"));
        assert!(
            err.message.starts_with("count: invalid type: string"),
            "{}",
            err.message
        );
        assert!(!err.is_retryable());
        let err = parse_payload::<P>(&serde_json::json!([1])).expect_err("array");
        assert_eq!(err.field.as_deref(), Some("payload"));
        parse_payload::<P>(&serde_json::json!({"count": 3, "source": "x"}))
            .expect("unknown fields tolerated");
    }
}
