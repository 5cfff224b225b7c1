//! The migrations on a real PostgreSQL: an empty database, a live ZORA CORE 2.2 database
//! with rows (and with the 3.x additions), twice, concurrently, after a failed index
//! build, and beside a table of another shape.

use std::collections::BTreeSet;

use zora_core::SchemaState;
use zora_store_sql::MigrationSet;
use zora_testkit::TestDatabase;
use zora_testkit::catalog;
use zora_testkit::fixtures::{
    EXISTING_ROWS, FIXTURE_TABLES, ZORA_CORE_2_2, ZORA_CORE_3X_ADDITIONS,
};

/// The queue's migrations run with ZORA's domain's, as the binary runs them.
const DOMAINS: &[MigrationSet] = &[zora_domain::migrations::POSTGRES];

/// The labels of the domain's migrations, which run after the queue's.
fn domain_labels() -> Vec<String> {
    zora_store_postgres::migration_labels(DOMAINS)
        .into_iter()
        .filter(|label| {
            label
                .split(' ')
                .next()
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > zora_store_sql::DOMAIN_VERSIONS)
        })
        .collect()
}

/// The indexes the engine adds to ZORA CORE 2.2's, the queue's and the domain's.
fn engine_indexes() -> impl Iterator<Item = &'static &'static str> {
    zora_store_postgres::migrate::ENGINE_INDEXES
        .iter()
        .chain(zora_domain::migrations::ENGINE_INDEXES)
}

/// Lines of the engine's catalog that are additions to ZORA CORE 2.2's, by prefix.
fn is_engine_addition(line: &str) -> bool {
    const ADDED_COLUMNS: [&str; 15] = [
        "attempts",
        "max_attempts",
        "run_at",
        "lease_owner",
        "lease_expires_at",
        "idempotency_key",
        "errors",
        "completed_by",
        "cancelled_at",
        "requires_approval",
        "approved_by_user_id",
        "approved_at",
        "rejected_by_user_id",
        "rejected_at",
        "decision_reason",
    ];
    ADDED_COLUMNS
        .iter()
        .any(|c| line.starts_with(&format!("column agent_tasks.{c} ")))
        || line.starts_with("column climate_missions.notes ")
        || line.contains("agent_task_dependencies")
        || line.contains("agent_task_workers")
        || line.contains("agent_task_waiters")
        || line.contains("agent_task_schedule")
        || line.contains("agent_task_leaders")
        || line.contains("agent_task_types")
        || line.contains("agent_model_usage")
        || line.contains("agent_tasks_notify")
        || line.contains("_sqlx_migrations")
        || line.starts_with("constraint agent_tasks.agent_tasks_approved_by_user_id_fkey ")
        || line.starts_with("constraint agent_tasks.agent_tasks_rejected_by_user_id_fkey ")
        || engine_indexes().any(|i| line.starts_with(&format!("index {i} ")))
        || zora_domain::migrations::ENGINE_TABLES
            .iter()
            .any(|t| line.contains(t))
}

/// 2.2's catalog with the stated differences of a fresh engine database.
fn expected_fresh_catalog(reference: &BTreeSet<String>) -> BTreeSet<String> {
    const UNUSED_ENUMS: [&str; 4] = [
        "plan_status",
        "plan_item_status",
        "product_status",
        "zora_shop_project_status",
    ];
    reference
        .iter()
        .filter(|line| !UNUSED_ENUMS.iter().any(|e| line.starts_with(&format!("enum {e} "))))
        .map(|line| {
            for table in ["journal_entries", "climate_profiles", "climate_missions"] {
                let nullable = format!("column {table}.tenant_id uuid default=");
                if let Some(rest) = line.strip_prefix(&nullable) {
                    return format!("column {table}.tenant_id uuid not null default={rest}");
                }
            }
            if line.starts_with("enum journal_category ") {
                return line.replace("autonomy)", "autonomy,climate_action,zora_shop)");
            }
            if line.starts_with("table agent_tasks ") {
                return line.replace(
                    "options=",
                    "options=fillfactor=80,autovacuum_vacuum_scale_factor=0.02,autovacuum_analyze_scale_factor=0.02",
                );
            }
            line.clone()
        })
        .collect()
}

