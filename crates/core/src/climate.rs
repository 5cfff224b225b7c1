//! Climate OS rows: profiles, weekly plans and their items, missions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::{MissionId, PlanId, PlanItemId, ProfileId, TenantId};

/// A row of `climate_profiles`, the columns the engine reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClimateProfile {
    pub id: ProfileId,
    pub tenant_id: TenantId,
    pub name: String,
    /// `profile_type`: person, brand or organization.
    pub profile_type: String,
}

/// A profile to create (the demo and tests seed them).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProfile {
    pub id: ProfileId,
    pub tenant_id: TenantId,
    pub name: String,
    /// One of person, brand, organization.
    pub profile_type: String,
}

/// A row of `climate_plans`: a weekly plan proposed for a profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyPlan {
    pub id: PlanId,
    pub tenant_id: TenantId,
    pub profile_id: ProfileId,
    pub plan_type: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// proposed, active (ZORA CORE's apply endpoint), applied (this engine), archived.
    pub status: String,
}

/// A row of `climate_plan_items`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    pub id: PlanItemId,
    pub plan_id: PlanId,
    pub mission_id: Option<MissionId>,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub estimated_impact_kgco2: Option<f64>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A weekly plan to create, with its items (status `proposed`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub id: PlanId,
    pub tenant_id: TenantId,
    pub profile_id: ProfileId,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub items: Vec<NewPlanItem>,
}

/// An item of a [`NewPlan`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlanItem {
    pub id: PlanItemId,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub estimated_impact_kgco2: Option<f64>,
}

/// A mission to create (status `planned`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMission {
    pub id: MissionId,
    pub tenant_id: TenantId,
    pub profile_id: ProfileId,
    pub title: String,
    pub description: Option<String>,
    pub category: String,
    /// Rounded to 2 decimals by the store (`numeric(12,2)`).
    pub estimated_impact_kgco2: Option<f64>,
    pub due_date: Option<NaiveDate>,
    pub notes: Option<String>,
    pub metadata: Value,
}

/// A row of `climate_missions`, the columns the engine writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mission {
    pub id: MissionId,
    pub tenant_id: TenantId,
    pub profile_id: Option<ProfileId>,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub status: String,
    pub estimated_impact_kgco2: Option<f64>,
    pub due_date: Option<NaiveDate>,
    pub notes: Option<String>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
}

/// The Climate OS rows a transaction reads and writes. Reads are tenant-scoped and take a
/// batch of ids (one round trip for a whole batch); writes take rows that carry their
/// tenant.
#[async_trait::async_trait]
pub trait ClimateTx: Send {
    /// Creates a climate profile.
    async fn insert_profile(&mut self, profile: &NewProfile) -> Result<(), StoreError>;
    /// Creates a weekly plan (`proposed`) with its items.
    async fn insert_plan(&mut self, plan: &NewPlan) -> Result<(), StoreError>;
    /// Creates suggested weekly plans (`proposed`) with their items, in one statement per
    /// table, each unless its profile already has a `proposed` weekly plan starting the
    /// same day (PostgreSQL serializes the check per profile and week with a transaction
    /// lock; SQLite's writes are serialized anyway). Returns the ids created.
    async fn insert_suggested_plans(
        &mut self,
        plans: &[NewPlan],
    ) -> Result<Vec<PlanId>, StoreError>;
    /// `tenant`'s default profile: its primary one (`is_primary`), else its oldest.
    async fn default_profile(
        &mut self,
        tenant: TenantId,
    ) -> Result<Option<ClimateProfile>, StoreError>;
    /// The categories in which `tenant`'s `profiles` have `planned` or `in_progress`
    /// missions, as `(profile, category)` pairs without repeats.
    async fn open_mission_categories(
        &mut self,
        tenant: TenantId,
        profiles: &[ProfileId],
    ) -> Result<Vec<(ProfileId, String)>, StoreError>;
    /// `tenant`'s `proposed` weekly plans of `profiles`, oldest first.
    async fn proposed_weekly_plans(
        &mut self,
        tenant: TenantId,
        profiles: &[ProfileId],
    ) -> Result<Vec<WeeklyPlan>, StoreError>;
    /// `tenant`'s profiles among `ids`, in `id` order.
    async fn profiles(
        &mut self,
        tenant: TenantId,
        ids: &[ProfileId],
    ) -> Result<Vec<ClimateProfile>, StoreError>;
    /// `tenant`'s weekly plans among `ids`, in `id` order.
    async fn plans(
        &mut self,
        tenant: TenantId,
        ids: &[PlanId],
    ) -> Result<Vec<WeeklyPlan>, StoreError>;
    /// The items of `tenant`'s plans among `plan_ids`, by plan, then `created_at`, `id`.
    async fn plan_items(
        &mut self,
        tenant: TenantId,
        plan_ids: &[PlanId],
    ) -> Result<Vec<PlanItem>, StoreError>;
    /// Claims `tenant`'s plans among `plans` for applying: `proposed → applied`, in one
    /// statement. Returns the ids marked; a plan missing from them was not `proposed`
    /// (another task applied it first).
    async fn mark_plans_applied(
        &mut self,
        tenant: TenantId,
        plans: &[PlanId],
    ) -> Result<Vec<PlanId>, StoreError>;
    /// Creates missions (status `planned`), in one statement.
    async fn insert_missions(&mut self, missions: &[NewMission]) -> Result<(), StoreError>;
    /// Links plan items of `tenant`'s plans to the missions created from them, in one
    /// statement.
    async fn link_plan_items(
        &mut self,
        tenant: TenantId,
        links: &[(PlanItemId, MissionId)],
    ) -> Result<(), StoreError>;
}
