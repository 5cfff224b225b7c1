//! The task row, its states, and the values the queue operations take.
//!
//! ```text
//!            claim (lease, attempts+1)          complete (same lease)
//!  pending ───────────────────────────▶ in_progress ─────────────────▶ completed
//!     ▲                                   │   │
//!     │ transient error with attempts     │   │ permanent error, attempts
//!     │ left (run_at later), or lease     │   │ exhausted, or too many
//!     │ expired (a lost attempt, free)    │   │ attempts lost
//!     └───────────────────────────────────┘   └───────────────────────▶ failed
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{CommandId, TaskId, TenantId, UserId};
pub use crate::status::{TaskOrder, TaskState, TaskStatus};

/// One row of `agent_tasks`, every column the engine knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Task {
    pub id: TaskId,
    pub tenant_id: TenantId,
    pub command_id: Option<CommandId>,
    /// Read as stored: older rows may carry agent names outside today's roster.
    pub agent_id: String,
    pub task_type: String,
    pub status: TaskStatus,
    /// The fine-grained state, as the store computed it when it read the row.
    pub state: TaskState,
    pub priority: i32,
    pub title: String,
    pub description: Option<String>,
    /// Never null: a NULL column reads as `{}`.
    pub payload: Value,
    pub result: Option<Value>,
    pub result_summary: Option<String>,
    pub error_message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_by_user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Claims so far; +1 at each claim.
    pub attempts: i32,
    /// `None`: the task type's default.
    pub max_attempts: Option<i32>,
    /// Not claimable before this instant.
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
    /// One record per failed attempt, oldest first.
    pub errors: Vec<TaskErrorRecord>,
    /// The worker that completed the task (its lease's owner); `None` until then.
    pub completed_by: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub requires_approval: bool,
    pub approved_by_user_id: Option<UserId>,
    pub approved_at: Option<DateTime<Utc>>,
    pub rejected_by_user_id: Option<UserId>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
}

impl Task {
    /// `new` as the row it would become, before it is stored (create-time validation runs
    /// the handlers' batch hook on it).
    pub fn unsaved(new: &NewTask) -> Self {
        let now = chrono::Utc::now();
        Self {
            id: new.id,
            tenant_id: new.tenant_id,
            command_id: new.command_id,
            agent_id: new.agent_id.clone(),
            task_type: new.task_type.clone(),
            status: TaskStatus::Pending,
            state: if new.requires_approval {
                TaskState::AwaitingApproval
            } else if !new.depends_on.is_empty() {
                TaskState::Blocked
            } else if new.run_at.is_some_and(|at| at > now) {
                TaskState::Scheduled
            } else {
                TaskState::Available
            },
            priority: new.priority,
            title: new.title.clone(),
            description: new.description.clone(),
            payload: new.payload.clone(),
            result: None,
            result_summary: None,
            error_message: None,
            started_at: None,
            completed_at: None,
            created_by_user_id: new.created_by_user_id,
            created_at: now,
            updated_at: None,
            attempts: 0,
            max_attempts: new.max_attempts,
            run_at: new.run_at.unwrap_or(now),
            lease_owner: None,
            lease_expires_at: None,
            idempotency_key: new.idempotency_key.clone(),
            errors: Vec::new(),
            completed_by: None,
            cancelled_at: None,
            requires_approval: new.requires_approval,
            approved_by_user_id: None,
            approved_at: None,
            rejected_by_user_id: None,
            rejected_at: None,
            decision_reason: None,
        }
    }

    /// Attempts lost to an expired lease (a crashed worker, a lost database) since the
    /// task last started over, as `errors` records them: they cost the task none of its
    /// `max_attempts` (see [`RescuePolicy`]).
    ///
    /// Every finished attempt leaves one record (an attempt given back unrun is uncharged),
    /// so this run's are the last `attempts` records, less the one running: a retry of a
    /// failed task keeps the older records but starts `attempts` again. The stores' rescue
    /// statements count the same window.
    pub fn lost_attempts(&self) -> i32 {
        let running = i32::from(self.status == TaskStatus::InProgress);
        let finished = usize::try_from(self.attempts - running)
            .unwrap_or(0)
            .min(self.errors.len());
        let lost = self.errors[self.errors.len() - finished..]
            .iter()
            .filter(|e| e.kind == FailureKind::LeaseExpired)
            .count();
        i32::try_from(lost).unwrap_or(i32::MAX)
    }

    /// The attempts that count against `max_attempts`: every claim but the lost ones.
    pub fn charged_attempts(&self) -> i32 {
        self.attempts.saturating_sub(self.lost_attempts())
    }

