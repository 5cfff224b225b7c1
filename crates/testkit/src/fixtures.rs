//! ZORA CORE databases as they exist in the wild, for migration tests: the 2.2 schema
//! (with its quirks), rows in every table, and the 3.x additions.

/// `zora_core_2_2.sql`: the reference DDL of a live ZORA CORE 2.2 database (copied from
/// the spec, `shared/spec/`).
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
