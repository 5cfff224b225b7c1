//! The command planner (LUMINA): a free-text command becomes 1 to 5 tasks.
//!
//! [`Planner`] is the seam; [`ModelPlanner`] asks an OpenAI-compatible model about the
//! agents and task types a domain gives it ([`AgentTypes`]) and falls back to the
//! domain's own planner (ZORA's keyword rules) when the model's answer cannot be used.

mod model;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

pub use model::{ModelPlanner, ModelSettings, SYSTEM_PROMPT, parse_plan, strip_fence};

/// The most tasks one command creates.
pub const MAX_TASKS: usize = 5;

/// Each agent with the task types it knows, in the order the planner offers them.
pub type AgentTypes = &'static [(&'static str, &'static [&'static str])];

/// What the planner is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    pub raw_prompt: String,
    /// The agents the command is for, upper-cased; empty: any.
    pub target_agents: Vec<String>,
}

/// One task the planner proposes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedTask {
    pub agent_id: String,
    pub task_type: String,
    pub title: String,
    pub description: String,
    pub payload: Value,
    pub priority: i32,
    /// Its parents among the tasks planned before it.
    pub depends_on: Vec<PlannedDependency>,
}

/// A planned task's parent: another task of the same plan, by position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDependency {
    /// The parent's position in the plan (from 0), before the dependent's own.
    pub index: usize,
    /// Which fields of the dependent's payload take which fields of the parent's result
    /// (`child_field → parent_field`), as `depends_on[].inputs` at create.
    pub inputs: BTreeMap<String, String>,
}

/// A plan: a summary and the tasks, at most [`MAX_TASKS`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub summary: String,
    pub tasks: Vec<PlannedTask>,
    /// `model` or `fallback`.
    pub planner: &'static str,
    /// Why the fallback planned it, when it did (no model configured, the model failed).
    pub fallback_reason: Option<String>,
}

/// Turns a command into tasks.
#[async_trait]
pub trait Planner: Send + Sync + std::fmt::Debug {
    async fn plan(&self, request: &PlanRequest) -> Plan;
}
