//! Suite cases for Climate OS rows: profiles, weekly plans and items, missions.

use crate::Subject;
use chrono::NaiveDate;
use serde_json::json;
use zora_core::{Store, StoreError, TenantId};
use zora_domain::climate::tables::{NewMission, NewPlan, NewPlanItem, NewProfile};
use zora_domain::ids::{MissionId, PlanId, PlanItemId, ProfileId};

use super::two_tenants;
use zora_domain::climate::store as climate_store;

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Seeds a profile and a proposed plan with two items for `tenant`.
pub async fn seed_plan(
    store: &dyn Store,
    tenant: TenantId,
) -> (ProfileId, PlanId, Vec<PlanItemId>) {
    let profile = ProfileId::new();
    let plan = PlanId::new();
    let items = vec![PlanItemId::new(), PlanItemId::new()];
    let mut tx = store.begin().await.expect("begin");
    climate_store::insert_profile(
        &mut *tx,
        &NewProfile {
            id: profile,
            tenant_id: tenant,
            name: "Household".into(),
            profile_type: "person".into(),
        },
    )
    .await
    .expect("profile");
    climate_store::insert_plan(
        &mut *tx,
        &NewPlan {
            id: plan,
            tenant_id: tenant,
            profile_id: profile,
            period_start: date("2026-11-23"),
            period_end: date("2026-11-29"),
            items: vec![
                NewPlanItem {
                    id: items[0],
                    title: "Switch to LED".into(),
                    description: Some("Living room".into()),
                    category: Some("energy".into()),
                    estimated_impact_kgco2: Some(20.0),
                },
                NewPlanItem {
                    id: items[1],
                    title: "Meatless Monday".into(),
                    description: None,
                    category: None,
                    estimated_impact_kgco2: None,
                },
            ],
        },
    )
    .await
    .expect("plan");
    tx.commit().await.expect("commit");
    (profile, plan, items)
}

pub async fn profiles_plans_and_items_are_tenant_scoped(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (profile, plan, items) = seed_plan(store, t.a).await;
    let mut tx = store.begin().await.expect("begin");
    let profiles = climate_store::profiles(&mut *tx, t.a, &[profile, ProfileId::new()])
        .await
        .expect("profiles");
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].name, "Household");
    assert_eq!(profiles[0].profile_type, "person");
    let plans = climate_store::plans(&mut *tx, t.a, &[plan])
        .await
        .expect("plans");
    assert_eq!(plans[0].status, "proposed");
    assert_eq!(plans[0].profile_id, profile);
    assert_eq!(plans[0].period_end, date("2026-11-29"));
    let found = climate_store::plan_items(&mut *tx, t.a, &[plan])
        .await
        .expect("items");
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        items,
        "created_at, then id"
    );
    assert_eq!(found[0].estimated_impact_kgco2, Some(20.0));
    assert_eq!(found[0].status, "planned");
    assert!(found[1].category.is_none() && found[0].mission_id.is_none());

    assert!(
        climate_store::profiles(&mut *tx, t.b, &[profile])
            .await
            .expect("profiles")
            .is_empty()
    );
    assert!(
        climate_store::plans(&mut *tx, t.b, &[plan])
            .await
            .expect("plans")
            .is_empty()
    );
    assert!(
        climate_store::plan_items(&mut *tx, t.b, &[plan])
            .await
            .expect("items")
            .is_empty()
    );
    assert!(
        climate_store::mark_plans_applied(&mut *tx, t.b, &[plan])
            .await
            .expect("mark")
            .is_empty(),
        "tenant B cannot apply it"
    );
}

pub async fn a_plan_is_applied_at_most_once(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (_, plan, _) = seed_plan(store, t.a).await;
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        climate_store::mark_plans_applied(&mut *tx, t.a, &[plan, plan])
            .await
            .expect("mark"),
        [plan],
        "named twice, marked once"
    );
    assert!(
        climate_store::mark_plans_applied(&mut *tx, t.a, &[plan])
            .await
            .expect("mark")
            .is_empty(),
        "already applied"
    );
    tx.commit().await.expect("commit");
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        climate_store::plans(&mut *tx, t.a, &[plan])
            .await
            .expect("plans")[0]
            .status,
        "applied"
    );
}

