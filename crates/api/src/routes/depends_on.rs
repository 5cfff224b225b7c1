//! The `depends_on` field of a create body: a
//! list whose items are a task id, `{"task_id": id, "inputs": {...}}`, or, in a batch, a
//! `ref` of the same batch (`"plan"` or `{"ref": "plan", "inputs": {...}}`).

use std::collections::BTreeMap;

use serde_json::Value;
use zora_core::TaskId;
use zora_core::dependency::{Dependency, MAX_PARENTS};

/// Who a `depends_on` item names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    Task(TaskId),
    /// A `ref` of the same batch.
    Ref(String),
}

/// One `depends_on` item, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentItem {
    pub parent: Parent,
    pub inputs: BTreeMap<String, String>,
}

impl ParentItem {
    /// The dependency on an existing task, or `None` for a ref.
    pub fn on_task(&self) -> Option<Dependency> {
        match self.parent {
            Parent::Task(task_id) => Some(Dependency {
                task_id,
                inputs: self.inputs.clone(),
            }),
            Parent::Ref(_) => None,
        }
    }
}

const SHAPE: &str = "depends_on must be a list of task ids or {\"task_id\": id, \"inputs\": {...}}";

/// Reads `depends_on`; `refs` whether a bare string may be a batch's ref (anything that
/// is not a task id). `Err` is the message (its field is `depends_on`).
pub fn read(value: &Value, refs: bool) -> Result<Vec<ParentItem>, String> {
    let Value::Array(items) = value else {
        return Err(SHAPE.into());
    };
    if items.len() > MAX_PARENTS {
        return Err(format!(
            "depends_on: at most {MAX_PARENTS} parents, got {}",
            items.len()
        ));
    }
    let mut read = Vec::with_capacity(items.len());
    for item in items {
        let parsed = item_of(item, refs)?;
        if read.iter().any(|r: &ParentItem| r.parent == parsed.parent) {
            return Err(format!(
                "depends_on: {} is listed twice",
                name(&parsed.parent)
            ));
        }
        read.push(parsed);
    }
    Ok(read)
}

fn name(parent: &Parent) -> String {
    match parent {
        Parent::Task(id) => format!("Task {id}"),
        Parent::Ref(name) => format!("ref '{name}'"),
    }
}

fn item_of(item: &Value, refs: bool) -> Result<ParentItem, String> {
    match item {
        Value::String(text) => Ok(ParentItem {
            parent: parent_of(text, refs)?,
            inputs: BTreeMap::new(),
        }),
        Value::Object(fields) => {
            let parent = match (fields.get("task_id"), fields.get("ref")) {
                (Some(Value::String(id)), None) => Parent::Task(task_id(id)?),
                (None, Some(Value::String(name))) if refs => Parent::Ref(name.clone()),
                (None, Some(_)) if !refs => {
                    return Err("depends_on: ref is only known inside a batch".into());
                }
                _ if refs => {
                    return Err("depends_on: each item names exactly one of task_id or ref".into());
                }
                _ => return Err(SHAPE.into()),
            };
            Ok(ParentItem {
                parent,
                inputs: inputs_of(fields.get("inputs"))?,
            })
        }
        _ => Err(SHAPE.into()),
    }
}

fn parent_of(text: &str, refs: bool) -> Result<Parent, String> {
    match text.parse::<TaskId>() {
        Ok(id) => Ok(Parent::Task(id)),
        Err(_) if refs => Ok(Parent::Ref(text.to_owned())),
        Err(_) => task_id(text).map(Parent::Task),
    }
}

fn task_id(text: &str) -> Result<TaskId, String> {
    text.parse()
        .map_err(|_| format!("depends_on: '{text}' is not a task id"))
}

fn inputs_of(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let message = "depends_on: inputs must map payload fields to result fields, \
                   like {\"plan_id\": \"plan_id\"}";
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(child, parent)| match parent {
                Value::String(parent) if !child.is_empty() && !parent.is_empty() => {
                    Ok((child.clone(), parent.clone()))
                }
                _ => Err(message.to_owned()),
            })
            .collect(),
        Some(_) => Err(message.into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_objects_and_refs_are_read() {
        let id = TaskId::new();
        let read = read(
            &json!([id.to_string(), {"ref": "plan", "inputs": {"plan_id": "plan_id"}}]),
            true,
        )
        .expect("valid");
        assert_eq!(read[0].parent, Parent::Task(id));
        assert_eq!(read[1].parent, Parent::Ref("plan".into()));
        assert_eq!(read[1].inputs["plan_id"], "plan_id");
    }

    #[test]
    fn faults_are_named() {
        let id = TaskId::new().to_string();
        for (value, refs, message) in [
            (json!("x"), false, SHAPE.to_owned()),
            (json!(["nope"]), false, "depends_on: 'nope' is not a task id".into()),
            (json!([{"ref": "a"}]), false, "depends_on: ref is only known inside a batch".into()),
            (json!([&id, &id]), false, format!("depends_on: Task {id} is listed twice")),
            (json!([{"task_id": &id, "inputs": {"a": 1}}]), false,
             "depends_on: inputs must map payload fields to result fields, like {\"plan_id\": \"plan_id\"}".into()),
        ] {
            assert_eq!(read(&value, refs).expect_err("refused"), message, "{value}");
        }
        let many: Vec<String> = (0..21).map(|_| TaskId::new().to_string()).collect();
        assert_eq!(
            read(&json!(many), false).expect_err("too many"),
            "depends_on: at most 20 parents, got 21"
        );
    }
}
