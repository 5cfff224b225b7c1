//! The agents' everyday task types on both stores: each on seeded data, its result field by field, its journal entry, and its
//! failures with their message.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use zora_core::{FailureKind, Store, TaskStatus, TenantId};
use zora_domain::climate::tables::{NewMission, NewProfile};
use zora_domain::ids::{MissionId, ProductId, ProfileId};
use zora_domain::zora_shop::tables::NewProduct;
use zora_engine::TaskOutcome;
use zora_testkit::TestBackend;
use zora_testkit::runs;
use zora_testkit::suite::two_tenants;

use zora_domain::climate::store as climate_store;
use zora_domain::zora_shop::store as shop_store;
use zora_testkit::runs::{enqueue, journal_of, run};

zora_testkit::both_stores!(
    a_weekly_plan_skips_open_categories_and_a_second_suggestion_returns_it,
    the_same_inputs_suggest_the_same_items,
    the_default_profile_is_the_primary_then_the_oldest,
    suggestion_failures_name_their_cause,
    two_suggestions_of_one_week_in_a_batch_make_one_plan,
    activity_is_summarized_over_the_window,
    system_health_is_reviewed_with_a_verdict,
    climate_claims_are_checked_rule_by_rule,
);

async fn profile(store: &dyn Store, tenant: TenantId, name: &str, kind: &str) -> ProfileId {
    let id = ProfileId::new();
    let mut tx = store.begin().await.expect("begin");
    climate_store::insert_profile(
        &mut *tx,
        &NewProfile {
            id,
            tenant_id: tenant,
            name: name.into(),
            profile_type: kind.into(),
        },
    )
    .await
    .expect("profile");
    tx.commit().await.expect("commit");
    id
}

/// A mission of `category` for `profile`, then set to `status`.
async fn mission(
    backend: &TestBackend,
    tenant: TenantId,
    profile: ProfileId,
    category: &str,
    status: &str,
) {
    let store = backend.store().await;
    let id = MissionId::new();
    let mut tx = store.begin().await.expect("begin");
    climate_store::insert_missions(
        &mut *tx,
        &[NewMission {
            id,
            tenant_id: tenant,
            profile_id: profile,
            title: format!("{category} mission"),
            description: None,
            category: category.into(),
            estimated_impact_kgco2: Some(7.5),
            due_date: None,
            notes: None,
            metadata: json!({}),
        }],
    )
    .await
    .expect("mission");
    tx.commit().await.expect("commit");
    backend
        .execute(&format!(
            "UPDATE climate_missions SET status = '{status}' WHERE id = '{id}'"
        ))
        .await;
}

async fn proposed_plans(store: &dyn Store, tenant: TenantId, profile: ProfileId) -> usize {
    let mut tx = store.begin().await.expect("begin");
    climate_store::proposed_weekly_plans(&mut *tx, tenant, &[profile])
        .await
        .expect("plans")
        .len()
}

