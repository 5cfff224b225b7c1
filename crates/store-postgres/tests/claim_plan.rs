//! PostgreSQL-specific behaviour: the claim's query plan at size (an index, due-ness tested
//! in it), and rows of ZORA CORE's
//! legacy runtime, which the engine leaves alone.

use serde_json::Value;
use zora_core::{DEFAULT_TENANT_ID, Queue, TaskStatus};
use zora_store_postgres::claim_sql;
use zora_testkit::TestDatabase;

/// Every plan node, depth first.
fn nodes(plan: &Value, out: &mut Vec<Value>) {
    out.push(plan.clone());
    if let Some(children) = plan.get("Plans").and_then(Value::as_array) {
        for child in children {
            nodes(child, out);
        }
    }
}

async fn explain(db: &TestDatabase, all_tenants: bool) -> Vec<Value> {
    let cap = all_tenants.then_some(25);
    let sql = format!("EXPLAIN (FORMAT JSON) {}", claim_sql(cap, 100));
    let types = vec!["climate.create_single_mission".to_owned()];
    let query = sqlx::query_scalar::<_, Value>(&sql)
        .bind("explain")
        .bind(30_000_i64);
    let query = if all_tenants {
        query.bind(types)
    } else {
        query.bind(DEFAULT_TENANT_ID.0).bind(types)
    };
    let plan = query.fetch_one(db.pool()).await.expect("explain");
    let mut out = Vec::new();
    nodes(&plan[0]["Plan"], &mut out);
    out
}

#[tokio::test]
async fn the_claim_walks_an_index_not_the_finished_rows() {
    let db = TestDatabase::migrated().await;
    // 200k finished rows, 100k not yet due, 2k due, over 20 tenants: the planner would
    // scan the table if no index served the claim.
    db.run_script(
        "INSERT INTO tenants (id, name) SELECT ('00000000-0000-0000-0001-' || lpad(g::text, 12, '0'))::uuid, 't' || g \
           FROM generate_series(1, 20) g;
         INSERT INTO agent_tasks (tenant_id, agent_id, task_type, title, status, priority, run_at)
         SELECT CASE WHEN g % 21 = 0 THEN '00000000-0000-0000-0000-000000000001'::uuid
                     ELSE ('00000000-0000-0000-0001-' || lpad((g % 21)::text, 12, '0'))::uuid END,
                'ORACLE', 'climate.create_single_mission', 'task ' || g,
                CASE WHEN g <= 200000 THEN (CASE WHEN g % 2 = 0 THEN 'completed' ELSE 'failed' END)::agent_task_status
                     ELSE 'pending' END,
                g % 5,
                CASE WHEN g > 200000 AND g <= 300000 THEN now() + interval '1 day' ELSE now() - interval '1 minute' END
           FROM generate_series(1, 302000) g;
         ANALYZE agent_tasks;",
    )
    .await;
    for all_tenants in [false, true] {
        let plan = explain(&db, all_tenants).await;
        let seq_scans: Vec<_> = plan
            .iter()
            .filter(|n| n["Node Type"] == "Seq Scan" && n["Relation Name"] == "agent_tasks")
            .collect();
        assert!(
            seq_scans.is_empty(),
            "the claim scans agent_tasks (all_tenants={all_tenants}): {plan:#?}"
        );
        // The tenant's walk in claim order tests `run_at` on the index entries: the 100k
        // tasks not yet due are passed over without reading their rows.
        let walk = plan
            .iter()
            .find(|n| n["Index Name"] == "idx_agent_tasks_claimable")
            .unwrap_or_else(|| {
                panic!("the claim walks idx_agent_tasks_claimable (all_tenants={all_tenants}): {plan:#?}")
            });
        let condition = walk["Index Cond"].as_str().unwrap_or_default();
        assert!(
            condition.contains("run_at <= now()"),
            "run_at is tested in the index (all_tenants={all_tenants}): {walk:#}"
        );
    }
}

#[tokio::test]
async fn legacy_in_progress_rows_without_a_lease_are_left_alone_and_reported() {
    let db = TestDatabase::migrated().await;
    db.run_script(
        "INSERT INTO agent_tasks (tenant_id, agent_id, task_type, title, status, started_at, payload)
         VALUES ('00000000-0000-0000-0000-000000000001', 'SAM', 'plan_workflow', 'legacy', 'in_progress',
                 now() - interval '2 hours', NULL)",
    )
    .await;
    let store = db.store().await;
    assert!(
        store
            .rescue_expired_leases_all_tenants(zora_core::RescuePolicy::default(), 100)
            .await
            .expect("rescue")
            .is_empty()
    );
    let stats = store
        .queue_stats(zora_core::stats::Scope::Tenant(DEFAULT_TENANT_ID))
        .await
        .expect("stats");
    assert_eq!(stats.in_progress_without_lease, 1);
    let listed = store
        .list_tasks(DEFAULT_TENANT_ID, &Default::default(), Default::default())
        .await
        .expect("list");
    assert_eq!(listed.items[0].status, TaskStatus::InProgress);
    assert_eq!(
        listed.items[0].payload,
        serde_json::json!({}),
        "a NULL-free payload reads as {{}}"
    );
}
