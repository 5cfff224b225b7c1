//! Create-time validation: a new task's payload checked by its handler's own parser and
//! against the tenant's rows, exactly as it will be when the task runs.

use zora_core::handler::TaskError;
use zora_core::{NewTask, Store};

use crate::registry::Registry;

/// Checks a new task of a registered type: its payload parses, and the rows it names exist
/// for its tenant (read in a transaction that writes nothing). Types the engine does not
/// run are not checked: the legacy runtime takes them.
pub async fn validate_new_task(
    store: &dyn Store,
    registry: &Registry,
    task: &NewTask,
) -> Result<(), TaskError> {
    let Some(handler) = registry.get(&task.task_type) else {
        return Ok(());
    };
    let payload = handler.parse(&task.payload)?;
    let probe = zora_core::Task::unsaved(task);
    let mut tx = store.begin().await?;
    let context = handler.load(tx.as_mut(), &[(&probe, &payload)]).await?;
    tx.rollback().await?;
    handler.check(task.tenant_id, &payload, &context)
}
