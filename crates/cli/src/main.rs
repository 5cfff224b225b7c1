//! `zora`: ZORA CORE's task execution engine on the command line.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod config;
mod exit;
mod listen;
mod open;
mod output;
mod progress;
mod signals;
mod wiring;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    output::init_tracing(
        args.global.verbose,
        args.global.log_format,
        matches!(args.command, cli::Command::Bench(_)),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return exit::report(&exit::CliError::Failed(format!(
                "cannot start the runtime: {err}"
            )));
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => code,
        Err(err) => exit::report(&err),
    }
}
