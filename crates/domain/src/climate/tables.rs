//! Climate OS rows: profiles, weekly plans and their items, missions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use zora_core::TenantId;

use crate::ids::{MissionId, PlanId, PlanItemId, ProfileId};

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
