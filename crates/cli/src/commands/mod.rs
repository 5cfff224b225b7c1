//! One module per subcommand; [`run`] dispatches.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::config;
use crate::exit::CliError;

mod demo;
mod migrate;
mod status;

/// Runs the parsed command line and returns the exit code.
pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let target = config::database_target(&cli.global)?;
    match cli.command {
        Command::Migrate(args) => migrate::run(&target, &args, cli.global.json).await,
        Command::Demo => {
            let tenant = config::tenant(&cli.global)?;
            demo::run(&target, tenant, cli.global.json).await
        }
        Command::Status => {
            let tenant = config::tenant(&cli.global)?;
            status::run(&target, tenant, cli.global.json).await
        }
    }
}