#[tokio::test]
async fn fresh_database_has_zora_core_2_2s_catalog_plus_the_additions() {
    let reference = TestDatabase::create().await;
    reference.run_script(ZORA_CORE_2_2).await;
    let engine = TestDatabase::migrated().await;

    let want = expected_fresh_catalog(&catalog::snapshot(reference.pool()).await);
    let have: BTreeSet<String> = catalog::snapshot(engine.pool())
        .await
        .into_iter()
        .filter(|line| !is_engine_addition(line))
        .collect();
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "catalog differs from zora_core_2_2.sql beyond the stated differences\nmissing: {missing:#?}\nextra: {extra:#?}"
    );

    let tenant: (String, Option<String>) =
        sqlx::query_as("SELECT name::text, slug::text FROM tenants WHERE id = '00000000-0000-0000-0000-000000000001'")
            .fetch_one(engine.pool())
            .await
            .expect("default tenant");
    assert_eq!(tenant, ("Default tenant".into(), Some("default".into())));
    let additions = catalog::snapshot(engine.pool()).await;
    for expected in [
        "column agent_tasks.run_at timestamp with time zone not null default=now()",
        "column agent_tasks.errors jsonb not null default='[]'::jsonb",
        "column agent_tasks.attempts integer not null default=0",
        "column climate_missions.notes text default=none",
    ] {
        assert!(additions.contains(expected), "missing addition: {expected}");
    }
    for index in engine_indexes() {
        assert!(
            additions
                .iter()
                .any(|l| l.starts_with(&format!("index {index} ")) && !l.ends_with("INVALID")),
            "missing index {index}"
        );
    }
}

#[tokio::test]
async fn migrating_twice_is_a_noop() {
    let db = TestDatabase::migrated().await;
    let before = catalog::snapshot(db.pool()).await;
    let report = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("second migrate");
    assert!(report.is_noop(), "{report:?}");
    assert_eq!(catalog::snapshot(db.pool()).await, before);
    let state = zora_store_postgres::schema_state(db.pool(), DOMAINS)
        .await
        .expect("state");
    assert!(state.is_current() && state.unknown_applied.is_empty());
}

/// Builds a live-looking ZORA CORE database, migrates it twice, and checks that every
/// pre-existing row is unchanged and the additions are present.
async fn migrate_existing(with_3x: bool) -> TestDatabase {
    let db = TestDatabase::create().await;
    db.run_script(ZORA_CORE_2_2).await;
    db.run_script(EXISTING_ROWS).await;
    if with_3x {
        db.run_script(ZORA_CORE_3X_ADDITIONS).await;
    }
    let columns = catalog::columns(db.pool(), &FIXTURE_TABLES).await;
    let rows_before = catalog::rows(db.pool(), &FIXTURE_TABLES, Some(&columns)).await;
    let catalog_before = catalog::snapshot(db.pool()).await;

    let report = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("migrate a live database");
    assert_eq!(
        report.applied,
        zora_store_postgres::migration_labels(DOMAINS),
        "{report:?}"
    );

    let rows_after = catalog::rows(db.pool(), &FIXTURE_TABLES, Some(&columns)).await;
    assert_eq!(
        rows_after, rows_before,
        "every pre-existing row is identical"
    );
    let catalog_after = catalog::snapshot(db.pool()).await;
    let lost: Vec<_> = catalog_before
        .iter()
        .filter(|line| !catalog_after.contains(*line))
        .filter(|line| {
            !line.starts_with("enum journal_category ") && !line.starts_with("table agent_tasks ")
        })
        .collect();
    assert!(
        lost.is_empty(),
        "the migration changed what it did not create: {lost:#?}"
    );
    for expected in [
        "column climate_missions.notes text default=none",
        "column agent_tasks.lease_owner text default=none",
        "enum journal_category (release,decision,model_update,experiment,milestone,incident,config_change,agent_action,user_feedback,system_event,autonomy,climate_action,zora_shop)",
    ] {
        assert!(
            catalog_after.contains(expected),
            "missing addition: {expected}"
        );
    }
    // The quirks survive: the late tenant_id columns stay nullable, and rows without one stay.
    assert!(catalog_after.contains(
        "column journal_entries.tenant_id uuid default='00000000-0000-0000-0000-000000000001'::uuid"
    ));
    assert!(
        catalog_after.contains("table agent_memories rls=t options="),
        "row-level security stays on"
    );

    let again = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("second migrate");
    assert!(again.is_noop(), "{again:?}");
    assert_eq!(
        catalog::snapshot(db.pool()).await,
        catalog_after,
        "a second migrate changes nothing"
    );
    db
}

