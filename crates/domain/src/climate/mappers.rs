//! Climate OS rows from the columns both stores' queries select under the same names
//! (enums as text, numerics as floating point).

use zora_store_sql::Columns;

use super::tables::{ClimateProfile, Mission, PlanItem, WeeklyPlan};

pub fn profile(row: &impl Columns) -> Result<ClimateProfile, sqlx::Error> {
    Ok(ClimateProfile {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        name: row.text("name")?,
        profile_type: row.text("profile_type")?,
    })
}

pub fn plan(row: &impl Columns) -> Result<WeeklyPlan, sqlx::Error> {
    Ok(WeeklyPlan {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        profile_id: row.id("profile_id")?,
        plan_type: row.text("plan_type")?,
        period_start: row.date("period_start")?,
        period_end: row.date("period_end")?,
        status: row.text("status")?,
    })
}

pub fn plan_item(row: &impl Columns) -> Result<PlanItem, sqlx::Error> {
    Ok(PlanItem {
        id: row.id("id")?,
        plan_id: row.id("plan_id")?,
        mission_id: row.opt_id("mission_id")?,
        title: row.text("title")?,
        description: row.opt_text("description")?,
        category: row.opt_text("category")?,
        estimated_impact_kgco2: row.opt_float("estimated_impact_kgco2")?,
        status: row.text("status")?,
        created_at: row.timestamp("created_at")?,
    })
}

pub fn mission(row: &impl Columns) -> Result<Mission, sqlx::Error> {
    Ok(Mission {
        id: row.id("id")?,
        tenant_id: row.id("tenant_id")?,
        profile_id: row.opt_id("profile_id")?,
        title: row.text("title")?,
        description: row.opt_text("description")?,
        category: row.opt_text("category")?,
        status: row.text("status")?,
        estimated_impact_kgco2: row.opt_float("estimated_impact_kgco2")?,
        due_date: row.opt_date("due_date")?,
        notes: row.opt_text("notes")?,
        metadata: row.object("metadata")?,
        created_at: row.timestamp("created_at")?,
    })
}
