//! ZORA CORE's planner knowledge, for the engine's command console: the task types each
//! of the six agents knows ([`AGENT_TASK_TYPES`], which the model planner offers), and
//! the keyword rules that plan a command without a model ([`KeywordPlanner`]).

mod agents;
mod keywords;

pub use agents::{AGENT_TASK_TYPES, first_task_type};
pub use keywords::KeywordPlanner;
