//! Several `zora` processes on one PostgreSQL database, and one killed mid-task: every
//! task is executed exactly once, a plan is applied once, and a crash commits nothing.

mod common;

use std::process::{Child, Stdio};
use std::time::Duration;

use sqlx::{Connection, PgConnection, Row};
use zora_core::{DEFAULT_TENANT_ID, NewTask, Queue, Store, TaskId, TaskStatus};
use zora_testkit::TestDatabase;
use zora_testkit::suite::climate::seed_plan;

use common::{json, zora_on};

fn spawn(url: &str, args: &[&str]) -> Child {
    zora_on(url, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zora")
}

async fn status(store: &dyn Store, id: TaskId) -> TaskStatus {
    store
        .get_task(DEFAULT_TENANT_ID, id)
        .await
        .expect("get")
        .expect("task")
        .status
}

/// Waits until `id` is `in_progress` (claimed by a process), for at most 10s.
async fn until_claimed(store: &dyn Store, id: TaskId) {
    for _ in 0..200 {
        if status(store, id).await == TaskStatus::InProgress {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} was never claimed");
}

async fn enqueue_plan_task(
    store: &dyn Store,
    profile: zora_domain::ids::ProfileId,
    plan: zora_domain::ids::PlanId,
) -> TaskId {
    let mut tx = store.begin().await.expect("begin");
    let task = tx
        .insert_task(&NewTask::new(
            DEFAULT_TENANT_ID,
            "ORACLE",
            "climate.create_missions_from_plan",
            "apply the plan",
            serde_json::json!({"profile_id": profile, "plan_id": plan}),
        ))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    task.id
}

/// Holds a row lock on the plan until dropped (rolled back), so that a process applying
/// it stops between its claim and its commit.
async fn lock_plan(db: &TestDatabase, plan: zora_domain::ids::PlanId) -> PgConnection {
    let mut conn = PgConnection::connect(db.url()).await.expect("connect");
    sqlx::raw_sql("BEGIN")
        .execute(&mut conn)
        .await
        .expect("begin");
    sqlx::query("SELECT 1 FROM climate_plans WHERE id = $1 FOR UPDATE")
        .bind(plan.0)
        .execute(&mut conn)
        .await
        .expect("lock the plan");
    conn
}

#[tokio::test]
async fn two_run_pending_tasks_processes_execute_2000_tasks_exactly_once() {
    let db = TestDatabase::migrated().await;
    let store = db.store().await;
    let (profile, _, _) = seed_plan(&store, DEFAULT_TENANT_ID).await;
    sqlx::query(
        "INSERT INTO agent_tasks (tenant_id, agent_id, task_type, title, payload) \
         SELECT $1, 'ORACLE', 'climate.create_single_mission', 'mission ' || g, \
                jsonb_build_object('profile_id', $2::text, 'title', 'mission ' || g) \
         FROM generate_series(1, 2000) g",
    )
    .bind(DEFAULT_TENANT_ID.0)
    .bind(profile.0)
    .execute(db.pool())
    .await
    .expect("2000 tasks");

    let args = ["run-pending-tasks", "--limit", "2000", "--json"];
    let (a, b) = (spawn(db.url(), &args), spawn(db.url(), &args));
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    let (a, b) = (json(&a), json(&b));
    let completed = a["completed"].as_u64().unwrap_or(0) + b["completed"].as_u64().unwrap_or(0);
    assert_eq!(
        completed, 2000,
        "a: {} b: {}",
        a["completed"], b["completed"]
    );
    // Which process takes how many depends on scheduling; that none is taken twice does not.
    eprintln!(
        "process a completed {}, process b {}",
        a["completed"], b["completed"]
    );

    let row = sqlx::query(
        "SELECT \
           (SELECT count(*) FROM agent_tasks WHERE status = 'completed' AND attempts = 1) AS done, \
           (SELECT count(*) FROM climate_missions) AS missions, \
           (SELECT count(*) FROM (SELECT details->>'task_id' FROM journal_entries \
              GROUP BY 1 HAVING count(*) <> 1) twice) AS not_once",
    )
    .fetch_one(db.pool())
    .await
    .expect("counts");
    let (done, missions, not_once): (i64, i64, i64) =
        (row.get("done"), row.get("missions"), row.get("not_once"));
    assert_eq!(
        (done, missions, not_once),
        (2000, 2000, 0),
        "every task's effects exactly once"
    );
}

#[tokio::test]
async fn two_processes_applying_one_plan_create_its_missions_once() {
    let db = TestDatabase::migrated().await;
    let store = db.store().await;
    let (profile, plan, items) = seed_plan(&store, DEFAULT_TENANT_ID).await;
    let first = enqueue_plan_task(&store, profile, plan).await;
    let second = enqueue_plan_task(&store, profile, plan).await;

    // Both processes claim their task and reach the plan before either can apply it.
    let lock = lock_plan(&db, plan).await;
    let a = spawn(db.url(), &["run-task", &first.to_string()]);
    let b = spawn(db.url(), &["run-task", &second.to_string()]);
    until_claimed(&store, first).await;
    until_claimed(&store, second).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.close().await.expect("release the lock");
    let codes = [
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    ]
    .map(|output| output.status.code());
    let mut codes = codes.to_vec();
    codes.sort_unstable();
    assert_eq!(codes, vec![Some(0), Some(1)], "one completed, one refused");

    let statuses = [status(&store, first).await, status(&store, second).await];
    assert!(statuses.contains(&TaskStatus::Completed) && statuses.contains(&TaskStatus::Failed));
    let loser = if statuses[0] == TaskStatus::Failed {
        first
    } else {
        second
    };
    let failed = store
        .get_task(DEFAULT_TENANT_ID, loser)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(
        failed.error_message,
        Some(format!("Plan {plan} is already applied"))
    );
    let missions: i64 = sqlx::query_scalar("SELECT count(*) FROM climate_missions")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(
        missions,
        i64::try_from(items.len()).expect("len"),
        "missions created once"
    );
}

#[tokio::test]
async fn a_process_killed_between_claim_and_commit_commits_nothing() {
    let db = TestDatabase::migrated().await;
    let store = db.store().await;
    let (profile, plan, items) = seed_plan(&store, DEFAULT_TENANT_ID).await;
    let id = enqueue_plan_task(&store, profile, plan).await;

    let lock = lock_plan(&db, plan).await;
    let mut child = spawn(
        db.url(),
        &["run-task", &id.to_string(), "--lease-duration", "2s"],
    );
    until_claimed(&store, id).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    lock.close().await.expect("release the lock");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let task = store
        .get_task(DEFAULT_TENANT_ID, id)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(task.status, TaskStatus::InProgress, "left under its lease");
    assert!(task.lease_owner.is_some() && task.lease_expires_at.is_some());
    let (missions, journal): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM climate_missions), (SELECT count(*) FROM journal_entries)",
    )
    .fetch_one(db.pool())
    .await
    .expect("counts");
    assert_eq!(
        (missions, journal),
        (0, 0),
        "nothing of the killed run committed"
    );
    let plan_status: String = sqlx::query_scalar("SELECT status FROM climate_plans WHERE id = $1")
        .bind(plan.0)
        .fetch_one(db.pool())
        .await
        .expect("plan");
    assert_eq!(plan_status, "proposed");

    // The lease expires; the rescuer takes the task back and it runs once.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let rescued = store
        .rescue_expired_leases_all_tenants(zora_core::RescuePolicy::default(), 100)
        .await
        .expect("rescue");
    assert_eq!(rescued.iter().map(|t| t.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(rescued[0].status, TaskStatus::Pending);
    let rerun = zora_on(db.url(), &["run-task", &id.to_string()])
        .output()
        .expect("run");
    assert_eq!(rerun.status.code(), Some(0), "{}", common::stderr(&rerun));
    let missions: i64 = sqlx::query_scalar("SELECT count(*) FROM climate_missions")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(missions, i64::try_from(items.len()).expect("len"));
}
