//! The command console's routes on a real server, both stores: submit with the keyword
//! planner, list, detail with its tasks, roles, validation, tenants, the rate limit.

mod common;

use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{DEFAULT_TENANT_ID, Page};
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::spawn_app;

const COMMANDS: &str = "/api/agents/commands";

zora_testkit::both_stores!(
    a_command_is_planned_into_linked_tasks,
    commands_are_listed_and_shown_to_their_tenant_only,
    submitting_checks_role_and_input_and_writes_nothing_when_refused,
);

async fn a_command_is_planned_into_linked_tasks(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let answer = app
        .post(
            COMMANDS,
            &token,
            &json!({"raw_prompt": "Propose climate missions and review the UI"}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let data = &answer.body["data"];
    assert_eq!(
        data["summary"],
        "Created 2 task(s) from command (fallback mode)"
    );
    let command = &data["command"];
    assert_eq!(
        (
            command["status"].as_str(),
            command["tasks_created_count"].as_i64()
        ),
        (Some("tasks_created"), Some(2))
    );
    assert_eq!(command["parsed_summary"], data["summary"]);
    assert_eq!(command["metadata"]["planner"], "fallback");
    assert!(
        command["metadata"]["fallback_reason"].is_string(),
        "the reason is recorded"
    );
    let tasks = data["tasks_created"].as_array().expect("tasks");
    let kinds: Vec<&str> = tasks
        .iter()
        .filter_map(|t| t["task_type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["propose_new_climate_missions", "review_frontend_page"]
    );
    for task in tasks {
        assert_eq!(task["command_id"], command["id"]);
        assert_eq!(
            (task["priority"].as_i64(), task["status"].as_str()),
            (Some(1), Some("pending"))
        );
        let id: zora_core::TaskId = task["id"].as_str().expect("id").parse().expect("uuid");
        let full = app
            .store
            .get_task(DEFAULT_TENANT_ID, id)
            .await
            .expect("get")
            .expect("task");
        assert_eq!(
            full.payload["source_command_id"], command["id"],
            "ZORA CORE's link too"
        );
        assert_eq!(full.payload["source"], "command_console");
        assert_eq!(
            full.description.as_deref(),
            Some("Propose climate missions and review the UI")
        );
    }
    let journal = app
        .backend
        .inspect()
        .await
        .journal(DEFAULT_TENANT_ID, Page::default())
        .await;
    let entry = journal
        .items
        .iter()
        .find(|e| e.details["event_type"] == "agent_command_executed")
        .expect("entry");
    assert_eq!(entry.author.as_deref(), Some("LUMINA"));
    assert_eq!(entry.title, "Command executed: 2 task(s) created");
    assert_eq!(
        entry.body.as_deref(),
        Some(
            "Command: Propose climate missions and review the UI\n\nSummary: Created 2 task(s) from command (fallback mode)"
        )
    );
    assert_eq!(entry.details["tasks_created"], 2);

    let targeted = app
        .post(
            COMMANDS,
            &token,
            &json!({"raw_prompt": "do the thing", "target_agents": ["aegis", "EIVOR"]}),
        )
        .await;
    assert_eq!(targeted.status, 201);
    let titles: Vec<&str> = targeted.body["data"]["tasks_created"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        ["AEGIS task from command", "EIVOR task from command"],
        "rule 7"
    );
    assert_eq!(
        targeted.body["data"]["command"]["target_agents"],
        json!(["AEGIS", "EIVOR"])
    );
    let nothing = app
        .post(COMMANDS, &token, &json!({"raw_prompt": "do the thing"}))
        .await;
    assert_eq!(
        nothing.body["data"]["tasks_created"][0]["title"], "Process command",
        "rule 8"
    );
}

async fn commands_are_listed_and_shown_to_their_tenant_only(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let a = app.token(t.a, Role::BrandAdmin);
    let first = app
        .post(COMMANDS, &a, &json!({"raw_prompt": "check system health"}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = app
        .post(
            COMMANDS,
            &a,
            &json!({"raw_prompt": "summarize the history"}),
        )
        .await;
    app.post(
        COMMANDS,
        &app.token(t.b, Role::Founder),
        &json!({"raw_prompt": "audit"}),
    )
    .await;

    let list = app.get(COMMANDS, Some(&a)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.body["pagination"]["total"], 2,
        "another tenant's commands are not counted"
    );
    assert_eq!(
        list.body["data"][0]["id"], second.body["data"]["command"]["id"],
        "newest first"
    );
    let item = list.body["data"][0].as_object().expect("item");
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "id",
            "parsed_summary",
            "raw_prompt",
            "status",
            "target_agents",
            "tasks_created_count",
            "updated_at"
        ]
    );
    let done = app
        .get(&format!("{COMMANDS}?status=tasks_created"), Some(&a))
        .await;
    assert_eq!(done.body["pagination"]["total"], 2);
    app.get(&format!("{COMMANDS}?status=done"), Some(&a))
        .await
        .assert_error(400, "VALIDATION_ERROR");

    let id = first.body["data"]["command"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let detail = app.get(&format!("{COMMANDS}/{id}"), Some(&a)).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["data"]["raw_prompt"], "check system health");
    assert_eq!(detail.body["tasks"][0]["task_type"], "review_system_health");
    let hidden = app
        .get(
            &format!("{COMMANDS}/{id}"),
            Some(&app.token(t.b, Role::Founder)),
        )
        .await;
    hidden.assert_error(404, "NOT_FOUND");
    app.get(&format!("{COMMANDS}/not-a-uuid"), Some(&a))
        .await
        .assert_error(404, "NOT_FOUND");
}

async fn submitting_checks_role_and_input_and_writes_nothing_when_refused(backend: TestBackend) {
    let app = spawn_app(backend).await;
    for role in [Role::Viewer, Role::Member] {
        let answer = app
            .post(
                COMMANDS,
                &app.token(DEFAULT_TENANT_ID, role),
                &json!({"raw_prompt": "plan"}),
            )
            .await;
        answer.assert_error(403, "FORBIDDEN");
    }
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    for (body, field) in [
        (json!({"raw_prompt": "   "}), "raw_prompt"),
        (json!({}), "raw_prompt"),
        (json!({"raw_prompt": 12}), "raw_prompt"),
        (
            json!({"raw_prompt": "plan", "target_agents": ["ODIN"]}),
            "target_agents",
        ),
        (
            json!({"raw_prompt": "plan", "target_agents": "LUMINA"}),
            "target_agents",
        ),
    ] {
        let answer = app.post(COMMANDS, &token, &body).await;
        answer.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            answer.body["fields"][0]["field"], field,
            "{body}: {}",
            answer.body
        );
    }
    assert_eq!(
        app.backend.count("agent_commands", DEFAULT_TENANT_ID).await,
        0,
        "nothing recorded"
    );
    assert_eq!(app.backend.count("agent_tasks", DEFAULT_TENANT_ID).await, 0);
}

#[tokio::test]
async fn sixty_commands_a_minute_per_user_then_429() {
    let app = spawn_app(TestBackend::sqlite().await).await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    for i in 0..60 {
        let answer = app
            .post(
                COMMANDS,
                &token,
                &json!({"raw_prompt": format!("plan {i}")}),
            )
            .await;
        assert_eq!(answer.status, 201, "command {i}: {}", answer.body);
    }
    let refused = app
        .post(COMMANDS, &token, &json!({"raw_prompt": "one more"}))
        .await;
    refused.assert_error(429, "RATE_LIMIT_EXCEEDED");
    let retry: u64 = refused
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry));
    let other_user = app.token(DEFAULT_TENANT_ID, Role::Founder);
    assert_eq!(
        app.post(COMMANDS, &other_user, &json!({"raw_prompt": "mine"}))
            .await
            .status,
        201,
        "per user"
    );
    let _ = Value::Null;
}

