//! `zora migrate [--check]`: apply the migrations, or report whether any are pending.
//! PostgreSQL needs it; SQLite files are migrated on open anyway, and it works there too.

use std::process::ExitCode;

use serde_json::json;
use zora_core::SchemaState;
use zora_store_postgres::{MigrationReport, MigrationStep};

use crate::cli::MigrateArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::{connect_postgres, open_sqlite};
use crate::output::print_json;

pub async fn run(
    target: &DatabaseTarget,
    args: &MigrateArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    if args.check {
        let state = match target {
            DatabaseTarget::Postgres(url) => {
                let store = connect_postgres(url, &crate::open::postgres_options()).await?;
                zora_store_postgres::schema_state(store.pool(), crate::open::POSTGRES_DOMAINS)
                    .await?
            }
            DatabaseTarget::Sqlite(url) => {
                zora_store_sqlite::inspect(url, crate::open::SQLITE_DOMAINS).await?
            }
        };
        report_check(&state, json)?;
        return Ok(if state.is_current() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let report = match target {
        DatabaseTarget::Postgres(url) => {
            let store = connect_postgres(url, &crate::open::postgres_options()).await?;
            // Progress on stderr as each step starts: on a large live table an index
            // build is the long part, and an operator should see which one runs.
            let progress = |step: &MigrationStep| match step {
                MigrationStep::WaitingForLock => {
                    eprintln!("waiting for another migrator to finish…")
                }
                MigrationStep::Applying(migration) => eprintln!("applying {migration}…"),
                MigrationStep::BuildingIndex(index) => {
                    eprintln!("building index {index} (concurrently)…");
                }
            };
            zora_store_postgres::migrate_with_progress(
                store.pool(),
                crate::open::POSTGRES_DOMAINS,
                &progress,
            )
            .await?
        }
        DatabaseTarget::Sqlite(url) => {
            let store = open_sqlite(url).await?;
            let applied = store.migrated_on_open().to_vec();
            store.close().await;
            MigrationReport {
                applied,
                indexes_built: Vec::new(),
            }
        }
    };
    if json {
        print_json(&json!({
            "applied": report.applied,
            "indexes_built": report.indexes_built,
        }))?;
    } else if report.is_noop() {
        crate::out!("The database schema is current; nothing to apply.");
    } else {
        crate::out!(
            "Applied {} migration(s) and built {} index(es).",
            report.applied.len(),
            report.indexes_built.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn report_check(state: &SchemaState, json: bool) -> Result<(), CliError> {
    if json {
        print_json(&json!({
            "current": state.is_current(),
            "pending": state.pending,
            "unknown_applied": state.unknown_applied,
        }))
    } else {
        if state.is_current() {
            crate::out!("The database schema is current.");
        } else {
            crate::out!(
                "{} pending: {}",
                state.pending.len(),
                state.pending.join(", ")
            );
            crate::out!("Run `zora migrate` to apply them.");
        }
        Ok(())
    }
}
