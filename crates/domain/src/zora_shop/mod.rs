//! ZORA SHOP: its task types, the rows they produce ([`rows::ShopRows`]), its tables' rows
//! ([`tables`]) and their SQL for each backend, reached through [`store`].

pub mod brands;
pub mod create_project;
pub(crate) mod mappers;
mod postgres;
pub mod record_supplier_audit;
pub mod rows;
mod sqlite;
pub mod store;
pub mod tables;
pub mod update_product_climate_meta;
