//! The model path of the planner: an OpenAI-compatible chat-completions call. Any HTTP
//! error, timeout or unusable reply falls back to the domain's planner, with the reason
//! recorded on the command. The v1 types are offered with
//! their payload schemas; a planned v1 payload is checked before insert by the same
//! parser and reference check as every new task (in `submit_command`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use zora_core::model::{ChatMessage, ChatModel};

use super::{AgentTypes, MAX_TASKS, Plan, PlanRequest, PlannedDependency, PlannedTask, Planner};
use crate::chat::{ChatSettings, OpenAiChat};
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

/// The model planner, with the domain's planner behind it.
#[derive(Debug, Clone)]
pub struct ModelPlanner {
    model: Arc<dyn ChatModel>,
    timeout: Duration,
    registry: Arc<Registry>,
    agents: AgentTypes,
    fallback: Arc<dyn Planner>,
}

impl ModelPlanner {
    /// A planner over its own HTTP client of `settings`, offering the model `agents` and
    /// the types of `registry`, and falling back to `fallback`.
    pub fn new(
        settings: ModelSettings,
        registry: Arc<Registry>,
        agents: AgentTypes,
        fallback: Arc<dyn Planner>,
    ) -> Self {
        let timeout = settings.timeout;
        let chat = OpenAiChat::new(ChatSettings {
            base_url: settings.base_url,
            api_key: settings.api_key,
            model: settings.model,
        });
        Self::with_model(Arc::new(chat), timeout, registry, agents, fallback)
    }

    /// A planner asking `model`, waiting at most `timeout` for each answer.
    pub fn with_model(
        model: Arc<dyn ChatModel>,
        timeout: Duration,
        registry: Arc<Registry>,
        agents: AgentTypes,
        fallback: Arc<dyn Planner>,
    ) -> Self {
        Self {
            model,
            timeout,
            registry,
            agents,
            fallback,
        }
    }

