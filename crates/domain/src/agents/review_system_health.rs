//! `review_system_health` (CONNOR): the tenant's queue as an operator would check it
//! (open tasks by type, the oldest due task, the last 24 hours' failures and their most
//! frequent messages, expired leases, blocked and waiting tasks, live workers) and a
//! verdict from fixed thresholds ([`verdict`]; README, "The agents' task types").

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::insight::HealthCounts;
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::batch::tenants;
use crate::journal;

/// The payload of `review_system_health`: nothing is needed (other fields are ignored).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {}

/// The handler of `review_system_health`.
#[derive(Debug, Clone, Copy)]
pub struct ReviewSystemHealth;

/// Each tenant's counts.
pub type Counts = HashMap<TenantId, HealthCounts>;

/// The share of failures over the last 24 hours that makes the queue degraded, and
/// failing; judged only once at least [`MIN_FINISHED_DEGRADED`] (resp.
/// [`MIN_FINISHED_FAILING`]) tasks finished.
pub const FAILURE_RATE_DEGRADED: f64 = 0.10;
pub const FAILURE_RATE_FAILING: f64 = 0.50;
pub const MIN_FINISHED_DEGRADED: u64 = 5;
pub const MIN_FINISHED_FAILING: u64 = 10;
/// The age of the oldest due pending task that makes the queue degraded, and failing.
pub const OLDEST_PENDING_DEGRADED_SECONDS: f64 = 300.0;
pub const OLDEST_PENDING_FAILING_SECONDS: f64 = 3600.0;

/// `ok`, `degraded` or `failing`, and the reasons: failing when at least half of 10 or
/// more tasks finished in 24 hours failed, or a due task has waited an hour; degraded
/// when 10% of 5 or more failed, a due task has waited 5 minutes, or a lease expired
/// (its worker is gone and the rescue has not taken the task back yet).
pub fn verdict(counts: &HealthCounts) -> (&'static str, Vec<String>) {
    let mut failing = Vec::new();
    let mut degraded = Vec::new();
    let finished = counts.completed + counts.failed;
    #[allow(clippy::cast_precision_loss)]
    let rate = (finished > 0).then(|| counts.failed as f64 / finished as f64);
    if let Some(rate) = rate {
        let text = format!(
            "{:.0}% of the {finished} tasks finished in the last 24 hours failed",
            rate * 100.0
        );
        if finished >= MIN_FINISHED_FAILING && rate >= FAILURE_RATE_FAILING {
            failing.push(text);
        } else if finished >= MIN_FINISHED_DEGRADED && rate >= FAILURE_RATE_DEGRADED {
            degraded.push(text);
        }
    }
    if let Some(age) = counts.oldest_pending_age_seconds {
        let text = format!("the oldest due task has waited {:.0} s", age);
        if age >= OLDEST_PENDING_FAILING_SECONDS {
            failing.push(text);
        } else if age >= OLDEST_PENDING_DEGRADED_SECONDS {
            degraded.push(text);
        }
    }
    if counts.expired_leases > 0 {
        degraded.push(format!(
            "{} running task(s) hold an expired lease",
            counts.expired_leases
        ));
    }
    if !failing.is_empty() {
        failing.extend(degraded);
        ("failing", failing)
    } else if !degraded.is_empty() {
        ("degraded", degraded)
    } else {
        ("ok", Vec::new())
    }
}

#[async_trait]
impl TaskHandler for ReviewSystemHealth {
    type Payload = Payload;
    type Context = Counts;
    type Rows = ();

    const KIND: &'static str = "review_system_health";
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str =
        "Review the task queue's health and give a verdict: ok, degraded or failing (CONNOR)";
    const FIELDS: &'static [(&'static str, &'static str)] = &[];
    const CHECKS_ROWS: bool = false;

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Counts, StoreError> {
        let since = Utc::now() - Duration::hours(24);
        let mut counts = Counts::new();
        for tenant in tenants(batch) {
            counts.insert(tenant, tx.health_counts(tenant, since).await?);
        }
        Ok(counts)
    }

    fn check(
        &self,
        _tenant: TenantId,
        _payload: &Payload,
        _counts: &Counts,
    ) -> Result<(), TaskError> {
        Ok(())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        _payload: &Payload,
        _prepared: Option<Value>,
        counts: &Counts,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let Some(health) = counts.get(&task.tenant_id) else {
            return Err(TaskError::transient("the queue's health was not read"));
        };
        let (verdict, reasons) = verdict(health);
        let by_type: BTreeMap<&str, Value> = health
            .open_by_type
            .iter()
            .map(|(kind, statuses)| {
                let n = |s: &str| statuses.get(s).copied().unwrap_or(0);
                (
                    kind.as_str(),
                    json!({"pending": n("pending"), "in_progress": n("in_progress")}),
                )
            })
            .collect();
        let finished = health.completed + health.failed;
        #[allow(clippy::cast_precision_loss)]
        let failure_rate = (finished > 0).then(|| health.failed as f64 / finished as f64);
        let result = json!({
            "verdict": verdict,
            "reasons": reasons,
            "queue": {"by_type": by_type},
            "oldest_pending_age_seconds": health.oldest_pending_age_seconds,
            "last_24h": {
                "completed": health.completed,
                "failed": health.failed,
                "failure_rate": failure_rate,
                "top_errors": health.top_errors,
            },
            "expired_leases": health.expired_leases,
            "blocked": health.blocked,
            "awaiting_approval": health.awaiting_approval,
            "workers_alive": health.workers_alive,
        });
        let summary = if reasons.is_empty() {
            format!("System health: {verdict}")
        } else {
            format!("System health: {verdict} ({})", reasons.join("; "))
        };
        let entry = journal::entry(
            task,
            JournalCategory::SystemEvent,
            "system_health_reviewed",
            format!("System health: {verdict}"),
            summary.clone(),
            json!({"verdict": verdict, "reasons": reasons}),
        );
        Ok(Outcome::new(result, summary, vec![entry]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(completed: u64, failed: u64, oldest: Option<f64>, expired: u64) -> HealthCounts {
        HealthCounts {
            completed,
            failed,
            oldest_pending_age_seconds: oldest,
            expired_leases: expired,
            ..HealthCounts::default()
        }
    }

    #[test]
    fn the_thresholds_decide_the_verdict() {
        assert_eq!(verdict(&counts(100, 0, Some(1.0), 0)), ("ok", vec![]));
        assert_eq!(verdict(&counts(0, 0, None, 0)).0, "ok", "an empty queue");
        assert_eq!(
            verdict(&counts(3, 1, None, 0)).0,
            "ok",
            "too few finished to judge"
        );
        assert_eq!(verdict(&counts(9, 1, None, 0)).0, "degraded", "10% of 10");
        assert_eq!(verdict(&counts(5, 5, None, 0)).0, "failing", "50% of 10");
        assert_eq!(verdict(&counts(10, 0, Some(301.0), 0)).0, "degraded");
        assert_eq!(verdict(&counts(10, 0, Some(3600.0), 0)).0, "failing");
        let (v, reasons) = verdict(&counts(5, 5, None, 2));
        assert_eq!(v, "failing");
        assert_eq!(
            reasons,
            vec![
                "50% of the 10 tasks finished in the last 24 hours failed".to_owned(),
                "2 running task(s) hold an expired lease".to_owned()
            ]
        );
    }
}
