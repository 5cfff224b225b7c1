//! One module per subcommand; [`run`] dispatches.

use std::process::ExitCode;

use zora_core::stats::Scope;

use crate::cli::{Cli, Command, CommandsCommand, TasksCommand, TokensCommand};
use crate::config;
use crate::exit::CliError;

mod bench;
mod chaos;
mod console;
mod demo;
mod mcp;
mod migrate;
pub(crate) mod prune;
mod run;
mod schedules;
mod serve;
mod served;
mod status;
mod task_flow;
mod task_types;
pub(crate) mod tasks;
mod tokens;
mod usage;
mod worker;

/// Runs the parsed command line and returns the exit code.
pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let json = cli.global.json;
    let target = || config::database_target(&cli.global);
    let tenant = || config::tenant(&cli.global);
    match &cli.command {
        Command::TaskTypes(args) if args.external => {
            task_types::run_with_external(&target()?, tenant()?, json).await
        }
        Command::TaskTypes(_) => task_types::run(json),
        Command::Migrate(args) => migrate::run(&target()?, args, json).await,
        Command::RunPendingTasks(args) => run::run_pending(&target()?, tenant()?, args, json).await,
        Command::RunTask(args) => run::run_task(&target()?, tenant()?, args, json).await,
        Command::Status(args) => {
            let scope = if args.all_tenants {
                Scope::AllTenants
            } else {
                Scope::Tenant(tenant()?)
            };
            status::run(&target()?, scope, json).await
        }
        Command::CreateTask(args) => {
            let positional = (
                args.agent.as_str(),
                args.task_type.as_str(),
                args.title.as_str(),
            );
            tasks::add(&target()?, tenant()?, positional, &args.options, json).await
        }
        Command::Tasks(TasksCommand::Add(args)) => {
            let named = (
                args.agent.as_str(),
                args.task_type.as_str(),
                args.title.as_str(),
            );
            tasks::add(&target()?, tenant()?, named, &args.options, json).await
        }
        Command::Tasks(TasksCommand::List(args)) => {
            tasks::list(&target()?, tenant()?, args, json).await
        }
        Command::Tasks(TasksCommand::Show { id }) => {
            tasks::show(&target()?, tenant()?, id, json).await
        }
        Command::Tasks(TasksCommand::Retry { id }) => {
            tasks::retry(&target()?, tenant()?, id, json).await
        }
        Command::Tasks(TasksCommand::Run(args)) => {
            run::request(&target()?, tenant()?, args, json).await
        }
        Command::Tasks(TasksCommand::Cancel { id, reason }) => {
            task_flow::cancel(&target()?, tenant()?, id, reason.as_deref(), json).await
        }
        Command::Tasks(TasksCommand::Approve { id, reason }) => {
            task_flow::decide(&target()?, tenant()?, id, true, reason.clone(), json).await
        }
        Command::Tasks(TasksCommand::Reject { id, reason }) => {
            task_flow::decide(&target()?, tenant()?, id, false, reason.clone(), json).await
        }
        Command::Commands(CommandsCommand::Submit { prompt, agents }) => {
            console::submit(&target()?, tenant()?, prompt, agents, json).await
        }
        Command::Demo => demo::run(&target()?, tenant()?, json).await,
        Command::Schedules(command) => schedules::run(&target()?, tenant()?, command, json).await,
        Command::Prune(args) => prune::run(&target()?, args, json).await,
        Command::Worker(args) => {
            let tenant = cli.global.tenant_id.is_some().then(tenant).transpose()?;
            worker::run(&target()?, tenant, args).await
        }
        Command::Serve(args) => serve::run(&target()?, tenant()?, args).await,
        Command::Mcp(args) => mcp::run(&target()?, tenant()?, args).await,
        Command::Usage(args) => usage::run(&target()?, tenant()?, args, json).await,
        Command::Bench(args) => bench::run(&target()?, args, json).await,
        Command::Chaos(command) => chaos::dispatch(command, json).await,
        Command::Tokens(TokensCommand::Worker(args)) => {
            let tenant = cli.global.tenant_id.is_some().then(tenant).transpose()?;
            tokens::worker(tenant, args, json)
        }
    }
}
