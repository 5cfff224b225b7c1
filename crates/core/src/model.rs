//! The chat-model seam: what the planner and the model-backed task types ask an
//! OpenAI-compatible chat endpoint ([`ChatModel`]), what it answers, and how its failures
//! are classified for the retry policy ([`ModelError`] into [`TaskError`]).
//!
//! The engine implements [`ChatModel`] over HTTP; this crate only names the contract, so
//! that handlers call a model without knowing the client.

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::handler::TaskError;
use crate::task::FailureKind;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// `system` or `user`.
    pub role: &'static str,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system",
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user",
            content: content.into(),
        }
    }
}

/// The tokens a call used, as the provider reports them (0 when it does not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAnswer {
    /// The model that answered (the provider's name for it, else the one asked for).
    pub model: String,
    /// The message content.
    pub content: String,
    pub usage: Usage,
}

/// Why a call gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No answer within the time allowed.
    #[error("the model did not answer in time")]
    Timeout,
    /// HTTP 429: the provider asks to slow down, maybe saying for how long.
    #[error("the model provider is rate limiting (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    /// HTTP 5xx, or the connection failed: the provider may answer later.
    #[error("the model provider is unavailable ({reason})")]
    Unavailable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Another HTTP error (400, 401, 403, 404...): asking again will not help.
    #[error("the model provider refused the request (HTTP {status})")]
    Refused { status: u16 },
    /// An answer that is not what an OpenAI-compatible endpoint returns, or a refusal.
    #[error("the model's answer is unusable: {0}")]
    Unusable(String),
}

impl ModelError {
    /// Whether a later call may succeed: timeouts, rate limits and unavailability.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::RateLimited { .. } | Self::Unavailable { .. }
        )
    }

    /// How long the provider asked to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

impl From<ModelError> for TaskError {
    /// Timeouts are retried as timeouts, rate limits and unavailability as transient
    /// failures no sooner than the provider asked; refusals and unusable answers are
    /// permanent.
    fn from(err: ModelError) -> Self {
        let kind = match &err {
            ModelError::Timeout => FailureKind::Timeout,
            err if err.is_transient() => FailureKind::Transient,
            _ => FailureKind::Permanent,
        };
        let retry_after = err.retry_after();
        TaskError::of_kind(kind, capitalized(&err.to_string())).retry_after(retry_after)
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// An OpenAI-compatible chat endpoint.
#[async_trait]
pub trait ChatModel: Send + Sync + std::fmt::Debug {
    /// The model asked for (`ZORA_PLANNER_MODEL`).
    fn model(&self) -> &str;

    /// One completion of `messages`, given at most `timeout`.
    async fn chat(
        &self,
        messages: &[ChatMessage],
        timeout: Duration,
    ) -> Result<ChatAnswer, ModelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_for_the_retry_policy() {
        let limited: TaskError = ModelError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        }
        .into();
        assert_eq!(limited.kind, FailureKind::Transient);
        assert_eq!(limited.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(
            limited.message,
            "The model provider is rate limiting (HTTP 429)"
        );
        let timeout: TaskError = ModelError::Timeout.into();
        assert_eq!(timeout.kind, FailureKind::Timeout);
        assert!(timeout.is_retryable());
        let refused: TaskError = ModelError::Refused { status: 401 }.into();
        assert!(!refused.is_retryable());
        let garbage: TaskError = ModelError::Unusable("no message content".into()).into();
        assert_eq!(garbage.kind, FailureKind::Permanent);
        assert_eq!(
            garbage.message,
            "The model's answer is unusable: no message content"
        );
    }
}
