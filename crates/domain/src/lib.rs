//! ZORA's domain: the task types the engine runs for ZORA CORE (Climate OS, ZORA SHOP and
//! the agents' everyday types), one file per type, each a typed payload (its JSON Schema
//! generated from the same type) and a [`TaskHandler`](zora_core::handler::TaskHandler);
//! the rows they read and write, with their SQL for PostgreSQL and SQLite. The engine
//! knows none of it: a handler reads and writes its tables through its transaction's
//! connection ([`zora_core::HandlerTx`]) and returns the rows it produces for the batch.
//!
//! Adding a type: a file under `climate/`, `zora_shop/` or `agents/` (or a new area) and
//! one line in the list of the area it belongs to ([`v1`], [`agents`]); another name for
//! a type is one line of [`ALIASES`].

use std::sync::Arc;

use zora_core::handler::DynHandler;

pub use agents::model_backed::ModelAccess;

pub mod agents;
mod batch;
pub mod climate;
pub mod ids;
pub mod inspect;
mod journal;
pub mod migrations;
pub mod payload;
pub mod planner;
pub mod zora_shop;

/// ZORA CORE's four v1 task types, by name (what its clients list as `v1_supported`): a
/// later type of the same category is not one.
pub const V1_KINDS: [&str; 4] = [
    "climate.create_missions_from_plan",
    "climate.create_single_mission",
    "zora_shop.create_project",
    "zora_shop.update_product_climate_meta",
];

/// Other names of the agents' types, as ZORA CORE's clients and planner spell them:
/// `(alias, the type it runs as)`.
pub const ALIASES: [(&str, &str); 2] = [
    (
        "propose_new_climate_missions",
        "climate.suggest_weekly_plan",
    ),
    ("safety_audit", "review_climate_claims"),
];

/// A registry of `handlers` that knows ZORA CORE's v1 list and its aliases.
pub fn registry(handlers: Vec<Arc<dyn DynHandler>>) -> zora_engine::Registry {
    ALIASES.into_iter().fold(
        zora_engine::Registry::new(handlers).with_v1_kinds(V1_KINDS),
        |registry, (alias, of)| registry.with_alias(alias, of),
    )
}

/// ZORA CORE's four v1 task types.
pub fn v1() -> Vec<Arc<dyn DynHandler>> {
    vec![
        Arc::new(climate::create_missions_from_plan::CreateMissionsFromPlan),
        Arc::new(climate::create_single_mission::CreateSingleMission),
        Arc::new(zora_shop::create_project::CreateProject),
        Arc::new(zora_shop::update_product_climate_meta::UpdateProductClimateMeta),
    ]
}

/// The agents' everyday types (their other names are [`ALIASES`]); the model-backed ones
/// call `model` (with none, they fail saying how to configure one).
pub fn agents(model: &ModelAccess) -> Vec<Arc<dyn DynHandler>> {
    vec![
        Arc::new(agents::suggest_weekly_plan::SuggestWeeklyPlan),
        Arc::new(agents::review_climate_claims::ReviewClimateClaims),
        Arc::new(agents::summarize_recent_activity::SummarizeRecentActivity),
        Arc::new(agents::review_system_health::ReviewSystemHealth),
        Arc::new(zora_shop::record_supplier_audit::RecordSupplierAudit),
        Arc::new(agents::research_topic::ResearchTopic(model.clone())),
        Arc::new(agents::review_frontend_page::ReviewFrontendPage(
            model.clone(),
        )),
    ]
}

/// Every type this engine runs: [`v1`] and [`agents`].
pub fn all(model: &ModelAccess) -> Vec<Arc<dyn DynHandler>> {
    let mut handlers = v1();
    handlers.extend(agents(model));
    handlers
}
