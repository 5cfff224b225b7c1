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
    for (kind, handler) in registry.entries() {
        crate::out!();
        let approval = if registry.requires_approval(kind) {
            ", needs a founder's decision (ZORA_APPROVAL_TYPES)"
        } else {
            ""
        };
        let alias = registry
            .alias_of(kind)
            .map(|of| format!(", runs as {of}"))
            .unwrap_or_default();
        crate::out!("  {kind}  ({}{alias}{approval})", handler.category());
        crate::out!("    {}", handler.description());
        crate::out!("    Payload:");
        for (field, description) in handler.fields() {
            crate::out!("      {field:<24} {description}");
        }
    }
    crate::out!();
    crate::out!(
        "Any task may wait for others: --depends-on ID[:child_field=parent_field,...] on \
         `tasks add`, `depends_on` in the API."
    );
    Ok(ExitCode::SUCCESS)
}
