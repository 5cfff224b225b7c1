//! What the chaos run enqueues, and what it expects of each task. Tasks come in groups of
//! eight, one of each deterministic type, with a household (profile, weekly plan) and a
//! product of their own: the plan's missions, then a single mission depending on them; a
//! shop project; the product's climate metadata; a suggested plan depending on the single
//! mission and the metadata (a fan-in); a summary depending on the suggestion (a chain of
//! four); a health review; a claims review. Every fifth group's project and every fifth
//! group's plan task need approval; one plan task in four of those is rejected, failing
//! its chain. Which tasks fault, the fault plan says from their ids.

use std::collections::{BTreeMap, BTreeSet};

use zora_core::dependency::Dependency;
use zora_core::{DEFAULT_TENANT_ID, NewTask, Store, StoreError, TaskId};
use zora_domain::ids::{BrandId, PlanId, ProductId, ProfileId};
use zora_engine::faults::{Fault, FaultPlan};

use crate::commands::demo;

/// Tasks in a group.
pub const GROUP: usize = 8;

/// One group's fixtures.
#[derive(Debug, Clone, Copy)]
pub struct Household {
    profile: ProfileId,
    plan: PlanId,
    product: ProductId,
}

/// A task needing a decision, and the decision the run makes.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub id: TaskId,
    pub approve: bool,
}

/// Everything the run enqueues, in groups, with what it expects.
#[derive(Debug)]
pub struct Workload {
    pub groups: Vec<Vec<NewTask>>,
    /// The decisions to make, by group.
    pub decisions: Vec<Vec<Pending>>,
    /// The tasks that must end failed (rejected, faulted for good, or depending on one).
    pub must_fail: BTreeSet<TaskId>,
    /// Tasks in all.
    pub total: u64,
}

/// Seeds the fixtures of `groups` groups and builds their tasks.
pub async fn seed(
    store: &dyn Store,
    groups: usize,
    faults: &FaultPlan,
) -> Result<Workload, StoreError> {
    let run_id = demo::uuid_suffix();
    let brands = [BrandId::new(), BrandId::new()];
    let households: Vec<Household> = (0..groups)
        .map(|_| Household {
            profile: ProfileId::new(),
            plan: PlanId::new(),
            product: ProductId::new(),
        })
        .collect();
    // Fixtures in transactions of a thousand groups.
    for (chunk, part) in households.chunks(1_000).enumerate() {
        let mut tx = store.begin().await?;
        if chunk == 0 {
            demo::seed_shop(
                tx.as_mut(),
                DEFAULT_TENANT_ID,
                brands,
                ProductId::new(),
                &run_id,
            )
            .await?;
        }
        for (i, household) in part.iter().enumerate() {
            let slug = format!("{run_id}-{chunk}-{i}");
            demo::seed_climate(
                tx.as_mut(),
                DEFAULT_TENANT_ID,
                household.profile,
                household.plan,
                &slug,
            )
            .await?;
            demo::seed_product(
                tx.as_mut(),
                DEFAULT_TENANT_ID,
                household.product,
                brands[0],
                &slug,
            )
            .await?;
        }
        tx.commit().await?;
    }
    let mut workload = Workload {
        groups: Vec::with_capacity(groups),
        decisions: Vec::with_capacity(groups),
        must_fail: BTreeSet::new(),
        total: (groups * GROUP) as u64,
    };
    let mut parents: BTreeMap<TaskId, Vec<TaskId>> = BTreeMap::new();
    for (g, household) in households.iter().enumerate() {
        let (tasks, decisions) = group(g, household, brands, &run_id);
        for task in &tasks {
            parents.insert(task.id, task.depends_on.iter().map(|d| d.task_id).collect());
            if faults.fault_of(task.id) == Some(Fault::Permanent) {
                workload.must_fail.insert(task.id);
            }
        }
        workload
            .must_fail
            .extend(decisions.iter().filter(|d| !d.approve).map(|d| d.id));
        workload.groups.push(tasks);
        workload.decisions.push(decisions);
    }
    // A task fails with any parent: parents come first, so one pass in order suffices.
    for group in &workload.groups {
        for task in group {
            if parents[&task.id]
                .iter()
                .any(|p| workload.must_fail.contains(p))
            {
                workload.must_fail.insert(task.id);
            }
        }
    }
    Ok(workload)
}

/// The eight tasks of group `g` and its decisions.
fn group(
    g: usize,
    household: &Household,
    brands: [BrandId; 2],
    run_id: &str,
) -> (Vec<NewTask>, Vec<Pending>) {
    let mut specs = demo::demo_tasks(
        household.profile,
        household.plan,
        brands,
        household.product,
        &format!("{run_id}-{g}"),
    );
    specs.truncate(demo::V1_VALID);
    specs.extend(demo::agent_tasks(
        household.profile,
        [household.product, household.product],
    ));
    let mut tasks: Vec<NewTask> = specs
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut task = NewTask::new(
                DEFAULT_TENANT_ID,
                spec.agent,
                spec.task_type,
                spec.title,
                spec.payload,
            );
            task.idempotency_key = Some(format!("chaos-{run_id}-{g}-{i}"));
            task
        })
        .collect();
    let on = |parent: &NewTask| Dependency {
        task_id: parent.id,
        inputs: BTreeMap::new(),
    };
    // 0 plan, 1 mission, 2 project, 3 metadata, 4 suggestion, 5 summary, 6 health,
    // 7 claims.
    tasks[1].depends_on = vec![on(&tasks[0])];
    tasks[4].depends_on = vec![on(&tasks[1]), on(&tasks[3])];
    tasks[5].depends_on = vec![on(&tasks[4])];
    let mut decisions = Vec::new();
    let mut needs_decision = |task: &mut NewTask, approve: bool| {
        task.requires_approval = true;
        decisions.push(Pending {
            id: task.id,
            approve,
        });
    };
    match g % 5 {
        2 => needs_decision(&mut tasks[2], true),
        4 => needs_decision(&mut tasks[0], g % 20 != 4),
        _ => {}
    }
    (tasks, decisions)
}
