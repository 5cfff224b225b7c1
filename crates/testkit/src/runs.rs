//! Running tasks in a test: an executor with the v1 and test task types, enqueueing,
//! running by id, and reading back what a task wrote.

use std::sync::Arc;
use std::time::Duration;

use crate::Inspector;
use crate::scripted::registry_with_scripted;
use serde_json::Value;
use zora_core::journal::JournalEntry;
use zora_core::{NewTask, Page, Store, Task, TaskId, TenantId};
use zora_engine::{Executor, ExecutorSettings, TaskReport};

/// An executor over `store` with the v1 types and `test.scripted` (time limit 1s).
pub fn executor(store: &Arc<dyn Store>) -> Executor {
    executor_counting(store, &zora_engine::metrics::Metrics::default())
}

/// [`executor`], counting into `metrics`.
pub fn executor_counting(
    store: &Arc<dyn Store>,
    metrics: &zora_engine::metrics::Metrics,
) -> Executor {
    executor_of(
        store,
        registry_with_scripted(Duration::from_secs(1)),
        metrics,
    )
}

/// An executor over `store` running the types of `registry`, counting into `metrics`.
pub fn executor_of(
    store: &Arc<dyn Store>,
    registry: zora_engine::Registry,
    metrics: &zora_engine::metrics::Metrics,
) -> Executor {
    let mut settings = ExecutorSettings::new("test");
    settings.lease_duration = Duration::from_secs(30);
    settings.metrics = metrics.clone();
    Executor::new(store.clone(), Arc::new(registry), settings)
}

/// Inserts a pending task and returns its id.
pub async fn enqueue(
    store: &dyn Store,
    tenant: TenantId,
    task_type: &str,
    payload: Value,
) -> TaskId {
    enqueue_with(
        store,
        NewTask::new(
            tenant,
            "ORACLE",
            task_type,
            format!("{task_type} task"),
            payload,
        ),
    )
    .await
}

/// Inserts `task` and returns its id.
pub async fn enqueue_with(store: &dyn Store, task: NewTask) -> TaskId {
    let mut tx = store.begin().await.expect("begin");
    let stored = tx.insert_task(&task).await.expect("insert task");
    tx.commit().await.expect("commit");
    stored.id
}

/// Runs one task by id and returns its report and its row afterwards.
pub async fn run(store: &Arc<dyn Store>, tenant: TenantId, id: TaskId) -> (TaskReport, Task) {
    let report = executor(store)
        .run_task(tenant, id)
        .await
        .expect("run task");
    (report, task(store.as_ref(), tenant, id).await)
}

/// The task's row.
pub async fn task(store: &dyn Store, tenant: TenantId, id: TaskId) -> Task {
    store
        .get_task(tenant, id)
        .await
        .expect("get")
        .expect("task exists")
}

/// The journal entries whose `details.task_id` is `id`.
pub async fn journal_of(inspect: &Inspector, tenant: TenantId, id: TaskId) -> Vec<JournalEntry> {
    let page = inspect.journal(tenant, Page::new(200, 0)).await;
    page.items
        .into_iter()
        .filter(|e| e.details["task_id"] == id.to_string().as_str())
        .collect()
}
