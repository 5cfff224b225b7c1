//! The ZORA SHOP handlers on both stores, rule by rule as ZORA CORE's executor has them.

use serde_json::json;
use zora_core::TaskStatus;
use zora_domain::ids::{BrandId, ProductId, ShopProjectId};
use zora_engine::TaskOutcome;
use zora_testkit::TestBackend;
use zora_testkit::runs;
use zora_testkit::suite::shop::seed_shop;
use zora_testkit::suite::two_tenants;

use zora_testkit::runs::{enqueue, journal_of, run};

zora_testkit::both_stores!(
    a_project_is_created_with_one_or_two_brands,
    project_rules_fail_with_their_message_and_write_nothing,
    climate_meta_is_created_then_updated,
    climate_meta_rules_fail_with_their_message_and_write_nothing,
    upserts_of_one_product_in_one_batch_compose_in_order,
);

/// Three upserts of one product in one batch: the first creates the row, the others
/// update it, each patch over the one before, in one statement for the batch.
async fn upserts_of_one_product_in_one_batch_compose_in_order(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (_, _, hoodie) = seed_shop(store.as_ref(), t.a).await;
    let kind = "zora_shop.update_product_climate_meta";
    let mut ids = Vec::new();
    for payload in [
        json!({"product_id": hoodie, "climate_label": "low_impact", "notes": "first"}),
        json!({"product_id": hoodie, "certifications": "EU Ecolabel"}),
        json!({"product_id": hoodie, "climate_label": "climate_neutral", "notes": null}),
    ] {
        ids.push(enqueue(store.as_ref(), t.a, kind, payload).await);
    }
    let summary = runs::executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(summary.completed, 3, "{summary:?}");
    let mut actions = Vec::new();
    let mut meta_ids = Vec::new();
    for id in &ids {
        let task = store.get_task(t.a, *id).await.expect("get").expect("task");
        let result = task.result.expect("result");
        actions.push(result["action"].as_str().expect("action").to_owned());
        meta_ids.push(result["climate_meta_id"].clone());
    }
    assert_eq!(actions, ["created", "updated", "updated"]);
    assert!(meta_ids.iter().all(|m| *m == meta_ids[0]), "{meta_ids:?}");
    let meta = backend
        .inspect()
        .await
        .product_climate_meta(t.a, &[hoodie])
        .await;
    assert_eq!(meta.len(), 1);
    assert_eq!(meta[0].id.to_string(), meta_ids[0].as_str().expect("id"));
    assert_eq!(meta[0].climate_label.as_deref(), Some("climate_neutral"));
    assert_eq!(meta[0].certifications.as_deref(), Some("EU Ecolabel"));
    assert_eq!(meta[0].notes, None, "set to null by the last");
}

async fn a_project_is_created_with_one_or_two_brands(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (zora, fiber, _) = seed_shop(store.as_ref(), t.a).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "zora_shop.create_project",
        json!({"title": "ZORA x Green Fiber Hemp Capsule", "primary_brand_id": zora, "secondary_brand_id": fiber,
               "description": "Hemp-based collection", "theme": "hemp_collection", "target_launch_date": "2026-03-01"}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Completed, "{report:?}");
    let result = task.result.expect("result");
    let project_id: ShopProjectId = result["project_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(
        result,
        json!({"project_id": project_id, "title": "ZORA x Green Fiber Hemp Capsule",
               "primary_brand_id": zora, "secondary_brand_id": fiber, "status": "idea"})
    );
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Created ZORA SHOP project 'ZORA x Green Fiber Hemp Capsule' with ZORA x Green Fiber")
    );
    let project = backend
        .inspect()
        .await
        .shop_projects(t.a, &[project_id])
        .await
        .remove(0);
    assert_eq!(project.status, "idea");
    assert_eq!(project.theme.as_deref(), Some("hemp_collection"));
    assert_eq!(
        project.target_launch_date.map(|d| d.to_string()).as_deref(),
        Some("2026-03-01")
    );
    let journal = journal_of(&backend.inspect().await, t.a, id).await;
    assert_eq!(journal[0].category, "zora_shop");
    assert_eq!(
        journal[0].title,
        "Created ZORA SHOP project: ZORA x Green Fiber Hemp Capsule"
    );
    assert_eq!(
        journal[0].body.as_deref(),
        Some("New collaboration project with ZORA x Green Fiber")
    );
    assert_eq!(
        journal[0].details,
        json!({"event_type": "zora_shop_project_created", "project_id": project_id, "primary_brand_id": zora,
               "secondary_brand_id": fiber, "status": "idea", "task_id": id})
    );

    let solo = enqueue(
        store.as_ref(),
        t.a,
        "zora_shop.create_project",
        json!({"title": "Solo", "primary_brand_id": zora, "status": "brief"}),
    )
    .await;
    let (_, task) = run(&store, t.a, solo).await;
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Created ZORA SHOP project 'Solo' with ZORA")
    );
    let project_id: ShopProjectId = task.result.expect("result")["project_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let project = backend
        .inspect()
        .await
        .shop_projects(t.a, &[project_id])
        .await
        .remove(0);
    assert_eq!(
        (project.status.as_str(), project.description.as_deref()),
        ("brief", Some(""))
    );
    assert_eq!(project.secondary_brand_id, None);
}

