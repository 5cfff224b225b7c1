//! `climate.suggest_weekly_plan` (ORACLE), also registered as
//! `propose_new_climate_missions`: a weekly plan of 4 or 5 climate actions for a profile,
//! chosen from the built-in catalogue, skipping the categories in which the profile has
//! open missions. A week that already has a `proposed` plan for the profile gets that
//! plan back, nothing new written.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use crate::climate::tables::{ClimateProfile, NewPlan, NewPlanItem, PlanItem, WeeklyPlan};
use crate::ids::{PlanId, PlanItemId, ProfileId};
use async_trait::async_trait;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler, to_result};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};

use crate::agents::{catalogue, hundredths};
use crate::batch::{Rows, ids_by_tenant, tenants};
use crate::climate::rows::ClimateRows;
use crate::climate::store as climate_store;
use crate::journal;
use crate::payload::{Date, Reference, has_reference, resolve};

/// The payload of `climate.suggest_weekly_plan`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// UUID of the climate profile. Defaults to the tenant's primary profile, else its
    /// oldest.
    pub profile_id: Option<Reference>,
    /// A day of the week to plan, `YYYY-MM-DD`: the plan covers its Monday to Sunday.
    /// Defaults to next week.
    pub period_start: Option<Date>,
}

impl Payload {
    /// The profile named, when one is (a blank one counts as none).
    fn named_profile(&self) -> Option<&Reference> {
        self.profile_id
            .as_ref()
            .filter(|_| has_reference(&self.profile_id))
    }
}

/// The handler of `climate.suggest_weekly_plan`.
#[derive(Debug, Clone, Copy)]
pub struct SuggestWeeklyPlan;

/// What the batch read: the profiles named, each tenant's default profile, the open
/// mission categories and the `proposed` weekly plans (with their items) of those
/// profiles.
#[derive(Debug, Default)]
pub struct Basis {
    named: Rows<ProfileId, ClimateProfile>,
    defaults: HashMap<TenantId, ClimateProfile>,
    open_categories: HashMap<ProfileId, Vec<String>>,
    proposed: HashMap<(ProfileId, NaiveDate), (WeeklyPlan, Vec<PlanItem>)>,
}

impl Basis {
    /// The profile a payload plans for, or why there is none.
    fn profile(&self, tenant: TenantId, payload: &Payload) -> Result<&ClimateProfile, TaskError> {
        match payload.named_profile() {
            Some(reference) => self.named.get(tenant, Some(reference)).ok_or_else(|| {
                TaskError::field(
                    "profile_id",
                    format!("Profile {reference} not found or does not belong to tenant"),
                )
            }),
            None => self
                .defaults
                .get(&tenant)
                .ok_or_else(|| TaskError::permanent("No climate profile found for tenant")),
        }
    }
}

/// One item of the result.
#[derive(Debug, Serialize)]
struct ResultItem {
    item_id: PlanItemId,
    title: String,
    category: Option<String>,
    estimated_impact_kgco2: Option<f64>,
}

impl From<&PlanItem> for ResultItem {
    fn from(item: &PlanItem) -> Self {
        Self {
            item_id: item.id,
            title: item.title.clone(),
            category: item.category.clone(),
            estimated_impact_kgco2: item.estimated_impact_kgco2,
        }
    }
}

impl From<&NewPlanItem> for ResultItem {
    fn from(item: &NewPlanItem) -> Self {
        Self {
            item_id: item.id,
            title: item.title.clone(),
            category: item.category.clone(),
            estimated_impact_kgco2: item.estimated_impact_kgco2,
        }
    }
}

