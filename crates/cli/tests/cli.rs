//! The `zora` binary as an operator runs it: configuration errors, `migrate`, `status`.

mod common;

use std::process::Output;

use common::{run, run_in, stderr, stdout, zora};
use zora_testkit::TestDatabase;

/// Exit 2, exactly one line on stderr saying `expected`, nothing on stdout, no panic.
fn assert_config_error(output: &Output, expected: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(expected),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("Error {"),
        "{err}"
    );
    assert!(stdout(output).is_empty());
}

/// Arguments, environment, and what the error line must say.
type ConfigCase = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[test]
fn bad_configuration_is_one_line_and_exit_2() {
    let cases: [ConfigCase; 8] = [
        (
            &["status", "--database-url", "sqlite::memory:"],
            &[],
            "in-memory databases are not supported",
        ),
        (
            &["status", "--database-url", "mysql://h/db"],
            &[],
            "unsupported scheme 'mysql'",
        ),
        (
            &["status", "--database-url", "zora.db"],
            &[],
            "is not a URL",
        ),
        (
            &["status", "--database-url", "postgres://u@h:notaport/db"],
            &[],
            "not a valid PostgreSQL URL",
        ),
        (
            &[
                "status",
                "--database-url",
                "postgres://zora:zora@127.0.0.1:1/x",
            ],
            &[],
            "cannot connect to PostgreSQL at 127.0.0.1:1/x",
        ),
        (
            &[
                "status",
                "--database-url",
                "sqlite:///no/such/directory/zora.db",
            ],
            &[],
            "cannot open the SQLite database /no/such/directory/zora.db",
        ),
        (
            &["status"],
            &[
                ("SUPABASE_URL", "https://x.supabase.co"),
                ("SUPABASE_SERVICE_KEY", "k"),
            ],
            "SUPABASE_URL is set but DATABASE_URL is not",
        ),
        (
            &[
                "status",
                "--tenant-id",
                "tenant-a",
                "--database-url",
                "postgres://u@127.0.0.1:1/x",
            ],
            &[],
            "not a UUID",
        ),
    ];
    for (args, env, expected) in cases {
        let mut command = zora(args);
        command.current_dir(std::env::temp_dir());
        command.envs(env.iter().copied());
        assert_config_error(&run(&mut command), expected);
    }
}

#[test]
fn the_password_never_appears_in_an_error() {
    let output = run(&mut zora(&[
        "migrate",
        "--database-url",
        "postgres://zora:s3cret-pw@127.0.0.1:1/x",
    ]));
    assert_config_error(&output, "cannot connect");
    assert!(!stderr(&output).contains("s3cret-pw"));
}

