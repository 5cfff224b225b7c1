//! ZORA SHOP task types.

pub mod create_project;
pub mod rows;
pub mod update_product_climate_meta;
