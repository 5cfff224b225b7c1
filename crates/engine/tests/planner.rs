//! The model planner against a local HTTP server standing in for an OpenAI-compatible
//! provider: plain and fenced JSON, malformed replies and timeouts (fallback, reason
//! recorded), unknown agents dropped, an invalid v1 payload dropped with its reason, more
//! than five tasks capped, and a command that creates no task.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use zora_core::command::CommandStatus;
use zora_core::{DEFAULT_TENANT_ID, Store};
use zora_engine::planner::{ModelPlanner, ModelSettings, SYSTEM_PROMPT};
use zora_engine::{CommandOutcome, CommandRequest, NO_TASKS, submit_command};
use zora_testkit::TestBackend;
use zora_testkit::provider::{Provider, Reply, provider};
use zora_testkit::suite::climate::seed_plan;

async fn submit(
    store: &dyn Store,
    provider: &Provider,
    prompt: &str,
    agents: &[&str],
) -> CommandOutcome {
    let registry = Arc::new(zora_domain::registry(zora_domain::all(
        &zora_domain::ModelAccess::default(),
    )));
    let planner = ModelPlanner::new(
        ModelSettings {
            base_url: provider.url.clone(),
            api_key: "test-key".into(),
            model: "test-model".into(),
            timeout: Duration::from_millis(500),
        },
        registry.clone(),
        zora_domain::planner::AGENT_TASK_TYPES,
        Arc::new(zora_domain::planner::KeywordPlanner::default()),
    );
    submit_command(
        store,
        &registry,
        &planner,
        &CommandRequest {
            tenant: DEFAULT_TENANT_ID,
            user: None,
            raw_prompt: prompt.into(),
            target_agents: agents.iter().map(|a| (*a).to_owned()).collect(),
        },
    )
    .await
    .expect("submit")
}

fn reply(tasks: Value) -> Reply {
    Reply::Content(json!({"summary": "Planned by the model", "tasks": tasks}).to_string())
}

#[tokio::test]
async fn a_plain_reply_becomes_the_tasks_and_the_prompt_is_lumina_s() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    let provider = provider(reply(json!([
        {"agent_id": "oracle", "task_type": "research_topic", "title": "Research", "description": "d", "payload": {"topic": "heat pumps"}, "priority": 2},
    ])))
    .await;
    let outcome = submit(
        store.as_ref(),
        &provider,
        "Research heat pumps",
        &["ORACLE"],
    )
    .await;
    assert_eq!(outcome.command.status, CommandStatus::TasksCreated);
    assert_eq!(outcome.summary, "Planned by the model");
    assert_eq!(outcome.command.metadata["planner"], "model");
    let task = &outcome.tasks[0];
    assert_eq!(
        (
            task.agent_id.as_str(),
            task.task_type.as_str(),
            task.priority
        ),
        ("ORACLE", "research_topic", 2)
    );
    assert_eq!(task.payload["topic"], "heat pumps");
    assert_eq!(
        task.payload["source_command_id"],
        outcome.command.id.to_string()
    );

    let request = provider.requests.lock().expect("lock")[0].clone();
    assert_eq!(request["model"], "test-model");
    assert_eq!(request["messages"][0]["content"], SYSTEM_PROMPT);
    let user = request["messages"][1]["content"]
        .as_str()
        .expect("user message");
    assert!(
        user.contains("Research heat pumps")
            && user.contains("ORACLE: propose_new_climate_missions")
    );
    assert!(
        !user.contains("- SAM:"),
        "only the targeted agents are offered"
    );
    assert!(
        user.contains("climate.create_single_mission") && user.contains("\"profile_id\""),
        "v1 types with their schemas"
    );
    assert!(
        user.contains("- research_topic: ") && user.contains("\"depends_on\""),
        "the agents' types offered too, and how to chain them"
    );
    assert!(
        !user.contains("- safety_audit: "),
        "an alias is not offered twice"
    );
}

