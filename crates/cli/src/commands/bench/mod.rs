//! `zora bench`: the engine measured against hand-written SQL doing the same work, on
//! SQLite (a scratch file) and, given `--database-url postgres://...`, on PostgreSQL (a
//! scratch database on that server, dropped after). Prints a Markdown table, or `--json`.

mod api;
mod lines;
mod report;
mod sdk;
mod soak;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use zora_core::{DEFAULT_TENANT_ID, Store};
use zora_domain::climate::bench::MissionLimit;
use zora_domain::climate::tables::NewProfile;
use zora_domain::ids::ProfileId;
use zora_store_sql::bench::BenchSql;

use crate::cli::BenchArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_sqlite;
use crate::output::print_json;
use lines::Bench;
use report::Row;
use zora_domain::climate::store as climate_store;

/// How much each line does.
#[derive(Debug, Clone)]
struct Sizes {
    /// Tasks per engine line and per limit line of 10 and 100.
    tasks: u64,
    /// Tasks for the limit line of one task per transaction (the slow one).
    limit_single: u64,
    /// Tasks of the mix.
    mix: u64,
    /// Tasks inserted one at a time for the pick-up latency.
    latency: usize,
    /// Requests of each API line.
    api: usize,
    /// Due tasks claimed at each size, and the ballast beside them.
    claim_pending: u64,
    small_ballast: u64,
    large_ballast: u64,
    not_due: u64,
    /// Blocked tasks beside the due ones in the dependencies' claim line.
    blocked: u64,
    /// The soak instead of every other line.
    soak: Option<Soak>,
    /// The Python of the SDK's line (PostgreSQL only), when given.
    python: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy)]
struct Soak {
    tasks: u64,
    fillfactor: Option<u8>,
}

impl Sizes {
    fn new(args: &BenchArgs) -> Self {
        if args.quick {
            return Self {
                tasks: args.tasks.min(300),
                limit_single: 100,
                mix: 100,
                latency: 10,
                api: 64,
                claim_pending: 200,
                small_ballast: 1_000,
                large_ballast: 10_000,
                not_due: 1_000,
                blocked: 1_000,
                soak: None,
                python: args.python.clone(),
            };
        }
        Self {
            tasks: args.tasks,
            limit_single: (args.tasks / 4).max(1),
            mix: (args.tasks / 4).max(4),
            latency: 200,
            api: 5_000,
            claim_pending: 5_000,
            small_ballast: 10_000,
            large_ballast: 1_000_000,
            not_due: 100_000,
            blocked: 100_000,
            soak: None,
            python: args.python.clone(),
        }
    }
}

