//! The agents' everyday task types: ORACLE's
//! weekly plan suggestion, EIVOR's activity summary, CONNOR's health review, AEGIS's
//! climate claims review; and two that call a model outside the transaction, ORACLE's
//! research and SAM's frontend review ([`model_backed`]). Listed under the category
//! `agents`.

pub mod activity;
pub mod catalogue;
pub mod model_backed;
pub mod research_topic;
pub mod review_climate_claims;
pub mod review_frontend_page;
pub mod review_system_health;
pub mod suggest_weekly_plan;
pub mod summarize_recent_activity;

/// Kilograms rounded to hundredths, as the database stores impacts.
pub(crate) fn hundredths(kg: f64) -> f64 {
    (kg * 100.0).round() / 100.0
}
