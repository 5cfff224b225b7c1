//! Agent names: the six ZORA CORE agents, and the rule for accepting one on a new task.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ParseError;

/// The agents a new task may name by default (`ZORA_AGENTS` replaces the list).
pub const DEFAULT_AGENTS: [&str; 6] = ["CONNOR", "LUMINA", "EIVOR", "ORACLE", "AEGIS", "SAM"];

/// An agent id as stored in `agent_tasks.agent_id`.
///
/// Rows already in the table are read as they are (ZORA CORE 3.x renamed its agents);
/// [`AgentId::parse`] is the check applied to ids given for new tasks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentId(String);

impl AgentId {
    /// Upper-cases `raw` and accepts it when it is one of `allowed`.
    pub fn parse(raw: &str, allowed: &[String]) -> Result<Self, ParseError> {
        let upper = raw.trim().to_uppercase();
        if allowed.contains(&upper) {
            Ok(Self(upper))
        } else {
            Err(ParseError::new(
                "agent_id",
                format!("Invalid agent_id. Must be one of: {}", allowed.join(", ")),
            ))
        }
    }

    /// Wraps a value read from storage, unchecked.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The default roster as owned strings, the shape [`AgentId::parse`] takes.
pub fn default_agents() -> Vec<String> {
    DEFAULT_AGENTS.iter().map(|a| (*a).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_ids_are_upper_cased_and_checked() {
        let roster = default_agents();
        assert_eq!(
            AgentId::parse("lumina", &roster).expect("valid").as_str(),
            "LUMINA"
        );
        let err = AgentId::parse("ODIN", &roster).expect_err("not in roster");
        assert_eq!(err.field, "agent_id");
        assert_eq!(
            err.message,
            "Invalid agent_id. Must be one of: CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM"
        );
    }
}
