//! The task types each agent knows, first the one the
//! fallback gives an agent named in `target_agents`.

/// Agent → the task types it knows, in ZORA CORE's order.
pub const AGENT_TASK_TYPES: &[(&str, &[&str])] = &[
    (
        "CONNOR",
        &[
            "review_system_health",
            "analyze_api_performance",
            "review_database_schema",
        ],
    ),
    (
        "LUMINA",
        &[
            "plan_frontend_improvements",
            "plan_workflow",
            "coordinate_agents",
        ],
    ),
    (
        "EIVOR",
        &[
            "summarize_recent_activity",
            "search_memories",
            "create_knowledge_summary",
        ],
    ),
    (
        "ORACLE",
        &[
            "propose_new_climate_missions",
            "research_topic",
            "analyze_climate_data",
        ],
    ),
    (
        "AEGIS",
        &["review_climate_claims", "safety_audit", "compliance_check"],
    ),
    (
        "SAM",
        &[
            "review_climate_page",
            "review_accessibility",
            "design_component",
            "review_frontend_page",
        ],
    ),
];

/// The first task type of `agent` (upper-case), if it is one of the six.
pub fn first_task_type(agent: &str) -> Option<&'static str> {
    AGENT_TASK_TYPES
        .iter()
        .find(|(name, _)| *name == agent)
        .and_then(|(_, types)| types.first().copied())
}
