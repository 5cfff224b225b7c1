//! Journal entries: the audit trail handlers and the API write.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{JournalEntryId, TenantId};

/// `journal_category`, with the two values the engine's migration adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalCategory {
    Release,
    Decision,
    ModelUpdate,
    Experiment,
    Milestone,
    Incident,
    ConfigChange,
    AgentAction,
    UserFeedback,
    SystemEvent,
    Autonomy,
    /// Added by the engine: Climate OS handlers write it.
    ClimateAction,
    /// Added by the engine: ZORA SHOP handlers write it.
    ZoraShop,
}

impl JournalCategory {
    /// The enum label as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Release => "release",
            Self::Decision => "decision",
            Self::ModelUpdate => "model_update",
            Self::Experiment => "experiment",
            Self::Milestone => "milestone",
            Self::Incident => "incident",
            Self::ConfigChange => "config_change",
            Self::AgentAction => "agent_action",
            Self::UserFeedback => "user_feedback",
            Self::SystemEvent => "system_event",
            Self::Autonomy => "autonomy",
            Self::ClimateAction => "climate_action",
            Self::ZoraShop => "zora_shop",
        }
    }
}

impl fmt::Display for JournalCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A journal entry to write. `details` carries `event_type` and `task_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJournalEntry {
    pub id: JournalEntryId,
    pub tenant_id: TenantId,
    pub category: JournalCategory,
    pub title: String,
    pub body: Option<String>,
    pub details: Value,
    pub author: Option<String>,
}

/// A row of `journal_entries`. The category is read as text: a live database may hold
/// values this binary does not know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalEntry {
    pub id: JournalEntryId,
    pub tenant_id: TenantId,
    pub category: String,
    pub title: String,
    pub body: Option<String>,
    pub details: Value,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}