async fn project_rules_fail_with_their_message_and_write_nothing(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (zora, _, _) = seed_shop(store.as_ref(), t.a).await;
    let (foreign, _, _) = seed_shop(store.as_ref(), t.b).await;
    let unknown = BrandId::new();
    let cases = [
        (json!({"primary_brand_id": zora}), "Missing required fields: title and primary_brand_id".to_owned()),
        (json!({"title": "x"}), "Missing required fields: title and primary_brand_id".to_owned()),
        (json!({"title": "x", "primary_brand_id": unknown}), format!("Primary brand {unknown} not found or does not belong to tenant")),
        (json!({"title": "x", "primary_brand_id": foreign}), format!("Primary brand {foreign} not found or does not belong to tenant")),
        (json!({"title": "x", "primary_brand_id": zora, "secondary_brand_id": "brand-2"}),
         "Secondary brand brand-2 not found or does not belong to tenant".to_owned()),
        (json!({"title": "x", "primary_brand_id": zora, "status": "shipped"}),
         "Invalid status: shipped. Must be one of: idea, brief, concept, review, launched, archived".to_owned()),
        (json!({"title": "x", "primary_brand_id": zora, "secondary_brand_id": zora}),
         format!("Secondary brand {zora} is the same as the primary brand")),
        (json!({"title": "x", "primary_brand_id": zora, "target_launch_date": "soon"}),
         "target_launch_date: 'soon' is not a date as YYYY-MM-DD".to_owned()),
        // Both faults: the missing row is reported first, as ZORA CORE's executor orders the rules.
        (json!({"title": "x", "primary_brand_id": unknown, "status": "shipped"}),
         format!("Primary brand {unknown} not found or does not belong to tenant")),
        (json!({"title": "x", "primary_brand_id": zora, "secondary_brand_id": unknown, "status": "shipped"}),
         format!("Secondary brand {unknown} not found or does not belong to tenant")),
    ];
    for (payload, message) in cases {
        let id = enqueue(
            store.as_ref(),
            t.a,
            "zora_shop.create_project",
            payload.clone(),
        )
        .await;
        let (_, task) = run(&store, t.a, id).await;
        assert_eq!(task.status, TaskStatus::Failed, "{payload}");
        assert_eq!(
            task.error_message.as_deref(),
            Some(message.as_str()),
            "{payload}"
        );
        assert!(
            journal_of(&backend.inspect().await, t.a, id)
                .await
                .is_empty()
        );
    }
    assert_eq!(
        backend.count("zora_shop_projects", t.a).await,
        0,
        "no project written"
    );
}

