//! A new task of an external type meets its type's payload schema at create time, as a
//! built-in type's payload meets its parser: the first fault is refused with its path
//! (`payload.url`) and the schema's message. A field a `depends_on` item's `inputs` will
//! fill is the parent's to give, and is not checked.

use std::collections::HashMap;
use std::sync::Arc;

use zora_core::handler::TaskError;
use zora_core::{NewTask, Store, StoreError, TenantId};

use crate::external::registration::external_type;
use crate::external::schema::Schema;
use crate::registry::Registry;

/// The payload schemas met so far, by tenant and type (`None`: no registration): a batch
/// reads each type's registration once.
#[derive(Debug, Default)]
pub(crate) struct PayloadChecks {
    schemas: HashMap<(TenantId, String), Option<Arc<Schema>>>,
}

impl PayloadChecks {
    /// The first fault of `task`'s payload when its type is an external one registered
    /// for its tenant (`None`: none, or not such a type); a type the engine runs costs no
    /// read.
    pub(crate) async fn fault(
        &mut self,
        store: &dyn Store,
        registry: &Registry,
        task: &NewTask,
    ) -> Result<Option<TaskError>, StoreError> {
        if registry.get(&task.task_type).is_some() {
            return Ok(None);
        }
        let key = (task.tenant_id, task.task_type.clone());
        let schema = match self.schemas.get(&key) {
            Some(schema) => schema.clone(),
            None => {
                let schema = match external_type(store, task.tenant_id, &task.task_type).await? {
                    Some(kind) => Some(Arc::new(
                        Schema::compile(&kind.definition.payload_schema).map_err(|why| {
                            StoreError::Other(format!(
                                "the stored payload_schema of {} {why}",
                                task.task_type
                            ))
                        })?,
                    )),
                    None => None,
                };
                self.schemas.insert(key, schema.clone());
                schema
            }
        };
        let Some(schema) = schema else {
            return Ok(None);
        };
        Ok(schema
            .faults("payload", &task.payload)
            .into_iter()
            .find(|fault| !filled_by_inputs(task, &fault.field))
            .map(|fault| fault.into_task_error()))
    }
}

/// Whether `field` (`payload.plan_id`, `payload.plan.id`) lies in a top-level field of
/// the payload that one of `task`'s parents fills through `inputs`.
fn filled_by_inputs(task: &NewTask, field: &str) -> bool {
    let Some(path) = field.strip_prefix("payload.") else {
        return false;
    };
    let top = path.split(['.', '[']).next().unwrap_or(path);
    task.depends_on.iter().any(|d| d.inputs.contains_key(top))
}
