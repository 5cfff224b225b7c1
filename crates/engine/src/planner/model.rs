//! The model path of the planner: an OpenAI-compatible chat-completions call (EXECUTOR.md,
//! "The command planner"). Any HTTP error, timeout or unusable reply falls back to the
//! keyword rules, with the reason recorded on the command. The v1 types are offered with
//! their payload schemas; a planned v1 payload is checked before insert by the same
//! parser and reference check as every new task (in `submit_command`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{AGENT_TASK_TYPES, KeywordPlanner, MAX_TASKS, Plan, PlanRequest, PlannedTask, Planner};
use crate::registry::Registry;

/// LUMINA's system message.
pub const SYSTEM_PROMPT: &str =
    "You are LUMINA, the Planner/Orchestrator for ZORA CORE. You respond only with valid JSON.";

/// Where the model is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// `OPENAI_BASE_URL`, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// `OPENAI_API_KEY`.
    pub api_key: String,
    /// `ZORA_PLANNER_MODEL`.
    pub model: String,
    /// How long one call may take before the fallback plans instead.
    pub timeout: Duration,
}

/// The model planner, with the keyword rules behind it.
#[derive(Debug, Clone)]
pub struct ModelPlanner {
    settings: ModelSettings,
    registry: Arc<Registry>,
    client: reqwest::Client,
}

impl ModelPlanner {
    pub fn new(settings: ModelSettings, registry: Arc<Registry>) -> Self {
        Self {
            settings,
            registry,
            client: crate::http::http_client(),
        }
    }

    /// The user message: the agents (only the targeted ones when given) with their task
    /// types, the v1 types with their payload schemas, and the answer's shape.
    fn user_prompt(&self, request: &PlanRequest) -> String {
        let agents: Vec<String> = AGENT_TASK_TYPES
            .iter()
            .filter(|(agent, _)| {
                request.target_agents.is_empty() || request.target_agents.iter().any(|a| a == agent)
            })
            .map(|(agent, types)| format!("- {agent}: {}", types.join(", ")))
            .collect();
        let v1: Vec<String> = self
            .registry
            .handlers()
            .filter(|h| self.registry.v1_kinds().iter().any(|k| k == h.kind()))
            .map(|h| {
                format!(
                    "- {}: {}. Payload JSON Schema: {}",
                    h.kind(),
                    h.description(),
                    h.payload_schema()
                )
            })
            .collect();
        format!(
            "Plan this command from a ZORA CORE founder into 1 to {MAX_TASKS} tasks.\n\nCommand: {}\n\n\
             Agents and the task types they know:\n{}\n\n\
             Task types the engine executes (their payload must follow the schema):\n{}\n\n\
             Answer only with JSON: {{\"summary\": \"...\", \"tasks\": [{{\"agent_id\": \"...\", \"task_type\": \"...\", \
             \"title\": \"...\", \"description\": \"...\", \"payload\": {{}}, \"priority\": 1}}]}}, \
             or {{\"summary\": \"Unable to plan: [reason]\", \"tasks\": []}}.",
            request.raw_prompt,
            agents.join("\n"),
            v1.join("\n"),
        )
    }

    async fn ask(&self, request: &PlanRequest) -> Result<Plan, String> {
        let url = format!(
            "{}/chat/completions",
            self.settings.base_url.trim_end_matches('/')
        );
        let body = json!({
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": self.user_prompt(request)},
            ],
            "temperature": 0.2,
        });
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.settings.api_key)
            .timeout(self.settings.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "the model did not answer in time".to_owned()
                } else {
                    format!("the model call failed: {e}")
                }
            })?;
        if !response.status().is_success() {
            return Err(format!(
                "the model answered HTTP {}",
                response.status().as_u16()
            ));
        }
        let reply: Value = response
            .json()
            .await
            .map_err(|_| "the model's answer is not JSON".to_owned())?;
        let content = reply["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| "the model's answer has no message content".to_owned())?;
        parse_plan(content, &request.raw_prompt)
    }
}

/// The JSON inside a reply, without a Markdown code fence around it.
pub fn strip_fence(content: &str) -> &str {
    let trimmed = content.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let rest = rest.split_once('\n').map_or(rest, |(_, body)| body);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

/// Reads the model's plan: agents upper-cased and kept only when one of the six, summary
/// defaulted, at most [`MAX_TASKS`] tasks.
pub fn parse_plan(content: &str, raw_prompt: &str) -> Result<Plan, String> {
    let value: Value = serde_json::from_str(strip_fence(content))
        .map_err(|_| "the model's reply is not valid JSON".to_owned())?;
    let summary = value["summary"]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("Command processed")
        .to_owned();
    let Some(items) = value["tasks"].as_array() else {
        return Err("the model's reply has no task list".into());
    };
    let tasks: Vec<PlannedTask> = items
        .iter()
        .filter_map(|item| {
            let agent = item["agent_id"].as_str()?.trim().to_uppercase();
            AGENT_TASK_TYPES
                .iter()
                .any(|(known, _)| *known == agent)
                .then_some(())?;
            Some(PlannedTask {
                agent_id: agent,
                task_type: item["task_type"].as_str()?.trim().to_owned(),
                title: item["title"]
                    .as_str()
                    .unwrap_or("Task from command")
                    .to_owned(),
                description: item["description"]
                    .as_str()
                    .unwrap_or(raw_prompt)
                    .to_owned(),
                payload: if item["payload"].is_object() {
                    item["payload"].clone()
                } else {
                    json!({})
                },
                priority: item["priority"]
                    .as_i64()
                    .and_then(|p| i32::try_from(p).ok())
                    .filter(|p| *p >= 0)
                    .unwrap_or(1),
            })
        })
        .filter(|task| !task.task_type.is_empty())
        .take(MAX_TASKS)
        .collect();
    Ok(Plan {
        summary,
        tasks,
        planner: "model",
        fallback_reason: None,
    })
}

#[async_trait]
impl Planner for ModelPlanner {
    async fn plan(&self, request: &PlanRequest) -> Plan {
        match self.ask(request).await {
            Ok(plan) => plan,
            Err(reason) => {
                tracing::warn!(%reason, "the planner falls back to the keyword rules");
                KeywordPlanner {
                    reason: Some(reason),
                }
                .plan(request)
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_unwrapped() {
        assert_eq!(strip_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_fence("```\n{}\n```"), "{}");
        assert_eq!(strip_fence("  {\"b\": 2} "), "{\"b\": 2}");
    }

    #[test]
    fn a_reply_is_filtered_capped_and_defaulted() {
        let tasks: Vec<Value> = (0..7)
            .map(|i| json!({"agent_id": if i == 0 { "odin" } else { "oracle" }, "task_type": "research_topic", "title": format!("t{i}")}))
            .collect();
        let plan = parse_plan(&json!({"tasks": tasks}).to_string(), "prompt").expect("plan");
        assert_eq!(plan.summary, "Command processed");
        assert_eq!(plan.tasks.len(), MAX_TASKS, "capped");
        assert!(
            plan.tasks.iter().all(|t| t.agent_id == "ORACLE"),
            "unknown agents dropped"
        );
        assert_eq!(plan.tasks[0].title, "t1");
        assert_eq!(plan.tasks[0].description, "prompt");
        assert!(parse_plan("not json", "p").is_err());
        assert!(parse_plan("{\"summary\": \"x\"}", "p").is_err());
    }
}
