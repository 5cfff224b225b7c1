//! A worker token on a real server: it reads and creates nothing on the users' routes
//! (403, nothing written), whichever the tenant it names or none.

mod common;

use std::time::Duration;

use serde_json::json;
use zora_api::Claims;
use zora_core::{Page, TaskFilter};
use zora_testkit::TestBackend;
use zora_testkit::suite::two_tenants;

use common::spawn_app;

zora_testkit::both_stores!(a_worker_token_is_refused_on_every_users_route);

async fn a_worker_token_is_refused_on_every_users_route(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    let tokens = [
        Claims::for_worker(Some(t.a), None, Duration::from_secs(600)),
        Claims::for_worker(
            None,
            Some(vec!["review_accessibility".into()]),
            Duration::from_secs(600),
        ),
    ]
    .map(|claims| app.auth.issue(&claims).expect("signed"));
    for token in &tokens {
        for path in [
            "/api/agents/tasks",
            "/api/agents/tasks/counts",
            "/api/agents/session",
            "/api/agents/commands",
            "/api/agents/schedules",
        ] {
            let answer = app.get(path, Some(token)).await;
            answer.assert_error(403, "FORBIDDEN");
            assert_eq!(
                answer.body["message"], "A worker token may call the worker routes only",
                "{path}"
            );
        }
        let created = app
            .post(
                "/api/agents/tasks",
                token,
                &json!({"agent_id": "EIVOR", "task_type": "summarize_recent_activity",
                        "title": "Not by a worker", "payload": {}}),
            )
            .await;
        created.assert_error(403, "FORBIDDEN");
    }
    let written = app
        .store
        .list_tasks(t.a, &TaskFilter::default(), Page::default())
        .await
        .expect("list")
        .total;
    assert_eq!(written, 0, "nothing was created through a worker token");
}
