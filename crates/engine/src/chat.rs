//! The OpenAI-compatible chat client ([`OpenAiChat`]): one `POST {base}/chat/completions`
//! per call, its HTTP answers classified as [`ModelError`]s (429 and 5xx with their
//! `Retry-After`, other statuses refused, a body without message content unusable). The
//! planner and the model-backed task types share it.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use zora_core::model::{ChatAnswer, ChatMessage, ChatModel, ModelError, Usage};

/// Where the model is: `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `ZORA_PLANNER_MODEL`.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub api_key: String,
    pub model: String,
}

/// A chat client over HTTP.
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    settings: ChatSettings,
    client: reqwest::Client,
}

impl OpenAiChat {
    pub fn new(settings: ChatSettings) -> Self {
        Self {
            settings,
            client: crate::http::http_client(),
        }
    }

    fn url(&self) -> String {
        format!(
            "{}/chat/completions",
            self.settings.base_url.trim_end_matches('/')
        )
    }
}

#[async_trait]
impl ChatModel for OpenAiChat {
    fn model(&self) -> &str {
        &self.settings.model
    }

    async fn chat(
        &self,
        messages: &[ChatMessage],
        timeout: Duration,
    ) -> Result<ChatAnswer, ModelError> {
        let messages: Vec<Value> = messages
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content}))
            .collect();
        let body = json!({
            "model": self.settings.model,
            "messages": messages,
            "temperature": 0.2,
        });
        let call = async {
            let response = self
                .client
                .post(self.url())
                .bearer_auth(&self.settings.api_key)
                .json(&body)
                .send()
                .await
                .map_err(unreachable_provider)?;
            let status = response.status();
            if !status.is_success() {
                return Err(status_error(status.as_u16(), retry_after(&response)));
            }
            let reply: Value = response
                .json()
                .await
                .map_err(|_| ModelError::Unusable("the answer is not JSON".into()))?;
            answer(&reply, &self.settings.model)
        };
        tokio::time::timeout(timeout, call)
            .await
            .unwrap_or(Err(ModelError::Timeout))
    }
}

fn unreachable_provider(err: reqwest::Error) -> ModelError {
    if err.is_timeout() {
        return ModelError::Timeout;
    }
    ModelError::Unavailable {
        reason: if err.is_connect() {
            "the connection failed".into()
        } else {
            "the request failed".into()
        },
        retry_after: None,
    }
}

/// A non-2xx status as the retry policy reads it.
fn status_error(status: u16, retry_after: Option<Duration>) -> ModelError {
    match status {
        429 => ModelError::RateLimited { retry_after },
        500..=599 => ModelError::Unavailable {
            reason: format!("HTTP {status}"),
            retry_after,
        },
        _ => ModelError::Refused { status },
    }
}

/// `Retry-After` in seconds (the form providers send; an HTTP date is ignored, and the
/// backoff alone applies).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: f64 = value.to_str().ok()?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

/// The first choice's message content, the model and the usage; a refusal
/// (`message.refusal`, `finish_reason: content_filter`) or a missing content is unusable.
fn answer(reply: &Value, asked: &str) -> Result<ChatAnswer, ModelError> {
    let choice = &reply["choices"][0];
    if let Some(refusal) = choice["message"]["refusal"]
        .as_str()
        .filter(|r| !r.is_empty())
    {
        return Err(ModelError::Unusable(format!(
            "the model refused: {refusal}"
        )));
    }
    if choice["finish_reason"] == "content_filter" {
        return Err(ModelError::Unusable(
            "the provider's content filter stopped the answer".into(),
        ));
    }
    let content = choice["message"]["content"]
        .as_str()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ModelError::Unusable("the answer has no message content".into()))?;
    let tokens = |name: &str| reply["usage"][name].as_u64().unwrap_or(0);
    Ok(ChatAnswer {
        model: reply["model"].as_str().unwrap_or(asked).to_owned(),
        content: content.to_owned(),
        usage: Usage {
            prompt_tokens: tokens("prompt_tokens"),
            completion_tokens: tokens("completion_tokens"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(
            status_error(429, Some(Duration::from_secs(2))),
            ModelError::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert!(status_error(503, None).is_transient());
        assert_eq!(status_error(401, None), ModelError::Refused { status: 401 });
    }

    #[test]
    fn answers_are_read_or_refused() {
        let ok = json!({"model": "m-1", "choices": [{"message": {"content": "Hi"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1}});
        let answer = answer(&ok, "asked").expect("answer");
        assert_eq!(
            (answer.model.as_str(), answer.content.as_str()),
            ("m-1", "Hi")
        );
        assert_eq!(answer.usage.prompt_tokens, 3);
        assert!(super::answer(&json!({}), "m").is_err());
        let refused = json!({"choices": [{"message": {"content": null, "refusal": "no"}}]});
        assert!(matches!(
            super::answer(&refused, "m"),
            Err(ModelError::Unusable(_))
        ));
    }
}
