//! The model-backed types (`research_topic`, `review_frontend_page`) on both stores,
//! against a local HTTP server standing in for the provider: an answer recorded with its
//! journal entry, a 429's `Retry-After` honoured, a hang past the type's timeout retried,
//! garbage failed for good, and no model configured failed at once without a call.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use zora_core::{FailureKind, Store, TaskId, TaskStatus, TenantId};
use zora_domain::ModelAccess;
use zora_engine::metrics::Metrics;
use zora_engine::{TaskOutcome, TaskReport};
use zora_testkit::TestBackend;
use zora_testkit::provider::{
    Provider, Reply, STAND_IN_MODEL, model_access, provider, provider_answering,
};
use zora_testkit::suite::two_tenants;

use zora_testkit::runs::{enqueue, executor_of, journal_of, task};

zora_testkit::both_stores!(
    an_answer_is_recorded_with_its_journal_entry,
    a_rate_limit_is_retried_no_sooner_than_retry_after,
    a_hang_past_the_timeout_is_retried,
    garbage_and_refusals_fail_for_good,
    no_model_configured_fails_at_once_without_a_call,
);

const TIMEOUT: Duration = Duration::from_millis(800);

async fn run_with(
    store: &Arc<dyn Store>,
    model: &ModelAccess,
    tenant: TenantId,
    id: TaskId,
) -> (TaskReport, zora_core::Task) {
    let registry = zora_domain::registry(zora_domain::all(model));
    let report = executor_of(store, registry, &Metrics::default())
        .run_task(tenant, id)
        .await
        .expect("run task");
    (report, task(store.as_ref(), tenant, id).await)
}

async fn run_against(
    store: &Arc<dyn Store>,
    provider: &Provider,
    tenant: TenantId,
    id: TaskId,
) -> (TaskReport, zora_core::Task) {
    run_with(store, &model_access(provider, TIMEOUT), tenant, id).await
}

async fn an_answer_is_recorded_with_its_journal_entry(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    let provider = provider(Reply::Content(
        "Heat pumps cut household emissions.\nMore detail follows.".into(),
    ))
    .await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "research_topic",
        json!({"topic": "heat pumps in Denmark"}),
    )
    .await;
    let (report, task) = run_against(&store, &provider, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Completed, "{report:?}");
    assert_eq!(
        task.result,
        Some(json!({
            "model": STAND_IN_MODEL,
            "answer": "Heat pumps cut household emissions.\nMore detail follows.",
            "usage": {"prompt_tokens": 11, "completion_tokens": 7},
        }))
    );
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Research on heat pumps in Denmark: Heat pumps cut household emissions.")
    );
    let asked = provider.requests.lock().expect("lock")[0].clone();
    assert_eq!(asked["model"], "asked-model");
    assert_eq!(asked["messages"][0]["role"], "system");
    assert!(
        asked["messages"][1]["content"]
            .as_str()
            .expect("user message")
            .contains("heat pumps in Denmark"),
        "{asked}"
    );
    let entries = journal_of(&inspect, t.a, id).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].category.as_str(), "agent_action");
    assert_eq!(entries[0].details["event_type"], "topic_researched");
    assert_eq!(entries[0].details["usage"]["completion_tokens"], 7);
    assert_eq!(entries[0].author.as_deref(), Some("ORACLE"));

    let id = enqueue(
        store.as_ref(),
        t.a,
        "review_frontend_page",
        json!({"url": "/climate", "focus": "accessibility"}),
    )
    .await;
    let (_, task) = run_against(&store, &provider, t.a, id).await;
    assert_eq!(task.status, TaskStatus::Completed);
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Review of /climate: Heat pumps cut household emissions.")
    );
    let asked = provider.requests.lock().expect("lock")[1].clone();
    let prompt = asked["messages"][1]["content"].as_str().expect("prompt");
    assert!(
        prompt.contains("/climate") && prompt.contains("accessibility"),
        "{prompt}"
    );
    assert_eq!(
        journal_of(&inspect, t.a, id).await[0].details["event_type"],
        "frontend_page_reviewed"
    );
    assert!(
        inspect
            .journal(t.b, zora_core::Page::new(10, 0))
            .await
            .items
            .is_empty(),
        "nothing in the other tenant"
    );
}

