//! The engine knows no domain: no Rust source of the engine's crates names one of ZORA's
//! tables, and none but the stores names one of its Rust types (the stores only run what
//! the domain hands them). A new task type with its own table is then a module of a
//! domain crate, never a change to the engine.

use std::path::{Path, PathBuf};

/// ZORA's domain tables.
const DOMAIN_TABLES: [&str; 6] = [
    "climate_missions",
    "zora_shop_projects",
    "product_climate_meta",
    "climate_plans",
    "climate_plan_items",
    "climate_profiles",
];

/// The domain's Rust types: its ids, rows and the rows its tasks produce.
const DOMAIN_TYPES: [&str; 20] = [
    "ProfileId",
    "PlanId",
    "PlanItemId",
    "MissionId",
    "BrandId",
    "ProductId",
    "ClimateMetaId",
    "ShopProjectId",
    "ClimateRows",
    "ShopRows",
    "Mission",
    "NewMission",
    "WeeklyPlan",
    "NewPlan",
    "PlanItem",
    "ShopProject",
    "NewShopProject",
    "ProductClimateMeta",
    "ClimateProfile",
    "zora_domain",
];

/// The engine's crates, whose `src/` must name neither.
const ENGINE_CRATES: [&str; 6] = [
    "core",
    "engine",
    "api",
    "store-sql",
    "store-postgres",
    "store-sqlite",
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a readable source");
                found.push((path, text));
            }
        }
    }
    assert!(!found.is_empty(), "no source under {}", dir.display());
    found
}

/// Whether `word` occurs in `text` as a whole identifier.
fn names(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn no_engine_source_names_a_domain_table_or_type() {
    let mut found = Vec::new();
    for krate in ENGINE_CRATES {
        for (path, text) in sources(&crates_dir().join(krate).join("src")) {
            for word in DOMAIN_TABLES.iter().chain(&DOMAIN_TYPES) {
                if names(&text, word) {
                    found.push(format!("{} names {word}", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_finds_what_it_looks_for() {
    let own = sources(&crates_dir().join("domain").join("src"));
    for table in DOMAIN_TABLES {
        assert!(
            own.iter().any(|(_, text)| names(text, table)),
            "the domain names {table}"
        );
    }
    assert!(names("INSERT INTO climate_missions (", "climate_missions"));
    assert!(!names("my_climate_missions_view", "climate_missions"));
    assert!(!names("MissionIds", "MissionId"));
}
