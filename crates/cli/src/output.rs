//! Where output goes: results to stdout (text or `--json`), logs to stderr.

use serde::Serialize;
use serde_json::Value;
use tracing_subscriber::EnvFilter;
use zora_core::Task;

use crate::cli::LogFormat;
use crate::exit::CliError;

/// Logs go to stderr, as text or JSON lines: `warn` by default, `info` with `-v`, `debug`
/// with `-vv`; `RUST_LOG` overrides (`RUST_LOG=zora_engine=debug`). `slow_sql_expected`
/// (`zora bench`, whose bulk fills take seconds by design) leaves out sqlx's warnings
/// about slow statements unless `RUST_LOG` asks for them.
pub fn init_tracing(verbose: u8, format: LogFormat, slow_sql_expected: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let default = if slow_sql_expected {
        format!("{level},sqlx::query=error")
    } else {
        level.to_owned()
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Writes one line of results to stdout. A closed pipe (`zora task-types | head`) ends
/// the process quietly instead of panicking, as command-line tools do.
#[macro_export]
macro_rules! out {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// What [`out!`] calls.
pub fn write_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_fmt(line)
        .and_then(|()| stdout.write_all(b"\n"))
    {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {err}");
        std::process::exit(1);
    }
}

/// Prints `value` as one line of pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot encode the output as JSON: {e}")))?;
    crate::out!("{text}");
    Ok(())
}

/// A task row as the API's `GET /api/agents/tasks/:id` answers it in `data`.
pub fn task_json(task: &Task) -> Value {
    serde_json::to_value(task).unwrap_or(Value::Null)
}
