//! `zora bench --quick`: the command runs every line on both stores and reports each
//! (no figure is asserted: speed is what the command measures, not what tests check).

mod common;

use common::{json, run, stdout, zora, zora_on};

const LINES: [&str; 17] = [
    "limit: hand-written SQL, batches of 1",
    "limit: hand-written SQL, batches of 10",
    "limit: hand-written SQL, batches of 100",
    "engine: zora worker, concurrency 1",
    "engine: zora worker, concurrency 4",
    "engine: zora worker, concurrency 16",
    "mix: 4 types, 5% invalid, concurrency",
    "mix: 4 types, 5% invalid, a product per upsert",
    "pick-up latency p50",
    "pick-up latency p99",
    "create limit: a task and its journal entry",
    "api: POST /api/agents/tasks, 16",
    "api: GET /api/agents/tasks (a page of 50)",
    "api: GET /api/agents/tasks/{id}",
    "claims of 50 beside 1,000 finished",
    "claims of 50 beside 10,000 finished",
    "worker peak RSS",
];

#[tokio::test]
async fn a_quick_bench_reports_every_line_on_both_stores_and_leaves_nothing_behind() {
    let admin = zora_testkit::pg::admin_url();
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
    // Scratch databases left by other runs (a bench killed mid-way) are not this one's.
    let before = scratch_databases(&pool).await;
    let output = run(&mut zora_on(&admin, &["bench", "--quick", "--json"]));
    let rows = json(&output);
    let rows = rows.as_array().expect("rows");
    for store in ["sqlite", "postgres"] {
        for line in LINES {
            let row = rows
                .iter()
                .find(|r| {
                    r["store"] == store && r["line"].as_str().is_some_and(|l| l.starts_with(line))
                })
                .unwrap_or_else(|| panic!("no {store} line {line:?} in {rows:#?}"));
            let figure = row["value"].as_f64().expect("a figure");
            assert!(figure.is_finite() && figure >= 0.0, "{row}");
        }
    }
    // Every engine line drained its tasks (a rate needs them all done) and says its share.
    for row in rows
        .iter()
        .filter(|r| r["line"].as_str().is_some_and(|l| l.starts_with("engine")))
    {
        assert_eq!(row["tasks"], 300, "{row}");
        assert!(
            row["note"]
                .as_str()
                .is_some_and(|n| n.ends_with("% of the limit")),
            "{row}"
        );
    }
    // Its scratch database is gone.
    assert_eq!(
        scratch_databases(&pool).await,
        before,
        "the bench drops its scratch database"
    );
    pool.close().await;
}

async fn scratch_databases(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'zora_bench_%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("list databases")
}

#[test]
fn the_markdown_table_and_the_way_to_postgres_are_printed() {
    let output = run(&mut zora(&["bench", "--quick"]));
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("### SQLite"), "{text}");
    assert!(
        text.contains("| line | tasks | time | figure | note |"),
        "{text}"
    );
    assert!(
        text.contains("PostgreSQL was not measured: pass --database-url"),
        "{text}"
    );
    assert!(
        common::stderr(&output).contains("this takes a few seconds"),
        "it says how long it takes"
    );
}

#[test]
fn a_quick_soak_reports_each_tenth_and_the_sizes_around_the_prune() {
    let output = run(&mut zora(&["bench", "--soak", "--quick", "--json"]));
    let rows = json(&output);
    let rows = rows.as_array().expect("rows");
    let line = |name: &str| {
        rows.iter()
            .find(|r| r["line"].as_str().is_some_and(|l| l.starts_with(name)))
            .unwrap_or_else(|| panic!("no line {name:?} in {rows:#?}"))
    };
    for tenth in 1..=10 {
        let row = line(&format!("soak: tenth {tenth} of 10"));
        assert_eq!(
            (row["store"].as_str(), row["tasks"].as_u64()),
            (Some("sqlite"), Some(200))
        );
    }
    assert!(
        line("soak: tenth 10 of 10")["note"]
            .as_str()
            .is_some_and(|n| n.ends_with("% of the first tenth"))
    );
    assert_eq!(line("soak: prune")["tasks"], 2_000, "every task pruned");
    for size in ["queued", "drained", "after the prune"] {
        let row = line(&format!("soak: agent_tasks size {size}"));
        assert!(row["value"].as_f64().is_some_and(|mib| mib > 0.0), "{row}");
    }
    assert!(
        !rows
            .iter()
            .any(|r| r["line"].as_str().is_some_and(|l| l.starts_with("engine"))),
        "the soak alone"
    );
}
