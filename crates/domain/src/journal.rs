//! The journal entry every handler writes: `author` is the task's agent, `details` always
//! carries `event_type` and `task_id`.

use serde_json::{Map, Value};
use zora_core::journal::{JournalCategory, NewJournalEntry};
use zora_core::{JournalEntryId, Task};

/// A journal entry for `task`; `details` is an object to which `event_type` and
/// `task_id` are added.
pub fn entry(
    task: &Task,
    category: JournalCategory,
    event_type: &str,
    title: String,
    body: String,
    details: Value,
) -> NewJournalEntry {
    let mut details = match details {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    details.insert("event_type".into(), Value::from(event_type));
    details.insert("task_id".into(), Value::from(task.id.to_string()));
    NewJournalEntry {
        id: JournalEntryId::new(),
        tenant_id: task.tenant_id,
        category,
        title,
        body: Some(body),
        details: Value::Object(details),
        author: Some(task.agent_id.clone()),
    }
}
