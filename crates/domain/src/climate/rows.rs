//! [`ClimateRows`]: what Climate OS tasks write (missions, plans they apply or suggest,
//! plan items linked to missions), and how a batch's are written: one statement per
//! table, plans' marks and suggestions checked against what the batch read.

use std::collections::{BTreeMap, HashSet};

use crate::climate::store as climate_store;
use crate::climate::tables::{NewMission, NewPlan};
use crate::ids::{MissionId, PlanId, PlanItemId};
use zora_core::handler::BatchRows;
use zora_core::{HandlerTx, StoreError, TenantId};

/// The Climate OS rows one task writes, in its tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct ClimateRows {
    pub tenant: TenantId,
    pub missions: Vec<NewMission>,
    /// Weekly plans the task suggests, with their items: each is inserted unless its
    /// profile has a `proposed` plan for the week by then. Should one not be (another
    /// transaction suggested the same week since the batch read it), or two tasks of the
    /// batch suggest the same week, the batch is rerun task by task, where the later task
    /// finds the earlier's plan.
    pub suggested_plans: Vec<NewPlan>,
    /// Plan items linked to the missions created from them.
    pub plan_links: Vec<(PlanItemId, MissionId)>,
    /// Plans the task applies (`proposed → applied`). Should one no longer be `proposed`
    /// when the batch marks it (another transaction applied it since the batch read it),
    /// the batch is rerun task by task, where that task fails with the plan's status.
    pub plans_applied: Vec<PlanId>,
}

impl ClimateRows {
    /// No rows yet, in `tenant`.
    pub fn of(tenant: TenantId) -> Self {
        Self {
            tenant,
            missions: Vec::new(),
            suggested_plans: Vec::new(),
            plan_links: Vec::new(),
            plans_applied: Vec::new(),
        }
    }
}

#[async_trait::async_trait]
impl BatchRows for ClimateRows {
    /// The plans' marks first (the batch stops there if one was applied meanwhile), then
    /// suggested plans (it stops if one week was suggested twice), then missions, then
    /// the plan links, which name them.
    async fn write_batch(tx: &mut dyn HandlerTx, rows: Vec<Self>) -> Result<(), StoreError> {
        let mut plans: BTreeMap<TenantId, Vec<PlanId>> = BTreeMap::new();
        let mut links: BTreeMap<TenantId, Vec<(PlanItemId, MissionId)>> = BTreeMap::new();
        let (mut missions, mut suggested) = (Vec::new(), Vec::new());
        for row in rows {
            if !row.plans_applied.is_empty() {
                plans
                    .entry(row.tenant)
                    .or_default()
                    .extend(row.plans_applied);
            }
            if !row.plan_links.is_empty() {
                links.entry(row.tenant).or_default().extend(row.plan_links);
            }
            missions.extend(row.missions);
            suggested.extend(row.suggested_plans);
        }
        for (tenant, plans) in &plans {
            let marked = climate_store::mark_plans_applied(&mut *tx, *tenant, plans).await?;
            if marked.len() != plans.len() {
                return Err(StoreError::Transient(
                    "a plan of the batch was applied by another transaction since it was read; \
                     its tasks are rerun one by one"
                        .into(),
                ));
            }
        }
        insert_suggested_plans(tx, &suggested).await?;
        if !missions.is_empty() {
            climate_store::insert_missions(&mut *tx, &missions).await?;
        }
        for (tenant, links) in &links {
            climate_store::link_plan_items(&mut *tx, *tenant, links).await?;
        }
        Ok(())
    }
}

/// Inserts the suggested plans, unless two of the batch share a profile and week, or one
/// was suggested by another transaction since the batch read: then the batch is rerun
/// task by task, where the later task finds the earlier's plan.
async fn insert_suggested_plans(
    tx: &mut dyn HandlerTx,
    plans: &[NewPlan],
) -> Result<(), StoreError> {
    if plans.is_empty() {
        return Ok(());
    }
    let weeks: HashSet<_> = plans
        .iter()
        .map(|p| (p.profile_id, p.period_start))
        .collect();
    if weeks.len() < plans.len() {
        return Err(StoreError::Transient(
            "two tasks of the batch suggest a plan for the same profile and week; \
             its tasks are rerun one by one"
                .into(),
        ));
    }
    let created = climate_store::insert_suggested_plans(&mut *tx, plans).await?;
    if created.len() != plans.len() {
        return Err(StoreError::Transient(
            "a plan of the batch was suggested by another transaction since it was read; \
             its tasks are rerun one by one"
                .into(),
        ));
    }
    Ok(())
}