async fn a_rate_limit_is_retried_no_sooner_than_retry_after(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let provider = provider_answering(vec![
        Reply::ErrorRetryAfter(429, 30),
        Reply::Content("Answered after the limit.".into()),
    ])
    .await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "research_topic",
        json!({"topic": "peat"}),
    )
    .await;
    let before = Utc::now();
    let (report, task) = run_against(&store, &provider, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Retrying, "{report:?}");
    assert_eq!(task.status, TaskStatus::Pending);
    assert_eq!(task.errors[0].kind, FailureKind::Transient);
    assert_eq!(
        task.errors[0].error,
        "The model provider is rate limiting (HTTP 429)"
    );
    let wait = (task.run_at - before).num_milliseconds();
    assert!(
        (29_000..=32_000).contains(&wait),
        "30s asked, the backoff alone is 1-2s: {wait}ms"
    );
    let (report, task) = run_against(&store, &provider, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Completed);
    assert_eq!(task.attempts, 2);
    assert_eq!(
        task.result.expect("result")["answer"],
        "Answered after the limit."
    );
    assert_eq!(provider.calls(), 2);
}

async fn a_hang_past_the_timeout_is_retried(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    let provider = provider_answering(vec![
        Reply::Slow(Duration::from_secs(5)),
        Reply::Error(503),
        Reply::Content("Finally.".into()),
    ])
    .await;
    let id = enqueue(store.as_ref(), t.a, "review_frontend_page", json!({})).await;
    let started = std::time::Instant::now();
    let (report, task) = run_against(&store, &provider, t.a, id).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "cut at the timeout"
    );
    assert_eq!(report.outcome, TaskOutcome::Retrying);
    assert_eq!(task.errors[0].kind, FailureKind::Timeout);
    let (report, task) = run_against(&store, &provider, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Retrying, "a 503 is transient");
    assert!(
        task.errors[1].error.contains("HTTP 503"),
        "{:?}",
        task.errors
    );
    let (report, task) = run_against(&store, &provider, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Completed);
    assert_eq!(task.attempts, 3);
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Review of review_frontend_page task: Finally."),
        "the task's title when the payload names no page"
    );
    assert_eq!(
        journal_of(&inspect, t.a, id).await.len(),
        1,
        "recorded once"
    );
}

async fn garbage_and_refusals_fail_for_good(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    for (reply, message) in [
        (
            Reply::Garbage,
            "The model's answer is unusable: the answer is not JSON",
        ),
        (
            Reply::Content("   ".into()),
            "The model's answer is unusable: the answer has no message content",
        ),
        (
            Reply::Error(401),
            "The model provider refused the request (HTTP 401)",
        ),
    ] {
        let provider = provider(reply).await;
        let id = enqueue(
            store.as_ref(),
            t.a,
            "research_topic",
            json!({"topic": "soil"}),
        )
        .await;
        let (report, task) = run_against(&store, &provider, t.a, id).await;
        assert_eq!(report.outcome, TaskOutcome::Failed, "{message}");
        assert_eq!(task.error_message.as_deref(), Some(message));
        assert_eq!(task.errors[0].kind, FailureKind::Permanent);
        assert_eq!(task.attempts, 1);
        assert!(task.result.is_none());
        assert!(journal_of(&inspect, t.a, id).await.is_empty());
    }
}

async fn no_model_configured_fails_at_once_without_a_call(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    for kind in ["research_topic", "review_frontend_page"] {
        let id = enqueue(store.as_ref(), t.a, kind, json!({})).await;
        let (report, task) = run_with(&store, &ModelAccess::default(), t.a, id).await;
        assert_eq!(report.outcome, TaskOutcome::Failed);
        assert_eq!(
            task.error_message,
            Some(format!(
                "No model configured: set OPENAI_API_KEY to run {kind}"
            ))
        );
        assert_eq!(task.errors.len(), 1, "not retried");
    }
    let id = enqueue(
        store.as_ref(),
        t.a,
        "review_frontend_page",
        json!({"url": "ftp://example.org"}),
    )
    .await;
    let (_, task) = run_with(&store, &ModelAccess::default(), t.a, id).await;
    assert_eq!(
        task.error_message.as_deref(),
        Some("url must be an http(s) URL or a path starting with /, got \"ftp://example.org\""),
        "the payload is checked before the model is asked for"
    );
    let registry = zora_domain::registry(zora_domain::all(&ModelAccess::default()));
    for kind in ["research_topic", "review_frontend_page"] {
        let handler = registry.get(kind).expect("registered");
        assert!(handler.prepares());
        assert_eq!(handler.concurrency_limit(), Some(4), "providers rate-limit");
    }
}