fn titles(result: &Value) -> Vec<String> {
    result["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn a_weekly_plan_skips_open_categories_and_a_second_suggestion_returns_it(
    backend: TestBackend,
) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    let home = profile(store.as_ref(), t.a, "Household", "person").await;
    mission(&backend, t.a, home, "energy", "planned").await;
    mission(&backend, t.a, home, "transport", "in_progress").await;
    mission(&backend, t.a, home, "food", "completed").await;
    let payload = json!({"profile_id": home, "period_start": "2026-12-09"});
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.suggest_weekly_plan",
        payload.clone(),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(
        report.outcome,
        TaskOutcome::Completed,
        "{:?}",
        task.error_message
    );
    let result = task.result.clone().expect("result");
    assert_eq!(result["profile_id"], home.to_string().as_str());
    assert_eq!(
        result["period_start"], "2026-12-07",
        "the Monday of the week"
    );
    assert_eq!(result["period_end"], "2026-12-13");
    let items = result["items"].as_array().expect("items");
    assert!((4..=5).contains(&items.len()), "{result}");
    let categories: BTreeSet<&str> = items
        .iter()
        .map(|i| i["category"].as_str().expect("category"))
        .collect();
    assert!(
        !categories.contains("energy") && !categories.contains("transport"),
        "{categories:?}"
    );
    assert_eq!(categories.len(), items.len(), "one action per category");
    let total: f64 = items
        .iter()
        .map(|i| i["estimated_impact_kgco2"].as_f64().expect("kg"))
        .sum();
    assert_eq!(result["total_estimated_impact_kgco2"].as_f64(), Some(total));
    for item in items {
        assert!(
            item["item_id"].as_str().is_some_and(|s| s.len() == 36),
            "{item}"
        );
    }
    assert_eq!(
        task.result_summary.as_deref(),
        Some(
            format!(
                "Suggested {} actions ({total} kg CO2) for the week of 2026-12-07",
                items.len()
            )
            .as_str()
        )
    );
    let journal = journal_of(&inspect, t.a, id).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].category.as_str(), "climate_action");
    assert_eq!(journal[0].details["event_type"], "climate_plan_suggested");
    assert_eq!(journal[0].details["plan_id"], result["plan_id"]);
    assert_eq!(journal[0].author.as_deref(), Some("ORACLE"));
    assert_eq!(proposed_plans(store.as_ref(), t.a, home).await, 1);

    // The same week again, through the alias ZORA CORE's climate page uses: the first
    // plan, nothing new written.
    let again = enqueue(
        store.as_ref(),
        t.a,
        "propose_new_climate_missions",
        json!({"profile_id": home, "profile_name": "Household", "period_start": "2026-12-13"}),
    )
    .await;
    let (_, second) = run(&store, t.a, again).await;
    assert_eq!(
        second.status,
        TaskStatus::Completed,
        "{:?}",
        second.error_message
    );
    let second_result = second.result.expect("result");
    assert_eq!(second_result["plan_id"], result["plan_id"]);
    assert_eq!(titles(&second_result).len(), items.len());
    assert_eq!(second.result_summary, task.result_summary);
    assert_eq!(
        proposed_plans(store.as_ref(), t.a, home).await,
        1,
        "no second plan"
    );
    assert!(
        journal_of(&inspect, t.a, again).await.is_empty(),
        "nothing new written"
    );
}

/// Once the first plan is no longer `proposed`, the same profile and week suggest a new
/// plan with the very same actions.
async fn the_same_inputs_suggest_the_same_items(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let shop = profile(store.as_ref(), t.a, "Shop", "brand").await;
    let payload = json!({"profile_id": shop, "period_start": "2027-01-04"});
    let first = enqueue(
        store.as_ref(),
        t.a,
        "climate.suggest_weekly_plan",
        payload.clone(),
    )
    .await;
    let (_, first) = run(&store, t.a, first).await;
    let first = first.result.expect("result");
    backend
        .execute(&format!(
            "UPDATE climate_plans SET status = 'applied' WHERE id = '{}'",
            first["plan_id"].as_str().expect("id")
        ))
        .await;
    let second = enqueue(store.as_ref(), t.a, "climate.suggest_weekly_plan", payload).await;
    let (_, second) = run(&store, t.a, second).await;
    let second = second.result.expect("result");
    assert_ne!(second["plan_id"], first["plan_id"], "a new plan");
    assert_eq!(titles(&second), titles(&first), "the same actions");
    let business: BTreeSet<&str> = zora_domain::agents::catalogue::BUSINESS
        .iter()
        .map(|a| a.title)
        .collect();
    assert!(
        titles(&first).iter().all(|t| business.contains(t.as_str())),
        "a brand gets business actions"
    );
}

async fn the_default_profile_is_the_primary_then_the_oldest(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let oldest = profile(store.as_ref(), t.a, "Oldest", "person").await;
    let primary = profile(store.as_ref(), t.a, "Primary", "person").await;
    let suggest = async |payload: Value| {
        let id = enqueue(store.as_ref(), t.a, "propose_new_climate_missions", payload).await;
        run(&store, t.a, id).await.1.result.expect("result")["profile_id"].clone()
    };
    assert_eq!(
        suggest(json!({"source": "command_console"})).await,
        oldest.to_string().as_str()
    );
    backend
        .execute(&format!(
            "UPDATE climate_profiles SET is_primary = true WHERE id = '{primary}'"
        ))
        .await;
    assert_eq!(
        suggest(json!({"profile_id": ""})).await,
        primary.to_string().as_str(),
        "blank counts as none"
    );
}

