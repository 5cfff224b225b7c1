//! `zora_shop.record_supplier_audit` on both stores: audits recorded for a batch in one
//! statement with their journal entries, every payload rule refused by its field with
//! nothing written, a brand of another tenant refused at create time and at run time.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use zora_core::handler::TaskError;
use zora_core::journal::JournalEntry;
use zora_core::{NewTask, Page, Store, Task, TaskId, TaskStatus, TenantId};
use zora_engine::{CreateError, Executor, ExecutorSettings};
use zora_store_sql::Sql;
use zora_testkit::TestBackend;
use zora_testkit::scripted::registry_with_scripted;
use zora_testkit::suite::shop::seed_shop;
use zora_testkit::suite::two_tenants;

const KIND: &str = "zora_shop.record_supplier_audit";

fn executor(store: &Arc<dyn Store>) -> Executor {
    let registry = registry_with_scripted(Duration::from_secs(1));
    Executor::new(
        store.clone(),
        Arc::new(registry),
        ExecutorSettings::new("test"),
    )
}

/// Inserts a pending audit task, unchecked, and returns its id.
async fn enqueue(store: &dyn Store, tenant: TenantId, payload: Value) -> TaskId {
    let mut tx = store.begin().await.expect("begin");
    let task = NewTask::new(tenant, "AEGIS", KIND, "Audit a supplier", payload);
    let stored = tx.insert_task(&task).await.expect("insert");
    tx.commit().await.expect("commit");
    stored.id
}

/// Runs one task by id and returns its row afterwards.
async fn run(store: &Arc<dyn Store>, tenant: TenantId, id: TaskId) -> Task {
    executor(store).run_task(tenant, id).await.expect("run");
    task(store.as_ref(), tenant, id).await
}

async fn task(store: &dyn Store, tenant: TenantId, id: TaskId) -> Task {
    store
        .get_task(tenant, id)
        .await
        .expect("get")
        .expect("task")
}

/// Why creating an audit task with `payload` is refused (it must be, as invalid).
async fn refused_at_create(store: &dyn Store, tenant: TenantId, payload: &Value) -> TaskError {
    let registry = registry_with_scripted(Duration::from_secs(1));
    let task = NewTask::new(tenant, "AEGIS", KIND, "Audit", payload.clone());
    match zora_engine::create_task(store, &registry, task).await {
        Err(CreateError::Invalid(error)) => error,
        other => panic!("{payload}: not refused as invalid: {other:?}"),
    }
}

/// The journal entries about task `id`.
async fn journal_of(backend: &TestBackend, tenant: TenantId, id: TaskId) -> Vec<JournalEntry> {
    let page = backend
        .inspect()
        .await
        .journal(tenant, Page::new(200, 0))
        .await;
    page.items
        .into_iter()
        .filter(|e| e.details["task_id"] == id.to_string().as_str())
        .collect()
}

zora_testkit::both_stores!(
    audits_of_a_batch_are_recorded_with_their_journal,
    every_payload_rule_is_refused_by_its_field_and_writes_nothing,
    a_brand_of_another_tenant_is_refused_at_create_and_at_run,
);

/// The audits stored for `tenant`: supplier, audit day, highest severity, findings and
/// certifications, by supplier.
async fn stored(
    store: &dyn Store,
    tenant: TenantId,
) -> Vec<(String, String, Option<String>, Value, Vec<String>)> {
    let mut tx = store.begin_read().await.expect("begin");
    let rows: Vec<(String, String, Option<String>, String, String)> =
        match Sql::open(tx.reader()).expect("open") {
            Sql::Postgres(mut db) => {
                use zora_store_sql::postgres::Db;
                zora_store_sql::postgres::query_as(
                db.keep(),
                "SELECT supplier_name::text, audited_on::text, highest_severity, findings::text, \
                   to_jsonb(certifications)::text FROM zora_shop_supplier_audits \
                 WHERE tenant_id = $1 ORDER BY supplier_name",
            )
            .bind(tenant.0)
            .fetch_all(db.conn())
            .await
            .expect("read")
            }
            Sql::Sqlite(conn) => sqlx::query_as(
                "SELECT supplier_name, audited_on, highest_severity, findings, certifications \
             FROM zora_shop_supplier_audits WHERE tenant_id = ?1 ORDER BY supplier_name",
            )
            .bind(tenant.to_string())
            .fetch_all(conn)
            .await
            .map_err(zora_store_sql::sqlite::store_error)
            .expect("read"),
        };
    rows.into_iter()
        .map(|(name, day, highest, findings, certifications)| {
            (
                name,
                day,
                highest,
                serde_json::from_str(&findings).expect("findings"),
                serde_json::from_str(&certifications).expect("certifications"),
            )
        })
        .collect()
}

