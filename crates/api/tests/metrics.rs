//! `GET /metrics` on a real server, both stores: public, in the Prometheus text format,
//! the queue counted over every tenant, and the tasks the server ran itself counted.

mod common;

use serde_json::json;
use zora_api::Role;
use zora_core::{NewTask, Store, TaskId, TenantId};
use zora_testkit::TestBackend;
use zora_testkit::metrics::sample;
use zora_testkit::scripted::KIND;
use zora_testkit::suite::{insert_tasks, two_tenants};

use common::spawn_app;

zora_testkit::both_stores!(metrics_are_public_text_over_every_tenant);

async fn enqueue(store: &dyn Store, tenant: TenantId, action: &str) -> TaskId {
    let task = NewTask::new(tenant, "ORACLE", KIND, "metered", json!({"action": action}));
    insert_tasks(store, &[task]).await[0].id
}

/// `GET /metrics` without credentials: its content type and text.
async fn scrape(app: &common::App) -> (String, String) {
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200, "public, as a scrape target is");
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    (content_type, response.text().await.expect("text"))
}

async fn metrics_are_public_text_over_every_tenant(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let t = two_tenants(app.store.as_ref()).await;
    enqueue(app.store.as_ref(), t.a, "complete").await;
    enqueue(app.store.as_ref(), t.b, "complete").await;
    let run = enqueue(app.store.as_ref(), t.a, "complete").await;
    let (_, before) = scrape(&app).await;

    // The server runs one task itself (a synchronous run).
    let token = app.token(t.a, Role::Founder);
    let ran = app
        .post(
            &format!("/api/agents/tasks/{run}/run?wait=true"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert_eq!(ran.body["data"]["status"], "completed", "{}", ran.body);

    let (content_type, after) = scrape(&app).await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let completed = format!("zora_tasks_completed_total{{task_type=\"{KIND}\"}}");
    assert_eq!(
        sample(&after, &completed).unwrap_or_default() - sample(&before, &completed).unwrap_or(0.0),
        1.0,
        "{after}"
    );
    let queue = |status: &str| {
        sample(
            &after,
            &format!("zora_queue_tasks{{task_type=\"{KIND}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(queue("pending"), Some(2.0), "both tenants' tasks: {after}");
    assert_eq!(queue("completed"), Some(1.0));
    assert_eq!(sample(&after, "zora_store_up"), Some(1.0));
    assert!(
        sample(&after, "zora_queue_oldest_pending_age_seconds").is_some_and(|age| age >= 0.0),
        "{after}"
    );
    assert!(
        !after.contains(&t.a.to_string()),
        "no tenant id in a public scrape"
    );
}