/// The Monday of the week `payload` plans: the one containing `period_start`, else next
/// week's (from `today`).
fn week_of(payload: &Payload, today: NaiveDate) -> NaiveDate {
    let day = payload
        .period_start
        .map_or(today + Duration::days(7), |d| d.0);
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

#[async_trait]
impl TaskHandler for SuggestWeeklyPlan {
    type Payload = Payload;
    type Context = Basis;
    type Rows = ClimateRows;

    const KIND: &'static str = "climate.suggest_weekly_plan";
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str =
        "Suggest a weekly plan of 4 or 5 climate actions for a profile (ORACLE)";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        (
            "profile_id",
            "UUID of the climate profile (default: the primary, else the oldest)",
        ),
        (
            "period_start",
            "A day of the week to plan (YYYY-MM-DD; default: next week)",
        ),
    ];

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Basis, StoreError> {
        let mut basis = Basis::default();
        let named = ids_by_tenant(batch, |p: &Payload| {
            resolve(&p.named_profile().cloned()).into_iter().collect()
        });
        for tenant in tenants(batch) {
            let mut ids: Vec<ProfileId> = Vec::new();
            if let Some(named_ids) = named.get(&tenant) {
                let rows = climate_store::profiles(&mut *tx, tenant, named_ids).await?;
                ids.extend(rows.iter().map(|p| p.id));
                basis.named.insert_all(tenant, rows, |p| p.id);
            }
            let wants_default = batch
                .iter()
                .any(|(t, p)| t.tenant_id == tenant && p.named_profile().is_none());
            if wants_default
                && let Some(profile) = climate_store::default_profile(&mut *tx, tenant).await?
            {
                ids.push(profile.id);
                basis.defaults.insert(tenant, profile);
            }
            if ids.is_empty() {
                continue;
            }
            for (profile, category) in
                climate_store::open_mission_categories(&mut *tx, tenant, &ids).await?
            {
                basis
                    .open_categories
                    .entry(profile)
                    .or_default()
                    .push(category);
            }
            let plans = climate_store::proposed_weekly_plans(&mut *tx, tenant, &ids).await?;
            let plan_ids: Vec<PlanId> = plans.iter().map(|p| p.id).collect();
            let mut items: BTreeMap<PlanId, Vec<PlanItem>> = BTreeMap::new();
            if !plan_ids.is_empty() {
                for item in climate_store::plan_items(&mut *tx, tenant, &plan_ids).await? {
                    items.entry(item.plan_id).or_default().push(item);
                }
            }
            for plan in plans {
                // The oldest proposed plan of a week is the one returned.
                if let Entry::Vacant(slot) =
                    basis.proposed.entry((plan.profile_id, plan.period_start))
                {
                    let plan_items = items.remove(&plan.id).unwrap_or_default();
                    slot.insert((plan, plan_items));
                }
            }
        }
        Ok(basis)
    }

    /// A profile named must be the tenant's; the default one is looked for when the task
    /// runs (a profile may be created meanwhile), so a task without one is accepted.
    fn check(&self, tenant: TenantId, payload: &Payload, basis: &Basis) -> Result<(), TaskError> {
        match payload.named_profile() {
            Some(_) => basis.profile(tenant, payload).map(|_| ()),
            None => Ok(()),
        }
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        basis: &Basis,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let profile = basis.profile(task.tenant_id, payload)?;
        let monday = week_of(payload, Utc::now().date_naive());
        let sunday = monday + Duration::days(6);
        let summary = |items: &[ResultItem]| {
            let total = hundredths(items.iter().filter_map(|i| i.estimated_impact_kgco2).sum());
            (
                total,
                format!(
                    "Suggested {} actions ({total} kg CO2) for the week of {monday}",
                    items.len()
                ),
            )
        };
        let result = |plan_id: PlanId, items: &[ResultItem], total: f64| {
            json!({
                "plan_id": plan_id,
                "profile_id": profile.id,
                "period_start": monday.to_string(),
                "period_end": sunday.to_string(),
                "items": to_result(&items),
                "total_estimated_impact_kgco2": total,
            })
        };

        if let Some((plan, items)) = basis.proposed.get(&(profile.id, monday)) {
            let items: Vec<ResultItem> = items.iter().map(ResultItem::from).collect();
            let (total, text) = summary(&items);
            // The week has its plan already: the answer is that plan, nothing written.
            return Ok(
                Outcome::new(result(plan.id, &items, total), text, Vec::new())
                    .with_rows(ClimateRows::of(task.tenant_id)),
            );
        }

        let skipped = basis
            .open_categories
            .get(&profile.id)
            .map_or(&[][..], Vec::as_slice);
        let chosen = catalogue::choose(
            catalogue::for_profile_type(&profile.profile_type),
            profile.id,
            monday,
            skipped,
        );
        if chosen.is_empty() {
            return Err(TaskError::permanent(format!(
                "Profile {} has open missions in every category; nothing to suggest",
                profile.id
            )));
        }
        let plan = NewPlan {
            id: PlanId::new(),
            tenant_id: task.tenant_id,
            profile_id: profile.id,
            period_start: monday,
            period_end: sunday,
            items: chosen
                .iter()
                .map(|a| NewPlanItem {
                    id: PlanItemId::new(),
                    title: a.title.to_owned(),
                    description: Some(a.description.to_owned()),
                    category: Some(a.category.to_owned()),
                    estimated_impact_kgco2: Some(a.estimated_impact_kgco2),
                })
                .collect(),
        };
        let items: Vec<ResultItem> = plan.items.iter().map(ResultItem::from).collect();
        let (total, text) = summary(&items);
        let entry = journal::entry(
            task,
            JournalCategory::ClimateAction,
            "climate_plan_suggested",
            format!("Suggested weekly plan for {}", profile.name),
            format!(
                "{} climate actions for the week of {monday}, {total} kg CO2 in all",
                items.len()
            ),
            json!({
                "plan_id": plan.id,
                "profile_id": profile.id,
                "period_start": monday.to_string(),
                "items": items.len(),
                "total_estimated_impact_kgco2": total,
            }),
        );
        let value = result(plan.id, &items, total);
        Ok(
            Outcome::new(value, text, vec![entry]).with_rows(ClimateRows {
                suggested_plans: vec![plan],
                ..ClimateRows::of(task.tenant_id)
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_day_plans_its_monday_to_sunday_and_none_plans_next_week() {
        let payload = |start: Option<&str>| Payload {
            profile_id: None,
            period_start: start.map(|s| Date(day(s))),
        };
        // 2026-12-02 is a Wednesday.
        assert_eq!(
            week_of(&payload(Some("2026-12-02")), day("2026-01-01")),
            day("2026-11-30")
        );
        assert_eq!(
            week_of(&payload(Some("2026-12-06")), day("2026-01-01")),
            day("2026-11-30")
        );
        assert_eq!(
            week_of(&payload(Some("2026-11-30")), day("2026-01-01")),
            day("2026-11-30")
        );
        assert_eq!(
            week_of(&payload(None), day("2026-12-02")),
            day("2026-12-07")
        );
        assert_eq!(
            week_of(&payload(None), day("2026-12-06")),
            day("2026-12-07")
        );
    }
}