pub async fn missions_round_numbers_and_link_items(store: &Subject) {
    let (store, inspect) = (store.store(), store.inspect());
    let t = two_tenants(store).await;
    let (profile, plan, items) = seed_plan(store, t.a).await;
    let missions = [MissionId::new(), MissionId::new()];
    let mut tx = store.begin().await.expect("begin");
    climate_store::insert_missions(
        &mut *tx,
        &[
            NewMission {
                id: missions[0],
                tenant_id: t.a,
                profile_id: profile,
                title: "Switch to LED".into(),
                description: Some("Living room".into()),
                category: "energy".into(),
                estimated_impact_kgco2: Some(20.456),
                due_date: Some(date("2026-11-29")),
                notes: Some("kitchen too".into()),
                metadata: json!({"source": "weekly_plan", "plan_id": plan.to_string()}),
            },
            NewMission {
                id: missions[1],
                tenant_id: t.a,
                profile_id: profile,
                title: "Meatless Monday".into(),
                description: None,
                category: "general".into(),
                estimated_impact_kgco2: None,
                due_date: None,
                notes: None,
                metadata: json!({}),
            },
        ],
    )
    .await
    .expect("missions");
    climate_store::link_plan_items(&mut *tx, t.b, &[(items[0], missions[0])])
        .await
        .expect("link as B");
    let unlinked = climate_store::plan_items(&mut *tx, t.a, &[plan])
        .await
        .expect("items");
    assert!(
        unlinked.iter().all(|i| i.mission_id.is_none()),
        "tenant B cannot link tenant A's items"
    );
    climate_store::link_plan_items(
        &mut *tx,
        t.a,
        &[(items[0], missions[0]), (items[1], missions[1])],
    )
    .await
    .expect("link");
    tx.commit().await.expect("commit");

    let mut ids = missions.to_vec();
    ids.sort();
    let stored = inspect.missions(t.a, &missions).await;
    assert_eq!(
        stored.iter().map(|m| m.id).collect::<Vec<_>>(),
        ids,
        "in id order"
    );
    let led = stored.iter().find(|m| m.id == missions[0]).expect("led");
    assert_eq!(
        led.estimated_impact_kgco2,
        Some(20.46),
        "numeric(12,2): 2 decimals"
    );
    assert_eq!(led.status, "planned");
    assert_eq!(led.notes.as_deref(), Some("kitchen too"));
    assert_eq!(led.metadata["source"], "weekly_plan");
    assert_eq!(led.profile_id, Some(profile));
    assert!(inspect.missions(t.b, &missions).await.is_empty());

    let mut tx = store.begin().await.expect("begin");
    let linked = climate_store::plan_items(&mut *tx, t.a, &[plan])
        .await
        .expect("items");
    assert_eq!(linked[0].mission_id, Some(missions[0]));
    assert_eq!(linked[1].mission_id, Some(missions[1]));
}

pub async fn missing_reference_is_reported_as_such(store: &dyn Store) {
    let t = two_tenants(store).await;
    let mut tx = store.begin().await.expect("begin");
    let err = climate_store::insert_missions(
        &mut *tx,
        &[NewMission {
            id: MissionId::new(),
            tenant_id: t.a,
            profile_id: ProfileId::new(),
            title: "Orphan".into(),
            description: None,
            category: "general".into(),
            estimated_impact_kgco2: None,
            due_date: None,
            notes: None,
            metadata: json!({}),
        }],
    )
    .await
    .expect_err("no such profile");
    assert!(
        matches!(err, StoreError::MissingReference { .. }),
        "{err:?}"
    );
    assert!(!err.is_transient());
}

fn mission(id: MissionId, tenant: TenantId, profile: ProfileId, title: &str) -> NewMission {
    NewMission {
        id,
        tenant_id: tenant,
        profile_id: profile,
        title: title.into(),
        description: None,
        category: "energy".into(),
        estimated_impact_kgco2: Some(1.5),
        due_date: None,
        notes: None,
        metadata: json!({}),
    }
}

pub async fn a_task_part_undoes_its_own_writes_alone(store: &Subject) {
    let (store, inspect) = (store.store(), store.inspect());
    let t = two_tenants(store).await;
    let (profile, plan, items) = seed_plan(store, t.a).await;
    let (kept, dropped) = (MissionId::new(), MissionId::new());
    let mut tx = store.begin().await.expect("begin");

    // A task that writes a mission and its link, then is kept.
    tx.begin_task(true);
    climate_store::insert_missions(&mut *tx, &[mission(kept, t.a, profile, "kept")])
        .await
        .expect("mission");
    climate_store::link_plan_items(&mut *tx, t.a, &[(items[0], kept)])
        .await
        .expect("link");
    tx.end_task(true).await.expect("keep");

    // A task that inserts, marks the plan applied and links, then fails: all of it
    // undone, the first task's part untouched.
    tx.begin_task(true);
    climate_store::insert_missions(&mut *tx, &[mission(dropped, t.a, profile, "dropped")])
        .await
        .expect("mission");
    assert_eq!(
        climate_store::mark_plans_applied(&mut *tx, t.a, &[plan])
            .await
            .expect("mark"),
        [plan]
    );
    climate_store::link_plan_items(&mut *tx, t.a, &[(items[1], dropped)])
        .await
        .expect("link");
    tx.end_task(false).await.expect("undo");
    assert_eq!(
        climate_store::plans(&mut *tx, t.a, &[plan])
            .await
            .expect("plans")[0]
            .status,
        "proposed",
        "the failed task's plan mark is rolled back"
    );

    // A task that wrote nothing ends either way without a savepoint to undo.
    tx.begin_task(true);
    tx.end_task(false).await.expect("nothing to undo");

    // Outside a task a write is made at once, and a refused one fails at once, leaving
    // the transaction usable when it was in a task's part.
    tx.begin_task(true);
    let err = climate_store::insert_missions(
        &mut *tx,
        &[mission(
            MissionId::new(),
            t.a,
            ProfileId::new(),
            "no profile",
        )],
    )
    .await
    .expect_err("a missing profile is refused at once");
    assert!(
        matches!(err, StoreError::MissingReference { .. }),
        "{err:?}"
    );
    tx.end_task(false)
        .await
        .expect("the refused write is undone");
    tx.commit().await.expect("commit");

    let stored = inspect.missions(t.a, &[kept, dropped]).await;
    assert_eq!(
        stored.iter().map(|m| m.id).collect::<Vec<_>>(),
        [kept],
        "the kept task's mission only"
    );
    let mut tx = store.begin().await.expect("begin");
    let linked = climate_store::plan_items(&mut *tx, t.a, &[plan])
        .await
        .expect("items");
    assert_eq!(linked[0].mission_id, Some(kept));
    assert_eq!(linked[1].mission_id, None);
}

