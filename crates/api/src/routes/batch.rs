//! `POST /api/agents/tasks/batch`: several tasks, with
//! dependencies among them by `ref`, created all or nothing in one transaction. Each item
//! is a create body read as `POST /api/agents/tasks` reads one; a fault names its item
//! (`tasks[2].payload.title: ...`), a cycle its refs (`depends_on: cycle plan -> apply ->
//! plan`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use zora_core::dependency::Dependency;
use zora_core::{NewTask, TaskId};
use zora_engine::{BatchError, CreateError, Created};

use crate::auth::{AuthUser, Role};
use crate::body::JsonObject;
use crate::error::{ApiError, FieldError};
use crate::routes::create::validation;
use crate::routes::create_body::parse_with_parents;
use crate::routes::depends_on::{Parent, ParentItem};
use crate::state::AppState;
use crate::task_object::objects_as;

/// At most this many tasks per batch.
pub const MAX_BATCH: usize = 100;

/// The longest `ref`.
const REF_MAX: usize = 100;

/// One item of a batch, read: its task, its ref, its parents as written.
struct Item {
    task: NewTask,
    reference: Option<String>,
    parents: Vec<ParentItem>,
}

pub async fn create_batch(
    user: AuthUser,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if user.role == Role::Viewer {
        return Err(ApiError::Forbidden("Viewers cannot create tasks".into()));
    }
    let items = read_items(&body, &user, &state.agents)?;
    let order = insertion_order(&items)?;
    let tasks = resolved(&items, &order);
    let created = zora_engine::create_batch(state.store.as_ref(), &state.registry, &tasks)
        .await
        .map_err(|BatchError { index, error }| in_item(order[index], error))?;
    let any_new = created.iter().any(|c| matches!(c, Created::New(_)));
    // Back in the request's order.
    let mut by_item: Vec<Option<zora_core::Task>> = vec![None; items.len()];
    for (position, made) in order.iter().zip(created) {
        by_item[*position] = Some(made.into_task());
    }
    let stored: Vec<zora_core::Task> = by_item.into_iter().flatten().collect();
    let refs: Map<String, Value> = items
        .iter()
        .zip(&stored)
        .filter_map(|(item, task)| Some((item.reference.clone()?, json!(task.id))))
        .collect();
    let objects = objects_as(state.store.as_ref(), stored, |t| t).await?;
    let status = if any_new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"data": {"tasks": objects, "refs": refs}})),
    ))
}

/// Reads `tasks`: a list of 1 to [`MAX_BATCH`] create bodies, each with an optional
/// `ref` unique in the batch; every item's faults are listed, each named by its item.
fn read_items(
    body: &Map<String, Value>,
    user: &AuthUser,
    agents: &[String],
) -> Result<Vec<Item>, ApiError> {
    let list = match body.get("tasks") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        _ => {
            return Err(ApiError::field(
                "tasks",
                "tasks must be a non-empty list of tasks",
            ));
        }
    };
    if list.len() > MAX_BATCH {
        return Err(ApiError::field(
            "tasks",
            format!(
                "tasks: at most {MAX_BATCH} tasks per batch, got {}",
                list.len()
            ),
        ));
    }
    let mut faults = Vec::new();
    let mut items = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let Value::Object(fields) = entry else {
            faults.push(fault(i, "task", "each task must be a JSON object"));
            continue;
        };
        let reference = match fields.get("ref") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if !name.trim().is_empty() && name.len() <= REF_MAX => {
                Some(name.clone())
            }
            Some(_) => {
                faults.push(fault(
                    i,
                    "ref",
                    &format!("ref must be a non-empty string of at most {REF_MAX} characters"),
                ));
                None
            }
        };
        match parse_with_parents(fields, user, agents, true) {
            Ok((task, parents)) => items.push(Item {
                task,
                reference,
                parents,
            }),
            Err(errors) => faults.extend(errors.into_iter().map(|e| in_item_field(i, e))),
        }
    }
    if faults.is_empty() {
        faults = duplicates(&items);
    }
    if faults.is_empty() {
        Ok(items)
    } else {
        Err(validation(faults))
    }
}

