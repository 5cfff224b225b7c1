//! The store test suite: one set of cases, written once against [`Store`], that every
//! store runs unchanged (River's `riverdrivertest` is the model). A store's test file
//! instantiates every case with [`store_suite!`](crate::store_suite).
//!
//! Every case also checks tenant isolation: rows of tenant B are invisible to every
//! method called for tenant A.

use std::time::Duration;

use serde_json::{Value, json};
use zora_core::tenant::NewTenant;
use zora_core::{ClaimRequest, ClaimScope, NewTask, RescuePolicy, Store, Task, TenantId};

pub mod approvals;
pub mod cancel;
pub mod climate;
pub mod commands;
pub mod dependencies;
pub mod external_types;
pub mod journal;
pub mod schedules;
pub mod shop;
pub mod tasks;
pub mod tenants;
pub mod usage;
pub mod wakeups;
pub mod workers;

/// Instantiates every suite case as a `#[tokio::test]` on the store `$make` returns:
/// an async expression yielding `(Subject, guard)`, the guard kept alive for the test (a
/// temporary database, say). A case takes `&dyn Store`, or `&Subject` when it reads what
/// only tests read.
#[macro_export]
macro_rules! store_suite {
    ($make:expr) => {
        $crate::store_suite!(@common $make;
            wakeups::wakeups_say_when_tasks_become_runnable,
            wakeups::a_watch_is_told_when_its_task_finishes,);
    };
    // Behind a transaction-mode pooler: every case but LISTEN's, which a pooler cannot carry.
    (behind_pooler: $make:expr) => {
        $crate::store_suite!(@common $make;);
    };
    (@common $make:expr; $($extra:ident :: $extra_case:ident,)*) => {
        $crate::store_suite!(@cases $make;
            tasks::insert_and_get_round_trip,
            tasks::list_orders_filters_and_paginates,
            tasks::claim_for_tenant_takes_runnable_tasks_in_order,
            tasks::claim_across_tenants_caps_each_tenant,
            tasks::the_fair_share_counts_only_runnable_work,
            tasks::outcomes_are_conditional_on_the_lease,
            tasks::failures_retry_later_or_fail_for_good,
            tasks::rescue_takes_back_expired_leases_only,
            tasks::the_rescue_fails_a_task_that_lost_too_many_attempts,
            tasks::a_retried_task_starts_its_lost_attempts_over,
            tasks::heartbeats_extend_held_leases_only,
            tasks::queue_stats_count_per_status_and_type,
            tasks::savepoints_and_rollback_discard_writes,
            tasks::idempotency_key_is_unique_per_tenant,
            tasks::schema_is_current_once_opened,
            tasks::claim_by_id_runs_now_refuses_the_rest_and_takes_over_expired_leases,
            tasks::a_failed_task_is_reset_and_a_later_one_made_due,
            tasks::released_tasks_go_back_unrun_and_uncharged,
            tasks::a_locked_claim_writes_each_task_once_and_a_rollback_nothing,
            dependencies::a_chain_runs_in_order_with_inputs_filled,
            dependencies::a_task_waits_for_every_parent,
            dependencies::a_failed_parent_fails_its_dependents_at_once_and_a_retry_resets_them,
            dependencies::a_dependent_with_another_failed_parent_waits_for_that_ones_retry,
            dependencies::a_task_the_rescue_fails_fails_its_dependents,
            dependencies::parents_completed_at_once_release_their_child,
            approvals::a_decision_lets_a_task_run_or_fails_it_with_its_dependents,
            cancel::a_pending_task_is_cancelled_at_once_with_its_dependents,
            cancel::a_running_task_is_stopped_at_its_lease_check,
            cancel::a_cancelled_task_whose_lease_expired_is_rescued_as_cancelled,
            climate::profiles_plans_and_items_are_tenant_scoped,
            climate::a_plan_is_applied_at_most_once,
            climate::suggested_plans_are_inserted_once_per_week,
            climate::missions_round_numbers_and_link_items,
            climate::missing_reference_is_reported_as_such,
            climate::a_task_part_undoes_its_own_writes_alone,
            climate::a_part_that_cannot_be_undone_refuses_and_the_rollback_takes_it,
            shop::brands_and_products_are_tenant_scoped,
            shop::climate_meta_upsert_creates_then_patches,
            shop::shop_projects_round_trip,
            shop::duplicate_slug_is_a_conflict,
            journal::entries_list_newest_first_per_tenant,
            journal::a_tasks_journal_its_states_counted_and_titles_searched,
            commands::commands_move_through_their_states_per_tenant,
            commands::a_commands_tasks_are_found_by_either_link,
            workers::workers_register_beat_expire_and_stop,
            schedules::schedules_are_tenant_scoped_and_change_as_told,
            schedules::a_slot_is_taken_once_and_only_from_the_slot_read,
            schedules::one_holder_leads_until_its_lease_expires_or_it_resigns,
            schedules::a_prune_walks_windows_and_keeps_parents_of_unfinished_tasks,
            tenants::a_tenant_exists_only_with_its_row,
            tenants::a_read_transaction_reads_and_refuses_writes,
            external_types::external_types_are_one_per_scope_and_name,
            external_types::a_registration_of_the_wrong_shape_is_refused,
            external_types::push_registrations_keep_their_target,
            usage::model_calls_are_written_with_their_transaction_and_summed,
            $($extra::$extra_case,)*
        );
    };
    (@cases $make:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $make.await;
                $crate::suite::$module::$case($crate::inspect::FromSubject::from_subject(&store)).await;
            }
        )*
    };
}