/// A part begun not undoable takes no savepoint: kept, its write stands; undone after a
/// write, it refuses (the caller rolls the transaction back) and nothing of it commits.
pub async fn a_part_that_cannot_be_undone_refuses_and_the_rollback_takes_it(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (_, plan, _) = seed_plan(store, t.a).await;
    let mut tx = store.begin().await.expect("begin");
    tx.begin_task(false);
    tx.end_task(false)
        .await
        .expect("nothing written: nothing to undo");
    tx.begin_task(false);
    assert_eq!(
        climate_store::mark_plans_applied(&mut *tx, t.a, &[plan])
            .await
            .expect("mark"),
        [plan]
    );
    let err = tx
        .end_task(false)
        .await
        .expect_err("a write without a savepoint cannot be undone alone");
    assert!(err.is_transient(), "{err:?}");
    tx.rollback().await.expect("rollback");
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        climate_store::plans(&mut *tx, t.a, &[plan])
            .await
            .expect("plans")[0]
            .status,
        "proposed",
        "the rollback took the write"
    );
    tx.begin_task(false);
    assert_eq!(
        climate_store::mark_plans_applied(&mut *tx, t.a, &[plan])
            .await
            .expect("mark"),
        [plan]
    );
    tx.end_task(true).await.expect("kept");
    tx.commit().await.expect("commit");
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        climate_store::plans(&mut *tx, t.a, &[plan])
            .await
            .expect("plans")[0]
            .status,
        "applied"
    );
}

/// The suggestion's reads and write: the default profile (the primary, else the oldest),
/// the open categories, the `proposed` plans; a suggested plan is inserted only while its
/// profile has no `proposed` plan for that week, and everything is the tenant's.
pub async fn suggested_plans_are_inserted_once_per_week(store: &dyn Store) {
    let t = two_tenants(store).await;
    let (profile, seeded, _) = seed_plan(store, t.a).await;
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        climate_store::default_profile(&mut *tx, t.b)
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        climate_store::default_profile(&mut *tx, t.a)
            .await
            .expect("read")
            .map(|p| p.id),
        Some(profile)
    );
    climate_store::insert_missions(
        &mut *tx,
        &[NewMission {
            id: MissionId::new(),
            tenant_id: t.a,
            profile_id: profile,
            title: "Bike".into(),
            description: None,
            category: "transport".into(),
            estimated_impact_kgco2: None,
            due_date: None,
            notes: None,
            metadata: json!({}),
        }],
    )
    .await
    .expect("mission");
    assert_eq!(
        climate_store::open_mission_categories(&mut *tx, t.a, &[profile])
            .await
            .expect("read"),
        vec![(profile, "transport".to_owned())]
    );
    assert!(
        climate_store::open_mission_categories(&mut *tx, t.b, &[profile])
            .await
            .expect("read")
            .is_empty()
    );
    let plan = |week: &str| NewPlan {
        id: PlanId::new(),
        tenant_id: t.a,
        profile_id: profile,
        period_start: date(week),
        period_end: date(week) + chrono::Duration::days(6),
        items: vec![NewPlanItem {
            id: PlanItemId::new(),
            title: "Cycle".into(),
            description: None,
            category: Some("transport".into()),
            estimated_impact_kgco2: Some(3.0),
        }],
    };
    // The seeded plan holds the week of 2026-11-23: only the other week is inserted.
    let (taken, free) = (plan("2026-11-23"), plan("2026-11-30"));
    let created = climate_store::insert_suggested_plans(&mut *tx, &[taken.clone(), free.clone()])
        .await
        .expect("insert");
    assert_eq!(created, vec![free.id]);
    let proposed = climate_store::proposed_weekly_plans(&mut *tx, t.a, &[profile])
        .await
        .expect("read");
    let ids: Vec<PlanId> = proposed.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![seeded, free.id], "oldest first");
    let items = climate_store::plan_items(&mut *tx, t.a, &[free.id])
        .await
        .expect("items");
    assert_eq!(items.len(), 1);
    assert!(
        climate_store::plan_items(&mut *tx, t.a, &[taken.id])
            .await
            .expect("items")
            .is_empty()
    );
    assert!(
        climate_store::proposed_weekly_plans(&mut *tx, t.b, &[profile])
            .await
            .expect("read")
            .is_empty()
    );
    tx.commit().await.expect("commit");
}