#[tokio::test]
async fn a_command_that_creates_no_task_answers_201_and_is_failed() {
    use zora_engine::planner::{ModelPlanner, ModelSettings};
    use zora_testkit::provider::{Reply, provider};

    let provider = provider(Reply::Content(
        json!({"summary": "Unable to plan: too vague", "tasks": []}).to_string(),
    ))
    .await;
    let registry = std::sync::Arc::new(zora_domain::registry(zora_domain::v1()));
    let planner = ModelPlanner::new(
        ModelSettings {
            base_url: provider.url.clone(),
            api_key: "k".into(),
            model: "m".into(),
            timeout: std::time::Duration::from_secs(2),
        },
        registry,
        zora_domain::planner::AGENT_TASK_TYPES,
        std::sync::Arc::new(zora_domain::planner::KeywordPlanner::default()),
    );
    let app = common::spawn_full(
        TestBackend::sqlite().await,
        zora_api::AuthConfig::with_secret(common::SECRET.to_vec()),
        std::sync::Arc::new(planner),
    )
    .await;
    let answer = app
        .post(
            COMMANDS,
            &app.token(DEFAULT_TENANT_ID, Role::Founder),
            &json!({"raw_prompt": "hmm"}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let command = &answer.body["data"]["command"];
    assert_eq!(command["status"], "failed");
    assert_eq!(
        command["error_message"],
        "No tasks could be created from the command"
    );
    assert_eq!(answer.body["data"]["tasks_created"], json!([]));
    assert_eq!(answer.body["data"]["summary"], "Unable to plan: too vague");
}
