//! `summarize_recent_activity` (EIVOR): what the tenant did over the last `days` days:
//! tasks by status and type, missions created and completed, shop projects, climate
//! metadata writes and journal entries by category, from a few grouped counts.

use std::collections::HashMap;

use crate::agents::activity::ActivityCounts;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::agents::activity;
use crate::agents::hundredths;
use crate::journal;

/// The window when the payload names none, in days.
pub const DEFAULT_DAYS: i64 = 7;
/// The longest window, in days.
pub const MAX_DAYS: i64 = 90;

/// The payload of `summarize_recent_activity`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// How many days back to look, 1 to 90. Defaults to 7.
    #[schemars(range(min = 1, max = 90))]
    pub days: Option<i64>,
}

impl Payload {
    fn days(&self) -> i64 {
        self.days.unwrap_or(DEFAULT_DAYS)
    }
}

/// The handler of `summarize_recent_activity`.
#[derive(Debug, Clone, Copy)]
pub struct SummarizeRecentActivity;

/// One window's counts, with its bounds.
#[derive(Debug)]
pub struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    counts: ActivityCounts,
}

/// The counts of each `(tenant, days)` window the batch asks for.
pub type Windows = HashMap<(TenantId, i64), Window>;

/// The readable paragraph of a summary.
fn paragraph(days: i64, counts: &ActivityCounts) -> String {
    let tasks: u64 = counts.tasks_by_status.values().sum();
    let status = |s: &str| counts.tasks_by_status.get(s).copied().unwrap_or(0);
    let journal: u64 = counts.journal_by_category.values().sum();
    format!(
        "In the last {days} day(s): {tasks} task(s) created ({} completed, {} failed, {} pending), \
         {} mission(s) created and {} completed ({} kg CO2 estimated), {} shop project(s) created, \
         {} product climate update(s), {journal} journal entr{}.",
        status("completed"),
        status("failed"),
        status("pending") + status("in_progress"),
        counts.missions_created,
        counts.missions_completed,
        hundredths(counts.missions_impact_kgco2),
        counts.shop_projects_created,
        counts.climate_meta_updated,
        if journal == 1 { "y" } else { "ies" },
    )
}

#[async_trait]
impl TaskHandler for SummarizeRecentActivity {
    type Payload = Payload;
    type Context = Windows;
    type Rows = ();

    const KIND: &'static str = "summarize_recent_activity";
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str = "Summarize the tenant's tasks, missions, shop and journal activity of the last days (EIVOR)";
    const FIELDS: &'static [(&'static str, &'static str)] =
        &[("days", "How many days back to look (1 to 90, default 7)")];
    const CHECKS_ROWS: bool = false;

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        let days = payload.days();
        if (1..=MAX_DAYS).contains(&days) {
            Ok(())
        } else {
            Err(TaskError::field(
                "days",
                format!("days must be between 1 and {MAX_DAYS}, got {days}"),
            ))
        }
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Windows, StoreError> {
        let to = Utc::now();
        let mut windows = Windows::new();
        for (task, payload) in batch {
            let key = (task.tenant_id, payload.days());
            if windows.contains_key(&key) {
                continue;
            }
            let from = to - Duration::days(key.1);
            let counts = activity::activity_counts(&mut *tx, task.tenant_id, from, to).await?;
            windows.insert(key, Window { from, to, counts });
        }
        Ok(windows)
    }

    fn check(
        &self,
        _tenant: TenantId,
        _payload: &Payload,
        _windows: &Windows,
    ) -> Result<(), TaskError> {
        Ok(())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        windows: &Windows,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let days = payload.days();
        let Some(Window { from, to, counts }) = windows.get(&(task.tenant_id, days)) else {
            return Err(TaskError::transient("the activity window was not read"));
        };
        let summary = paragraph(days, counts);
        let result = json!({
            "from": from,
            "to": to,
            "days": days,
            "tasks": {"by_status": counts.tasks_by_status, "by_type": counts.tasks_by_type},
            "missions": {
                "created": counts.missions_created,
                "completed": counts.missions_completed,
                "estimated_impact_kgco2": hundredths(counts.missions_impact_kgco2),
            },
            "shop": {
                "projects_created": counts.shop_projects_created,
                "climate_meta_updated": counts.climate_meta_updated,
            },
            "journal": {"by_category": counts.journal_by_category},
        });
        let entry = journal::entry(
            task,
            JournalCategory::AgentAction,
            "activity_summarized",
            format!("Activity of the last {days} day(s)"),
            summary.clone(),
            json!({"days": days, "from": from, "to": to}),
        );
        Ok(Outcome::new(result, summary, vec![entry]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_outside_1_to_90_are_refused_naming_the_field() {
        let check = |days: Option<i64>| SummarizeRecentActivity.validate(&Payload { days });
        check(None).expect("default 7");
        check(Some(1)).expect("1");
        check(Some(90)).expect("90");
        let err = check(Some(91)).expect_err("91");
        assert_eq!(err.field.as_deref(), Some("days"));
        assert_eq!(err.message, "days must be between 1 and 90, got 91");
        assert!(check(Some(0)).is_err());
    }

    #[test]
    fn the_paragraph_names_the_main_figures() {
        let mut counts = ActivityCounts::default();
        counts.tasks_by_status.insert("completed".into(), 3);
        counts.tasks_by_status.insert("failed".into(), 1);
        counts.missions_created = 2;
        counts.missions_impact_kgco2 = 12.345;
        counts
            .journal_by_category
            .insert("climate_action".into(), 1);
        assert_eq!(
            paragraph(7, &counts),
            "In the last 7 day(s): 4 task(s) created (3 completed, 1 failed, 0 pending), \
             2 mission(s) created and 0 completed (12.35 kg CO2 estimated), 0 shop project(s) created, \
             0 product climate update(s), 1 journal entry."
        );
    }
}
