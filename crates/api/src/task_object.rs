//! The task object every answer carries: the row with its `state`, its place in its chain
//! (`depends_on`, `dependents`) and its model `usage`, each read for a whole page of tasks
//! in one query.

use std::collections::HashMap;

use serde::Serialize;
use zora_core::dependency::TaskLinks;
use zora_core::usage::TaskUsage;
use zora_core::{Store, StoreError, Task, TaskId};

/// A task as the API answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskObject<T> {
    #[serde(flatten)]
    pub task: T,
    #[serde(flatten)]
    pub links: TaskLinks,
    /// Its model calls, summed; `null` when it made none.
    pub usage: Option<TaskUsage>,
}

/// The tasks `tasks` as `shape` shows them, each with its links, in one read of the edges.
pub async fn objects_as<T>(
    store: &dyn Store,
    tasks: Vec<Task>,
    shape: impl Fn(Task) -> T,
) -> Result<Vec<TaskObject<T>>, StoreError> {
    let Some(tenant) = tasks.first().map(|t| t.tenant_id) else {
        return Ok(Vec::new());
    };
    let ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
    let edges = store.dependency_edges(tenant, &ids).await?;
    let ran: Vec<TaskId> = tasks.iter().filter(|t| has_run(t)).map(|t| t.id).collect();
    let mut usage: HashMap<TaskId, TaskUsage> = if ran.is_empty() {
        HashMap::new()
    } else {
        store.task_usage(tenant, &ran).await?.into_iter().collect()
    };
    Ok(tasks
        .into_iter()
        .map(|task| TaskObject {
            links: TaskLinks::of(task.id, &edges),
            usage: usage.remove(&task.id),
            task: shape(task),
        })
        .collect())
}

/// Whether `task` ever ran, and so may have model calls: they are recorded with an
/// attempt's outcome (a failed task started over keeps its attempts' `errors`). A task
/// that never ran costs no read of its usage.
pub fn has_run(task: &Task) -> bool {
    task.attempts > 0 || !task.errors.is_empty()
}

/// A task just created without parents: no links to read (nothing can depend on it yet).
pub fn unlinked(task: Task) -> TaskObject<Task> {
    TaskObject {
        task,
        links: TaskLinks::default(),
        usage: None,
    }
}

/// One task, with its links.
pub async fn object(store: &dyn Store, task: Task) -> Result<TaskObject<Task>, StoreError> {
    let mut objects = objects_as(store, vec![task], |t| t).await?;
    objects
        .pop()
        .ok_or_else(|| StoreError::Other("a task went missing".into()))
}
