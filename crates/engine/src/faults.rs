//! Injected faults, for `zora chaos` (`zora worker --inject-faults`): a chosen share of
//! tasks fails after its handler wrote its effects, so the run proves those effects are
//! undone. Which tasks is decided by the task's id alone ([`FaultPlan::fault_of`]), so the
//! chaos driver knows, without asking any worker, which tasks must end failed. A faulty
//! type is its handler wrapped ([`Faulty`]); the engine's pipeline knows nothing of it.

use std::any::TypeId;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use zora_core::handler::{Category, DynHandler, Erased, Outcome, RetryPolicy, TaskError};
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TaskId, TenantId};

/// The message of an injected permanent fault (the task's `error_message`).
pub const INJECTED_PERMANENT: &str = "Injected permanent fault (zora chaos)";
/// The message of an injected transient fault.
pub const INJECTED_TRANSIENT: &str = "Injected transient fault (zora chaos)";

/// What an injected fault does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Fails its first attempt with an error that may pass; a retry completes it.
    Transient,
    /// Fails every attempt for good.
    Permanent,
}

/// The shares of tasks that fault, each a fraction in `0..=1`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultPlan {
    pub transient: f64,
    pub permanent: f64,
}

impl FaultPlan {
    /// The fault `id` is given, if any: its random bits (a UUIDv7's last 62) read as a
    /// fraction, the first `transient` of the range transient, the next `permanent`
    /// permanent.
    pub fn fault_of(&self, id: TaskId) -> Option<Fault> {
        let low = u64::from_be_bytes(id.0.as_bytes()[8..].try_into().unwrap_or_default());
        let share = (low % 1_000_000) as f64 / 1_000_000.0;
        if share < self.transient {
            Some(Fault::Transient)
        } else if share < self.transient + self.permanent {
            Some(Fault::Permanent)
        } else {
            None
        }
    }

    /// The error `task` fails with on this run, if it faults now: a transient fault only
    /// on its first attempt.
    pub fn error_for(&self, task: &Task) -> Option<TaskError> {
        match self.fault_of(task.id)? {
            Fault::Transient if task.attempts <= 1 => {
                Some(TaskError::transient(INJECTED_TRANSIENT))
            }
            Fault::Transient => None,
            Fault::Permanent => Some(TaskError::permanent(INJECTED_PERMANENT)),
        }
    }
}

/// A handler whose tasks fault as its plan says: each runs its handler (which writes), then
/// fails with the injected error, so that the task's part is undone like any failure's.
pub struct Faulty {
    pub handler: Arc<dyn DynHandler>,
    pub plan: FaultPlan,
}

impl std::fmt::Debug for Faulty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faulty")
            .field("kind", &self.handler.kind())
            .field("plan", &self.plan)
            .finish()
    }
}

#[async_trait]
impl DynHandler for Faulty {
    async fn apply(
        &self,
        tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Erased,
        prepared: Option<Value>,
        context: &Erased,
    ) -> Result<Outcome<Option<Erased>>, TaskError> {
        let outcome = self
            .handler
            .apply(tx, task, payload, prepared, context)
            .await?;
        match self.plan.error_for(task) {
            Some(error) => Err(error),
            None => Ok(outcome),
        }
    }

    // The rest is the handler's own.
    fn kind(&self) -> &'static str {
        self.handler.kind()
    }
    fn category(&self) -> Category {
        self.handler.category()
    }
    fn description(&self) -> &'static str {
        self.handler.description()
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        self.handler.fields()
    }
    fn payload_schema(&self) -> Value {
        self.handler.payload_schema()
    }
    fn retry_policy(&self) -> RetryPolicy {
        self.handler.retry_policy()
    }
    fn timeout(&self) -> Duration {
        self.handler.timeout()
    }
    fn concurrency_limit(&self) -> Option<usize> {
        self.handler.concurrency_limit()
    }
    fn prepares(&self) -> bool {
        self.handler.prepares()
    }
    fn checks_rows(&self) -> bool {
        self.handler.checks_rows()
    }
    fn parse(&self, payload: &Value) -> Result<Erased, TaskError> {
        self.handler.parse(payload)
    }
    async fn prepare(&self, task: &Task, payload: &Erased) -> Result<Option<Value>, TaskError> {
        self.handler.prepare(task, payload).await
    }
    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Erased)],
    ) -> Result<Erased, StoreError> {
        self.handler.load(tx, batch).await
    }
    fn check(&self, tenant: TenantId, payload: &Erased, context: &Erased) -> Result<(), TaskError> {
        self.handler.check(tenant, payload, context)
    }
    fn rows_type(&self) -> Option<TypeId> {
        self.handler.rows_type()
    }
    async fn write_rows(
        &self,
        tx: &mut dyn HandlerTx,
        rows: Vec<Erased>,
    ) -> Result<(), StoreError> {
        self.handler.write_rows(tx, rows).await
    }
}

impl FromStr for FaultPlan {
    type Err = String;

    /// `transient=2%,permanent=0.5%` (either may be left out; a share is a percentage).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut plan = FaultPlan::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected transient=N% or permanent=N%"))?;
            let percent: f64 = value
                .trim()
                .trim_end_matches('%')
                .parse()
                .map_err(|_| format!("`{part}`: {value} is not a percentage"))?;
            if !(0.0..=100.0).contains(&percent) {
                return Err(format!("`{part}`: a share is between 0% and 100%"));
            }
            match name.trim() {
                "transient" => plan.transient = percent / 100.0,
                "permanent" => plan.permanent = percent / 100.0,
                other => return Err(format!("`{other}`: expected transient or permanent")),
            }
        }
        if plan.transient + plan.permanent > 1.0 {
            return Err("the shares add up to more than 100%".into());
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_parse_and_split_the_ids() {
        let plan: FaultPlan = "transient=10%, permanent=5%".parse().expect("parses");
        assert_eq!(
            plan,
            FaultPlan {
                transient: 0.1,
                permanent: 0.05
            }
        );
        let (mut transient, mut permanent) = (0, 0);
        for _ in 0..20_000 {
            match plan.fault_of(TaskId::new()) {
                Some(Fault::Transient) => transient += 1,
                Some(Fault::Permanent) => permanent += 1,
                None => {}
            }
        }
        assert!((1_600..2_400).contains(&transient), "{transient}");
        assert!((700..1_300).contains(&permanent), "{permanent}");
        for bad in ["transient", "often=1%", "transient=x", "permanent=120%"] {
            assert!(bad.parse::<FaultPlan>().is_err(), "{bad}");
        }
    }
}
