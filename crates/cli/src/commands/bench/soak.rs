//! `zora bench --soak`: a long drain on a hot table. A million tasks are queued at once and
//! drained by a `zora worker` process; the rate of each tenth of the run shows whether the
//! claim slows as finished rows and dead row versions pile up (the last tenth should be
//! within 15% of the first). Then every task is pruned as `zora prune` does, and the
//! table's size is read before, after the drain, after the prune and after the `VACUUM`
//! autovacuum would run.

use std::time::Instant;

use zora_core::retention::{Prune, PruneStatus};

use super::lines::{Bench, drain};
use super::report::Row;
use crate::exit::CliError;

const MIB: f64 = 1024.0 * 1024.0;

fn size(bench: &Bench, line: &str, bytes: u64) -> Row {
    Row {
        store: bench.name,
        line: format!("soak: agent_tasks size {line}"),
        tasks: 0,
        seconds: 0.0,
        value: bytes as f64 / MIB,
        unit: "MiB",
        note: String::new(),
    }
}

/// The soak's rows on one store; `fillfactor` set first where the store has one.
pub async fn soak(
    bench: &Bench,
    n: u64,
    concurrency: usize,
    fillfactor: Option<u8>,
) -> Result<Vec<Row>, CliError> {
    if let Some(percent) = fillfactor {
        bench.sql.set_fillfactor(percent).await?;
    }
    bench.fill(n).await?;
    let mut rows = vec![size(bench, "queued", bench.sql.table_bytes().await?)];
    let label = format!(
        "soak: {} tasks, concurrency {concurrency}",
        super::report::thousands(n)
    );
    let drained = drain(bench, concurrency, n, &label).await?;
    let tenth = n / 10;
    let mut previous = 0.0;
    let mut first = None;
    for (i, at) in drained.tenths.iter().enumerate() {
        let mut row = Row::rate(
            bench.name,
            format!("soak: tenth {} of 10", i + 1),
            tenth,
            at - previous,
        );
        previous = *at;
        let first_rate = *first.get_or_insert(row.value);
        if i + 1 == drained.tenths.len() {
            row.note = format!("{:.0}% of the first tenth", row.value / first_rate * 100.0);
        }
        rows.push(row);
    }
    let mut whole = Row::rate(bench.name, label, n, drained.seconds);
    whole.note = fillfactor.map_or_else(String::new, |f| format!("fillfactor {f}"));
    rows.push(whole);
    rows.push(size(bench, "drained", bench.sql.table_bytes().await?));
    let prune = Prune {
        older_than: std::time::Duration::ZERO,
        status: PruneStatus::All,
        window: 1000,
    };
    let started = Instant::now();
    let deleted = crate::commands::prune::walk(bench.store.as_ref(), &prune, false, |_| {})
        .await?
        .deleted;
    rows.push(Row::rate(
        bench.name,
        "soak: prune, windows of 1,000 rows",
        deleted,
        started.elapsed().as_secs_f64(),
    ));
    rows.push(size(
        bench,
        "after the prune",
        bench.sql.table_bytes().await?,
    ));
    bench.sql.vacuum_tasks().await?;
    rows.push(size(
        bench,
        "after VACUUM (what autovacuum runs)",
        bench.sql.table_bytes().await?,
    ));
    Ok(rows)
}
