//! The Climate OS handlers on both stores, rule by rule as ZORA CORE's executor has them: the
//! rows, journal entry, result and summary of a success, and each validation rule's
//! message with no row written.

use serde_json::json;
use zora_core::TaskStatus;
use zora_domain::ids::{MissionId, ProfileId};
use zora_engine::TaskOutcome;
use zora_testkit::TestBackend;
use zora_testkit::runs;
use zora_testkit::suite::climate::seed_plan;
use zora_testkit::suite::two_tenants;

use zora_domain::climate::store as climate_store;
use zora_testkit::runs::{enqueue, journal_of, run};

zora_testkit::both_stores!(
    a_single_mission_is_created_as_executor_md_says,
    single_mission_rules_fail_with_their_message_and_write_nothing,
    a_plan_becomes_one_mission_per_item,
    plan_rules_fail_with_their_message_and_write_nothing,
    a_plan_failing_halfway_leaves_nothing_behind,
    two_tasks_applying_one_plan_in_one_batch_create_missions_once,
    a_plan_the_batch_cannot_mark_reruns_the_batch_task_by_task,
);

/// A plan the batch's one statement cannot mark (here a trigger skips its row, as a plan
/// applied by another transaction since the batch read it would be) rolls the batch back:
/// its tasks rerun one by one, the other plan's task completes with its missions, and
/// the unmarked one writes nothing and is retried.
async fn a_plan_the_batch_cannot_mark_reruns_the_batch_task_by_task(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, plan, _) = seed_plan(store.as_ref(), t.a).await;
    let (other_profile, stuck, _) = seed_plan(store.as_ref(), t.a).await;
    let skip = match backend {
        TestBackend::Postgres(_) => format!(
            "CREATE FUNCTION skip_plan() RETURNS trigger AS $$ BEGIN \
               IF NEW.id = '{stuck}' THEN RETURN NULL; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql; \
             CREATE TRIGGER skip_plan BEFORE UPDATE ON climate_plans \
               FOR EACH ROW EXECUTE FUNCTION skip_plan();"
        ),
        TestBackend::Sqlite(..) => format!(
            "CREATE TRIGGER skip_plan BEFORE UPDATE ON climate_plans \
             WHEN NEW.id = '{stuck}' BEGIN SELECT RAISE(IGNORE); END;"
        ),
    };
    backend.execute(&skip).await;
    let kind = "climate.create_missions_from_plan";
    let applied = enqueue(
        store.as_ref(),
        t.a,
        kind,
        json!({"profile_id": profile, "plan_id": plan}),
    )
    .await;
    let unmarked = enqueue(
        store.as_ref(),
        t.a,
        kind,
        json!({"profile_id": other_profile, "plan_id": stuck}),
    )
    .await;
    let summary = runs::executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!(summary.completed, 1, "{summary:?}");
    let done = store
        .get_task(t.a, applied)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(done.status, TaskStatus::Completed);
    let retried = store
        .get_task(t.a, unmarked)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(
        retried.status,
        TaskStatus::Pending,
        "retried: {:?}",
        retried.errors
    );
    assert_eq!(retried.errors.len(), 1);
    assert_eq!(
        backend.count("climate_missions", t.a).await,
        2,
        "the marked plan's two items, once, and nothing of the unmarked plan's task"
    );
}

