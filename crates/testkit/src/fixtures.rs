//! ZORA CORE databases as they exist in the wild, for migration tests: the 2.2 schema
//! (with its quirks), rows in every table, the 3.x additions; and the queue's migrations
//! as the engine applied them before the domain had migrations of its own.

/// `zora_core_2_2.sql`: the reference DDL of a live ZORA CORE 2.2 database (ZORA CORE's
/// reference schema).
pub const ZORA_CORE_2_2: &str = include_str!("../fixtures/zora_core_2_2.sql");

/// `zora_core_3x_additions.sql`: what a 3.x database adds on top of 2.2.
pub const ZORA_CORE_3X_ADDITIONS: &str = include_str!("../fixtures/zora_core_3x_additions.sql");

/// Rows in every table, an unrelated table, and row-level security with ZORA CORE's
/// allow-all policy.
pub const EXISTING_ROWS: &str = include_str!("../fixtures/existing_rows.sql");

/// The tables of [`EXISTING_ROWS`], the unrelated one included.
pub const FIXTURE_TABLES: [&str; 14] = [
    "tenants",
    "users",
    "journal_entries",
    "climate_profiles",
    "climate_missions",
    "climate_plans",
    "climate_plan_items",
    "brands",
    "products",
    "product_climate_meta",
    "zora_shop_projects",
    "agent_commands",
    "agent_tasks",
    "agent_memories",
];

/// The queue's migrations whose text changed when the domain's tables moved to the
/// domain's own set, as databases applied them before: `(version, text)`.
pub mod before_domain_migrations {
    /// PostgreSQL: `0001 zora core baseline`, `0003 engine columns`.
    pub const POSTGRES: [(i64, &str); 2] = [
        (
            1,
            include_str!(
                "../fixtures/before_domain_migrations/postgres/0001_zora_core_baseline.sql"
            ),
        ),
        (
            3,
            include_str!("../fixtures/before_domain_migrations/postgres/0003_engine_columns.sql"),
        ),
    ];

    /// SQLite: `0001 schema`, `0006 profile indexes`.
    pub const SQLITE: [(i64, &str); 2] = [
        (
            1,
            include_str!("../fixtures/before_domain_migrations/sqlite/0001_schema.sql"),
        ),
        (
            6,
            include_str!("../fixtures/before_domain_migrations/sqlite/0006_profile_indexes.sql"),
        ),
    ];

    /// `set`'s migrations with `old`'s texts in place of theirs: the queue as an earlier
    /// engine applied it.
    pub fn as_before(
        set: zora_store_sql::MigrationSet,
        old: &[(i64, &'static str)],
    ) -> zora_store_sql::MigrationSet {
        let files: Vec<zora_store_sql::MigrationFile> = set
            .files
            .iter()
            .map(|&(version, description, sql)| {
                let text = old
                    .iter()
                    .find(|(v, _)| *v == version)
                    .map_or(sql, |(_, t)| t);
                (version, description, text)
            })
            .collect();
        zora_store_sql::MigrationSet {
            files: Box::leak(files.into_boxed_slice()),
            superseded: &[],
            ..set
        }
    }
}
