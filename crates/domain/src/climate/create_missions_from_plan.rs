//! `climate.create_missions_from_plan`: one mission per item of a proposed weekly plan.
//!
//! The plan is claimed by its first write (`proposed → applied`, conditional), so of two
//! tasks applying one plan, even in two workers at once, exactly one creates missions.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use crate::climate::tables::{NewMission, PlanItem, WeeklyPlan};
use crate::ids::{MissionId, PlanId};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::batch::ids_by_tenant;
use crate::climate::rows::ClimateRows;
use crate::climate::store as climate_store;
use crate::journal;
use crate::payload::{Reference, has_reference, require, resolve};

/// The payload of `climate.create_missions_from_plan`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// UUID of the climate profile the plan belongs to.
    #[schemars(required)]
    pub profile_id: Option<Reference>,
    /// UUID of the weekly plan to apply.
    #[schemars(required)]
    pub plan_id: Option<Reference>,
}

/// The handler of `climate.create_missions_from_plan`.
#[derive(Debug, Clone, Copy)]
pub struct CreateMissionsFromPlan;

/// The plans the batch names, with their items in order, by tenant and id; and those a
/// task of the batch applied already (a second task for the same plan fails).
#[derive(Debug, Default)]
pub struct Plans {
    by_id: HashMap<(TenantId, PlanId), (WeeklyPlan, Vec<PlanItem>)>,
    applied: Mutex<HashSet<(TenantId, PlanId)>>,
}

impl Plans {
    /// Takes the plan for the task applying it; `false` when another task of the batch
    /// took it first.
    fn take(&self, tenant: TenantId, plan: PlanId) -> bool {
        self.applied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((tenant, plan))
    }
}

fn text(reference: &Option<Reference>) -> String {
    reference
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[async_trait]
impl TaskHandler for CreateMissionsFromPlan {
    type Payload = Payload;
    type Context = Plans;
    type Rows = ClimateRows;

    const KIND: &'static str = "climate.create_missions_from_plan";
    const CATEGORY: Category = Category::ClimateOs;
    const DESCRIPTION: &'static str = "Create missions from a previously suggested weekly plan";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("profile_id", "UUID of the climate profile"),
        ("plan_id", "UUID of the weekly plan"),
    ];

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        require(&[
            ("profile_id", has_reference(&payload.profile_id)),
            ("plan_id", has_reference(&payload.plan_id)),
        ])
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Plans, StoreError> {
        let mut plans = HashMap::new();
        for (tenant, ids) in ids_by_tenant(batch, |p| resolve(&p.plan_id).into_iter().collect()) {
            let mut items: HashMap<PlanId, Vec<PlanItem>> = HashMap::new();
            for item in climate_store::plan_items(&mut *tx, tenant, &ids).await? {
                items.entry(item.plan_id).or_default().push(item);
            }
            for plan in climate_store::plans(&mut *tx, tenant, &ids).await? {
                let plan_items = items.remove(&plan.id).unwrap_or_default();
                plans.insert((tenant, plan.id), (plan, plan_items));
            }
        }
        Ok(Plans {
            by_id: plans,
            ..Plans::default()
        })
    }

    fn check(&self, tenant: TenantId, payload: &Payload, plans: &Plans) -> Result<(), TaskError> {
        let plan_text = text(&payload.plan_id);
        let Some((plan, items)) =
            resolve(&payload.plan_id).and_then(|id| plans.by_id.get(&(tenant, id)))
        else {
            return Err(TaskError::field(
                "plan_id",
                format!("Plan {plan_text} not found or does not belong to tenant"),
            ));
        };
        if resolve(&payload.profile_id) != Some(plan.profile_id) {
            return Err(TaskError::field(
                "profile_id",
                format!(
                    "Plan {plan_text} does not belong to profile {}",
                    text(&payload.profile_id)
                ),
            ));
        }
        if plan.status != "proposed" {
            return Err(TaskError::field(
                "plan_id",
                format!("Plan {plan_text} is already {}", plan.status),
            ));
        }
        if items.is_empty() {
            return Err(TaskError::field(
                "plan_id",
                format!("No items found for plan {plan_text}"),
            ));
        }
        Ok(())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        plans: &Plans,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let Some((plan, items)) =
            resolve(&payload.plan_id).and_then(|id| plans.by_id.get(&(task.tenant_id, id)))
        else {
            return Err(TaskError::permanent("plan vanished after its check"));
        };
        // A plan applies once: a second task of the batch for it stops here. (Another
        // transaction that applied it since the batch read it makes the batch's mark
        // fail, and the task then runs alone, where its check says so.)
        if !plans.take(task.tenant_id, plan.id) {
            return Err(TaskError::field(
                "plan_id",
                format!("Plan {} is already applied", plan.id),
            ));
        }
        let missions: Vec<NewMission> = items
            .iter()
            .map(|item| NewMission {
                id: MissionId::new(),
                tenant_id: task.tenant_id,
                profile_id: plan.profile_id,
                title: item.title.clone(),
                description: item.description.clone(),
                category: item.category.clone().unwrap_or_else(|| "general".into()),
                estimated_impact_kgco2: item.estimated_impact_kgco2,
                due_date: Some(plan.period_end),
                notes: None,
                metadata: json!({"source": "weekly_plan", "plan_id": plan.id, "plan_item_id": item.id}),
            })
            .collect();
        let links: Vec<_> = items
            .iter()
            .zip(&missions)
            .map(|(item, m)| (item.id, m.id))
            .collect();

        let mission_ids: Vec<MissionId> = missions.iter().map(|m| m.id).collect();
        let n = mission_ids.len();
        let entry = journal::entry(
            task,
            JournalCategory::ClimateAction,
            "climate_missions_created_from_plan",
            format!("Created {n} missions from weekly plan"),
            format!("Applied plan {} to profile {}", plan.id, plan.profile_id),
            json!({
                "plan_id": plan.id,
                "profile_id": plan.profile_id,
                "missions_created": n,
                "mission_ids": mission_ids,
            }),
        );
        let result = json!({
            "plan_id": plan.id,
            "profile_id": plan.profile_id,
            "missions_created": n,
            "mission_ids": mission_ids,
        });
        let summary = format!("Created {n} missions from plan {}", plan.id);
        Ok(
            Outcome::new(result, summary, vec![entry]).with_rows(ClimateRows {
                missions,
                plan_links: links,
                plans_applied: vec![plan.id],
                ..ClimateRows::of(task.tenant_id)
            }),
        )
    }
}