async fn a_single_mission_is_created_as_executor_md_says(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, _, _) = seed_plan(store.as_ref(), t.a).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_single_mission",
        json!({"profile_id": profile, "title": "Replace 5 bulbs with LED", "estimated_impact_kgco2": 20,
               "due_date": "2025-12-31", "source": "command_console"}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Completed, "{report:?}");
    assert_eq!(task.status, TaskStatus::Completed);
    assert!(task.completed_at.is_some() && task.lease_owner.is_none());
    let result = task.result.expect("result");
    let mission_id: MissionId = result["mission_id"]
        .as_str()
        .expect("mission_id")
        .parse()
        .expect("uuid");
    assert_eq!(
        result,
        json!({"mission_id": mission_id, "profile_id": profile,
                              "title": "Replace 5 bulbs with LED", "category": "general"})
    );
    assert_eq!(
        task.result_summary.as_deref(),
        Some(format!("Created mission 'Replace 5 bulbs with LED' for profile {profile}").as_str())
    );
    let missions = backend.inspect().await.missions(t.a, &[mission_id]).await;
    let mission = &missions[0];
    assert_eq!(
        (mission.status.as_str(), mission.category.as_deref()),
        ("planned", Some("general"))
    );
    assert_eq!(mission.estimated_impact_kgco2, Some(20.0));
    assert_eq!(
        mission.due_date.map(|d| d.to_string()).as_deref(),
        Some("2025-12-31")
    );
    assert_eq!(mission.notes.as_deref(), Some(""), "notes default to empty");
    assert_eq!(mission.profile_id, Some(profile));

    let journal = journal_of(&backend.inspect().await, t.a, id).await;
    assert_eq!(journal.len(), 1);
    let entry = &journal[0];
    assert_eq!(entry.category, "climate_action");
    assert_eq!(entry.title, "Created mission: Replace 5 bulbs with LED");
    assert_eq!(
        entry.body.as_deref(),
        Some("New mission for profile 'Household'")
    );
    assert_eq!(entry.author.as_deref(), Some("ORACLE"));
    assert_eq!(
        entry.details,
        json!({"event_type": "climate_mission_created", "mission_id": mission_id, "profile_id": profile,
               "category": "general", "task_id": id})
    );
}

async fn single_mission_rules_fail_with_their_message_and_write_nothing(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, _, _) = seed_plan(store.as_ref(), t.a).await;
    let (foreign, _, _) = seed_plan(store.as_ref(), t.b).await;
    let unknown = ProfileId::new();
    let cases = [
        (
            json!({"profile_id": profile}),
            "Missing required fields: profile_id and title".to_owned(),
        ),
        (
            json!({"title": "No profile"}),
            "Missing required fields: profile_id and title".to_owned(),
        ),
        (
            json!({"profile_id": profile, "title": "  "}),
            "Missing required fields: profile_id and title".to_owned(),
        ),
        (
            json!({"profile_id": unknown, "title": "x"}),
            format!("Profile {unknown} not found or does not belong to tenant"),
        ),
        (
            json!({"profile_id": foreign, "title": "x"}),
            format!("Profile {foreign} not found or does not belong to tenant"),
        ),
        (
            json!({"profile_id": "not-a-uuid", "title": "x"}),
            "Profile not-a-uuid not found or does not belong to tenant".to_owned(),
        ),
        (
            json!({"profile_id": profile, "title": "x", "estimated_impact_kgco2": "twenty"}),
            "estimated_impact_kgco2: invalid type: string \"twenty\", expected f64".to_owned(),
        ),
        (
            json!({"profile_id": profile, "title": "x", "due_date": "31/12/2025"}),
            "due_date: '31/12/2025' is not a date as YYYY-MM-DD".to_owned(),
        ),
    ];
    for (payload, message) in cases {
        let id = enqueue(
            store.as_ref(),
            t.a,
            "climate.create_single_mission",
            payload.clone(),
        )
        .await;
        let (report, task) = run(&store, t.a, id).await;
        assert_eq!(report.outcome, TaskOutcome::Failed, "{payload}");
        assert_eq!(task.status, TaskStatus::Failed);
        assert_eq!(
            task.error_message.as_deref(),
            Some(message.as_str()),
            "{payload}"
        );
        assert!(task.completed_at.is_some());
        assert_eq!(task.errors.len(), 1);
        assert!(
            journal_of(&backend.inspect().await, t.a, id)
                .await
                .is_empty(),
            "no journal entry"
        );
    }
    assert_eq!(
        backend.count("climate_missions", t.a).await,
        0,
        "no mission written"
    );
    assert_eq!(backend.count("climate_missions", t.b).await, 0);
}

