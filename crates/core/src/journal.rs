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

tokio::task_local! {
    /// The door the current work came through, when it is not the HTTP API (`"mcp"`).
    static SOURCE: &'static str;
}

/// Runs `work` with every journal entry it writes marked `details.source = source`
/// (unless the entry names its own): how a tool call of the MCP server is told apart in
/// the journal from the API call it stands for.
pub async fn written_through<F: std::future::Future>(source: &'static str, work: F) -> F::Output {
    SOURCE.scope(source, work).await
}

impl NewJournalEntry {
    /// `details` as the stores write them: with the `source` of [`written_through`] when
    /// the entry is written inside it.
    /// Outside [`written_through`] (every worker's entry) it is `details` itself, not a
    /// copy.
    pub fn details_as_written(&self) -> std::borrow::Cow<'_, Value> {
        let Ok(source) = SOURCE.try_with(|source| *source) else {
            return std::borrow::Cow::Borrowed(&self.details);
        };
        let mut details = self.details.clone();
        if let Some(fields) = details.as_object_mut() {
            fields
                .entry("source")
                .or_insert_with(|| Value::from(source));
        }
        std::borrow::Cow::Owned(details)
    }
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
