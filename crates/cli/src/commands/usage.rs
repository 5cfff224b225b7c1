//! `zora usage`: the tenant's model spend over a window (the last 7 days by default),
//! summed per day, model, task type or agent, as `GET /api/agents/usage` gives it.

use std::process::ExitCode;

use serde_json::json;
use zora_core::TenantId;
use zora_core::usage::{UsageLine, UsageQuery};

use crate::cli::UsageArgs;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;

pub async fn run(
    target: &DatabaseTarget,
    tenant: TenantId,
    args: &UsageArgs,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let to = chrono::Utc::now();
    let since = chrono::Duration::from_std(args.since)
        .map_err(|_| CliError::Config(format!("--since is too long: {:?}", args.since)))?;
    let query = UsageQuery {
        tenant,
        from: to - since,
        to,
        group_by: args.by,
    };
    let lines = store.model_usage(&query).await?;
    let total = UsageLine::total(&lines);
    if json {
        print_json(
            &json!({"data": lines, "totals": total, "from": query.from, "to": to,
                           "group_by": args.by.as_str()}),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let cost = |line: &UsageLine| line.cost_usd.map_or("-".to_owned(), |c| format!("${c:.4}"));
    crate::out!(
        "{:<32} {:>7} {:>14} {:>14} {:>12}",
        args.by.as_str(),
        "calls",
        "prompt tokens",
        "output tokens",
        "cost"
    );
    for line in lines.iter().chain(std::iter::once(&total)) {
        crate::out!(
            "{:<32} {:>7} {:>14} {:>14} {:>12}",
            line.key,
            line.calls,
            line.prompt_tokens,
            line.completion_tokens,
            cost(line)
        );
    }
    Ok(ExitCode::SUCCESS)
}
