//! `review_frontend_page` (SAM): a model's review of a frontend page (its URL and the
//! focus of the review), asked outside any transaction under the task's lease and
//! recorded with the task's completion. The page itself is not fetched: the engine calls
//! no address a payload names.

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

/// SAM's instructions.
pub const SYSTEM_PROMPT: &str = "You are SAM, the frontend and experience agent of ZORA CORE, a climate-first platform. \
     Answer in plain text: the most important findings first, each with a concrete fix.";

/// The payload of `review_frontend_page`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// The page to review, an `http://` or `https://` URL or a path such as `/climate`.
    pub url: Option<String>,
    /// What the review looks at (accessibility, copy, layout...). Defaults to the whole
    /// experience.
    pub focus: Option<String>,
    /// What to review, when no URL is given. Defaults to the task's description or title.
    pub description: Option<String>,
}

/// The handler of `review_frontend_page`.
#[derive(Debug, Clone, Default)]
pub struct ReviewFrontendPage(pub ModelAccess);

impl ReviewFrontendPage {
    fn page<'a>(task: &'a Task, payload: &'a Payload) -> &'a str {
        payload
            .url
            .as_deref()
            .or(payload.description.as_deref())
            .unwrap_or_else(|| task_subject(task))
    }
}

#[async_trait]
impl TaskHandler for ReviewFrontendPage {
    type Payload = Payload;
    type Context = ();
    type Rows = ();

    const KIND: &'static str = "review_frontend_page";
    const CATEGORY: Category = Category::Agents;
    const DESCRIPTION: &'static str =
        "Review a frontend page with the configured model and record its findings (SAM)";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("url", "The page to review (an http(s) URL or a path)"),
        (
            "focus",
            "What the review looks at (default: the whole experience)",
        ),
        ("description", "What to review when no URL is given"),
    ];
    const PREPARES: bool = true;

    fn timeout(&self) -> Duration {
        self.0.timeout()
    }

    fn concurrency_limit(&self) -> Option<usize> {
        Some(DEFAULT_CONCURRENCY)
    }

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        check_text("url", payload.url.as_deref())?;
        if let Some(url) = payload.url.as_deref().map(str::trim)
            && !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/'))
        {
            return Err(TaskError::field(
                "url",
                format!("url must be an http(s) URL or a path starting with /, got {url:?}"),
            ));
        }
        check_text("focus", payload.focus.as_deref())?;
        check_text("description", payload.description.as_deref())
    }

    async fn prepare(&self, task: &Task, payload: &Payload) -> Result<Option<Value>, TaskError> {
        let prompt = format!(
            "Review this ZORA CORE frontend page, in at most 300 words.\nPage: {}\nFocus: {}",
            Self::page(task, payload),
            payload.focus.as_deref().unwrap_or("the whole experience"),
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
        let label = format!("Review of {}", Self::page(task, payload));
        answered(task, prepared, "frontend_page_reviewed", label)
    }
}
