//! Journal entries: the audit trail handlers and the API write.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::{JournalEntryId, TenantId};

crate::label_enum! {
    /// `journal_category`, with the two values the engine's migration adds.
    pub enum JournalCategory (field = "category") {
        Release => "release",
        Decision => "decision",
        ModelUpdate => "model_update",
        Experiment => "experiment",
        Milestone => "milestone",
        Incident => "incident",
        ConfigChange => "config_change",
        AgentAction => "agent_action",
        UserFeedback => "user_feedback",
        SystemEvent => "system_event",
        Autonomy => "autonomy",
        /// Added by the engine: Climate OS handlers write it.
        ClimateAction => "climate_action",
        /// Added by the engine: ZORA SHOP handlers write it.
        ZoraShop => "zora_shop",
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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

/// The journal a transaction writes.
#[async_trait::async_trait]
pub trait JournalTx: Send {
    /// Writes journal entries, in one statement.
    async fn insert_journal_entries(
        &mut self,
        entries: &[NewJournalEntry],
    ) -> Result<(), StoreError>;
}