    /// The lease this task was claimed with, when a worker of this engine holds it.
    pub fn lease(&self) -> Option<Lease> {
        self.lease_owner.as_ref().map(|owner| Lease {
            task_id: self.id,
            owner: owner.clone(),
            attempt: self.attempts,
            locked: false,
        })
    }
}

/// Sorts tasks in claim order: `priority DESC, created_at ASC, id ASC`.
pub fn sort_in_claim_order(tasks: &mut [Task]) {
    tasks.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
}

/// One entry of `agent_tasks.errors`: what went wrong at one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskErrorRecord {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub kind: FailureKind,
    pub error: String,
    /// The worker that ran the attempt (records written before it was kept have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
}

crate::label_enum! {
    /// How a failure is classified, which decides what happens to the task.
    pub enum FailureKind (field = "kind") {
        /// Will not pass by retrying: invalid payload, missing or foreign reference.
        Permanent => "permanent",
        /// May pass later: connection lost, deadlock, serialization failure.
        Transient => "transient",
        /// The handler ran past its time limit.
        Timeout => "timeout",
        /// The handler panicked.
        Panic => "panic",
        /// The worker holding the lease stopped heartbeating; the rescuer took it back.
        LeaseExpired => "lease_expired",
    }
}

/// What a producer gives to create a task; the store fills the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub id: TaskId,
    pub tenant_id: TenantId,
    pub command_id: Option<CommandId>,
    pub agent_id: String,
    pub task_type: String,
    pub priority: i32,
    pub title: String,
    pub description: Option<String>,
    pub payload: Value,
    pub created_by_user_id: Option<UserId>,
    /// `None`: due at once (the database's `now()`).
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: Option<i32>,
    pub idempotency_key: Option<String>,
    pub requires_approval: bool,
    /// Parents that must complete first (same tenant; see [`crate::dependency`]).
    pub depends_on: Vec<crate::dependency::Dependency>,
}

impl NewTask {
    /// A pending task due now, with every optional field empty.
    pub fn new(
        tenant_id: TenantId,
        agent_id: impl Into<String>,
        task_type: impl Into<String>,
        title: impl Into<String>,
        payload: Value,
    ) -> Self {
        Self {
            id: TaskId::new(),
            tenant_id,
            command_id: None,
            agent_id: agent_id.into(),
            task_type: task_type.into(),
            priority: 0,
            title: title.into(),
            description: None,
            payload,
            created_by_user_id: None,
            run_at: None,
            max_attempts: None,
            idempotency_key: None,
            requires_approval: false,
            depends_on: Vec::new(),
        }
    }
}

/// Filters of a task listing; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    /// Any of these states; empty: any state.
    pub states: Vec<TaskState>,
    /// Compared case-insensitively.
    pub agent_id: Option<String>,
    pub task_type: Option<String>,
    pub command_id: Option<CommandId>,
    /// Tasks whose title contains this text, compared case-insensitively.
    pub title_contains: Option<String>,
    /// The listing's order.
    pub order: TaskOrder,
}

/// The proof that a worker holds a task: its owner token and the attempt it claimed.
///
/// Every outcome write is conditional on all three fields, so a worker whose lease was
/// rescued (and perhaps re-claimed, even by itself) can no longer write.
///
/// A task claimed by [`crate::QueueTx::claim_locked`] is held by the claiming
/// transaction's row lock instead (`locked`): still `pending` in the table, `attempt` the
/// attempt it is making (its `attempts` + 1), and its outcome write charges that attempt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    pub task_id: TaskId,
    pub owner: String,
    pub attempt: i32,
    /// Held by this transaction's row lock, not a lease written on the row.
    pub locked: bool,
}

impl Lease {
    /// The hold of a task that `claim_locked` returned (as the table has it: `pending`,
    /// its attempts not yet charged) by `owner`.
    pub fn locked(task: &Task, owner: &str) -> Self {
        Self {
            task_id: task.id,
            owner: owner.to_owned(),
            attempt: task.attempts + 1,
            locked: true,
        }
    }
}

/// Which tenants a claim takes tasks from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimScope {
    /// One tenant's tasks (`run-pending-tasks`, `zora worker --tenant-id`).
    Tenant(TenantId),
    /// Every tenant's, fairly: the batch is shared evenly among the tenants with due work,
    /// and one tenant gets at most its share or `per_tenant_cap`, whichever is larger, so
    /// a busy tenant cannot starve the others (and one alone fills the batch).
    AllTenants { per_tenant_cap: u32 },
}

