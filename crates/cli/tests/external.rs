//! External types and workers as the CLI shows them, both stores: `zora task-types
//! --external` lists a registered type with its worker alive, `zora status` the external
//! worker with the tasks it holds, and `zora tasks add` refuses a payload against the
//! type's schema with the schema's message.

mod common;

use std::time::Duration;

use serde_json::json;
use zora_core::external::{ExternalTypeDefinition, NewExternalType};
use zora_core::worker::WorkerKind;
use zora_core::{ClaimRequest, ClaimScope, DEFAULT_TENANT_ID, WorkerRegistration};
use zora_testkit::TestBackend;

use common::{assert_one_line_error, json, run, stdout, zora_on};

zora_testkit::both_stores!(registered_types_and_external_workers_show_in_the_cli);

async fn registered_types_and_external_workers_show_in_the_cli(backend: TestBackend) {
    let url = backend.url();
    let store = backend.store().await;
    store
        .register_external_type(&NewExternalType {
            tenant_id: None,
            task_type: "review_accessibility".into(),
            definition: ExternalTypeDefinition {
                agent_id: "SAM".into(),
                description: "Review a page for accessibility".into(),
                payload_schema: json!({"type": "object", "required": ["url"],
                                       "properties": {"url": {"type": "string", "description": "The page"}}}),
                result_schema: None,
                timeout_s: 60,
                max_attempts: None,
                push: None,
            },
            registered_by: None,
        })
        .await
        .expect("registered");

    let refused = run(&mut zora_on(
        &url,
        &[
            "tasks",
            "add",
            "--agent",
            "SAM",
            "--type",
            "review_accessibility",
            "--title",
            "No page",
            "--payload",
            "{}",
        ],
    ));
    assert_one_line_error(&refused, 2, "payload.url: \"url\" is a required property");
    let added = run(&mut zora_on(
        &url,
        &[
            "tasks",
            "add",
            "--agent",
            "SAM",
            "--type",
            "review_accessibility",
            "--title",
            "The home page",
            "--payload",
            r#"{"url": "https://zora.example"}"#,
        ],
    ));
    assert!(added.status.success(), "{}", common::stderr(&added));
    assert!(
        !common::stderr(&added).contains("legacy runtime"),
        "a registered type is no legacy type: {}",
        common::stderr(&added)
    );

    // An external worker's row, and a task in its hand.
    store
        .register_worker(&WorkerRegistration {
            id: "py-1".into(),
            kind: WorkerKind::External,
            host: "external".into(),
            pid: 0,
            tenant: None,
            task_types: vec!["review_accessibility".into()],
            concurrency: 4,
            ttl: Duration::from_secs(60),
        })
        .await
        .expect("worker row");
    let claimed = store
        .claim_tasks(&ClaimRequest {
            scope: ClaimScope::Tenant(DEFAULT_TENANT_ID),
            task_types: vec!["review_accessibility".into()],
            limit: 1,
            owner: "py-1".into(),
            lease_duration: Duration::from_secs(60),
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);

    let catalog = json(&run(&mut zora_on(
        &url,
        &["task-types", "--external", "--json"],
    )));
    let external = &catalog["categories"]["external"][0];
    assert_eq!(external["type"], "review_accessibility");
    assert_eq!(external["payload_schema"]["url"], "The page");
    assert_eq!(external["workers_alive"], 1);
    assert_eq!(external["workers"][0]["name"], "py-1");
    let text = stdout(&run(&mut zora_on(&url, &["task-types", "--external"])));
    assert!(
        text.contains("review_accessibility  (SAM, registered for every tenant)"),
        "{text}"
    );
    assert!(text.contains("Worker py-1:"), "{text}");

    let status = json(&run(&mut zora_on(&url, &["status", "--json"])));
    let worker = &status["workers"][0];
    assert_eq!(
        (worker["id"].as_str(), worker["kind"].as_str()),
        (Some("py-1"), Some("external"))
    );
    assert_eq!(worker["tasks_in_hand"], 1);
    assert_eq!(
        status["external_types"][0]["task_type"],
        "review_accessibility"
    );
    let text = stdout(&run(&mut zora_on(&url, &["status"])));
    assert!(
        text.contains("py-1  external, serves review_accessibility"),
        "{text}"
    );
    assert!(text.contains("1 in hand"), "{text}");
    assert!(
        text.contains("review_accessibility  (SAM), served by py-1"),
        "{text}"
    );
}