#[tokio::test]
async fn existing_zora_core_2_2_database_keeps_every_row() {
    let db = migrate_existing(false).await;
    let check: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'agent_tasks_agent_id_check'",
    )
    .fetch_one(db.pool())
    .await
    .expect("check");
    assert!(check.contains("CONNOR"), "{check}");
}

#[tokio::test]
async fn existing_zora_core_3x_database_keeps_its_constraints_and_tables() {
    let db = migrate_existing(true).await;
    let check: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'agent_tasks_agent_id_check'",
    )
    .fetch_one(db.pool())
    .await
    .expect("check");
    assert!(
        check.contains("ODIN") && !check.contains("CONNOR"),
        "3.x's CHECK is left alone: {check}"
    );
    let approval_fks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'agent_tasks'::regclass AND contype = 'f' \
         AND conname LIKE '%approved_by%'",
    )
    .fetch_one(db.pool())
    .await
    .expect("fks");
    assert_eq!(
        approval_fks, 1,
        "no second foreign key on 3.x's approval column"
    );
    let untouched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_name IN ('agent_task_policies', 'autonomy_schedules')",
    )
    .fetch_one(db.pool())
    .await
    .expect("3.x tables");
    assert_eq!(untouched, 8 + 9, "3.x's own tables keep their columns");
}

#[tokio::test]
async fn an_invalid_index_left_by_a_failed_build_is_rebuilt() {
    let db = TestDatabase::migrated().await;
    // Make a concurrent unique build fail on duplicates: it leaves an INVALID index of
    // the engine's name behind, which `IF NOT EXISTS` alone would skip.
    db.run_script(
        "DROP INDEX idx_agent_tasks_idempotency;
         INSERT INTO agent_tasks (tenant_id, agent_id, task_type, title, idempotency_key) VALUES
           ('00000000-0000-0000-0000-000000000001', 'SAM', 't', 'x', 'dup'),
           ('00000000-0000-0000-0000-000000000001', 'SAM', 't', 'y', 'dup');",
    )
    .await;
    let failed = sqlx::raw_sql(
        "CREATE UNIQUE INDEX CONCURRENTLY idx_agent_tasks_idempotency ON agent_tasks (tenant_id, idempotency_key) \
         WHERE idempotency_key IS NOT NULL",
    )
    .execute(db.pool())
    .await;
    assert!(failed.is_err(), "the duplicate makes the build fail");
    let state = zora_store_postgres::schema_state(db.pool(), DOMAINS)
        .await
        .expect("state");
    assert_eq!(
        state.pending,
        vec!["index idx_agent_tasks_idempotency".to_owned()]
    );

    db.run_script("DELETE FROM agent_tasks WHERE title = 'y'")
        .await;
    let report = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("migrate");
    assert_eq!(
        report.indexes_built,
        vec!["idx_agent_tasks_idempotency".to_owned()]
    );
    let valid: bool = sqlx::query_scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_agent_tasks_idempotency'::regclass",
    )
    .fetch_one(db.pool())
    .await
    .expect("index");
    assert!(valid);
}

#[tokio::test]
async fn a_database_from_before_0009_trades_the_due_claim_index_for_the_claimable_one() {
    let db = TestDatabase::migrated().await;
    // As a database migrated by an earlier engine stands: 0009 not applied, 0007's index.
    db.run_script(
        "DROP INDEX idx_agent_tasks_claimable;
         CREATE INDEX idx_agent_tasks_due ON agent_tasks (tenant_id, priority DESC, created_at, id, run_at) \
           WHERE status = 'pending';
         DELETE FROM _sqlx_migrations WHERE version = 9;",
    )
    .await;
    let report = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("migrate");
    assert_eq!(report.applied, ["0009 claimable index"]);
    assert_eq!(report.indexes_built, ["idx_agent_tasks_claimable"]);
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'agent_tasks' \
           AND indexname IN ('idx_agent_tasks_claim', 'idx_agent_tasks_due', 'idx_agent_tasks_claimable')",
    )
    .fetch_all(db.pool())
    .await
    .expect("indexes");
    assert_eq!(left, ["idx_agent_tasks_claimable"]);
}

#[tokio::test]
async fn a_table_of_another_shape_is_an_error_naming_it() {
    let (db, message, state) = migrated_beside("brands").await;
    assert!(!message.contains('\n'), "one line: {message}");
    assert!(message.contains(&domain_labels()[0]), "{message}");
    assert_eq!(
        state.pending,
        domain_labels(),
        "the queue's migrations applied, the domain's not half-applied"
    );
    let columns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'brands'",
    )
    .fetch_one(db.pool())
    .await
    .expect("columns");
    assert_eq!(columns, 2, "the table left as it was");
}