async fn audits_of_a_batch_are_recorded_with_their_journal(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (zora, fiber, _) = seed_shop(store.as_ref(), t.a).await;
    let mill = enqueue(
        store.as_ref(),
        t.a,
        json!({"brand_id": zora, "supplier_name": "  Hemp Mill Aarhus ", "audited_on": "2026-11-30",
               "findings": [
                   {"topic": "water use", "severity": "medium", "note": "above the sector's median"},
                   {"topic": "wages", "severity": "high"},
                   {"topic": "waste", "severity": "low"},
                   {"topic": "energy", "severity": "medium"}],
               "certifications": ["GOTS", "OEKO-TEX"]}),
    )
    .await;
    let dyehouse = enqueue(
        store.as_ref(),
        t.a,
        json!({"brand_id": fiber, "supplier_name": "Dye House", "audited_on": "2026-01-02", "findings": []}),
    )
    .await;
    let summary = executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(summary.completed, 2, "{summary:?}");

    let audited = task(store.as_ref(), t.a, mill).await;
    let result = audited.result.expect("result");
    assert_eq!(result["brand_id"], json!(zora));
    assert_eq!(result["findings"], 4);
    assert_eq!(result["highest_severity"], "high");
    assert!(
        result["audit_id"].as_str().is_some_and(|id| id.len() == 36),
        "{result}"
    );
    assert_eq!(
        audited.result_summary.as_deref(),
        Some("Recorded the audit of Hemp Mill Aarhus (4 findings, highest high)")
    );
    let empty = task(store.as_ref(), t.a, dyehouse).await;
    assert_eq!(
        empty.result.expect("result")["highest_severity"],
        Value::Null
    );
    assert_eq!(
        empty.result_summary.as_deref(),
        Some("Recorded the audit of Dye House (0 findings, highest none)")
    );

    let rows = stored(store.as_ref(), t.a).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (name, day, highest, findings, certifications) = &rows[1];
    assert_eq!(name, "Hemp Mill Aarhus", "trimmed");
    assert_eq!(day, "2026-11-30");
    assert_eq!(highest.as_deref(), Some("high"));
    assert_eq!(
        findings[0],
        json!({"topic": "water use", "severity": "medium", "note": "above the sector's median"})
    );
    assert_eq!(findings.as_array().map(Vec::len), Some(4));
    assert_eq!(certifications, &["GOTS", "OEKO-TEX"]);
    assert_eq!(rows[0].2, None, "no findings, no highest severity");
    assert!(
        stored(store.as_ref(), t.b).await.is_empty(),
        "the other tenant's"
    );

    let journal = journal_of(&backend, t.a, mill).await;
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].category, "zora_shop");
    assert_eq!(journal[0].details["event_type"], "supplier_audit_recorded");
    assert_eq!(
        journal[0].details["findings_by_severity"],
        json!({"low": 1, "medium": 2, "high": 1})
    );
    assert_eq!(journal[0].details["audit_id"], result["audit_id"]);
}

async fn every_payload_rule_is_refused_by_its_field_and_writes_nothing(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (zora, _, _) = seed_shop(store.as_ref(), t.a).await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let finding = json!({"topic": "wages", "severity": "low"});
    let cases = [
        (
            json!({"supplier_name": "Mill", "audited_on": "2026-01-01"}),
            "brand_id",
            "Missing required fields: brand_id, supplier_name and audited_on",
        ),
        (
            json!({"brand_id": zora, "supplier_name": " ", "audited_on": "2026-01-01"}),
            "supplier_name",
            "Missing required fields: brand_id, supplier_name and audited_on",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "x".repeat(201), "audited_on": "2026-01-01"}),
            "supplier_name",
            "supplier_name is longer than 200 characters",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "Mill", "audited_on": "01/02/2026"}),
            "audited_on",
            "audited_on: '01/02/2026' is not a date as YYYY-MM-DD",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "Mill", "audited_on": tomorrow}),
            "audited_on",
            "is in the future",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "Mill", "audited_on": "2026-01-01", "findings": vec![finding; 51]}),
            "findings",
            "findings has 51 items; at most 50 are allowed",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "Mill", "audited_on": "2026-01-01", "findings": [{"topic": "wages", "severity": "severe"}]}),
            "findings[0].severity",
            "unknown variant `severe`",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "Mill", "audited_on": "2026-01-01", "findings": [{"topic": "wages", "severity": "low"}, {"topic": "", "severity": "low"}]}),
            "findings[1].topic",
            "findings[1].topic must not be empty",
        ),
        (
            json!({"brand_id": zora, "supplier_name": "Mill", "audited_on": "2026-01-01", "certifications": "GOTS"}),
            "certifications",
            "certifications: invalid type",
        ),
    ];
    for (payload, field, message) in cases {
        // At create time: refused by the field, nothing inserted.
        let error = refused_at_create(store.as_ref(), t.a, &payload).await;
        assert_eq!(error.field.as_deref(), Some(field), "{payload}");
        assert!(
            error.message.contains(message),
            "{payload}: {}",
            error.message
        );
        // Enqueued around the check (as ZORA CORE's own code may): fails at run, the same.
        let id = enqueue(store.as_ref(), t.a, payload.clone()).await;
        let task = run(&store, t.a, id).await;
        assert_eq!(task.status, TaskStatus::Failed, "{payload}");
        assert!(
            task.error_message
                .as_deref()
                .is_some_and(|m| m.contains(message)),
            "{payload}: {:?}",
            task.error_message
        );
        assert!(journal_of(&backend, t.a, id).await.is_empty());
    }
    assert!(
        stored(store.as_ref(), t.a).await.is_empty(),
        "nothing written"
    );
}

async fn a_brand_of_another_tenant_is_refused_at_create_and_at_run(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (theirs, _, _) = seed_shop(store.as_ref(), t.b).await;
    let payload = json!({"brand_id": theirs, "supplier_name": "Mill", "audited_on": "2026-01-01"});
    let message = format!("Brand {theirs} not found or does not belong to tenant");
    let error = refused_at_create(store.as_ref(), t.a, &payload).await;
    assert_eq!(error.field.as_deref(), Some("brand_id"));
    assert_eq!(error.message, message);
    let id = enqueue(store.as_ref(), t.a, payload).await;
    let task = run(&store, t.a, id).await;
    assert_eq!(task.status, TaskStatus::Failed);
    assert_eq!(task.error_message.as_deref(), Some(message.as_str()));
    assert!(stored(store.as_ref(), t.a).await.is_empty());
    assert!(stored(store.as_ref(), t.b).await.is_empty());
}