async fn suggestion_failures_name_their_cause(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.suggest_weekly_plan",
        json!({}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Failed, "not retried");
    assert_eq!(
        task.error_message.as_deref(),
        Some("No climate profile found for tenant")
    );
    assert_eq!(task.errors[0].kind, FailureKind::Permanent);

    let foreign = profile(store.as_ref(), t.b, "Theirs", "person").await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.suggest_weekly_plan",
        json!({"profile_id": foreign}),
    )
    .await;
    let (_, task) = run(&store, t.a, id).await;
    assert_eq!(task.status, TaskStatus::Failed);
    assert_eq!(
        task.error_message,
        Some(format!(
            "Profile {foreign} not found or does not belong to tenant"
        ))
    );
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.suggest_weekly_plan",
        json!({"period_start": "next week"}),
    )
    .await;
    let (_, task) = run(&store, t.a, id).await;
    assert_eq!(
        task.error_message.as_deref(),
        Some("period_start: 'next week' is not a date as YYYY-MM-DD")
    );
    assert_eq!(proposed_plans(store.as_ref(), t.b, foreign).await, 0);
    assert!(journal_of(&inspect, t.a, id).await.is_empty());
}

/// Two tasks suggesting the same week in one batch: the batch finds the week twice, is
/// rolled back and rerun task by task, and the second finds the first's plan.
async fn two_suggestions_of_one_week_in_a_batch_make_one_plan(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let home = profile(store.as_ref(), t.a, "Household", "person").await;
    let payload = json!({"profile_id": home, "period_start": "2027-02-01"});
    let a = enqueue(
        store.as_ref(),
        t.a,
        "climate.suggest_weekly_plan",
        payload.clone(),
    )
    .await;
    let b = enqueue(store.as_ref(), t.a, "propose_new_climate_missions", payload).await;
    let summary = runs::executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(summary.completed, 2, "{summary:?}");
    let plan_of = async |id| {
        runs::task(store.as_ref(), t.a, id)
            .await
            .result
            .expect("result")["plan_id"]
            .clone()
    };
    assert_eq!(plan_of(a).await, plan_of(b).await);
    assert_eq!(proposed_plans(store.as_ref(), t.a, home).await, 1);
}

async fn activity_is_summarized_over_the_window(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    let home = profile(store.as_ref(), t.a, "Household", "person").await;
    let created = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_single_mission",
        json!({"profile_id": home, "title": "Bike", "category": "transport", "estimated_impact_kgco2": 12.5}),
    )
    .await;
    run(&store, t.a, created).await;
    let missing = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_single_mission",
        json!({"title": "x"}),
    )
    .await;
    run(&store, t.a, missing).await;
    // Another tenant's rows are not counted.
    let theirs = profile(store.as_ref(), t.b, "Theirs", "person").await;
    let other = enqueue(
        store.as_ref(),
        t.b,
        "climate.create_single_mission",
        json!({"profile_id": theirs, "title": "y"}),
    )
    .await;
    run(&store, t.b, other).await;

    let id = enqueue(
        store.as_ref(),
        t.a,
        "summarize_recent_activity",
        json!({"days": 3}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(
        report.outcome,
        TaskOutcome::Completed,
        "{:?}",
        task.error_message
    );
    let result = task.result.expect("result");
    assert_eq!(result["days"], 3);
    let (from, to) = (
        chrono::DateTime::parse_from_rfc3339(result["from"].as_str().expect("from")).expect("from"),
        chrono::DateTime::parse_from_rfc3339(result["to"].as_str().expect("to")).expect("to"),
    );
    assert_eq!(to - from, chrono::Duration::days(3));
    assert_eq!(result["tasks"]["by_status"]["completed"], 1);
    assert_eq!(result["tasks"]["by_status"]["failed"], 1);
    assert_eq!(
        result["tasks"]["by_type"]["climate.create_single_mission"],
        2
    );
    assert_eq!(
        result["missions"],
        json!({"created": 1, "completed": 0, "estimated_impact_kgco2": 12.5})
    );
    assert_eq!(
        result["shop"],
        json!({"projects_created": 0, "climate_meta_updated": 0})
    );
    assert_eq!(
        result["journal"]["by_category"],
        json!({"climate_action": 1})
    );
    let summary = task.result_summary.expect("summary");
    assert!(summary.starts_with("In the last 3 day(s): 3 task(s) created (1 completed, 1 failed, 1 pending), 1 mission(s) created"), "{summary}");
    let journal = journal_of(&inspect, t.a, id).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].category.as_str(), "agent_action");
    assert_eq!(journal[0].details["event_type"], "activity_summarized");
    assert_eq!(journal[0].body.as_deref(), Some(summary.as_str()));

    for days in [json!(0), json!(91), json!("seven")] {
        let id = enqueue(
            store.as_ref(),
            t.a,
            "summarize_recent_activity",
            json!({"days": days}),
        )
        .await;
        let (report, task) = run(&store, t.a, id).await;
        assert_eq!(report.outcome, TaskOutcome::Failed, "not retried");
        assert!(
            task.error_message
                .as_deref()
                .is_some_and(|m| m.starts_with("days")),
            "{:?}",
            task.error_message
        );
    }
    let id = enqueue(
        store.as_ref(),
        t.a,
        "summarize_recent_activity",
        json!({"days": 91}),
    )
    .await;
    assert_eq!(
        run(&store, t.a, id).await.1.error_message.as_deref(),
        Some("days must be between 1 and 90, got 91")
    );
}

