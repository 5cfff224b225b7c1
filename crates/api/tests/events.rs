//! `GET /api/agents/events`: the tenant's counts per state at once, again when they
//! change, and the stream's end when the server shuts down (so that a graceful shutdown
//! does not wait on an open console).

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zora_api::{AuthConfig, Role};
use zora_core::DEFAULT_TENANT_ID;
use zora_testkit::TestBackend;

zora_testkit::both_stores!(the_stream_sends_counts_at_each_change_and_ends_at_shutdown);

/// The next event's text, within five seconds.
async fn next_event(response: &mut reqwest::Response, buffer: &mut String) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(cut) = buffer.find("\n\n") {
            let event = buffer[..cut].to_owned();
            buffer.drain(..cut + 2);
            if event.starts_with(':') {
                continue; // a keep-alive comment
            }
            return Some(event);
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("an event within 5 s")
            .expect("read");
        buffer.push_str(&String::from_utf8_lossy(&chunk?));
    }
}

async fn the_stream_sends_counts_at_each_change_and_ends_at_shutdown(backend: TestBackend) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let app = common::spawn_configured(
        backend,
        AuthConfig::with_secret(common::SECRET.to_vec()),
        Arc::new(zora_domain::planner::KeywordPlanner::default()),
        |state| state.shutdown = stopped,
    )
    .await;
    let token = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let mut events = app
        .client
        .get(format!("{}/api/agents/events", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("events");
    assert_eq!(events.status(), 200);
    assert_eq!(
        events.headers()["content-type"].to_str().expect("text"),
        "text/event-stream"
    );
    let mut buffer = String::new();
    let first = next_event(&mut events, &mut buffer)
        .await
        .expect("an event");
    assert!(first.contains("event: counts"), "{first}");
    assert!(first.contains("\"available\":0"), "{first}");

    let created = app
        .post(
            "/api/agents/tasks",
            &token,
            &json!({"agent_id": "EIVOR", "task_type": "summarize_recent_activity", "title": "Week"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let second = next_event(&mut events, &mut buffer)
        .await
        .expect("an event");
    assert!(
        second.contains("\"available\":1"),
        "the change is sent: {second}"
    );

    stop.send(true).expect("stop");
    assert_eq!(
        next_event(&mut events, &mut buffer).await,
        None,
        "the stream ends at shutdown"
    );
}
