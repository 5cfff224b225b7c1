//! `task-types`: the types this engine runs, with their payload fields (no database); with
//! `--external`, the types external workers registered too, with their workers alive.

use std::process::ExitCode;

use zora_core::TenantId;
use zora_core::stats::Scope;
use zora_engine::external::workers_serving;

use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;
use crate::wiring::registry;

/// The built-in types, then those registered for `tenant` (or for every tenant).
pub async fn run_with_external(
    target: &DatabaseTarget,
    tenant: TenantId,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let external = store.external_types(Some(tenant)).await?;
    let workers = store.live_workers(Scope::Tenant(tenant)).await?;
    if json {
        print_json(&registry().catalog_with(&external, &workers))?;
        return Ok(ExitCode::SUCCESS);
    }
    run(false)?;
    crate::out!();
    if external.is_empty() {
        crate::out!("External types: none registered for tenant {tenant}");
        return Ok(ExitCode::SUCCESS);
    }
    crate::out!("External types (served over HTTP by external workers):");
    for kind in &external {
        crate::out!();
        let scope = match kind.tenant_id {
            Some(_) => "this tenant",
            None => "every tenant",
        };
        crate::out!(
            "  {}  ({}, registered for {scope})",
            kind.task_type,
            kind.definition.agent_id
        );
        if !kind.definition.description.is_empty() {
            crate::out!("    {}", kind.definition.description);
        }
        crate::out!("    Payload schema: {}", kind.definition.payload_schema);
        let serving = workers_serving(kind, &workers);
        if serving.is_empty() {
            crate::out!("    Workers alive: none");
        }
        for worker in serving {
            crate::out!(
                "    Worker {}: last beat {}, {} task(s) in hand",
                worker.id,
                worker.heartbeat_at.format("%H:%M:%S"),
                worker.tasks_in_hand
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

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
