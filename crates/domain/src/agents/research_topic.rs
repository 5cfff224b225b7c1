//! `research_topic` (ORACLE): a model's research notes on a climate topic, asked outside
//! any transaction under the task's lease and recorded with the task's completion.

use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use zora_core::handler::{Category, Outcome, TaskError, TaskHandler};
use zora_core::{HandlerTx, Task, TenantId};

use crate::agents::model_backed::{
    DEFAULT_CONCURRENCY, ModelAccess, answered, check_text, task_subject,
};

/// ORACLE's instructions.
pub const SYSTEM_PROMPT: &str = "You are ORACLE, the research agent of ZORA CORE, a climate-first platform. \
     Answer in plain text: the key findings first, then what to verify and the next steps.";

/// The payload of `research_topic`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// The topic to research. Defaults to the description, else the task's title.
    pub topic: Option<String>,
    /// What the research is for, when no topic is given.
    pub description: Option<String>,
}

/// The handler of `research_topic`.
#[derive(Debug, Clone, Default)]
pub struct ResearchTopic(pub ModelAccess);

impl ResearchTopic {
    fn subject<'a>(task: &'a Task, payload: &'a Payload) -> &'a str {
        payload
            .topic
            .as_deref()
            .or(payload.description.as_deref())
            .unwrap_or_else(|| task_subject(task))
    }
}

#[async_trait]
impl TaskHandler for ResearchTopic {
    type Payload = Payload;
    type Context = ();
    type Rows = ();

    const KIND: &'static str = "research_topic";
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str =
        "Research a topic with the configured model and record its notes (ORACLE)";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        (
            "topic",
            "The topic to research (default: the task's description or title)",
        ),
        ("description", "What the research is for"),
    ];
    const PREPARES: bool = true;

    fn timeout(&self) -> Duration {
        self.0.timeout()
    }

    fn concurrency_limit(&self) -> Option<usize> {
        Some(DEFAULT_CONCURRENCY)
    }

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        check_text("topic", payload.topic.as_deref())?;
        check_text("description", payload.description.as_deref())
    }

    async fn prepare(&self, task: &Task, payload: &Payload) -> Result<Option<Value>, TaskError> {
        let prompt = format!(
            "Research this topic for a ZORA CORE founder, in at most 300 words: {}",
            Self::subject(task, payload)
        );
        self.0.ask(task, SYSTEM_PROMPT, prompt).await.map(Some)
    }

    fn check(&self, _tenant: TenantId, _payload: &Payload, _context: &()) -> Result<(), TaskError> {
        Ok(())
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        prepared: Option<Value>,
        _context: &(),
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let label = format!("Research on {}", Self::subject(task, payload));
        answered(task, prepared, "topic_researched", label)
    }
}
