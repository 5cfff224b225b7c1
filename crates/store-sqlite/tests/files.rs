//! The SQLite file itself: created and migrated on open, reopened as a no-op, opened by
//! two stores at once, its pragmas, and timestamps written by SQL and by Rust.

use std::time::Duration;

use chrono::Utc;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Queue};
use zora_testkit::TestSqlite;

#[tokio::test]
async fn a_new_file_is_created_migrated_and_holds_the_default_tenant() {
    let files = TestSqlite::new();
    assert!(!files.path().exists());
    let state = zora_store_sqlite::inspect(&files.url(), &[zora_domain::migrations::SQLITE])
        .await
        .expect("inspect");
    assert_eq!(
        state.pending,
        zora_store_sqlite::migration_labels(&[zora_domain::migrations::SQLITE]),
        "nothing yet"
    );
    assert!(!files.path().exists(), "inspecting creates nothing");

    let store = files.store().await;
    assert_eq!(
        store.migrated_on_open(),
        zora_store_sqlite::migration_labels(&[zora_domain::migrations::SQLITE])
    );
    assert!(store.schema_state().await.expect("state").is_current());
    let (name, slug): (String, String) = sqlx::query_as(
        "SELECT name, slug FROM tenants WHERE id = '00000000-0000-0000-0000-000000000001'",
    )
    .fetch_one(store.writer())
    .await
    .expect("default tenant");
    assert_eq!(
        (name.as_str(), slug.as_str()),
        ("Default tenant", "default")
    );
    let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.writer())
        .await
        .expect("pragma");
    assert_eq!(journal_mode, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.writer())
        .await
        .expect("pragma");
    assert_eq!(foreign_keys, 1);
    store.close().await;

    let again = files.store().await;
    assert!(
        again.migrated_on_open().is_empty(),
        "opening twice migrates nothing"
    );
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(again.writer())
        .await
        .expect("count");
    assert_eq!(
        usize::try_from(versions).expect("count"),
        zora_store_sqlite::migration_labels(&[zora_domain::migrations::SQLITE]).len()
    );
}

#[tokio::test]
async fn two_stores_opening_a_new_file_at_once_both_work() {
    let files = TestSqlite::new();
    let (options, url) = (zora_testkit::sqlite::store_options(), files.url());
    let (a, b) = tokio::join!(
        zora_store_sqlite::open(&url, &options),
        zora_store_sqlite::open(&url, &options)
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(
        a.migrated_on_open().len() + b.migrated_on_open().len(),
        zora_store_sqlite::migration_labels(&[zora_domain::migrations::SQLITE]).len(),
        "migrated once"
    );
    let mut tx = a.begin().await.expect("begin");
    let task = NewTask::new(
        DEFAULT_TENANT_ID,
        "SAM",
        "kind.a",
        "written by a",
        serde_json::json!({}),
    );
    tx.insert_task(&task).await.expect("insert");
    tx.commit().await.expect("commit");
    assert!(
        b.get_task(DEFAULT_TENANT_ID, task.id)
            .await
            .expect("get")
            .is_some(),
        "b reads what a wrote"
    );
}

#[tokio::test]
async fn timestamps_written_by_sql_and_by_rust_compare_in_time_order() {
    let files = TestSqlite::new();
    let store = files.store().await;
    // `run_at` written by Rust, `created_at` by the SQL default, a few milliseconds apart.
    let rust_first = Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut sql_later = NewTask::new(
        DEFAULT_TENANT_ID,
        "SAM",
        "kind.a",
        "sql default",
        serde_json::json!({}),
    );
    sql_later.run_at = Some(rust_first);
    let mut tx = store.begin().await.expect("begin");
    let stored = tx.insert_task(&sql_later).await.expect("insert");
    tx.commit().await.expect("commit");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let rust_last = Utc::now();
    let mut rust_later = NewTask::new(
        DEFAULT_TENANT_ID,
        "SAM",
        "kind.a",
        "rust",
        serde_json::json!({}),
    );
    rust_later.run_at = Some(rust_last);
    let mut tx = store.begin().await.expect("begin");
    tx.insert_task(&rust_later).await.expect("insert");
    tx.commit().await.expect("commit");

    assert!(
        stored.run_at < stored.created_at,
        "Rust's earlier instant sorts first"
    );
    let (sql_after_rust, rust_after_sql): (bool, bool) = sqlx::query_as(
        "SELECT a.created_at > a.run_at, b.run_at > a.created_at \
         FROM agent_tasks a, agent_tasks b WHERE a.id = ?1 AND b.id = ?2",
    )
    .bind(sql_later.id.to_string())
    .bind(rust_later.id.to_string())
    .fetch_one(store.writer())
    .await
    .expect("compare");
    assert!(
        sql_after_rust && rust_after_sql,
        "text order is time order, whichever wrote it"
    );
    let (created, run_at): (String, String) =
        sqlx::query_as("SELECT created_at, run_at FROM agent_tasks WHERE id = ?1")
            .bind(sql_later.id.to_string())
            .fetch_one(store.writer())
            .await
            .expect("raw");
    assert_eq!(created.len(), run_at.len(), "one fixed-width format");
    assert!(created.ends_with('Z') && run_at.ends_with('Z'));
}

#[tokio::test]
async fn a_file_migrated_before_the_domain_had_its_own_migrations_opens_in_place() {
    use sqlx::sqlite::SqliteConnectOptions;
    use std::str::FromStr;
    use zora_store_sql::EmbeddedMigrations;
    use zora_testkit::fixtures::before_domain_migrations::{SQLITE, as_before};

    let files = TestSqlite::new();
    {
        let options = SqliteConnectOptions::from_str(&files.url())
            .expect("url")
            .create_if_missing(true)
            .foreign_keys(true);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
            .await
            .expect("a new file");
        sqlx::migrate::Migrator::new(EmbeddedMigrations::of(&[as_before(
            zora_store_sqlite::QUEUE_MIGRATIONS,
            &SQLITE,
        )]))
        .await
        .expect("the old migrations")
        .run(&mut conn)
        .await
        .expect("applied as before");
        sqlx::query(
            "INSERT INTO climate_profiles (id, tenant_id, name) \
             VALUES ('00000000-0000-0000-0000-0000000000aa', '00000000-0000-0000-0000-000000000001', 'kept')",
        )
        .execute(&mut conn)
        .await
        .expect("a row");
    }

    let store = files.store().await;
    let domain: Vec<String> =
        zora_store_sqlite::migration_labels(&[zora_domain::migrations::SQLITE])
            .into_iter()
            .filter(|label| label.as_str() > "1000")
            .collect();
    assert!(!domain.is_empty());
    assert_eq!(
        store.migrated_on_open(),
        domain,
        "the domain's migrations only"
    );
    assert!(store.schema_state().await.expect("state").is_current());
    let kept: String = sqlx::query_scalar("SELECT name FROM climate_profiles")
        .fetch_one(store.writer())
        .await
        .expect("the row");
    assert_eq!(kept, "kept");
    store.close().await;
    let again = files.store().await;
    assert!(
        again.migrated_on_open().is_empty(),
        "a second open is a no-op"
    );
}
