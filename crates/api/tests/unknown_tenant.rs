//! A valid token whose tenant has no row in `tenants`: 403 `FORBIDDEN` `Unknown tenant
//! {id}` on every authenticated route, and nothing written, on both stores.

mod common;

use serde_json::json;
use zora_api::{Claims, Method, OPERATIONS, Role};
use zora_core::{DEFAULT_TENANT_ID, TaskId, TenantId};
use zora_testkit::TestBackend;

use common::{answer, spawn_app};

zora_testkit::both_stores!(every_route_refuses_a_tenant_without_a_row);

async fn every_route_refuses_a_tenant_without_a_row(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let unknown = TenantId::new();
    let user_token = app.token(unknown, Role::Founder);
    // The worker routes take a worker token, of the same unknown tenant.
    let worker_token = app
        .auth
        .issue(&Claims::for_worker(
            Some(unknown),
            None,
            std::time::Duration::from_secs(600),
        ))
        .expect("signed");
    let task = json!({"agent_id": "ORACLE", "task_type": "plan_workflow", "title": "t"});
    let some_id = TaskId::new().to_string();
    let mut checked = 0;
    for op in OPERATIONS.iter().filter(|op| op.authenticated) {
        let url = format!(
            "{}{}",
            app.base,
            op.path
                .replace("{id}", &some_id)
                .replace("{task_type}", "review_accessibility")
        );
        let token = if op.worker {
            &worker_token
        } else {
            &user_token
        };
        let request = match op.method {
            Method::Get => app.client.get(&url),
            Method::Post => app.client.post(&url).json(&match op.id {
                "submitCommand" => json!({"raw_prompt": "Plan a climate mission"}),
                "createSchedule" => json!({"name": "n", "cron": "* * * * *", "task": task}),
                _ => task.clone(),
            }),
            Method::Put => app.client.put(&url).json(&json!({})),
            Method::Patch => app.client.patch(&url).json(&json!({"enabled": false})),
            Method::Delete => app.client.delete(&url),
        };
        let answer = answer(request.bearer_auth(token).send().await.expect("request")).await;
        answer.assert_error(403, "FORBIDDEN");
        assert_eq!(
            answer.body["message"],
            format!("Unknown tenant {unknown}"),
            "{} {}",
            op.method.as_str(),
            op.path
        );
        checked += 1;
    }
    assert!(checked >= 9, "every authenticated route was tried");
    // Also with the `?wait=true` of a synchronous create.
    let waited = answer(
        app.client
            .post(format!("{}/api/agents/tasks?wait=true", app.base))
            .bearer_auth(&user_token)
            .json(&task)
            .send()
            .await
            .expect("request"),
    )
    .await;
    waited.assert_error(403, "FORBIDDEN");
    for table in ["agent_tasks", "agent_commands", "journal_entries"] {
        assert_eq!(app.backend.count(table, unknown).await, 0, "{table}");
    }
    // A known tenant is served as before.
    let known = app.token(DEFAULT_TENANT_ID, Role::Founder);
    assert_eq!(app.get("/api/agents/tasks", Some(&known)).await.status, 200);
}
