//! Climate OS: its task types, the rows they produce ([`rows::ClimateRows`]), its tables'
//! rows ([`tables`]) and their SQL for each backend, reached through [`store`].

pub mod bench;
pub mod create_missions_from_plan;
pub mod create_single_mission;
pub(crate) mod mappers;
mod postgres;
pub mod rows;
mod sqlite;
pub mod store;
pub mod tables;
