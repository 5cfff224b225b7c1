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

/// The console's reads: a task's journal (the entries naming it, in its lifetime, of its
/// tenant only), the counts per state, and the list by words of the title.
pub async fn a_tasks_journal_its_states_counted_and_titles_searched(store: &Subject) {
    let store = store.store();
    let t = two_tenants(store).await;
    let mut tx = store.begin().await.expect("begin");
    // Made (and so numbered, and inserted) before the other: the first in creation order.
    let named = tx
        .insert_task(&super::task(t.a, "kind.a", "Weekly CLIMATE review"))
        .await
        .expect("insert");
    let mut gated = super::task(t.a, "kind.a", "Needs a Decision");
    gated.requires_approval = true;
    tx.insert_task(&gated).await.expect("insert");
    tx.insert_task(&super::task(t.b, "kind.a", "Weekly climate review"))
        .await
        .expect("insert");
    let about = |tenant, task_id: String, title: &str| NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: tenant,
        category: JournalCategory::SystemEvent,
        title: title.into(),
        body: None,
        details: json!({"event_type": "test_event", "task_id": task_id}),
        author: None,
    };
    tx.insert_journal_entries(&[
        about(t.a, named.id.to_string(), "first about it"),
        about(t.a, zora_core::TaskId::new().to_string(), "about another"),
        about(t.b, named.id.to_string(), "another tenant's"),
    ])
    .await
    .expect("journal");
    tx.commit().await.expect("commit");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut tx = store.begin().await.expect("begin");
    tx.insert_journal_entries(&[about(t.a, named.id.to_string(), "second about it")])
        .await
        .expect("journal");
    tx.commit().await.expect("commit");

    let entries = store.task_journal(&named).await.expect("journal");
    let titles: Vec<&str> = entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        ["first about it", "second about it"],
        "its own, oldest first"
    );

    let counts = store.count_states(t.a).await.expect("counts");
    let count = |state| {
        counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(count(zora_core::TaskState::Available), 1);
    assert_eq!(count(zora_core::TaskState::AwaitingApproval), 1);
    assert_eq!(
        counts.iter().map(|(_, n)| n).sum::<u64>(),
        2,
        "tenant a's only"
    );

    let titled = |text: &str| zora_core::TaskFilter {
        title_contains: Some(text.into()),
        ..zora_core::TaskFilter::default()
    };
    let found = store
        .list_tasks(t.a, &titled("climate rev"), Page::default())
        .await
        .expect("list");
    assert_eq!(found.total, 1, "any case, tenant a's only");
    assert_eq!(found.items[0].id, named.id);
    let none = store
        .list_tasks(t.a, &titled("100%_"), Page::default())
        .await
        .expect("list");
    assert_eq!(
        none.total, 0,
        "the text is matched as text, not as a pattern"
    );

    let ordered = |order| zora_core::TaskFilter {
        order,
        ..zora_core::TaskFilter::default()
    };
    let ids = |page: zora_core::Paginated<zora_core::Task>| {
        page.items.into_iter().map(|t| t.id).collect::<Vec<_>>()
    };
    let newest = store
        .list_tasks(t.a, &ordered(zora_core::TaskOrder::Newest), Page::default())
        .await
        .expect("list");
    let oldest = store
        .list_tasks(t.a, &ordered(zora_core::TaskOrder::Oldest), Page::default())
        .await
        .expect("list");
    assert_eq!(ids(oldest)[0], named.id, "the first created first");
    assert_eq!(ids(newest)[1], named.id, "the first created last");

    let claimed = store
        .claim_tasks(&super::claim_for(t.a, &["kind.a"], 10, "console-suite"))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "the one runnable task");
    let mut tx = store.begin().await.expect("begin");
    tx.complete_tasks(&[zora_core::Completion {
        lease: claimed[0].lease().expect("leased"),
        result: json!({}),
        summary: "done".into(),
    }])
    .await
    .expect("complete");
    tx.commit().await.expect("commit");
    let minutes = store.finished_per_minute(t.a).await.expect("per minute");
    assert_eq!(minutes.len(), 1, "{minutes:?}");
    assert_eq!((minutes[0].completed, minutes[0].failed), (1, 0));
    assert!(minutes[0].minute <= chrono::Utc::now());
    assert!(minutes[0].minute > chrono::Utc::now() - chrono::Duration::minutes(2));
    assert!(
        store
            .finished_per_minute(t.b)
            .await
            .expect("per minute")
            .is_empty()
    );
}
