//! The domain's own migrations, one set per backend, which a store applies after the
//! queue's (versions from `zora_store_sql::DOMAIN_VERSIONS` on): ZORA CORE's Climate OS
//! and ZORA SHOP tables, created where absent and left as they are where present.

use zora_store_sql::{MigrationSet, index, unique};

/// On PostgreSQL, with the indexes built concurrently after the migrations.
pub const POSTGRES: MigrationSet = MigrationSet {
    owner: "zora",
    files: &[
        (
            1001,
            "zora tables",
            include_str!("../migrations/postgres/1001_zora_tables.sql"),
        ),
        (
            1002,
            "supplier audits",
            include_str!("../migrations/postgres/1002_supplier_audits.sql"),
        ),
    ],
    superseded: &[],
    indexes: &[
        unique(
            "idx_climate_profiles_unique_primary",
            "climate_profiles (tenant_id) WHERE is_primary = true",
        ),
        index(
            "idx_climate_missions_tenant",
            "climate_missions (tenant_id)",
        ),
        index(
            "idx_climate_plan_items_plan",
            "climate_plan_items (plan_id, created_at, id)",
        ),
        index(
            "idx_zora_shop_supplier_audits_brand",
            "zora_shop_supplier_audits (tenant_id, brand_id)",
        ),
    ],
};

/// On SQLite (its indexes in the migration).
pub const SQLITE: MigrationSet = MigrationSet {
    owner: "zora",
    files: &[
        (
            1001,
            "zora tables",
            include_str!("../migrations/sqlite/1001_zora_tables.sql"),
        ),
        (
            1002,
            "supplier audits",
            include_str!("../migrations/sqlite/1002_supplier_audits.sql"),
        ),
    ],
    superseded: &[],
    indexes: &[],
};

/// The domain's tables beyond ZORA CORE 2.2's, for tests comparing the two catalogs.
pub const ENGINE_TABLES: &[&str] = &["zora_shop_supplier_audits"];

/// The domain's PostgreSQL indexes beyond ZORA CORE 2.2's, for tests comparing the two
/// catalogs.
pub const ENGINE_INDEXES: &[&str] = &[
    "idx_climate_missions_tenant",
    "idx_climate_plan_items_plan",
    "idx_zora_shop_supplier_audits_brand",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domains_versions_follow_the_queues() {
        for set in [POSTGRES, SQLITE] {
            assert!(
                set.files
                    .iter()
                    .all(|(version, _, _)| *version > zora_store_sql::DOMAIN_VERSIONS),
                "{}: every version above the queue's",
                set.owner
            );
        }
    }
}