/// A planned chain: the apply task depends on the suggestion by position, its inputs kept;
/// a task depending on one that was dropped is dropped too, and nothing of them inserted.
#[tokio::test]
async fn a_planned_chain_becomes_dependencies_and_a_broken_link_is_dropped() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    let provider = provider(reply(json!([
        {"agent_id": "ORACLE", "task_type": "climate.suggest_weekly_plan", "title": "Suggest"},
        {"agent_id": "ORACLE", "task_type": "climate.create_missions_from_plan", "title": "Apply",
         "depends_on": [{"index": 0, "inputs": {"plan_id": "plan_id", "profile_id": "profile_id"}}]},
        {"agent_id": "EIVOR", "task_type": "summarize_recent_activity", "title": "Too long", "payload": {"days": 400}},
        {"agent_id": "EIVOR", "task_type": "summarize_recent_activity", "title": "After it", "depends_on": [2]},
    ])))
    .await;
    let outcome = submit(store.as_ref(), &provider, "plan and apply a week", &[]).await;
    let titles: Vec<&str> = outcome.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Suggest", "Apply"]);
    let edges = store
        .dependency_edges(DEFAULT_TENANT_ID, &[outcome.tasks[1].id])
        .await
        .expect("edges");
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0].depends_on_task_id, outcome.tasks[0].id);
    assert_eq!(
        edges[0].inputs,
        Some(json!({"plan_id": "plan_id", "profile_id": "profile_id"}))
    );
    assert_eq!(outcome.tasks[1].state, zora_core::TaskState::Blocked);
    let dropped = &outcome.command.metadata["dropped_tasks"];
    assert_eq!(
        dropped[0]["reason"],
        "days must be between 1 and 90, got 400"
    );
    assert_eq!(dropped[1]["title"], "After it");
    assert_eq!(
        dropped[1]["reason"],
        "depends_on: a task it depends on was not created"
    );
}

#[tokio::test]
async fn a_fenced_reply_is_unwrapped_unknown_agents_dropped_and_six_capped() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    let mut tasks: Vec<Value> = (0..6).map(|i| json!({"agent_id": "SAM", "task_type": "design_component", "title": format!("c{i}")})).collect();
    tasks.insert(
        0,
        json!({"agent_id": "ODIN", "task_type": "rule", "title": "unknown agent"}),
    );
    let fenced = format!(
        "```json\n{}\n```",
        json!({"summary": "Fenced", "tasks": tasks})
    );
    let provider = provider(Reply::Content(fenced)).await;
    let outcome = submit(store.as_ref(), &provider, "design things", &[]).await;
    assert_eq!(outcome.summary, "Fenced");
    assert_eq!(outcome.tasks.len(), 5, "at most five");
    assert!(
        outcome.tasks.iter().all(|t| t.agent_id == "SAM"),
        "ODIN dropped"
    );
}

#[tokio::test]
async fn an_invalid_v1_payload_is_dropped_with_its_reason() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    let (profile, _, _) = seed_plan(store.as_ref(), DEFAULT_TENANT_ID).await;
    let provider = provider(reply(json!([
        {"agent_id": "ORACLE", "task_type": "climate.create_single_mission", "title": "ok", "payload": {"profile_id": profile, "title": "LED"}},
        {"agent_id": "ORACLE", "task_type": "climate.create_single_mission", "title": "bad", "payload": {"title": "no profile"}},
    ])))
    .await;
    let outcome = submit(store.as_ref(), &provider, "missions", &[]).await;
    assert_eq!(outcome.tasks.len(), 1);
    assert_eq!(outcome.tasks[0].title, "ok");
    let dropped = &outcome.command.metadata["dropped_tasks"];
    assert_eq!(dropped[0]["title"], "bad");
    assert_eq!(
        dropped[0]["reason"],
        "Missing required fields: profile_id and title"
    );
}

#[tokio::test]
async fn malformed_replies_errors_and_timeouts_fall_back_with_the_reason() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    for (reply, reason) in [
        (
            Reply::Content("Sure! Here is a plan: ...".into()),
            "not valid JSON",
        ),
        (Reply::Error(500), "HTTP 500"),
        (
            Reply::Slow(Duration::from_secs(3)),
            "did not answer in time",
        ),
    ] {
        let provider = provider(reply).await;
        let outcome = submit(store.as_ref(), &provider, "review the UI", &[]).await;
        assert_eq!(outcome.command.metadata["planner"], "fallback");
        let recorded = outcome.command.metadata["fallback_reason"]
            .as_str()
            .expect("reason");
        assert!(recorded.contains(reason), "{recorded}");
        assert_eq!(
            outcome.summary,
            "Created 1 task(s) from command (fallback mode)"
        );
        assert_eq!(outcome.tasks[0].task_type, "review_frontend_page");
    }
}

#[tokio::test]
async fn a_command_that_creates_no_task_fails() {
    let backend = TestBackend::sqlite().await;
    let store = backend.store().await;
    let provider = provider(Reply::Content(
        json!({"summary": "Unable to plan: too vague", "tasks": []}).to_string(),
    ))
    .await;
    let outcome = submit(store.as_ref(), &provider, "hmm", &[]).await;
    assert!(outcome.tasks.is_empty());
    assert_eq!(outcome.command.status, CommandStatus::Failed);
    assert_eq!(outcome.command.error_message.as_deref(), Some(NO_TASKS));
    assert_eq!(
        outcome.command.parsed_summary.as_deref(),
        Some("Unable to plan: too vague")
    );
    assert_eq!(outcome.command.tasks_created_count, 0);
}
