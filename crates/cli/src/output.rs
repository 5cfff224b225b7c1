//! Where output goes: results to stdout (text or `--json`), logs to stderr.

use serde::Serialize;
use tracing_subscriber::EnvFilter;

use crate::exit::CliError;

/// Logs go to stderr: `warn` by default, `info` with `-v`, `debug` with `-vv`;
/// `RUST_LOG` overrides.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Prints `value` as one line of pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot encode the output as JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