async fn system_health_is_reviewed_with_a_verdict(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    for _ in 0..5 {
        let id = enqueue(
            store.as_ref(),
            t.a,
            "climate.create_single_mission",
            json!({"title": "x"}),
        )
        .await;
        run(&store, t.a, id).await;
    }
    enqueue(store.as_ref(), t.a, "plan_workflow", json!({})).await;
    let mut waiting =
        zora_core::NewTask::new(t.a, "AEGIS", "safety_audit", "decide first", json!({}));
    waiting.requires_approval = true;
    runs::enqueue_with(store.as_ref(), waiting).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "review_system_health",
        json!({"anything": 1}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(
        report.outcome,
        TaskOutcome::Completed,
        "{:?}",
        task.error_message
    );
    let result = task.result.expect("result");
    assert_eq!(
        result["verdict"], "degraded",
        "{result}: 5 finished are too few to call it failing"
    );
    assert_eq!(
        result["reasons"][0],
        "100% of the 5 tasks finished in the last 24 hours failed"
    );
    assert_eq!(result["last_24h"]["completed"], 0);
    assert_eq!(result["last_24h"]["failed"], 5);
    assert_eq!(result["last_24h"]["failure_rate"], 1.0);
    assert_eq!(
        result["last_24h"]["top_errors"],
        json!([{"message": "Missing required fields: profile_id and title", "count": 5}])
    );
    assert_eq!(
        result["queue"]["by_type"]["plan_workflow"],
        json!({"pending": 1, "in_progress": 0})
    );
    assert_eq!(result["awaiting_approval"], 1);
    assert_eq!(result["blocked"], 0);
    assert_eq!(result["expired_leases"], 0);
    assert!(result["workers_alive"].is_u64());
    assert!(result["oldest_pending_age_seconds"].is_f64(), "{result}");
    let journal = journal_of(&inspect, t.a, id).await;
    assert_eq!(journal[0].category.as_str(), "system_event");
    assert_eq!(journal[0].details["event_type"], "system_health_reviewed");
    assert_eq!(journal[0].details["verdict"], "degraded");
    assert_eq!(journal[0].author.as_deref(), Some("ORACLE"));

    // The other tenant's queue is its own: nothing failed there.
    let id = enqueue(store.as_ref(), t.b, "review_system_health", json!({})).await;
    let (_, theirs) = run(&store, t.b, id).await;
    let theirs = theirs.result.expect("result");
    assert_eq!(theirs["verdict"], "ok");
    assert_eq!(theirs["reasons"], json!([]));
    assert_eq!(theirs["last_24h"]["failure_rate"], Value::Null);
}

/// A product to seed: name, its own estimate, then its metadata's label, estimate and
/// certifications.
type Seed = (
    &'static str,
    Option<f64>,
    Option<&'static str>,
    Option<f64>,
    Option<&'static str>,
);

async fn climate_claims_are_checked_rule_by_rule(backend: TestBackend) {
    let store = backend.store().await;
    let inspect = backend.inspect().await;
    let t = two_tenants(store.as_ref()).await;
    let seeds: [Seed; 5] = [
        (
            "Neutral tee",
            None,
            Some("climate_neutral"),
            Some(5.0),
            None,
        ),
        ("Low bag", None, Some("low_impact"), Some(50.0), None),
        (
            "Positive cap",
            Some(20.0),
            Some("climate_positive"),
            None,
            Some("Climate Partner"),
        ),
        ("Heavy sofa", None, None, Some(12_000.0), None),
        ("Vague mug", None, Some("low_impact"), None, None),
    ];
    let mut ids = Vec::new();
    let mut tx = store.begin().await.expect("begin");
    for (i, (name, own, ..)) in seeds.iter().enumerate() {
        let id = ProductId::new();
        shop_store::insert_product(
            &mut *tx,
            &NewProduct {
                id,
                tenant_id: t.a,
                name: (*name).into(),
                slug: Some(format!("p{i}")),
                brand_id: None,
                estimated_impact_kgco2: *own,
            },
        )
        .await
        .expect("product");
        ids.push(id);
    }
    tx.commit().await.expect("commit");
    for (id, (_, _, label, meta, certs)) in ids.iter().zip(&seeds) {
        if label.is_none() && meta.is_none() {
            continue;
        }
        let text = |v: Option<&str>| v.map_or("NULL".to_owned(), |v| format!("'{v}'"));
        backend
            .execute(&format!(
                "INSERT INTO product_climate_meta (id, tenant_id, product_id, climate_label, estimated_impact_kgco2, certifications) \
                 VALUES ('{}', '{}', '{id}', {}, {}, {})",
                uuid::Uuid::new_v4(),
                t.a,
                text(*label),
                meta.map_or("NULL".to_owned(), |m| m.to_string()),
                text(*certs),
            ))
            .await;
    }
    let id = enqueue(store.as_ref(), t.a, "review_climate_claims", json!({})).await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(
        report.outcome,
        TaskOutcome::Completed,
        "{:?}",
        task.error_message
    );
    let result = task.result.expect("result");
    assert_eq!(result["products_checked"], 5);
    let found: Vec<(String, &str, &str)> = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["product_name"].as_str().expect("name").to_owned(),
                f["rule"].as_str().expect("rule"),
                f["severity"].as_str().expect("severity"),
            )
        })
        .collect();
    let mut expected = vec![
        ("Neutral tee".to_owned(), "unverified_claim", "high"),
        ("Low bag".to_owned(), "low_impact_above_median", "low"),
        ("Heavy sofa".to_owned(), "estimate_out_of_range", "medium"),
        ("Vague mug".to_owned(), "label_without_estimate", "medium"),
    ];
    let mut got = found.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{result}");
    assert_eq!(result["counts"], json!({"high": 1, "medium": 2, "low": 1}));
    let bag = &result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "low_impact_above_median")
        .expect("bag")["message"];
    assert_eq!(
        bag,
        "'Low bag' is labelled low_impact at 50 kg CO2, above the tenant's median of 35 kg"
    );
    assert_eq!(
        task.result_summary.as_deref(),
        Some("4 finding(s) in 5 product(s)")
    );
    let journal = journal_of(&inspect, t.a, id).await;
    assert_eq!(journal[0].category.as_str(), "zora_shop");
    assert_eq!(journal[0].details["event_type"], "climate_claims_reviewed");
    assert_eq!(journal[0].details["counts"], result["counts"]);

    // The alias, on two products named (one twice): the median stays the tenant's.
    let id = enqueue(
        store.as_ref(),
        t.a,
        "safety_audit",
        json!({"product_ids": [ids[1], ids[2], ids[1]]}),
    )
    .await;
    let (_, task) = run(&store, t.a, id).await;
    let result = task.result.expect("result");
    assert_eq!(result["products_checked"], 2);
    assert_eq!(result["counts"], json!({"high": 0, "medium": 0, "low": 1}));

    let (_, _, foreign) = zora_testkit::suite::shop::seed_shop(store.as_ref(), t.b).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "review_climate_claims",
        json!({"product_ids": [ids[0], foreign]}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Failed);
    assert_eq!(
        task.error_message,
        Some(format!(
            "Product {foreign} not found or does not belong to tenant"
        ))
    );
    let id = enqueue(
        store.as_ref(),
        t.a,
        "review_climate_claims",
        json!({"product_ids": []}),
    )
    .await;
    assert_eq!(
        run(&store, t.a, id).await.1.error_message.as_deref(),
        Some("product_ids must name at least one product; leave it out to check every product")
    );
    assert!(journal_of(&inspect, t.a, id).await.is_empty());
}
