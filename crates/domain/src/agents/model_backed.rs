//! What the model-backed types (`research_topic`, `review_frontend_page`) share: the
//! configured model ([`ModelAccess`]), the call made in `prepare` (outside any
//! transaction, under the task's lease), and the outcome recorded from its answer.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zora_core::Task;
use zora_core::handler::{Outcome, TaskError, to_result};
use zora_core::journal::JournalCategory;
use zora_core::model::{ChatMessage, ChatModel, Usage};

use crate::journal;

/// How long a model-backed task may wait for its answer by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// How many tasks of one model-backed type a worker holds at once by default (providers
/// rate-limit; `zora worker --type-concurrency KIND=N` changes it).
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The longest text field a model-backed payload takes, in characters.
pub const MAX_TEXT: usize = 4000;

/// The model the model-backed types call, when one is configured, and how long each
/// call may take.
#[derive(Debug, Clone)]
pub struct ModelAccess {
    model: Option<Arc<dyn ChatModel>>,
    timeout: Duration,
}

impl Default for ModelAccess {
    /// No model: the model-backed types fail at once, saying how to configure one.
    fn default() -> Self {
        Self::new(None, DEFAULT_TIMEOUT)
    }
}

/// The result of a model-backed task: `{model, answer, usage}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Answered {
    model: String,
    answer: String,
    usage: UsageCounts,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct UsageCounts {
    prompt_tokens: u64,
    completion_tokens: u64,
}

impl From<Usage> for UsageCounts {
    fn from(usage: Usage) -> Self {
        Self {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
        }
    }
}

impl ModelAccess {
    pub fn new(model: Option<Arc<dyn ChatModel>>, timeout: Duration) -> Self {
        Self { model, timeout }
    }

    /// How long one call may take (the type's timeout).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks the model, outside any transaction: the answer as the value `apply` records.
    /// No model configured is a permanent failure naming the setting.
    pub async fn ask(&self, task: &Task, system: &str, user: String) -> Result<Value, TaskError> {
        let Some(model) = &self.model else {
            return Err(TaskError::permanent(format!(
                "No model configured: set OPENAI_API_KEY to run {}",
                task.task_type
            )));
        };
        let messages = [ChatMessage::system(system), ChatMessage::user(user)];
        let answer = model.chat(&messages, self.timeout).await?;
        Ok(to_result(&Answered {
            model: answer.model,
            answer: answer.content,
            usage: answer.usage.into(),
        }))
    }
}

/// The outcome of a model-backed task from its prepared answer: the result as it came,
/// a summary `{label}: {the answer's first line}`, and a journal entry `event_type`.
pub fn answered(
    task: &Task,
    prepared: Option<Value>,
    event_type: &str,
    label: String,
) -> Result<Outcome, TaskError> {
    let result = prepared.ok_or_else(|| TaskError::transient("The model's answer is missing"))?;
    let answered: Answered = serde_json::from_value(result.clone())
        .map_err(|_| TaskError::permanent("The model's answer could not be recorded"))?;
    let summary = format!("{label}: {}", excerpt(&answered.answer, 200));
    let entry = journal::entry(
        task,
        JournalCategory::AgentAction,
        event_type,
        label,
        excerpt(&answered.answer, 2000),
        json!({"model": answered.model, "usage": answered.usage}),
    );
    Ok(Outcome::new(result, summary, vec![entry]))
}

/// The first non-blank line of `text`, cut at `max` characters with an ellipsis.
fn excerpt(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `field` must not be blank nor longer than [`MAX_TEXT`] when given.
pub fn check_text(field: &str, value: Option<&str>) -> Result<(), TaskError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(TaskError::field(
            field,
            format!("{field} must not be blank"),
        )),
        Some(v) if v.chars().count() > MAX_TEXT => Err(TaskError::field(
            field,
            format!("{field} must be at most {MAX_TEXT} characters"),
        )),
        _ => Ok(()),
    }
}

/// What the task is about when its payload names nothing: its description, else its
/// title.
pub fn task_subject(task: &Task) -> &str {
    task.description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(&task.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_take_the_first_line_and_cut_long_ones() {
        assert_eq!(excerpt("\n  First line \nsecond", 50), "First line");
        assert_eq!(excerpt("abcdef", 4), "abc…");
        assert_eq!(excerpt("", 4), "");
    }

    #[test]
    fn text_fields_are_neither_blank_nor_huge() {
        check_text("topic", None).expect("absent");
        check_text("topic", Some("heat pumps")).expect("given");
        let blank = check_text("topic", Some("  ")).expect_err("blank");
        assert_eq!(blank.message, "topic must not be blank");
        assert_eq!(blank.field.as_deref(), Some("topic"));
        let huge = "x".repeat(MAX_TEXT + 1);
        assert!(check_text("focus", Some(&huge)).is_err());
    }
}