/// Two fresh tenants: the one a case acts for, and the one whose rows must stay invisible.
#[derive(Debug, Clone, Copy)]
pub struct Tenants {
    pub a: TenantId,
    pub b: TenantId,
}

/// Creates two tenants of the case's own.
pub async fn two_tenants(store: &dyn Store) -> Tenants {
    let tenants = Tenants {
        a: TenantId::new(),
        b: TenantId::new(),
    };
    let mut tx = store.begin().await.expect("begin");
    for (id, name) in [(tenants.a, "Tenant A"), (tenants.b, "Tenant B")] {
        crate::insert_tenant(
            tx.as_mut(),
            &NewTenant {
                id,
                name: name.into(),
                slug: Some(format!("t-{id}")),
            },
        )
        .await
        .expect("insert tenant");
    }
    tx.commit().await.expect("commit");
    tenants
}

/// Inserts `tasks` in one transaction and returns them as stored.
pub async fn insert_tasks(store: &dyn Store, tasks: &[NewTask]) -> Vec<zora_core::Task> {
    let mut tx = store.begin().await.expect("begin");
    let mut stored = Vec::new();
    for task in tasks {
        stored.push(tx.insert_task(task).await.expect("insert task"));
    }
    tx.commit().await.expect("commit");
    stored
}

/// A task of `task_type` for `tenant` with a payload that exercises JSON round trips.
pub fn task(tenant: TenantId, task_type: &str, title: &str) -> NewTask {
    NewTask::new(tenant, "ORACLE", task_type, title, sample_payload())
}

/// Nested objects, arrays, integers, floats, booleans, null and unicode.
pub fn sample_payload() -> Value {
    json!({
        "profile_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "count": 3,
        "ratio": 12.5,
        "big": 9_007_199_254_740_991_i64,
        "flags": [true, false, null],
        "nested": {"title": "Ærø – 🌱", "empty": {}},
    })
}

/// A worker that died holding its tasks: claims up to `limit` of `tenant`'s tasks of
/// `types` as `owner` under a lease that lapses at once, and waits past its end (on
/// SQLite's millisecond clock too). Returns what it claimed.
pub async fn claim_and_die(
    store: &dyn Store,
    tenant: TenantId,
    types: &[&str],
    limit: u32,
    owner: &str,
) -> Vec<Task> {
    let mut claim = claim_for(tenant, types, limit, owner);
    claim.lease_duration = Duration::ZERO;
    let claimed = store.claim_tasks(&claim).await.expect("claim");
    tokio::time::sleep(Duration::from_millis(20)).await;
    claimed
}

/// One rescue of expired leases under `policy`.
pub async fn rescue(store: &dyn Store, policy: RescuePolicy) -> Vec<Task> {
    store
        .rescue_expired_leases_all_tenants(policy, 100)
        .await
        .expect("rescue")
}

/// A claim of one tenant's tasks of `types`.
pub fn claim_for(tenant: TenantId, types: &[&str], limit: u32, owner: &str) -> ClaimRequest {
    ClaimRequest {
        scope: ClaimScope::Tenant(tenant),
        task_types: types.iter().map(|t| (*t).to_owned()).collect(),
        limit,
        owner: owner.to_owned(),
        lease_duration: Duration::from_secs(30),
    }
}
