//! `test.scripted`: a task type for tests, which completes, fails, fails transiently,
//! hangs or panics where its payload says, so executor and worker tests can make a task
//! misbehave at a chosen point. Registered only by tests ([`registry_with_scripted`]).
//! It has a `prepare` step, so a worker claims it under a lease; its twin
//! `test.scripted_in_tx` has none, so a worker claims it in the applying transaction.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{HandlerTx, JournalEntryId, Task, TenantId};
use zora_engine::Registry;

/// What the task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Writes its effect (a journal entry) and completes.
    Complete,
    /// Fails for good.
    Fail,
    /// Fails with an error that may pass: retried.
    Transient,
    /// Sleeps `ms`, then completes.
    Hang,
    /// Panics.
    Panic,
    /// Completes, but returns a journal entry for a tenant that does not exist, so the
    /// batch's journal insert (outside every task's savepoint) fails.
    PoisonBatch,
}

/// Where the action happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Outside the transaction, under the lease.
    Prepare,
    /// Inside the batch transaction, in the task's savepoint.
    #[default]
    Apply,
}

/// The payload of `test.scripted`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    pub action: Action,
    #[serde(default)]
    pub at: Phase,
    /// How long `hang` sleeps.
    #[serde(default)]
    pub ms: u64,
    /// Write the effect before failing, to prove the failure rolls it back.
    #[serde(default)]
    pub write_first: bool,
    /// From this attempt on, the action is skipped and the task completes (a transient
    /// failure that passes).
    #[serde(default)]
    pub passes_at_attempt: Option<i32>,
    /// Once the task has this many errors on record, the action is skipped and the task
    /// completes: unlike `passes_at_attempt`, it counts across retries, which start the
    /// attempts again (a failure that a retry mends).
    #[serde(default)]
    pub passes_after_errors: Option<usize>,
}

/// The handler of `test.scripted` (`IN_TX`: of `test.scripted_in_tx`, without a
/// `prepare` step, where `at: prepare` acts in the transaction); `timeout` is its time
/// limit.
#[derive(Debug, Clone, Copy)]
pub struct Scripted<const IN_TX: bool = false> {
    pub timeout: Duration,
}

/// The task type's name.
pub const KIND: &str = "test.scripted";
/// The name of its twin without a `prepare` step.
pub const IN_TX_KIND: &str = "test.scripted_in_tx";

/// Every handler of the engine plus `test.scripted` with the given time limit.
pub fn registry_with_scripted(timeout: Duration) -> Registry {
    let mut handlers = zora_domain::all(&zora_domain::ModelAccess::default());
    handlers.push(Arc::new(Scripted::<false> { timeout }));
    handlers.push(Arc::new(Scripted::<true> { timeout }));
    zora_domain::registry(handlers)
}

/// The effect a scripted task writes: a journal entry naming the task.
pub fn effect(task: &Task, tenant: TenantId) -> NewJournalEntry {
    NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: tenant,
        category: JournalCategory::SystemEvent,
        title: format!("scripted effect of {}", task.id),
        body: None,
        details: json!({"event_type": "test_effect", "task_id": task.id}),
        author: Some(task.agent_id.clone()),
    }
}

async fn act(task: &Task, payload: &Payload) -> Result<(), TaskError> {
    if payload
        .passes_at_attempt
        .is_some_and(|attempt| task.attempts >= attempt)
        || payload
            .passes_after_errors
            .is_some_and(|errors| task.errors.len() >= errors)
    {
        return Ok(());
    }
    match payload.action {
        Action::Fail => Err(TaskError::permanent("scripted failure")),
        Action::Transient => Err(TaskError::transient("scripted transient failure")),
        Action::Hang => {
            tokio::time::sleep(Duration::from_millis(payload.ms)).await;
            Ok(())
        }
        Action::Panic => panic!("scripted panic"),
        Action::Complete | Action::PoisonBatch => Ok(()),
    }
}

#[async_trait]
impl<const IN_TX: bool> TaskHandler for Scripted<IN_TX> {
    type Payload = Payload;
    type Context = ();
    type Rows = ();

    const KIND: &'static str = if IN_TX { IN_TX_KIND } else { KIND };
    const PREPARES: bool = !IN_TX;
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str = "Test-only: misbehaves as its payload says";
    const FIELDS: &'static [(&'static str, &'static str)] = &[("action", "What to do")];

    fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn prepare(&self, task: &Task, payload: &Payload) -> Result<Option<Value>, TaskError> {
        if payload.at == Phase::Prepare {
            act(task, payload).await?;
        }
        Ok(None)
    }

    fn check(&self, _tenant: TenantId, _payload: &Payload, _context: &()) -> Result<(), TaskError> {
        Ok(())
    }

    async fn apply(
        &self,
        tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        _context: &(),
    ) -> Result<Outcome, TaskError> {
        if payload.write_first {
            tx.insert_journal_entries(&[effect(task, task.tenant_id)])
                .await?;
        }
        if payload.at == Phase::Apply {
            act(task, payload).await?;
        }
        let journal = match payload.action {
            Action::PoisonBatch => vec![effect(task, TenantId::new())],
            _ if payload.write_first => Vec::new(),
            _ => vec![effect(task, task.tenant_id)],
        };
        Ok(Outcome::new(
            json!({"action": format!("{:?}", payload.action)}),
            "scripted".into(),
            journal,
        ))
    }
}