async fn a_plan_becomes_one_mission_per_item(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, plan, items) = seed_plan(store.as_ref(), t.a).await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_missions_from_plan",
        json!({"profile_id": profile, "plan_id": plan}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_eq!(report.outcome, TaskOutcome::Completed, "{report:?}");
    let result = task.result.expect("result");
    let mission_ids: Vec<MissionId> =
        serde_json::from_value(result["mission_ids"].clone()).expect("ids");
    assert_eq!(
        result,
        json!({"plan_id": plan, "profile_id": profile, "missions_created": 2, "mission_ids": mission_ids})
    );
    assert_eq!(
        task.result_summary,
        Some(format!("Created 2 missions from plan {plan}"))
    );

    let mut tx = store.begin().await.expect("begin");
    let linked = climate_store::plan_items(&mut *tx, t.a, &[plan])
        .await
        .expect("items");
    let stored_plan = climate_store::plans(&mut *tx, t.a, &[plan])
        .await
        .expect("plan")
        .remove(0);
    drop(tx);
    assert_eq!(stored_plan.status, "applied");
    assert_eq!(
        linked.iter().map(|i| i.mission_id).collect::<Vec<_>>(),
        mission_ids.iter().copied().map(Some).collect::<Vec<_>>()
    );
    let missions = backend.inspect().await.missions(t.a, &mission_ids).await;
    for (item, mission_id) in items.iter().zip(&mission_ids) {
        let mission = missions
            .iter()
            .find(|m| m.id == *mission_id)
            .expect("mission");
        let source = linked.iter().find(|i| i.id == *item).expect("item");
        assert_eq!(mission.title, source.title);
        assert_eq!(mission.description, source.description);
        assert_eq!(
            mission.category.as_deref(),
            Some(source.category.as_deref().unwrap_or("general"))
        );
        assert_eq!(
            mission.estimated_impact_kgco2,
            source.estimated_impact_kgco2
        );
        assert_eq!(mission.due_date, Some(stored_plan.period_end));
        assert_eq!(mission.status, "planned");
        assert_eq!(
            mission.metadata,
            json!({"source": "weekly_plan", "plan_id": plan, "plan_item_id": item})
        );
    }
    let journal = journal_of(&backend.inspect().await, t.a, id).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].title, "Created 2 missions from weekly plan");
    assert_eq!(
        journal[0].body,
        Some(format!("Applied plan {plan} to profile {profile}"))
    );
    assert_eq!(journal[0].category, "climate_action");
    assert_eq!(
        journal[0].details,
        json!({"event_type": "climate_missions_created_from_plan", "plan_id": plan, "profile_id": profile,
               "missions_created": 2, "mission_ids": mission_ids, "task_id": id})
    );
}

