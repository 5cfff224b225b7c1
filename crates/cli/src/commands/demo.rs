//! `zora demo`: seeds a tenant (the default one) with a climate profile, a proposed
//! weekly plan with items, two brands and two products (one with an unverified climate
//! claim), then enqueues a task of every v1 type, of the agents' four deterministic types
//! and of the two model-backed ones, and a few invalid ones, runs them and prints ZORA
//! CORE's summary. Every run adds a fresh batch with its own slugs, so it can be run again
//! and again.

use std::process::ExitCode;

use chrono::{Datelike, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use zora_core::{NewTask, Store, StoreError, StoreTx, TaskId, TenantId};
use zora_domain::climate::tables::{NewPlan, NewPlanItem, NewProfile};
use zora_domain::ids::{BrandId, ClimateMetaId, PlanId, PlanItemId, ProductId, ProfileId};
use zora_domain::zora_shop::tables::{ClimateMetaUpsert, NewBrand, NewProduct, Patch};

use crate::commands::run::print_summary;
use crate::config::DatabaseTarget;
use crate::exit::CliError;
use crate::open::open_store;
use crate::output::print_json;
use crate::progress::Progress;
use crate::wiring::executor;
use zora_domain::climate::store as climate_store;
use zora_domain::zora_shop::store as shop_store;

/// What one demo run created.
#[derive(Debug, Serialize)]
struct DemoRun {
    database: &'static str,
    tenant_id: TenantId,
    profile_id: ProfileId,
    plan_id: PlanId,
    brand_ids: [BrandId; 2],
    product_id: ProductId,
    /// A product labelled `climate_neutral` without certifications, for the claims review.
    unverified_product_id: ProductId,
    tasks: Vec<DemoTask>,
    executed: bool,
}

#[derive(Debug, Serialize)]
struct DemoTask {
    id: TaskId,
    task_type: String,
    title: String,
    /// Whether the payload is valid: invalid ones are there to show a clear failure.
    valid: bool,
    /// Whether it calls the model: without `OPENAI_API_KEY` it fails at once, saying so.
    needs_model: bool,
}

/// A task the demo (and the bench's mix) enqueues.
pub(super) struct Spec {
    pub agent: &'static str,
    pub task_type: &'static str,
    pub title: String,
    pub payload: Value,
    pub valid: bool,
    pub needs_model: bool,
}

impl Spec {
    fn valid(agent: &'static str, task_type: &'static str, title: &str, payload: Value) -> Self {
        Spec {
            agent,
            task_type,
            title: title.to_owned(),
            payload,
            valid: true,
            needs_model: false,
        }
    }

    fn invalid(agent: &'static str, task_type: &'static str, title: &str, payload: Value) -> Self {
        Spec {
            valid: false,
            ..Spec::valid(agent, task_type, title, payload)
        }
    }

    fn needing_model(
        agent: &'static str,
        task_type: &'static str,
        title: &str,
        payload: Value,
    ) -> Self {
        Spec {
            needs_model: true,
            ..Spec::valid(agent, task_type, title, payload)
        }
    }
}

pub async fn run(
    target: &DatabaseTarget,
    tenant: TenantId,
    json: bool,
) -> Result<ExitCode, CliError> {
    let store = open_store(target).await?;
    let mut run = seed(store.as_ref(), tenant)
        .await
        .map_err(|err| match err {
            StoreError::MissingReference { .. } => CliError::Failed(format!(
                "tenant {tenant} does not exist in this database; the demo seeds an existing tenant"
            )),
            other => other.into(),
        })?;
    if !json {
        print_seed(&run, target);
    }
    let ids: Vec<TaskId> = run.tasks.iter().map(|t| t.id).collect();
    let progress = Progress::new(ids.len() as u64, "running the demo's tasks");
    let summary = executor(store, std::time::Duration::from_secs(60))
        .run_tasks(tenant, &ids, &|report| progress.task_done(report))
        .await?;
    progress.finish();
    run.executed = true;
    if json {
        print_json(&json!({"seeded": run, "run": summary}))?;
    } else {
        crate::out!();
        print_summary(&summary);
        print_next(target);
    }
    Ok(ExitCode::SUCCESS)
}

async fn seed(store: &dyn Store, tenant: TenantId) -> Result<DemoRun, StoreError> {
    // A short suffix of this run keeps slugs unique across runs.
    let run_id = uuid_suffix();
    let profile_id = ProfileId::new();
    let plan_id = PlanId::new();
    let brand_ids = [BrandId::new(), BrandId::new()];
    let product_id = ProductId::new();
    let unverified_product_id = ProductId::new();
    let mut tx = store.begin().await?;
    seed_climate(tx.as_mut(), tenant, profile_id, plan_id, &run_id).await?;
    seed_shop(tx.as_mut(), tenant, brand_ids, product_id, &run_id).await?;
    seed_unverified_claim(tx.as_mut(), tenant, unverified_product_id, &run_id).await?;
    let mut v1 = demo_tasks(profile_id, plan_id, brand_ids, product_id, &run_id);
    let invalid = v1.split_off(V1_VALID);
    let specs = v1
        .into_iter()
        .chain(agent_tasks(profile_id, [product_id, unverified_product_id]))
        .chain(model_tasks())
        .chain(invalid);
    let mut tasks = Vec::new();
    for spec in specs {
        let mut new = NewTask::new(tenant, spec.agent, spec.task_type, spec.title, spec.payload);
        new.priority = if spec.valid { 1 } else { 0 };
        new.description = Some(format!("Enqueued by `zora demo` (run {run_id})"));
        let task = tx.insert_task(&new).await?;
        tasks.push(DemoTask {
            id: task.id,
            task_type: task.task_type,
            title: task.title,
            valid: spec.valid,
            needs_model: spec.needs_model,
        });
    }
    tx.commit().await?;
    Ok(DemoRun {
        database: store.backend(),
        tenant_id: tenant,
        profile_id,
        plan_id,
        brand_ids,
        product_id,
        unverified_product_id,
        tasks,
        executed: false,
    })
}

pub(super) async fn seed_climate(
    tx: &mut dyn StoreTx,
    tenant: TenantId,
    profile_id: ProfileId,
    plan_id: PlanId,
    run_id: &str,
) -> Result<(), StoreError> {
    climate_store::insert_profile(
        &mut *tx,
        &NewProfile {
            id: profile_id,
            tenant_id: tenant,
            name: format!("Demo household {run_id}"),
            profile_type: "person".into(),
        },
    )
    .await?;
    let today = Utc::now().date_naive();
    let next_monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let item = |title: &str, category: &str, impact: f64| NewPlanItem {
        id: PlanItemId::new(),
        title: title.into(),
        description: Some(format!("{title}, from this week's plan")),
        category: Some(category.into()),
        estimated_impact_kgco2: Some(impact),
    };
    climate_store::insert_plan(
        &mut *tx,
        &NewPlan {
            id: plan_id,
            tenant_id: tenant,
            profile_id,
            period_start: next_monday,
            period_end: next_monday + Duration::days(6),
            items: vec![
                item("Cycle to work three days", "transport", 8.4),
                item("Two meat-free dinners", "food", 5.25),
                item("Lower the thermostat by 1°C", "energy", 3.0),
            ],
        },
    )
    .await
}

pub(super) async fn seed_shop(
    tx: &mut dyn StoreTx,
    tenant: TenantId,
    brand_ids: [BrandId; 2],
    product_id: ProductId,
    run_id: &str,
) -> Result<(), StoreError> {
    for (id, name) in brand_ids.into_iter().zip(["ZORA", "Green Fiber"]) {
        shop_store::insert_brand(
            &mut *tx,
            &NewBrand {
                id,
                tenant_id: tenant,
                name: name.into(),
                slug: Some(format!(
                    "{}-demo-{run_id}",
                    name.to_lowercase().replace(' ', "-")
                )),
            },
        )
        .await?;
    }
    seed_product(tx, tenant, product_id, brand_ids[0], run_id).await
}

/// A hemp hoodie of `brand`, its slug ending in `run_id`.
pub(super) async fn seed_product(
    tx: &mut dyn StoreTx,
    tenant: TenantId,
    product_id: ProductId,
    brand: BrandId,
    run_id: &str,
) -> Result<(), StoreError> {
    shop_store::insert_product(
        &mut *tx,
        &NewProduct {
            id: product_id,
            tenant_id: tenant,
            name: "Hemp hoodie".into(),
            slug: Some(format!("hemp-hoodie-demo-{run_id}")),
            brand_id: Some(brand),
            estimated_impact_kgco2: None,
        },
    )
    .await
}

/// A product labelled `climate_neutral` with no certifications: a claim the review of
/// climate claims finds unverified.
async fn seed_unverified_claim(
    tx: &mut dyn StoreTx,
    tenant: TenantId,
    product: ProductId,
    run_id: &str,
) -> Result<(), StoreError> {
    shop_store::insert_product(
        &mut *tx,
        &NewProduct {
            id: product,
            tenant_id: tenant,
            name: "Bamboo socks".into(),
            slug: Some(format!("bamboo-socks-demo-{run_id}")),
            brand_id: None,
            estimated_impact_kgco2: Some(2.5),
        },
    )
    .await?;
    shop_store::upsert_product_climate_meta(
        &mut *tx,
        &[ClimateMetaUpsert {
            id: ClimateMetaId::new(),
            tenant_id: tenant,
            product_id: product,
            climate_label: Patch::Set(Some("climate_neutral".into())),
            estimated_impact_kgco2: Patch::Keep,
            certifications: Patch::Keep,
            notes: Patch::Set(Some("Offset by the supplier, no certificate yet.".into())),
        }],
    )
    .await?;
    Ok(())
}

/// How many of [`demo_tasks`] come first and are valid, one of each v1 type.
pub(super) const V1_VALID: usize = 4;

/// A task of every v1 type (in this order: plan, mission, project, climate metadata), then
/// three invalid ones.
pub(super) fn demo_tasks(
    profile: ProfileId,
    plan: PlanId,
    brands: [BrandId; 2],
    product: ProductId,
    run_id: &str,
) -> Vec<Spec> {
    let due = (Utc::now().date_naive() + Duration::days(30)).to_string();
    let launch = (Utc::now().date_naive() + Duration::days(120)).to_string();
    let project = format!("ZORA x Green Fiber Hemp Capsule ({run_id})");
    vec![
        Spec::valid(
            "ORACLE",
            "climate.create_missions_from_plan",
            "Create missions from this week's plan",
            json!({"profile_id": profile, "plan_id": plan, "source": "demo"}),
        ),
        Spec::valid(
            "ORACLE",
            "climate.create_single_mission",
            "Replace 5 bulbs with LED",
            json!({"profile_id": profile, "title": "Replace 5 bulbs with LED", "category": "energy",
                   "estimated_impact_kgco2": 20, "due_date": due, "notes": "Focus on living room and kitchen."}),
        ),
        Spec::valid(
            "SAM",
            "zora_shop.create_project",
            &project,
            json!({"title": project,
                   "description": "Hemp-based collection focused on low-impact hoodies.",
                   "primary_brand_id": brands[0], "secondary_brand_id": brands[1], "status": "idea",
                   "theme": "hemp_collection", "target_launch_date": launch}),
        ),
        Spec::valid(
            "SAM",
            "zora_shop.update_product_climate_meta",
            "Label the hemp hoodie low impact",
            json!({"product_id": product, "climate_label": "low_impact", "estimated_impact_kgco2": 12.5,
                   "certifications": "EU Ecolabel", "notes": "Compared to standard cotton hoodie."}),
        ),
        Spec::invalid(
            "ORACLE",
            "climate.create_single_mission",
            "Invalid: a mission without a title",
            json!({"profile_id": profile}),
        ),
        Spec::invalid(
            "SAM",
            "zora_shop.update_product_climate_meta",
            "Invalid: an unknown climate label",
            json!({"product_id": product, "climate_label": "carbon_magic"}),
        ),
        Spec::invalid(
            "ORACLE",
            "climate.create_missions_from_plan",
            "Invalid: a plan that does not exist",
            json!({"profile_id": profile, "plan_id": PlanId::new()}),
        ),
    ]
}

/// A task of each of the agents' four deterministic types (in this order: a weekly plan
/// suggested for the week after next, a summary of the last week, a health review, a
/// review of `products`' climate claims).
pub(super) fn agent_tasks(profile: ProfileId, products: [ProductId; 2]) -> Vec<Spec> {
    let week_after_next = (Utc::now().date_naive() + Duration::days(14)).to_string();
    vec![
        Spec::valid(
            "ORACLE",
            "climate.suggest_weekly_plan",
            "Suggest the climate actions of the week after next",
            json!({"profile_id": profile, "period_start": week_after_next}),
        ),
        Spec::valid(
            "EIVOR",
            "summarize_recent_activity",
            "Summarize the last 7 days",
            json!({"days": 7}),
        ),
        Spec::valid(
            "CONNOR",
            "review_system_health",
            "Review the queue's health",
            json!({}),
        ),
        Spec::valid(
            "AEGIS",
            "review_climate_claims",
            "Review the products' climate claims",
            json!({"product_ids": products}),
        ),
    ]
}

/// A task of each model-backed type: they complete when a model is configured
/// (`OPENAI_API_KEY`), else fail at once saying so.
fn model_tasks() -> Vec<Spec> {
    vec![
        Spec::needing_model(
            "ORACLE",
            "research_topic",
            "Research peatland rewetting",
            json!({"topic": "Peatland rewetting as a carbon sink"}),
        ),
        Spec::needing_model(
            "SAM",
            "review_frontend_page",
            "Review the climate page",
            json!({"url": "/climate", "focus": "accessibility"}),
        ),
    ]
}

/// The last 8 hex digits of a fresh id: random, so two runs never share a slug.
pub(super) fn uuid_suffix() -> String {
    let id = TaskId::new().to_string();
    id[id.len() - 8..].to_owned()
}

fn print_seed(run: &DemoRun, target: &DatabaseTarget) {
    // A PostgreSQL URL may carry a password: it is not echoed.
    let location = match target {
        DatabaseTarget::Sqlite(url) => url.as_str(),
        DatabaseTarget::Postgres(_) => "the PostgreSQL database",
    };
    crate::out!(
        "Demo data seeded in {location} for tenant {}:",
        run.tenant_id
    );
    crate::out!("  climate profile  {}", run.profile_id);
    crate::out!(
        "  weekly plan      {}  (proposed, 3 items, next week)",
        run.plan_id
    );
    crate::out!(
        "  brands           {}  {}",
        run.brand_ids[0],
        run.brand_ids[1]
    );
    crate::out!(
        "  products         {}  {}  (the second claims climate_neutral, unverified)",
        run.product_id,
        run.unverified_product_id
    );
    let count = |f: fn(&DemoTask) -> bool| run.tasks.iter().filter(|t| f(t)).count();
    crate::out!(
        "Enqueued {} tasks: {} valid (one of each v1 type and of the agents' four), {} calling a \
         model (they fail at once unless OPENAI_API_KEY is set), {} invalid (they fail with a \
         clear error):",
        run.tasks.len(),
        count(|t| t.valid && !t.needs_model),
        count(|t| t.needs_model),
        count(|t| !t.valid),
    );
    for task in &run.tasks {
        crate::out!("  {}  {:<38} {}", task.id, task.task_type, task.title);
    }
}

fn print_next(target: &DatabaseTarget) {
    let flag = match target {
        DatabaseTarget::Sqlite(url) if url == crate::config::DEFAULT_DATABASE_URL => String::new(),
        _ => " --database-url \"$DATABASE_URL\"".to_owned(),
    };
    crate::out!();
    crate::out!("Look next:");
    for (command, what) in [
        ("tasks list", "every task, highest priority first"),
        (
            "tasks show <id>",
            "one task in full: payload, result, errors",
        ),
        ("status", "the queue, per status and type"),
        ("task-types", "the task types and their payloads"),
    ] {
        crate::out!("  cargo run --release --{flag} {command:<18} {what}");
    }
    crate::out!(
        "  ARCHITECTURE.md and README.md: how the engine is built, and how to run it on PostgreSQL"
    );
}