pub async fn run(
    target: &DatabaseTarget,
    args: &BenchArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let sizes = Sizes::new(args);
    let sizes = Sizes {
        soak: args.soak.then_some(Soak {
            tasks: if args.quick { 2_000 } else { args.soak_tasks },
            fillfactor: args.fillfactor,
        }),
        ..sizes
    };
    let postgres = match target {
        DatabaseTarget::Postgres(url) => Some(url.as_str()),
        DatabaseTarget::Sqlite(_) => None,
    };
    announce(&sizes, args.quick, postgres.is_some());
    let started = Instant::now();
    // The soak is about one store's hot table: the one the URL names.
    let mut rows = if sizes.soak.is_some() && postgres.is_some() {
        Vec::new()
    } else {
        on_sqlite(&sizes).await?
    };
    if let Some(admin) = postgres {
        rows.extend(on_postgres(admin, &sizes).await?);
    }
    if json {
        print_json(&rows)?;
    } else {
        match sizes.soak {
            Some(soak) => crate::out!(
                "## zora bench --soak ({} tasks, {:.0} s)",
                report::thousands(soak.tasks),
                started.elapsed().as_secs_f64()
            ),
            None => crate::out!(
                "## zora bench ({} tasks per engine line, {:.0} s)",
                report::thousands(sizes.tasks),
                started.elapsed().as_secs_f64()
            ),
        }
        crate::out!("{}", report::markdown(&rows));
        if postgres.is_none() && sizes.soak.is_none() {
            crate::out!(
                "PostgreSQL was not measured: pass --database-url postgres://... (a role that \
                 may create databases; the bench works in a scratch database it drops)."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Says what will run and about how long it takes (measured on 2 cores).
fn announce(sizes: &Sizes, quick: bool, postgres: bool) {
    let stores = if postgres {
        "SQLite and PostgreSQL"
    } else {
        "SQLite"
    };
    if let Some(soak) = sizes.soak {
        let store = if postgres { "PostgreSQL" } else { "SQLite" };
        eprintln!(
            "zora bench --soak: {store}, {} tasks; this takes about {:.0} minutes on 2 cores",
            report::thousands(soak.tasks),
            (soak.tasks as f64 * 0.0005 / 60.0).ceil()
        );
        return;
    }
    let minutes = if quick {
        "a few seconds".to_owned()
    } else {
        // Measured: 142 s for both stores at 20,000 tasks (fills, claims and the API lines
        // ~43 s a store).
        let per_store = 43.0 + sizes.tasks as f64 * 0.0014;
        let total = per_store * if postgres { 2.0 } else { 1.0 };
        format!("about {:.0} minutes on 2 cores", (total / 60.0).ceil())
    };
    eprintln!(
        "zora bench: {stores}, {} tasks per engine line; this takes {minutes}",
        report::thousands(sizes.tasks)
    );
}

async fn on_sqlite(sizes: &Sizes) -> Result<Vec<Row>, CliError> {
    let dir = std::env::temp_dir().join(format!("zora-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let outcome = async {
        let store = Arc::new(open_sqlite(&url).await?);
        let limit = MissionLimit::Sqlite(store.writer().clone());
        let rows = measure(
            &bench_on("sqlite", store.clone(), limit, &url).await?,
            sizes,
            1,
        )
        .await;
        store.close().await;
        rows
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn on_postgres(admin: &str, sizes: &Sizes) -> Result<Vec<Row>, CliError> {
    let name = format!("zora_bench_{}", std::process::id());
    let url = zora_store_postgres::create_database(admin, &name).await?;
    let outcome = async {
        let store =
            Arc::new(zora_store_postgres::connect(&url, &crate::open::postgres_options()).await?);
        zora_store_postgres::migrate(store.pool(), crate::open::POSTGRES_DOMAINS).await?;
        let limit = MissionLimit::Postgres(store.pool().clone());
        let bench = bench_on("postgres", store.clone(), limit, &url).await?;
        let rows = measure(&bench, sizes, 4).await;
        store.pool().close().await;
        rows
    }
    .await;
    let dropped = zora_store_postgres::drop_database(admin, &name).await;
    let rows = outcome?;
    dropped?;
    Ok(rows)
}

/// The bench on `store` (at `url`, for the worker processes) against `limit`, with the
/// profile every mission task names.
async fn bench_on<S: Store + BenchSql + 'static>(
    name: &'static str,
    store: Arc<S>,
    limit: MissionLimit,
    url: &str,
) -> Result<Bench, CliError> {
    let id = ProfileId::new();
    let mut tx = store.begin().await?;
    climate_store::insert_profile(
        &mut *tx,
        &NewProfile {
            id,
            tenant_id: DEFAULT_TENANT_ID,
            name: "Bench household".into(),
            profile_type: "person".into(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Bench {
        name,
        store: store.clone(),
        sql: store,
        limit,
        url: url.to_owned(),
        profile: id,
    })
}

/// Every line on one store; `clients` connections run the limit.
async fn measure(bench: &Bench, sizes: &Sizes, clients: usize) -> Result<Vec<Row>, CliError> {
    if let Some(run) = sizes.soak {
        return soak::soak(bench, run.tasks, 4, run.fillfactor).await;
    }
    let mut rows = Vec::new();
    for batch in [1, 10, 100] {
        let n = if batch == 1 {
            sizes.limit_single
        } else {
            sizes.tasks
        };
        rows.push(lines::limit(bench, batch, n, clients).await?);
    }
    let limit = rows.iter().map(|r| r.value).fold(0.0, f64::max);
    let share =
        |row: &mut Row| row.note = format!("{:.0}% of the limit", row.value / limit * 100.0);
    let mut peak_rss: f64 = 0.0;
    let mut best_engine: f64 = 0.0;
    for concurrency in [1, 4, 16] {
        let (mut row, rss) = lines::engine(bench, concurrency, sizes.tasks).await?;
        share(&mut row);
        peak_rss = peak_rss.max(rss);
        best_engine = best_engine.max(row.value);
        rows.push(row);
    }
    if let (Some(python), "postgres") = (&sizes.python, bench.name) {
        let mut row = sdk::sdk(bench, sizes.tasks, python).await?;
        row.note = format!(
            "{}; {:.0}% of the engine's best line",
            row.note,
            row.value / best_engine * 100.0
        );
        rows.push(row);
    }
    for (types, products) in [
        (lines::MixTypes::V1, lines::Products::Shared),
        (lines::MixTypes::V1, lines::Products::OnePerUpsert),
        (lines::MixTypes::WithAgents, lines::Products::OnePerUpsert),
    ] {
        let (mut mix, rss) = lines::mix(bench, sizes.mix, 4, types, products).await?;
        share(&mut mix);
        peak_rss = peak_rss.max(rss);
        rows.push(mix);
    }
    rows.extend(lines::latency(bench, sizes.latency).await?);
    rows.extend(api::api(bench, sizes.api).await?);
    let small = lines::claim_at_size(
        bench,
        sizes.claim_pending,
        sizes.small_ballast,
        sizes.not_due,
    )
    .await?;
    let mut large = lines::claim_at_size(
        bench,
        sizes.claim_pending,
        sizes.large_ballast,
        sizes.not_due,
    )
    .await?;
    large.note = format!(
        "{:.0}% of the rate beside the smaller table",
        large.value / small.value * 100.0
    );
    rows.push(small);
    rows.push(large);
    // As many claims as an engine line makes: one takes well under a millisecond.
    let free = lines::claim_beside_blocked(bench, sizes.tasks, 0).await?;
    let mut blocked = lines::claim_beside_blocked(bench, sizes.tasks, sizes.blocked).await?;
    blocked.note = format!(
        "{:.0}% of the rate without them",
        blocked.value / free.value * 100.0
    );
    rows.push(free);
    rows.push(blocked);
    // No clearing after: the scratch file or database is dropped whole.
    rows.push(Row {
        store: bench.name,
        line: "worker peak RSS (the largest of the engine and mix lines)".into(),
        tasks: 0,
        seconds: 0.0,
        value: peak_rss,
        unit: "MiB",
        note: String::new(),
    });
    Ok(rows)
}
