//! ZORA CORE's keyword fallback, rule by rule: lower-cased substring
//! matches, independent rules in order, at most five tasks, each at priority 1 with the
//! prompt as its description and `{"source": "command_console"}` as its payload. Rule 1
//! also adds, when the prompt asks to apply the suggestion, a dependent task that turns
//! the suggested plan into missions.

use async_trait::async_trait;
use serde_json::json;
use zora_engine::planner::{MAX_TASKS, Plan, PlanRequest, PlannedDependency, PlannedTask, Planner};

use super::agents::first_task_type;

/// Words of a prompt asking rule 1's suggestion to be applied too.
const APPLY_KEYWORDS: &[&str] = &["apply", "create missions", "start"];

/// The task rule 1 adds after its suggestion when the prompt asks to apply it: the
/// suggestion's `plan_id` and `profile_id` fill its payload.
fn apply_suggestion(suggestion: usize, description: &str) -> PlannedTask {
    PlannedTask {
        agent_id: "ORACLE".into(),
        task_type: "climate.create_missions_from_plan".into(),
        title: "Create missions from the suggested plan".into(),
        description: description.to_owned(),
        payload: json!({"source": "command_console"}),
        priority: 1,
        depends_on: vec![PlannedDependency {
            index: suggestion,
            inputs: [("plan_id", "plan_id"), ("profile_id", "profile_id")]
                .map(|(child, parent)| (child.to_owned(), parent.to_owned()))
                .into(),
        }],
    }
}

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
            depends_on: Vec::new(),
        };
        let mut tasks: Vec<PlannedTask> = RULES
            .iter()
            .filter(|(keywords, ..)| keywords.iter().any(|k| prompt.contains(k)))
            .map(|(_, agent, task_type, title)| task(agent, task_type, (*title).to_owned()))
            .collect();
        let applies = APPLY_KEYWORDS.iter().any(|k| prompt.contains(k));
        if applies && tasks.first().is_some_and(|t| t.task_type == RULES[0].2) {
            tasks.insert(1, apply_suggestion(0, &request.raw_prompt));
        }
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
    fn rule_1_adds_the_dependent_apply_task_when_asked_to_apply() {
        let tasks = KeywordPlanner::tasks(&PlanRequest {
            raw_prompt: "Plan our climate missions for next week and apply them".into(),
            target_agents: vec![],
        });
        let kinds: Vec<&str> = tasks.iter().map(|t| t.task_type.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "propose_new_climate_missions",
                "climate.create_missions_from_plan",
                "plan_workflow"
            ]
        );
        assert_eq!(tasks[1].agent_id, "ORACLE");
        assert_eq!(tasks[1].depends_on.len(), 1);
        assert_eq!(tasks[1].depends_on[0].index, 0);
        assert_eq!(tasks[1].depends_on[0].inputs["plan_id"], "plan_id");
        assert_eq!(tasks[1].depends_on[0].inputs["profile_id"], "profile_id");
        assert_eq!(
            plan("start climate work", &[]).len(),
            2,
            "`start` asks for it too"
        );
        assert_eq!(
            plan("propose climate missions", &[]).len(),
            1,
            "a suggestion alone otherwise"
        );
        assert_eq!(
            plan("apply the ui review", &[]).len(),
            1,
            "only after rule 1's suggestion"
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