/// A request to claim up to `limit` runnable tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    pub scope: ClaimScope,
    /// Only these types are claimed (the registered ones); others stay pending.
    pub task_types: Vec<String>,
    pub limit: u32,
    /// The lease owner written on each claimed row (a worker id).
    pub owner: String,
    /// How long the lease lasts before the rescuer may take the task back.
    pub lease_duration: Duration,
}

/// How the rescuer judges a task whose lease expired: its worker crashed, or lost the
/// database, before the attempt's outcome was written. Such an attempt is lost, not
/// failed: it costs the task none of its `max_attempts` (a retry is judged by
/// [`Task::charged_attempts`]), and the task goes back to `pending`, due now. Only a task
/// that has lost `max_lost_attempts` fails: it most likely stops the worker that runs it
/// (a crash, an abort, memory exhausted), and would otherwise stop worker after worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RescuePolicy {
    /// Lost attempts after which a task fails for good (at least 1).
    pub max_lost_attempts: i32,
}

impl RescuePolicy {
    /// The default limit of lost attempts: far beyond what healthy tasks lose (at most 19
    /// of them in `zora chaos`, a worker killed every ~300 ms for 16 minutes: see
    /// RELIABILITY.md), yet a task that kills its worker stops after this many crashes.
    pub const DEFAULT_MAX_LOST_ATTEMPTS: i32 = 50;
}

impl Default for RescuePolicy {
    fn default() -> Self {
        Self {
            max_lost_attempts: Self::DEFAULT_MAX_LOST_ATTEMPTS,
        }
    }
}

/// What claiming one task by id found.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimById {
    /// Claimed: now `in_progress` under the caller's lease.
    Claimed(Task),
    /// No such task for this tenant.
    NotFound,
    /// The task exists but cannot be claimed now (finished, held under a live lease,
    /// awaiting approval, ...): as it is.
    Refused(Task),
}

/// A founder's decision on a task that awaits one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub approve: bool,
    /// Who decided (written as NULL when the user has no `users` row).
    pub by: Option<UserId>,
    /// Why (a rejection's `decision_reason`; also kept for an approval).
    pub reason: Option<String>,
}

impl Decision {
    /// The `error_message` of a task this decision rejects.
    pub fn rejected_message(&self) -> String {
        match self
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(reason) => format!("Rejected: {reason}"),
            None => "Rejected".into(),
        }
    }
}

/// A task's successful outcome, written only if `lease` still holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub lease: Lease,
    pub result: Value,
    pub summary: String,
}

/// A task's failed attempt, written only if `lease` still holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub lease: Lease,
    pub kind: FailureKind,
    pub message: String,
    /// `Some(delay)`: back to `pending`, due after `delay`; `None`: `failed` for good.
    pub retry_in: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_its_label() {
        for &status in TaskStatus::ALL {
            assert_eq!(
                status.as_str().parse::<TaskStatus>().expect("label"),
                status
            );
        }
        let err = "done".parse::<TaskStatus>().expect_err("not a status");
        assert_eq!(err.field, "status");
    }

    fn record(attempt: i32, kind: FailureKind) -> TaskErrorRecord {
        TaskErrorRecord {
            attempt,
            at: Utc::now(),
            kind,
            error: "e".into(),
            worker: None,
        }
    }

    /// Lost attempts are counted in this run's records only: the last `attempts`, less
    /// the one running; a retry's earlier records stay but do not count.
    #[test]
    fn lost_attempts_count_this_runs_records() {
        use FailureKind::{LeaseExpired, Permanent, Transient};
        let mut task = Task::unsaved(&NewTask::new(
            TenantId::new(),
            "SAM",
            "kind",
            "t",
            Value::Null,
        ));
        // An earlier run: lost twice, then failed for good; retried; then lost once and
        // failed once transiently.
        task.errors = vec![
            record(1, LeaseExpired),
            record(2, LeaseExpired),
            record(3, Permanent),
            record(1, LeaseExpired),
            record(2, Transient),
        ];
        task.status = TaskStatus::Pending;
        task.attempts = 2;
        assert_eq!((task.lost_attempts(), task.charged_attempts()), (1, 1));
        task.status = TaskStatus::InProgress;
        task.attempts = 3;
        assert_eq!((task.lost_attempts(), task.charged_attempts()), (1, 2));
        // Just retried, its first attempt running: nothing of this run lost yet.
        task.errors.truncate(3);
        task.attempts = 1;
        assert_eq!((task.lost_attempts(), task.charged_attempts()), (0, 1));
    }
}
