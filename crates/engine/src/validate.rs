//! Create-time validation: a new task's payload checked by its handler's own parser and
//! against the tenant's rows, exactly as it will be when the task runs.

use zora_core::{NewTask, Store};

use crate::create::CreateError;
use crate::registry::Registry;

/// Checks a new task of a registered type: its payload parses, and the rows it names exist
/// for its tenant, read in a read-only transaction (one snapshot; on SQLite a reader, so
/// the check never queues behind the workers' writes). Types the engine does not run are
/// not checked: the legacy runtime takes them. A payload at fault is
/// [`CreateError::Invalid`]; a database that fails is [`CreateError::Store`].
pub async fn validate_new_task(
    store: &dyn Store,
    registry: &Registry,
    task: &NewTask,
) -> Result<(), CreateError> {
    let Some(handler) = registry.get(&task.task_type) else {
        return Ok(());
    };
    let payload = handler.parse(&task.payload).map_err(CreateError::Invalid)?;
    let probe = zora_core::Task::unsaved(task);
    let mut tx = store.begin_read().await?;
    let context = handler.load(tx.as_mut(), &[(&probe, &payload)]).await;
    tx.rollback().await?;
    handler
        .check(task.tenant_id, &payload, &context?)
        .map_err(CreateError::Invalid)
}
