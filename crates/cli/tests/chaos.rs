//! `zora chaos --quick` on each store: workers SIGKILLed throughout, PostgreSQL (a cluster
//! of the run's own) stopped fast and then immediately mid-run, and every count that must
//! be zero is zero, with tasks completed, failed as meant, and run twice all present (so
//! the run did exercise each path).

mod common;

use common::{json, run, zora};

fn quick_chaos(store: &str) -> serde_json::Value {
    let output = run(&mut zora(&["chaos", "--quick", "--store", store, "--json"]));
    let report = json(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{report:#}\n{}",
        common::stderr(&output)
    );
    let runs = report.as_array().expect("one report per store");
    assert_eq!(runs.len(), 1, "{report:#}");
    runs[0].clone()
}

fn assert_sound(run: &serde_json::Value) {
    assert_eq!(run["passed"], true, "{run:#}");
    assert_eq!(run["tasks"], 2000, "{run:#}");
    for check in run["checks"].as_array().expect("checks") {
        assert_eq!(check["found"], 0, "{check}");
    }
    assert!(
        run["checks"].as_array().expect("checks").len() >= 14,
        "{run:#}"
    );
    assert!(run["worker_kills"].as_u64().expect("kills") > 3, "{run:#}");
    assert_eq!(run["worker_exits"], serde_json::json!([]), "{run:#}");
    let outcomes = &run["outcomes"];
    assert!(
        outcomes["completed"].as_i64().expect("completed") > 1_500,
        "{run:#}"
    );
    assert!(outcomes["failed"].as_i64().expect("failed") > 0, "{run:#}");
    assert!(
        outcomes["run_more_than_once"].as_i64().expect("rerun") > 0,
        "{run:#}"
    );
}

#[test]
fn chaos_on_sqlite_loses_and_doubles_nothing() {
    let run = quick_chaos("sqlite");
    assert_sound(&run);
    assert_eq!(run["database_restarts"], serde_json::json!([]));
}

#[test]
fn chaos_on_postgres_survives_kills_and_two_server_restarts() {
    let run = quick_chaos("postgres");
    assert_sound(&run);
    assert_eq!(
        run["database_restarts"],
        serde_json::json!(["fast", "immediate"])
    );
}
