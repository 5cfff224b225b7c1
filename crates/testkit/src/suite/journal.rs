//! Suite cases for the journal.

use crate::Subject;
use serde_json::json;
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{JournalEntryId, Page};

use super::two_tenants;

pub async fn entries_list_newest_first_per_tenant(store: &Subject) {
    let (store, inspect) = (store.store(), store.inspect());
    let t = two_tenants(store).await;
    let entry = |category, title: &str| NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: t.a,
        category,
        title: title.into(),
        body: Some("body".into()),
        details: json!({"event_type": "climate_mission_created", "task_id": "x", "n": 1.5}),
        author: Some("ORACLE".into()),
    };
    let first = entry(JournalCategory::ClimateAction, "first");
    let second = entry(JournalCategory::ZoraShop, "second");
    let mut tx = store.begin().await.expect("begin");
    tx.insert_journal_entries(std::slice::from_ref(&first))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut tx = store.begin().await.expect("begin");
    tx.insert_journal_entries(std::slice::from_ref(&second))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let page = inspect.journal(t.a, Page::default()).await;
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, second.id, "newest first");
    assert_eq!(page.items[0].category, "zora_shop");
    assert_eq!(page.items[1].category, "climate_action");
    assert_eq!(
        page.items[1].details, first.details,
        "details come back as the same object"
    );
    assert_eq!(page.items[1].author.as_deref(), Some("ORACLE"));
    assert!(
        page.items[0].created_at > page.items[1].created_at,
        "timestamps compare"
    );
    assert_eq!(inspect.journal(t.b, Page::default()).await.total, 0);
}