#[tokio::test]
async fn a_queue_table_of_another_shape_stops_the_first_migration() {
    let (_db, _message, state) = migrated_beside("agent_commands").await;
    assert_eq!(
        state.pending,
        zora_store_postgres::migration_labels(DOMAINS),
        "nothing was half-applied"
    );
}

/// Migrates a fresh database holding a `table` of another shape: the migration must fail
/// naming it. Returns the database, the error's message and the schema's state after.
async fn migrated_beside(table: &str) -> (TestDatabase, String, SchemaState) {
    let db = TestDatabase::create().await;
    db.run_script(&format!(
        "CREATE TABLE {table} (id integer PRIMARY KEY, label text)"
    ))
    .await;
    let message = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect_err("another shape")
        .to_string();
    assert!(
        message.contains(&format!("table {table} exists with another shape")),
        "{message}"
    );
    let state = zora_store_postgres::schema_state(db.pool(), DOMAINS)
        .await
        .expect("state");
    (db, message, state)
}

#[tokio::test]
async fn two_migrators_at_once_both_succeed() {
    let db = TestDatabase::create().await;
    let (a, b) = tokio::join!(
        zora_store_postgres::migrate(db.pool(), DOMAINS),
        zora_store_postgres::migrate(db.pool(), DOMAINS)
    );
    let (a, b) = (a.expect("first migrator"), b.expect("second migrator"));
    assert_eq!(
        a.applied.len() + b.applied.len(),
        zora_store_postgres::migration_labels(DOMAINS).len(),
        "each migration applied once: {a:?} {b:?}"
    );
    assert!(
        zora_store_postgres::schema_state(db.pool(), DOMAINS)
            .await
            .expect("state")
            .is_current()
    );
}

#[tokio::test]
async fn a_database_migrated_before_the_domain_had_its_own_migrations_migrates_in_place() {
    use zora_store_sql::EmbeddedMigrations;
    use zora_testkit::fixtures::before_domain_migrations::{POSTGRES, as_before};

    let queue = zora_store_postgres::QUEUE_MIGRATIONS;
    // The fixtures are the texts the superseded checksums were taken of.
    let before = as_before(queue, &POSTGRES);
    for old in queue.superseded {
        let (version, description, sql) = before
            .files
            .iter()
            .find(|(v, _, _)| *v == old.version)
            .copied()
            .expect("a fixture for each superseded migration");
        let checksum = sqlx::migrate::Migration::new(
            version,
            description.into(),
            sqlx::migrate::MigrationType::Simple,
            sql.into(),
            false,
        )
        .checksum;
        let hex: String = checksum.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, old.checksum_hex, "version {version}");
    }

    // The engine before: the queue's migrations in their old texts, which made the
    // domain's tables too, with a row in one of them.
    let db = TestDatabase::create().await;
    sqlx::migrate::Migrator::new(EmbeddedMigrations::of(&[before]))
        .await
        .expect("the old migrations")
        .run(db.pool())
        .await
        .expect("applied as before");
    db.run_script(
        "INSERT INTO climate_profiles (id, tenant_id, name) \
         VALUES ('00000000-0000-0000-0000-0000000000aa', '00000000-0000-0000-0000-000000000001', 'kept')",
    )
    .await;

    let report = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("migrate in place");
    assert_eq!(report.applied, domain_labels(), "{report:?}");
    let state = zora_store_postgres::schema_state(db.pool(), DOMAINS)
        .await
        .expect("state");
    assert!(state.is_current(), "{state:?}");
    let again = zora_store_postgres::migrate(db.pool(), DOMAINS)
        .await
        .expect("second migrate");
    assert!(again.is_noop(), "{again:?}");
    let kept: String = sqlx::query_scalar("SELECT name FROM climate_profiles")
        .fetch_one(db.pool())
        .await
        .expect("the row");
    assert_eq!(kept, "kept");

    // The same schema as a database made fresh by the new migrations.
    let fresh = TestDatabase::create().await;
    zora_store_postgres::migrate(fresh.pool(), DOMAINS)
        .await
        .expect("fresh");
    assert_eq!(
        catalog::snapshot(db.pool()).await,
        catalog::snapshot(fresh.pool()).await
    );
}
