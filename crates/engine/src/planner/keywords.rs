//! ZORA CORE's keyword fallback, rule by rule (EXECUTOR.md): lower-cased substring
//! matches, independent rules in order, at most five tasks, each at priority 1 with the
//! prompt as its description and `{"source": "command_console"}` as its payload.

use async_trait::async_trait;
use serde_json::json;

use super::{MAX_TASKS, Plan, PlanRequest, PlannedTask, Planner, first_task_type};

/// Rules 1-6: keywords → agent, task type, title.
const RULES: &[(&[&str], &str, &str, &str)] = &[
    (
        &["climate", "mission"],
        "ORACLE",
        "propose_new_climate_missions",
        "Analyze and propose climate missions",
    ),
    (
        &["frontend", "ui", "page"],
        "SAM",
        "review_frontend_page",
        "Review frontend and suggest improvements",
    ),
    (
        &["plan", "workflow"],
        "LUMINA",
        "plan_workflow",
        "Create workflow plan",
    ),
    (
        &["safety", "greenwash", "audit"],
        "AEGIS",
        "safety_audit",
        "Conduct safety audit",
    ),
    (
        &["system", "health", "api"],
        "CONNOR",
        "review_system_health",
        "Review system health",
    ),
    (
        &["memory", "summarize", "history"],
        "EIVOR",
        "summarize_recent_activity",
        "Summarize recent activity",
    ),
];

/// The keyword fallback. `reason` says why it plans (recorded on the command).
#[derive(Debug, Clone, Default)]
pub struct KeywordPlanner {
    pub reason: Option<String>,
}

impl KeywordPlanner {
    /// The tasks the rules give `request`.
    pub fn tasks(request: &PlanRequest) -> Vec<PlannedTask> {
        let prompt = request.raw_prompt.to_lowercase();
        let task = |agent: &str, task_type: &str, title: String| PlannedTask {
            agent_id: agent.to_owned(),
            task_type: task_type.to_owned(),
            title,
            description: request.raw_prompt.clone(),
            payload: json!({"source": "command_console"}),
            priority: 1,
        };
        let mut tasks: Vec<PlannedTask> = RULES
            .iter()
            .filter(|(keywords, ..)| keywords.iter().any(|k| prompt.contains(k)))
            .map(|(_, agent, task_type, title)| task(agent, task_type, (*title).to_owned()))
            .collect();
        if tasks.is_empty() {
            // Rule 7: each named agent's first task type.
            tasks = request
                .target_agents
                .iter()
                .filter_map(|agent| {
                    first_task_type(agent)
                        .map(|t| task(agent, t, format!("{agent} task from command")))
                })
                .collect();
        }
        if tasks.is_empty() {
            // Rule 8.
            tasks.push(task("LUMINA", "plan_workflow", "Process command".into()));
        }
        tasks.truncate(MAX_TASKS);
        tasks
    }
}

#[async_trait]
impl Planner for KeywordPlanner {
    async fn plan(&self, request: &PlanRequest) -> Plan {
        let tasks = Self::tasks(request);
        Plan {
            summary: format!(
                "Created {} task(s) from command (fallback mode)",
                tasks.len()
            ),
            tasks,
            planner: "fallback",
            fallback_reason: Some(
                self.reason
                    .clone()
                    .unwrap_or_else(|| "no model is configured".into()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(prompt: &str, agents: &[&str]) -> Vec<(String, String, String)> {
        KeywordPlanner::tasks(&PlanRequest {
            raw_prompt: prompt.into(),
            target_agents: agents.iter().map(|a| (*a).to_owned()).collect(),
        })
        .into_iter()
        .map(|t| (t.agent_id, t.task_type, t.title))
        .collect()
    }

    fn one(agent: &str, task_type: &str, title: &str) -> (String, String, String) {
        (agent.into(), task_type.into(), title.into())
    }

    #[test]
    fn each_rule_matches_its_keywords() {
        assert_eq!(
            plan("Propose new CLIMATE missions", &[]),
            vec![one(
                "ORACLE",
                "propose_new_climate_missions",
                "Analyze and propose climate missions"
            )]
        );
        assert_eq!(
            plan("review the UI", &[]),
            vec![one(
                "SAM",
                "review_frontend_page",
                "Review frontend and suggest improvements"
            )]
        );
        assert_eq!(
            plan("Draft a workflow", &[]),
            vec![one("LUMINA", "plan_workflow", "Create workflow plan")]
        );
        assert_eq!(
            plan("greenwash check", &[]),
            vec![one("AEGIS", "safety_audit", "Conduct safety audit")]
        );
        assert_eq!(
            plan("how is system health", &[]),
            vec![one(
                "CONNOR",
                "review_system_health",
                "Review system health"
            )]
        );
        assert_eq!(
            plan("summarize last week", &[]),
            vec![one(
                "EIVOR",
                "summarize_recent_activity",
                "Summarize recent activity"
            )]
        );
    }

    #[test]
    fn several_rules_keep_their_order_and_at_most_five() {
        let all = plan("climate ui plan audit api memory", &[]);
        assert_eq!(all.len(), 5, "six rules match, five kept");
        let agents: Vec<&str> = all.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            agents,
            ["ORACLE", "SAM", "LUMINA", "AEGIS", "CONNOR"],
            "the first five in rule order"
        );
    }

    #[test]
    fn target_agents_then_lumina_when_nothing_matches() {
        assert_eq!(
            plan("do the thing", &["AEGIS", "EIVOR"]),
            vec![
                one("AEGIS", "review_climate_claims", "AEGIS task from command"),
                one(
                    "EIVOR",
                    "summarize_recent_activity",
                    "EIVOR task from command"
                ),
            ],
            "rule 7: each named agent's first task type"
        );
        assert_eq!(plan("do the thing", &["AEGIS"]).len(), 1);
        assert_eq!(
            plan("do the thing", &[]),
            vec![one("LUMINA", "plan_workflow", "Process command")],
            "rule 8"
        );
        assert_eq!(
            plan("a mission", &["AEGIS"])[0].0,
            "ORACLE",
            "rule 7 only when nothing matched"
        );
    }

    #[test]
    fn every_task_carries_the_prompt_source_and_priority_1() {
        let tasks = KeywordPlanner::tasks(&PlanRequest {
            raw_prompt: "Plan climate missions".into(),
            target_agents: vec![],
        });
        for task in &tasks {
            assert_eq!(task.description, "Plan climate missions");
            assert_eq!(task.payload, json!({"source": "command_console"}));
            assert_eq!(task.priority, 1);
        }
    }

    #[tokio::test]
    async fn the_summary_says_fallback_mode() {
        let plan = KeywordPlanner::default()
            .plan(&PlanRequest {
                raw_prompt: "ui and api".into(),
                target_agents: vec![],
            })
            .await;
        assert_eq!(
            plan.summary,
            "Created 2 task(s) from command (fallback mode)"
        );
        assert_eq!(plan.planner, "fallback");
    }
}