    /// The user message: the agents (only the targeted ones when given) with their task
    /// types, every type the engine executes (aliases aside) with its payload schema, and
    /// the answer's shape, chains by position included.
    fn user_prompt(&self, request: &PlanRequest) -> String {
        let agents: Vec<String> = self
            .agents
            .iter()
            .filter(|(agent, _)| {
                request.target_agents.is_empty() || request.target_agents.iter().any(|a| a == agent)
            })
            .map(|(agent, types)| format!("- {agent}: {}", types.join(", ")))
            .collect();
        let executed: Vec<String> = self
            .registry
            .handlers()
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
             A task that needs another's result first names it in \"depends_on\" by its position in \"tasks\" \
             (from 0, an earlier task), with \"inputs\" mapping its payload fields to fields of that task's result, \
             e.g. {{\"index\": 0, \"inputs\": {{\"plan_id\": \"plan_id\", \"profile_id\": \"profile_id\"}}}}.\n\n\
             Answer only with JSON: {{\"summary\": \"...\", \"tasks\": [{{\"agent_id\": \"...\", \"task_type\": \"...\", \
             \"title\": \"...\", \"description\": \"...\", \"payload\": {{}}, \"priority\": 1, \"depends_on\": []}}]}}, \
             or {{\"summary\": \"Unable to plan: [reason]\", \"tasks\": []}}.",
            request.raw_prompt,
            agents.join("\n"),
            executed.join("\n"),
        )
    }

    async fn ask(&self, request: &PlanRequest) -> Result<Plan, String> {
        let messages = [
            ChatMessage::system(SYSTEM_PROMPT),
            ChatMessage::user(self.user_prompt(request)),
        ];
        let answer = self
            .model
            .chat(&messages, self.timeout)
            .await
            .map_err(|err| err.to_string())?;
        parse_plan(&answer.content, &request.raw_prompt, self.agents)
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
/// defaulted, at most [`MAX_TASKS`] tasks. A task's `depends_on` names earlier tasks of
/// the reply by position (`0`, or `{"index": 0, "inputs": {"plan_id": "plan_id"}}`); a
/// task whose parent is not an earlier task kept, or whose dependency cannot be read, is
/// left out with its chain.
pub fn parse_plan(content: &str, raw_prompt: &str, agents: AgentTypes) -> Result<Plan, String> {
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
    // The kept position of each item of the reply, `None` when it was left out.
    let mut kept: Vec<Option<usize>> = Vec::with_capacity(items.len());
    let mut tasks: Vec<PlannedTask> = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let task = (tasks.len() < MAX_TASKS)
            .then(|| planned_task(item, raw_prompt, agents, &kept[..position]))
            .flatten();
        kept.push(task.is_some().then_some(tasks.len()));
        tasks.extend(task);
    }
    Ok(Plan {
        summary,
        tasks,
        planner: "model",
        fallback_reason: None,
    })
}

/// One task of the reply, its agent one of `agents` and its parents' positions mapped
/// through `earlier` (the kept position of each item before it); `None` when it is left
/// out.
fn planned_task(
    item: &Value,
    raw_prompt: &str,
    agents: AgentTypes,
    earlier: &[Option<usize>],
) -> Option<PlannedTask> {
    let agent = item["agent_id"].as_str()?.trim().to_uppercase();
    agents
        .iter()
        .any(|(known, _)| *known == agent)
        .then_some(())?;
    let task_type = item["task_type"].as_str()?.trim().to_owned();
    if task_type.is_empty() {
        return None;
    }
    let depends_on = match &item["depends_on"] {
        Value::Null => Vec::new(),
        Value::Array(parents) => parents
            .iter()
            .map(|parent| planned_dependency(parent, earlier))
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(PlannedTask {
        agent_id: agent,
        task_type,
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
        depends_on,
    })
}

/// `0` or `{"index": 0, "inputs": {child: parent}}`, naming a kept earlier task.
fn planned_dependency(parent: &Value, earlier: &[Option<usize>]) -> Option<PlannedDependency> {
    let (index, inputs) = match parent {
        Value::Number(n) => (n.as_u64()?, BTreeMap::new()),
        Value::Object(map) => {
            let inputs = match map.get("inputs") {
                None | Some(Value::Null) => BTreeMap::new(),
                Some(Value::Object(fields)) => fields
                    .iter()
                    .map(|(child, parent)| Some((child.clone(), parent.as_str()?.to_owned())))
                    .collect::<Option<_>>()?,
                Some(_) => return None,
            };
            (map.get("index")?.as_u64()?, inputs)
        }
        _ => return None,
    };
    let index = usize::try_from(index).ok()?;
    Some(PlannedDependency {
        index: (*earlier.get(index)?)?,
        inputs,
    })
}

#[async_trait]
impl Planner for ModelPlanner {
    async fn plan(&self, request: &PlanRequest) -> Plan {
        match self.ask(request).await {
            Ok(plan) => plan,
            Err(reason) => {
                tracing::warn!(%reason, "the planner falls back to the domain's planner");
                let mut plan = self.fallback.plan(request).await;
                plan.fallback_reason = Some(reason);
                plan
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agents of a made-up domain.
    const AGENTS: AgentTypes = &[("ORACLE", &["research_topic"]), ("SAM", &["review"])];

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
        let plan =
            parse_plan(&json!({"tasks": tasks}).to_string(), "prompt", AGENTS).expect("plan");
        assert_eq!(plan.summary, "Command processed");
        assert_eq!(plan.tasks.len(), MAX_TASKS, "capped");
        assert!(
            plan.tasks.iter().all(|t| t.agent_id == "ORACLE"),
            "unknown agents dropped"
        );
        assert_eq!(plan.tasks[0].title, "t1");
        assert_eq!(plan.tasks[0].description, "prompt");
        assert!(parse_plan("not json", "p", AGENTS).is_err());
        assert!(plan.tasks.iter().all(|t| t.depends_on.is_empty()));
        assert!(parse_plan("{\"summary\": \"x\"}", "p", AGENTS).is_err());
    }

    #[test]
    fn a_chain_is_kept_by_position_and_a_broken_one_left_out() {
        let reply = json!({"tasks": [
            {"agent_id": "odin", "task_type": "x"},
            {"agent_id": "ORACLE", "task_type": "suggest"},
            {"agent_id": "ORACLE", "task_type": "apply",
             "depends_on": [{"index": 1, "inputs": {"plan_id": "plan_id"}}]},
            {"agent_id": "SAM", "task_type": "summarize", "depends_on": [2, 1]},
            {"agent_id": "SAM", "task_type": "review", "depends_on": [0]},
            {"agent_id": "SAM", "task_type": "review", "depends_on": [5]},
            {"agent_id": "SAM", "task_type": "review", "depends_on": [{"index": 1, "inputs": {"url": 3}}]},
            {"agent_id": "SAM", "task_type": "review", "depends_on": "first"},
        ]});
        let plan = parse_plan(&reply.to_string(), "p", AGENTS).expect("plan");
        let kinds: Vec<&str> = plan.tasks.iter().map(|t| t.task_type.as_str()).collect();
        assert_eq!(
            kinds,
            ["suggest", "apply", "summarize"],
            "a parent left out, itself, a later one, an input not a field name, not a list: left out"
        );
        assert_eq!(plan.tasks[1].depends_on[0].index, 0, "renumbered");
        assert_eq!(plan.tasks[1].depends_on[0].inputs["plan_id"], "plan_id");
        let parents: Vec<usize> = plan.tasks[2].depends_on.iter().map(|d| d.index).collect();
        assert_eq!(parents, [1, 0]);
    }
}
