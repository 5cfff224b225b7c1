//! What a successful `apply` returns ([`Outcome`]): the task's result and summary, and the
//! rows it inserts ([`Inserts`], journal entries among them), which the engine writes for
//! a whole batch in one statement per table and commits with the completions.
//!
//! A handler returns its inserts instead of writing them so that a batch of tasks costs
//! one round trip per table, not one per task, and so that a task that fails leaves none
//! behind without a savepoint; writes that must find the rows as the batch read them (a
//! plan still `proposed`, a product's metadata as it was) are checked when the batch
//! writes them, and a batch that finds otherwise is rolled back and rerun task by task.

use serde_json::Value;

use crate::climate::{NewMission, NewPlan};
use crate::ids::{MissionId, PlanId, PlanItemId};
use crate::journal::NewJournalEntry;
use crate::shop::{ClimateMetaUpsert, NewShopProject};

/// See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub result: Value,
    pub summary: String,
    /// Journal entries, written with the completion.
    pub journal: Vec<NewJournalEntry>,
    /// Other rows the task inserts.
    pub inserts: Inserts,
}

impl Outcome {
    /// An outcome with its result, summary and journal entries, and no other inserts.
    pub fn new(result: Value, summary: String, journal: Vec<NewJournalEntry>) -> Self {
        Self {
            result,
            summary,
            journal,
            inserts: Inserts::default(),
        }
    }

    /// The same outcome, inserting `inserts` too.
    pub fn inserting(self, inserts: Inserts) -> Self {
        Self { inserts, ..self }
    }
}

/// Rows a task inserts or marks, in the task's own tenant; the engine writes them for its
/// batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inserts {
    pub missions: Vec<NewMission>,
    /// Weekly plans the task suggests, with their items. The batch inserts them in one
    /// statement per table, each unless its profile has a `proposed` plan for the week
    /// by then; should one not be inserted (another transaction suggested the same week
    /// since the batch read it), or two tasks of the batch suggest the same week, the
    /// batch is rolled back and its tasks rerun one by one, where the later finds the
    /// earlier's plan.
    pub suggested_plans: Vec<NewPlan>,
    /// Plan items linked to the missions created from them (of the task's tenant).
    pub plan_links: Vec<(PlanItemId, MissionId)>,
    pub shop_projects: Vec<NewShopProject>,
    /// Plans the task applies (`proposed → applied`). The batch marks them in one
    /// statement; should one no longer be `proposed` then (another transaction applied
    /// it since the batch read it), the batch is rolled back and its tasks rerun one by
    /// one, where that task fails with the plan's status.
    pub plans_applied: Vec<PlanId>,
    /// Products' climate metadata the task writes, with the row id and action it
    /// predicted from what the batch read (the existing row's id, or a new one). The batch
    /// writes one upsert per product (a product's upserts in order, composed); should a
    /// row not come back as predicted (another transaction wrote it since), the batch is
    /// rolled back and its tasks rerun one by one.
    pub climate_meta: Vec<ClimateMetaUpsert>,
}
