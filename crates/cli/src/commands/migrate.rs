//! `zora migrate [--check]`: apply the migrations, or report whether any are pending.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::MigrateArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::connect_postgres;
use crate::output::print_json;

pub async fn run(
    target: &DatabaseTarget,
    args: &MigrateArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = connect_postgres(target).await?;
    if args.check {
        let state = zora_store_postgres::schema_state(store.pool()).await?;
        if json {
            print_json(&json!({
                "current": state.is_current(),
                "pending": state.pending,
                "unknown_applied": state.unknown_applied,
            }))?;
        } else if state.is_current() {
            println!("The database schema is current.");
        } else {
            println!(
                "{} pending: {}",
                state.pending.len(),
                state.pending.join(", ")
            );
            println!("Run `zora migrate` to apply them.");
        }
        return Ok(if state.is_current() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let report = zora_store_postgres::migrate(store.pool()).await?;
    if json {
        print_json(&json!({
            "applied": report.applied,
            "indexes_built": report.indexes_built,
        }))?;
    } else if report.is_noop() {
        println!("The database schema is current; nothing to apply.");
    } else {
        for migration in &report.applied {
            println!("applied   {migration}");
        }
        for index in &report.indexes_built {
            println!("built     index {index}");
        }
        println!(
            "Applied {} migration(s) and built {} index(es).",
            report.applied.len(),
            report.indexes_built.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