/// Refs and idempotency keys used twice.
fn duplicates(items: &[Item]) -> Vec<FieldError> {
    let mut faults = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let earlier = &items[..i];
        if let Some(name) = &item.reference
            && earlier.iter().any(|e| e.reference.as_ref() == Some(name))
        {
            faults.push(fault(
                i,
                "ref",
                &format!("ref '{name}' is used twice in this batch"),
            ));
        }
        if let Some(key) = &item.task.idempotency_key
            && earlier
                .iter()
                .any(|e| e.task.idempotency_key.as_ref() == Some(key))
        {
            faults.push(fault(
                i,
                "idempotency_key",
                &format!("idempotency_key '{key}' is used twice in this batch"),
            ));
        }
    }
    faults
}

/// The items' positions in an order where each comes after the items it names by ref;
/// an unknown ref or a cycle is refused.
fn insertion_order(items: &[Item]) -> Result<Vec<usize>, ApiError> {
    let index_of: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((item.reference.as_deref()?, i)))
        .collect();
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut mine = Vec::new();
        for parent in &item.parents {
            if let Parent::Ref(name) = &parent.parent {
                let Some(&p) = index_of.get(name.as_str()) else {
                    return Err(validation(vec![fault(
                        i,
                        "depends_on",
                        &format!("depends_on: unknown ref '{name}'"),
                    )]));
                };
                mine.push(p);
            }
        }
        parents.push(mine);
    }
    let mut order = Vec::with_capacity(items.len());
    // 0: not visited, 1: on the path, 2: placed.
    let mut mark = vec![0u8; items.len()];
    let mut path = Vec::new();
    for start in 0..items.len() {
        visit(start, &parents, &mut mark, &mut path, &mut order)
            .map_err(|cycle| cycle_error(items, &cycle))?;
    }
    Ok(order)
}

/// Depth first: places `node` after its parents; `Err` is a cycle's items, in order.
fn visit(
    node: usize,
    parents: &[Vec<usize>],
    mark: &mut [u8],
    path: &mut Vec<usize>,
    order: &mut Vec<usize>,
) -> Result<(), Vec<usize>> {
    match mark[node] {
        2 => return Ok(()),
        1 => {
            let from = path.iter().position(|&n| n == node).unwrap_or(0);
            let mut cycle = path[from..].to_vec();
            cycle.push(node);
            return Err(cycle);
        }
        _ => {}
    }
    mark[node] = 1;
    path.push(node);
    for &parent in &parents[node] {
        visit(parent, parents, mark, path, order)?;
    }
    path.pop();
    mark[node] = 2;
    order.push(node);
    Ok(())
}

/// `depends_on: cycle plan -> apply -> plan`, in the direction a task depends on another.
fn cycle_error(items: &[Item], cycle: &[usize]) -> ApiError {
    let names: Vec<&str> = cycle
        .iter()
        .rev()
        .map(|&i| items[i].reference.as_deref().unwrap_or("?"))
        .collect();
    ApiError::field(
        "depends_on",
        format!("depends_on: cycle {}", names.join(" -> ")),
    )
}

/// The tasks in insertion order, each ref in `depends_on` made the id of the task it names.
fn resolved(items: &[Item], order: &[usize]) -> Vec<NewTask> {
    let id_of: HashMap<&str, TaskId> = items
        .iter()
        .filter_map(|item| Some((item.reference.as_deref()?, item.task.id)))
        .collect();
    order
        .iter()
        .map(|&i| {
            let item = &items[i];
            let mut task = item.task.clone();
            task.depends_on = item
                .parents
                .iter()
                .map(|p| Dependency {
                    task_id: match &p.parent {
                        Parent::Task(id) => *id,
                        Parent::Ref(name) => id_of[name.as_str()],
                    },
                    inputs: p.inputs.clone(),
                })
                .collect();
            task
        })
        .collect()
}

fn fault(item: usize, field: &str, message: &str) -> FieldError {
    FieldError {
        field: format!("tasks[{item}].{field}"),
        message: format!("tasks[{item}].{field}: {message}"),
    }
}

/// A create body's fault, named by its item: `tasks[2].payload.title: ...`.
fn in_item_field(item: usize, error: FieldError) -> FieldError {
    error.within(&format!("tasks[{item}]"))
}

/// The engine's refusal of the item at request position `item`.
fn in_item(item: usize, error: CreateError) -> ApiError {
    ApiError::from(error).within(&format!("tasks[{item}]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_items_fault_names_its_field_once() {
        let fault = in_item_field(
            2,
            FieldError {
                field: "payload.profile_id".into(),
                message: "profile_id: Climate profile x not found".into(),
            },
        );
        assert_eq!(fault.field, "tasks[2].payload.profile_id");
        assert_eq!(
            fault.message,
            "tasks[2].payload.profile_id: Climate profile x not found"
        );
    }
}