#[test]
fn usage_errors_exit_2() {
    let output = run(&mut zora(&["frobnicate"]));
    assert_eq!(output.status.code(), Some(2));
    let output = run(&mut zora(&["migrate", "--check", "--check"]));
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn migrate_check_then_migrate_then_status() {
    let db = TestDatabase::create().await;
    let url = db.url().to_owned();

    let check = run(&mut zora(&["migrate", "--check", "--database-url", &url]));
    assert_eq!(
        check.status.code(),
        Some(1),
        "pending migrations: {}",
        stderr(&check)
    );
    assert!(stdout(&check).contains("0001 zora core baseline"));

    let refused = run(&mut zora(&["status", "--database-url", &url]));
    assert_config_error(&refused, "pending migrations");
    assert!(stderr(&refused).contains("run `zora migrate`"));

    let migrate = run(&mut zora(&["migrate", "--json", "--database-url", &url]));
    assert_eq!(migrate.status.code(), Some(0), "{}", stderr(&migrate));
    let report: serde_json::Value = serde_json::from_slice(&migrate.stdout).expect("json");
    assert_eq!(
        report["applied"],
        serde_json::json!(zora_store_postgres::migration_labels(&[
            zora_domain::migrations::POSTGRES
        ]))
    );

    let check = run(&mut zora(&["migrate", "--check", "--database-url", &url]));
    assert_eq!(check.status.code(), Some(0));
    let again = run(&mut zora(&["migrate", "--database-url", &url]));
    assert!(stdout(&again).contains("nothing to apply"));

    let status = run(zora(&["status", "--json"]).env("DATABASE_URL", &url));
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let stats: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(stats["tenant_id"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(stats["counts"]["pending"], 0);
    let text = run(zora(&[
        "status",
        "--tenant-id",
        "00000000-0000-0000-0000-0000000000AA",
    ])
    .env("DATABASE_URL", &url));
    assert!(
        stdout(&text).contains("Tenant: 00000000-0000-0000-0000-0000000000aa"),
        "{}",
        stdout(&text)
    );
}

#[tokio::test]
async fn two_migrate_processes_at_once_both_succeed() {
    let db = TestDatabase::create().await;
    let spawn = || {
        zora(&["migrate", "--json", "--database-url", db.url()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn zora migrate")
    };
    let (first, second) = (spawn(), spawn());
    let outputs = [
        first.wait_with_output().expect("first"),
        second.wait_with_output().expect("second"),
    ];
    let mut applied = 0;
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        applied += report["applied"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(
        applied,
        zora_store_postgres::migration_labels(&[zora_domain::migrations::POSTGRES]).len(),
        "each migration applied exactly once"
    );
    let check = run(&mut zora(&[
        "migrate",
        "--check",
        "--database-url",
        db.url(),
    ]));
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn the_demo_runs_twice_and_another_process_reads_what_it_wrote() {
    let files = zora_testkit::TestSqlite::new();
    let url = files.url();
    for run in 1..=2 {
        let demo = run_in(
            zora(&["demo", "--json"]).env("DATABASE_URL", &url),
            files.dir(),
        );
        assert_eq!(demo.status.code(), Some(0), "run {run}: {}", stderr(&demo));
        let output: serde_json::Value = serde_json::from_slice(&demo.stdout).expect("json");
        let seeded = &output["seeded"];
        assert_eq!(seeded["database"], "sqlite");
        assert_eq!(seeded["executed"], true);
        assert_eq!(
            output["run"]["completed"], 8,
            "one task of each v1 type and of the agents' four completed"
        );
        assert_eq!(
            output["run"]["failed"], 5,
            "the invalid ones and the two that need a model failed"
        );
        assert_eq!(seeded["tenant_id"], "00000000-0000-0000-0000-000000000001");
        let tasks = seeded["tasks"].as_array().expect("tasks");
        let mut types: Vec<&str> = tasks
            .iter()
            .filter(|t| t["valid"] == true)
            .filter_map(|t| t["task_type"].as_str())
            .collect();
        types.sort_unstable();
        assert_eq!(
            types,
            [
                "climate.create_missions_from_plan",
                "climate.create_single_mission",
                "climate.suggest_weekly_plan",
                "research_topic",
                "review_climate_claims",
                "review_frontend_page",
                "review_system_health",
                "summarize_recent_activity",
                "zora_shop.create_project",
                "zora_shop.update_product_climate_meta"
            ],
            "one task of every v1 type and of every agents' type"
        );
        assert!(
            tasks.iter().any(|t| t["valid"] == false),
            "and a few invalid ones"
        );
        let reports = output["run"]["tasks"].as_array().expect("reports");
        let report = |task_type: &str| {
            reports
                .iter()
                .find(|r| r["task_type"] == task_type)
                .unwrap_or_else(|| panic!("a report of {task_type}: {reports:?}"))
        };
        for model_type in ["research_topic", "review_frontend_page"] {
            assert_eq!(
                report(model_type)["error_message"],
                format!("No model configured: set OPENAI_API_KEY to run {model_type}"),
                "without a model, the clear refusal"
            );
        }
        let review = report("review_climate_claims")["result_summary"]
            .as_str()
            .expect("summary");
        assert!(
            review.ends_with(" in 2 product(s)") && !review.starts_with("0 "),
            "the seeded climate_neutral claim without certifications is found: {review}"
        );
        let suggested = report("climate.suggest_weekly_plan")["result_summary"]
            .as_str()
            .expect("summary");
        assert!(suggested.starts_with("Suggested "), "{suggested}");
    }
    // A second process reads the file the demo processes wrote.
    let status = run_in(
        &mut zora(&["status", "--json", "--database-url", &url]),
        files.dir(),
    );
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let stats: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(
        stats["counts"]["completed"], 16,
        "two runs of 8 tasks that complete"
    );
    assert_eq!(stats["counts"]["failed"], 10);
    assert_eq!(stats["counts"]["pending"], 0);
    let text = run_in(zora(&["demo"]).env("DATABASE_URL", &url), files.dir());
    assert!(stdout(&text).contains("Look next:"), "{}", stdout(&text));
    assert!(
        stdout(&text).contains("No model configured: set OPENAI_API_KEY to run research_topic"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn the_demo_defaults_to_sqlite_zora_db_in_the_working_directory() {
    let files = zora_testkit::TestSqlite::new();
    let demo = run_in(&mut zora(&["demo"]), files.dir());
    assert_eq!(demo.status.code(), Some(0), "{}", stderr(&demo));
    assert!(files.dir().join("zora.db").exists());
    assert!(stdout(&demo).contains("Demo data seeded in sqlite://zora.db"));
}

#[test]
fn migrate_on_sqlite_applies_on_first_open_and_check_reports() {
    let files = zora_testkit::TestSqlite::new();
    let url = files.url();
    let check = run(&mut zora(&["migrate", "--check", "--database-url", &url]));
    assert_eq!(
        check.status.code(),
        Some(1),
        "a file that does not exist has everything pending"
    );
    let migrate = run(&mut zora(&["migrate", "--json", "--database-url", &url]));
    assert_eq!(migrate.status.code(), Some(0), "{}", stderr(&migrate));
    let report: serde_json::Value = serde_json::from_slice(&migrate.stdout).expect("json");
    assert_eq!(
        report["applied"],
        serde_json::json!(zora_store_sqlite::migration_labels(&[
            zora_domain::migrations::SQLITE
        ]))
    );
    let again = run(&mut zora(&["migrate", "--database-url", &url]));
    assert!(stdout(&again).contains("nothing to apply"));
    let check = run(&mut zora(&["migrate", "--check", "--database-url", &url]));
    assert_eq!(check.status.code(), Some(0));
}
