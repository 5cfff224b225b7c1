//! `task-types`: the types this engine runs, with their payload fields; no database.

use std::process::ExitCode;

use crate::exit::CliError;
use crate::output::print_json;
use crate::wiring::registry;

pub fn run(json: bool) -> Result<ExitCode, CliError> {
    let registry = registry();
    if json {
        print_json(&registry.catalog())?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::out!("Supported task types:");
    for handler in registry.handlers() {
        crate::out!();
        crate::out!("  {}  ({})", handler.kind(), handler.category());
        crate::out!("    {}", handler.description());
        crate::out!("    Payload:");
        for (field, description) in handler.fields() {
            crate::out!("      {field:<24} {description}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
