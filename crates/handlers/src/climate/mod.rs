//! Climate OS task types.

pub mod create_missions_from_plan;
pub mod create_single_mission;
pub mod rows;