async fn climate_meta_is_created_then_updated(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (_, _, hoodie) = seed_shop(store.as_ref(), t.a).await;
    let first = enqueue(
        store.as_ref(),
        t.a,
        "zora_shop.update_product_climate_meta",
        json!({"product_id": hoodie, "climate_label": "low_impact", "estimated_impact_kgco2": 12.5,
               "certifications": "EU Ecolabel", "notes": "Compared to standard cotton hoodie."}),
    )
    .await;
    let (_, task) = run(&store, t.a, first).await;
    assert_eq!(
        task.status,
        TaskStatus::Completed,
        "{:?}",
        task.error_message
    );
    let result = task.result.expect("result");
    let meta_id = result["climate_meta_id"].clone();
    assert_eq!(
        result,
        json!({"product_id": hoodie, "climate_meta_id": meta_id, "climate_label": "low_impact", "action": "created"})
    );
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Created climate metadata for product 'Hemp hoodie'")
    );
    let journal = journal_of(&backend.inspect().await, t.a, first).await;
    assert_eq!(
        journal[0].title,
        "Updated climate metadata for product: Hemp hoodie"
    );
    assert_eq!(
        journal[0].body.as_deref(),
        Some("Climate label: low_impact")
    );
    assert_eq!(
        journal[0].details,
        json!({"event_type": "shop_product_climate_meta_updated", "product_id": hoodie, "climate_meta_id": meta_id,
               "climate_label": "low_impact", "action": "created", "task_id": first})
    );

    // No label: kept; notes present as null: cleared; certifications absent: kept.
    let second = enqueue(
        store.as_ref(),
        t.a,
        "zora_shop.update_product_climate_meta",
        json!({"product_id": hoodie, "notes": null, "estimated_impact_kgco2": 10}),
    )
    .await;
    let (_, task) = run(&store, t.a, second).await;
    assert_eq!(
        task.result_summary.as_deref(),
        Some("Updated climate metadata for product 'Hemp hoodie'")
    );
    assert_eq!(task.result.expect("result")["action"], "updated");
    let journal = journal_of(&backend.inspect().await, t.a, second).await;
    assert_eq!(journal[0].body.as_deref(), Some("Climate label: unchanged"));
    let meta = backend
        .inspect()
        .await
        .product_climate_meta(t.a, &[hoodie])
        .await
        .remove(0);
    assert_eq!(
        meta.id.to_string(),
        meta_id.as_str().expect("id"),
        "one row per product"
    );
    assert_eq!(meta.climate_label.as_deref(), Some("low_impact"));
    assert_eq!(meta.estimated_impact_kgco2, Some(10.0));
    assert_eq!(meta.certifications.as_deref(), Some("EU Ecolabel"));
    assert_eq!(meta.notes, None);
}

async fn climate_meta_rules_fail_with_their_message_and_write_nothing(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (_, _, hoodie) = seed_shop(store.as_ref(), t.a).await;
    let (_, _, foreign) = seed_shop(store.as_ref(), t.b).await;
    let unknown = ProductId::new();
    let cases = [
        (json!({"climate_label": "low_impact"}), "Missing required field: product_id".to_owned()),
        (json!({"product_id": unknown}), format!("Product {unknown} not found or does not belong to tenant")),
        (json!({"product_id": foreign}), format!("Product {foreign} not found or does not belong to tenant")),
        (json!({"product_id": 42}), "Product 42 not found or does not belong to tenant".to_owned()),
        (json!({"product_id": hoodie, "climate_label": "carbon_magic"}),
         "Invalid climate_label: carbon_magic. Must be one of: low_impact, climate_neutral, climate_positive".to_owned()),
        (json!({"product_id": hoodie, "estimated_impact_kgco2": [1]}),
         "estimated_impact_kgco2: invalid type: sequence, expected f64".to_owned()),
        // Both faults: the missing product is reported first, as ZORA CORE's executor orders the rules.
        (json!({"product_id": unknown, "climate_label": "carbon_magic"}),
         format!("Product {unknown} not found or does not belong to tenant")),
    ];
    for (payload, message) in cases {
        let id = enqueue(
            store.as_ref(),
            t.a,
            "zora_shop.update_product_climate_meta",
            payload.clone(),
        )
        .await;
        let (_, task) = run(&store, t.a, id).await;
        assert_eq!(task.status, TaskStatus::Failed, "{payload}");
        assert_eq!(
            task.error_message.as_deref(),
            Some(message.as_str()),
            "{payload}"
        );
    }
    assert_eq!(
        backend.count("product_climate_meta", t.a).await,
        0,
        "no row written"
    );
    assert_eq!(backend.count("product_climate_meta", t.b).await, 0);
}
