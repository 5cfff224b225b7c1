//! Model usage: calls written with a transaction (none when it rolls back), summed per
//! day, model, task type and agent, each tenant's alone, within the window asked.

use chrono::{Duration, Utc};
use zora_core::usage::{ModelCall, UsageGrouping, UsageLine, UsageQuery};
use zora_core::{Store, TaskId, TenantId};

use super::two_tenants;

fn call(tenant: TenantId, model: &str, task_type: Option<&str>, tokens: i64) -> ModelCall {
    ModelCall {
        tenant_id: tenant,
        task_id: task_type.map(|_| TaskId::new()),
        command_id: None,
        task_type: task_type.map(str::to_owned),
        agent_id: task_type.map(|_| "ORACLE".to_owned()),
        attempt: task_type.map(|_| 1),
        model: model.into(),
        prompt_tokens: tokens,
        completion_tokens: tokens / 2,
        cost_usd: (model == "gpt-4o-mini").then_some(0.25),
    }
}

async fn summed(store: &dyn Store, tenant: TenantId, group_by: UsageGrouping) -> Vec<UsageLine> {
    store
        .model_usage(&UsageQuery {
            tenant,
            from: Utc::now() - Duration::hours(1),
            to: Utc::now() + Duration::hours(1),
            group_by,
        })
        .await
        .expect("usage")
}

pub async fn model_calls_are_written_with_their_transaction_and_summed(store: &dyn Store) {
    let t = two_tenants(store).await;
    let mut tx = store.begin().await.expect("begin");
    tx.insert_model_calls(&[call(t.a, "never", Some("research_topic"), 7)])
        .await
        .expect("insert");
    tx.rollback().await.expect("rollback");
    assert!(
        summed(store, t.a, UsageGrouping::Model).await.is_empty(),
        "a rolled-back transaction records nothing"
    );

    let mut tx = store.begin().await.expect("begin");
    tx.insert_model_calls(&[
        call(t.a, "gpt-4o-mini", Some("research_topic"), 100),
        call(t.a, "gpt-4o-mini", Some("review_frontend_page"), 300),
        call(t.a, "local-llama", None, 40),
        call(t.b, "gpt-4o-mini", Some("research_topic"), 1_000),
    ])
    .await
    .expect("insert");
    tx.commit().await.expect("commit");

    let by_model = summed(store, t.a, UsageGrouping::Model).await;
    assert_eq!(
        by_model,
        vec![
            UsageLine {
                key: "gpt-4o-mini".into(),
                calls: 2,
                prompt_tokens: 400,
                completion_tokens: 200,
                cost_usd: Some(0.5),
            },
            UsageLine {
                key: "local-llama".into(),
                calls: 1,
                prompt_tokens: 40,
                completion_tokens: 20,
                cost_usd: None,
            },
        ],
        "the tenant's own calls, a model without a price costing nothing known"
    );
    let total = UsageLine::total(&by_model);
    assert_eq!((total.calls, total.cost_usd), (3, Some(0.5)));
    let by_type: Vec<String> = summed(store, t.a, UsageGrouping::TaskType)
        .await
        .into_iter()
        .map(|l| l.key)
        .collect();
    assert_eq!(
        by_type,
        ["(none)", "research_topic", "review_frontend_page"]
    );
    let by_agent = summed(store, t.a, UsageGrouping::Agent).await;
    assert_eq!(by_agent.len(), 2);
    let by_day = summed(store, t.a, UsageGrouping::Day).await;
    assert_eq!(by_day.len(), 1);
    assert_eq!(by_day[0].key, Utc::now().format("%Y-%m-%d").to_string());
    assert_eq!(by_day[0].calls, 3);

    let later = store
        .model_usage(&UsageQuery {
            tenant: t.a,
            from: Utc::now() + Duration::minutes(5),
            to: Utc::now() + Duration::hours(1),
            group_by: UsageGrouping::Model,
        })
        .await
        .expect("usage");
    assert!(later.is_empty(), "a window after the calls holds none");
}
