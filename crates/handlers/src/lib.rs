//! The task types the engine runs: one file per type, each a typed payload (its JSON
//! Schema generated from the same type) and a [`TaskHandler`](zora_core::handler::TaskHandler).
//!
//! Adding a type: a file under `climate/` or `zora_shop/` (or a new area) and one line in
//! [`v1`] (or the list of the area it belongs to).

use std::sync::Arc;

use zora_core::handler::DynHandler;

mod batch;
pub mod climate;
mod journal;
pub mod payload;
pub mod zora_shop;

/// ZORA CORE's four v1 task types.
pub fn v1() -> Vec<Arc<dyn DynHandler>> {
    vec![
        Arc::new(climate::create_missions_from_plan::CreateMissionsFromPlan),
        Arc::new(climate::create_single_mission::CreateSingleMission),
        Arc::new(zora_shop::create_project::CreateProject),
        Arc::new(zora_shop::update_product_climate_meta::UpdateProductClimateMeta),
    ]
}