async fn plan_rules_fail_with_their_message_and_write_nothing(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, plan, _) = seed_plan(store.as_ref(), t.a).await;
    let (other_profile, other_plan, _) = seed_plan(store.as_ref(), t.a).await;
    let (_, foreign_plan, _) = seed_plan(store.as_ref(), t.b).await;
    let empty = zora_domain::ids::PlanId::new();
    let mut tx = store.begin().await.expect("begin");
    climate_store::insert_plan(
        &mut *tx,
        &zora_domain::climate::tables::NewPlan {
            id: empty,
            tenant_id: t.a,
            profile_id: profile,
            period_start: "2026-11-23".parse().expect("date"),
            period_end: "2026-11-29".parse().expect("date"),
            items: vec![],
        },
    )
    .await
    .expect("empty plan");
    tx.commit().await.expect("commit");
    let missing = zora_domain::ids::PlanId::new();
    let cases = [
        (
            json!({"plan_id": plan}),
            "Missing required fields: profile_id and plan_id".to_owned(),
        ),
        (
            json!({"profile_id": profile, "plan_id": missing}),
            format!("Plan {missing} not found or does not belong to tenant"),
        ),
        (
            json!({"profile_id": profile, "plan_id": foreign_plan}),
            format!("Plan {foreign_plan} not found or does not belong to tenant"),
        ),
        (
            json!({"profile_id": profile, "plan_id": "plan-7"}),
            "Plan plan-7 not found or does not belong to tenant".to_owned(),
        ),
        (
            json!({"profile_id": profile, "plan_id": other_plan}),
            format!("Plan {other_plan} does not belong to profile {profile}"),
        ),
        (
            json!({"profile_id": profile, "plan_id": empty}),
            format!("No items found for plan {empty}"),
        ),
    ];
    for (payload, message) in cases {
        let id = enqueue(
            store.as_ref(),
            t.a,
            "climate.create_missions_from_plan",
            payload.clone(),
        )
        .await;
        let (_, task) = run(&store, t.a, id).await;
        assert_eq!(task.status, TaskStatus::Failed, "{payload}");
        assert_eq!(
            task.error_message.as_deref(),
            Some(message.as_str()),
            "{payload}"
        );
    }
    // Applied once, the plan refuses a second application.
    let first = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_missions_from_plan",
        json!({"profile_id": other_profile, "plan_id": other_plan}),
    )
    .await;
    assert_eq!(
        run(&store, t.a, first).await.1.status,
        TaskStatus::Completed
    );
    let again = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_missions_from_plan",
        json!({"profile_id": other_profile, "plan_id": other_plan}),
    )
    .await;
    let (_, task) = run(&store, t.a, again).await;
    assert_eq!(
        task.error_message,
        Some(format!("Plan {other_plan} is already applied"))
    );
    assert_eq!(
        backend.count("climate_missions", t.a).await,
        2,
        "only the one application's missions"
    );
}

async fn a_plan_failing_halfway_leaves_nothing_behind(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, plan, _) = seed_plan(store.as_ref(), t.a).await;
    // The second item's mission is refused by the database, after the plan was marked
    // applied and the first mission written.
    backend.refuse_missions_titled("Meatless Monday").await;
    let id = enqueue(
        store.as_ref(),
        t.a,
        "climate.create_missions_from_plan",
        json!({"profile_id": profile, "plan_id": plan}),
    )
    .await;
    let (report, task) = run(&store, t.a, id).await;
    assert_ne!(report.outcome, TaskOutcome::Completed);
    assert_ne!(task.status, TaskStatus::Completed);
    let message = task.error_message.expect("error");
    assert!(
        !message.contains("refused by test trigger") && !message.contains("SQLSTATE"),
        "no database text: {message}"
    );
    assert_eq!(
        backend.count("climate_missions", t.a).await,
        0,
        "no mission"
    );
    assert!(
        journal_of(&backend.inspect().await, t.a, id)
            .await
            .is_empty(),
        "no journal entry"
    );
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        climate_store::plans(&mut *tx, t.a, &[plan])
            .await
            .expect("plan")[0]
            .status,
        "proposed",
        "the plan unchanged"
    );
    assert!(
        climate_store::plan_items(&mut *tx, t.a, &[plan])
            .await
            .expect("items")
            .iter()
            .all(|i| i.mission_id.is_none())
    );
}

async fn two_tasks_applying_one_plan_in_one_batch_create_missions_once(backend: TestBackend) {
    let store = backend.store().await;
    let t = two_tenants(store.as_ref()).await;
    let (profile, plan, _) = seed_plan(store.as_ref(), t.a).await;
    let payload = json!({"profile_id": profile, "plan_id": plan});
    enqueue(
        store.as_ref(),
        t.a,
        "climate.create_missions_from_plan",
        payload.clone(),
    )
    .await;
    enqueue(
        store.as_ref(),
        t.a,
        "climate.create_missions_from_plan",
        payload,
    )
    .await;
    let summary = runs::executor(&store)
        .run_pending(t.a, 10, None, &|_| {})
        .await
        .expect("run");
    assert_eq!((summary.completed, summary.failed), (1, 1), "{summary:?}");
    let failed = summary
        .tasks
        .iter()
        .find(|r| r.outcome == TaskOutcome::Failed)
        .expect("one failed");
    assert_eq!(
        failed.error_message,
        Some(format!("Plan {plan} is already applied"))
    );
    assert_eq!(backend.count("climate_missions", t.a).await, 2);
}
