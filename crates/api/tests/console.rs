//! The admin console in a real headless Chromium (Debian's, through ChromeDriver) against
//! the API on port 0 with a worker in the same process, on both stores: sign in, tasks,
//! filters, a detail, a retry watched live to completion, an approval from the inbox, a
//! command's chain, a schedule paused, the server's messages next to the fields; a viewer
//! whose actions are disabled and refused by the server anyway; a cross-site form post
//! refused. Screenshots of every page at a laptop's and a phone's width are saved under
//! `target/console-screenshots/{store}/`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use zora_api::Role;
use zora_core::{DEFAULT_TENANT_ID, TenantId};
use zora_domain::climate::tables::NewProfile;
use zora_domain::ids::ProfileId;
use zora_testkit::TestBackend;
use zora_testkit::browser::Browser;

use common::{App, spawn_with_worker};
use zora_domain::climate::store as climate_store;

zora_testkit::both_stores!(
    an_operator_works_the_console_live,
    a_viewer_sees_actions_disabled_and_the_server_refuses_them,
    a_cross_site_form_post_is_refused
);

const LAPTOP: (u32, u32) = (1280, 800);
const PHONE: (u32, u32) = (390, 844);

fn screenshots(backend: &TestBackend) -> PathBuf {
    let store = match backend {
        TestBackend::Postgres(_) => "postgres",
        TestBackend::Sqlite(..) => "sqlite",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/console-screenshots")
        .join(store)
}

/// Creates a task through the API as a founder; its id.
async fn create(app: &App, token: &str, body: Value) -> String {
    let created = app.post("/api/agents/tasks", token, &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["data"]["id"].as_str().expect("id").to_owned()
}

async fn task(app: &App, token: &str, id: &str) -> Value {
    app.get(&format!("/api/agents/tasks/{id}"), Some(token))
        .await
        .body["data"]
        .clone()
}

/// Waits until the task is in `state`, as the API says.
async fn until_state(app: &App, token: &str, id: &str, state: &str) -> Value {
    for _ in 0..200 {
        let found = task(app, token, id).await;
        if found["state"] == state {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "task {id} never became {state}: {}",
        task(app, token, id).await
    );
}

async fn seed_profile(app: &App, tenant: TenantId) {
    let mut tx = app.store.begin().await.expect("begin");
    climate_store::insert_profile(
        &mut *tx,
        &NewProfile {
            id: ProfileId::new(),
            tenant_id: tenant,
            name: "Console household".into(),
            profile_type: "person".into(),
        },
    )
    .await
    .expect("profile");
    tx.commit().await.expect("commit");
}

/// Opens the console's `path` and waits until its page is drawn.
async fn open(browser: &Browser, app: &App, path: &str) {
    browser.goto(&format!("{}{path}", app.base)).await;
    browser
        .wait_for("document.body.dataset.ready === 'true'", path)
        .await;
}

/// Signs in on the page by pasting `token`.
async fn sign_in(browser: &Browser, app: &App, token: &str) {
    browser
        .goto(&format!("{}/admin/agents/tasks", app.base))
        .await;
    browser.type_into("#f-token", token).await;
    browser.click("form button[type=submit]").await;
    browser
        .wait_for(
            "document.body.dataset.ready === 'true'",
            "the signed-in page",
        )
        .await;
}

async fn shoot_every_page(browser: &Browser, app: &App, dir: &std::path::Path, task: &str) {
    for (width, (w, h)) in [("laptop", LAPTOP), ("phone", PHONE)] {
        browser.resize(w, h).await;
        for (name, path) in [
            ("tasks", "/admin/agents/tasks".to_owned()),
            ("task-detail", format!("/admin/agents/tasks/{task}")),
            ("approvals", "/admin/agents/approvals".to_owned()),
            ("console", "/admin/agents/console".to_owned()),
            ("schedules", "/admin/agents/schedules".to_owned()),
            ("health", "/admin/agents/health".to_owned()),
        ] {
            open(browser, app, &path).await;
            browser
                .screenshot(&dir.join(format!("{name}-{width}.png")))
                .await;
        }
    }
}

async fn an_operator_works_the_console_live(backend: TestBackend) {
    let dir = screenshots(&backend);
    let app = spawn_with_worker(backend, |_| {}).await;
    let founder = app.token(DEFAULT_TENANT_ID, Role::Founder);
    seed_profile(&app, DEFAULT_TENANT_ID).await;
    let flaky = create(
        &app,
        &founder,
        json!({"agent_id": "CONNOR", "task_type": "test.scripted", "title": "Flaky import",
               "payload": {"action": "fail", "passes_after_errors": 1}}),
    )
    .await;
    for n in 1..=3 {
        create(
            &app,
            &founder,
            json!({"agent_id": "SAM", "task_type": "test.scripted_in_tx", "title": format!("Routine check {n}"),
                   "payload": {"action": "complete"}}),
        )
        .await;
    }
    let gated = create(
        &app,
        &founder,
        json!({"agent_id": "AEGIS", "task_type": "test.scripted_in_tx", "title": "Needs a founder's nod",
               "payload": {"action": "complete"}, "requires_approval": true}),
    )
    .await;
    let schedule = app
        .post(
            "/api/agents/schedules",
            &founder,
            &json!({"name": "Weekly health", "cron": "0 9 * * MON",
                    "task": {"agent_id": "CONNOR", "task_type": "review_system_health", "title": "Weekly health review"}}),
        )
        .await;
    assert_eq!(schedule.status, 201, "{}", schedule.body);
    until_state(&app, &founder, &flaky, "failed").await;

    let browser = Browser::start(LAPTOP.0, LAPTOP.1).await;
    browser
        .goto(&format!("{}/admin/agents/tasks", app.base))
        .await;
    browser
        .wait_for("document.querySelector('#f-token')", "the sign-in form")
        .await;
    sign_in(&browser, &app, &founder).await;
    browser
        .wait_for(
            "document.querySelectorAll('#tasks tbody tr[data-id]').length === 5",
            "the five tasks",
        )
        .await;
    browser
        .wait_for(
            "document.querySelector('.counts [data-state=failed] b').textContent === '1'",
            "the count of failed tasks",
        )
        .await;

    // Filters: by state, then by words of the title.
    browser
        .eval(
            "const s = document.querySelector('#f-state'); s.value = 'failed'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([]),
        )
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#tasks tbody tr[data-id]').length === 1",
            "only the failed task",
        )
        .await;
    assert_eq!(
        browser.text("#tasks tbody tr[data-id] a").await,
        "Flaky import"
    );
    browser
        .eval(
            "const s = document.querySelector('#f-state'); s.value = ''; s.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([]),
        )
        .await;
    browser.type_into("#f-q", "routine").await;
    browser.click("form[role=search] button[type=submit]").await;
    browser
        .wait_for(
            "document.querySelectorAll('#tasks tbody tr[data-id]').length === 3",
            "the three routine checks",
        )
        .await;
    browser
        .eval(
            "const s = document.querySelector('#f-order'); s.value = 'newest'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([]),
        )
        .await;
    browser
        .wait_for(
            "document.querySelector('#tasks tbody tr[data-id] a').textContent === 'Routine check 3'",
            "the newest routine check first",
        )
        .await;

    // A detail; retry the failed task and watch it complete, live.
    open(&browser, &app, &format!("/admin/agents/tasks/{flaky}")).await;
    assert_eq!(browser.text("h1").await, "Flaky import");
    let first_attempt = browser.text("#attempts li").await;
    assert!(
        first_attempt.contains("scripted failure") && first_attempt.contains(" · worker "),
        "the failed attempt, with the worker that ran it: {first_attempt}"
    );
    browser.answer_dialogs("").await;
    browser.click("#action-retry").await;
    browser
        .wait_for(
            "document.querySelector('dl.facts [data-state]').dataset.state === 'completed'",
            "the retried task completed, shown without a reload",
        )
        .await;
    assert!(
        browser
            .text("#action-outcome")
            .await
            .starts_with("Retry: done"),
        "the action's outcome is shown"
    );
    let retried = task(&app, &founder, &flaky).await;
    assert_eq!(retried["status"], "completed");
    let completed_by = retried["completed_by"]
        .as_str()
        .expect("the completing worker");
    browser
        .wait_for(
            &format!("document.querySelector('#attempts li:last-child').textContent.includes('worker {completed_by}')"),
            "the completed attempt names its worker",
        )
        .await;
    assert_eq!(
        retried["errors"].as_array().map(Vec::len),
        Some(1),
        "the first attempt's error is kept"
    );
    browser
        .wait_for(
            "document.querySelector('#journal li')",
            "the task's journal timeline",
        )
        .await;

    // The approvals inbox: approve, and the worker runs it.
    browser
        .goto(&format!("{}/admin/agents/approvals", app.base))
        .await;
    browser
        .wait_for(
            &format!("document.querySelector('article[data-id=\"{gated}\"]')"),
            "the task awaiting approval",
        )
        .await;
    browser
        .click(&format!("article[data-id=\"{gated}\"] button.approve"))
        .await;
    browser
        .wait_for("document.querySelector('#no-approvals')", "an empty inbox")
        .await;
    browser
        .goto(&format!("{}/admin/agents/tasks/{gated}", app.base))
        .await;
    browser
        .wait_for(
            "document.querySelector('dl.facts [data-state]').dataset.state === 'completed'",
            "the approved task run by the worker",
        )
        .await;
    let approved = until_state(&app, &founder, &gated, "completed").await;
    assert!(approved["approved_at"].is_string());

    // The command console: the server's messages next to the fields, then a chain.
    open(&browser, &app, "/admin/agents/console").await;
    browser.click("#command-form button[type=submit]").await;
    browser
        .wait_for(
            "document.querySelector('[data-for=raw_prompt]').textContent.length > 0",
            "the empty prompt's message",
        )
        .await;
    browser
        .type_into(
            "#f-raw_prompt",
            "Plan our climate missions for next week and apply them",
        )
        .await;
    let offered = browser
        .eval(
            "return [...document.querySelectorAll('#f-target_agents input[type=checkbox]')].map(b => b.value)",
            json!([]),
        )
        .await;
    assert_eq!(
        offered,
        json!(["CONNOR", "LUMINA", "EIVOR", "ORACLE", "AEGIS", "SAM"]),
        "the six agents as choices"
    );
    browser.click("#command-form button[type=submit]").await;
    // The keyword planner's rule 1 with its apply step (and rule 8's LUMINA workflow,
    // a legacy type this engine leaves pending).
    let chain = "[...document.querySelectorAll('#created tr[data-id]')].filter(r => r.textContent.includes('climate'))";
    browser
        .wait_for(
            &format!("{chain}.length === 2 && {chain}[1].querySelector('td:last-child a')"),
            "the suggest → apply chain, the apply step linked to its parent",
        )
        .await;
    browser
        .wait_for(
            &format!(
                "{chain}.every(r => r.querySelector('[data-state]').dataset.state === 'completed')"
            ),
            "both tasks of the chain completed, shown live",
        )
        .await;
    // The chain drawn on the parent's detail: its child with the child's state.
    let parent = browser
        .eval(&format!("return {chain}[0].dataset.id"), json!([]))
        .await;
    let parent = parent.as_str().expect("the parent's id").to_owned();
    open(&browser, &app, &format!("/admin/agents/tasks/{parent}")).await;
    browser
        .wait_for(
            "document.querySelector('.graph [data-child] [data-state=completed]')",
            "the parent's child drawn with its state",
        )
        .await;

    // Schedules: pause one; an invalid cron's message next to its field.
    browser
        .goto(&format!("{}/admin/agents/schedules", app.base))
        .await;
    browser
        .wait_for(
            "document.querySelector('#schedules button.toggle')",
            "the schedule",
        )
        .await;
    browser.click("#schedules button.toggle").await;
    browser
        .wait_for(
            "document.querySelector('#schedules td.enabled').textContent === 'no'",
            "the schedule paused",
        )
        .await;
    let schedules = app.get("/api/agents/schedules", Some(&founder)).await;
    assert_eq!(schedules.body["data"][0]["enabled"], false);
    browser.type_into("#f-cron", "0 9 * * MON").await;
    browser
        .wait_for(
            "document.querySelector('#cron-next').textContent.startsWith('Next:')",
            "the next slots, as the cron is typed",
        )
        .await;
    browser.type_into("#f-cron", "61 * * * *").await;
    browser
        .wait_for(
            "document.querySelector('[data-for=cron]').textContent.length > 0 && document.querySelector('#cron-next').textContent === ''",
            "the server's message on the cron, as it is typed",
        )
        .await;
    browser.type_into("#f-name", "Broken").await;
    browser.type_into("#f-cron", "every tuesday").await;
    browser
        .type_into("#f-task_type", "review_system_health")
        .await;
    browser.type_into("#f-title", "Never").await;
    browser.click("#schedule-form button[type=submit]").await;
    browser
        .wait_for(
            "document.querySelector('[data-for=cron]').textContent.length > 0",
            "the invalid cron's message",
        )
        .await;

    // Queue health: the last hour's finishes drawn, the depth per type.
    browser
        .goto(&format!("{}/admin/agents/health", app.base))
        .await;
    browser
        .wait_for(
            "document.querySelector('#depth tr[data-type=\"test.scripted_in_tx\"]')",
            "the depth per type",
        )
        .await;
    let drawn = browser
        .eval(
            "return [...document.querySelectorAll('#throughput .chart span')].filter(s => s.style.height !== '0%').length",
            json!([]),
        )
        .await;
    assert!(
        drawn.as_u64().unwrap_or_default() >= 1,
        "a minute with finishes is drawn: {drawn}"
    );

    external_work_is_shown(&browser, &app).await;
    shoot_every_page(&browser, &app, &dir, &flaky).await;
    browser.quit().await;
}

/// A type served by an external worker: queue health lists it with the worker alive and
/// its task in hand, and the task's detail names the worker running it.
async fn external_work_is_shown(browser: &Browser, app: &App) {
    let worker = common::workers::worker_token(app, None, None);
    let registration = json!({"agent_id": "SAM", "description": "Review a page",
        "payload_schema": {"type": "object", "required": ["url"]}});
    let registered = app
        .send(
            Method::PUT,
            "/api/workers/types/review_accessibility",
            &worker,
            Some(&registration),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let founder = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let id = create(
        app,
        &founder,
        json!({"agent_id": "SAM", "task_type": "review_accessibility", "title": "Review the shop",
               "payload": {"url": "https://zora.example/shop"}}),
    )
    .await;
    let claimed = app
        .post(
            "/api/workers/claim",
            &worker,
            &json!({"worker": "py-console", "types": ["review_accessibility"]}),
        )
        .await;
    assert_eq!(
        claimed.body["data"][0]["task"]["id"],
        id.as_str(),
        "{}",
        claimed.body
    );

    browser
        .goto(&format!("{}/admin/agents/health", app.base))
        .await;
    browser
        .wait_for(
            "document.querySelector('#external-types tr[data-type=\"review_accessibility\"] li[data-worker=\"py-console\"]')",
            "the external type with its worker alive",
        )
        .await;
    let shown = browser
        .text("#external-types li[data-worker=\"py-console\"]")
        .await;
    assert!(shown.contains("1 in hand"), "{shown}");
    open(browser, app, &format!("/admin/agents/tasks/{id}")).await;
    let running = browser.text("#attempts li").await;
    assert!(
        running.contains("worker py-console") && running.contains("running since"),
        "{running}"
    );
}

async fn a_viewer_sees_actions_disabled_and_the_server_refuses_them(backend: TestBackend) {
    let app = spawn_with_worker(backend, |_| {}).await;
    let founder = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let viewer = app.token(DEFAULT_TENANT_ID, Role::Viewer);
    let failed = create(
        &app,
        &founder,
        json!({"agent_id": "CONNOR", "task_type": "test.scripted", "title": "Broken for good",
               "payload": {"action": "fail"}}),
    )
    .await;
    until_state(&app, &founder, &failed, "failed").await;

    let browser = Browser::start(LAPTOP.0, LAPTOP.1).await;
    sign_in(&browser, &app, &viewer).await;
    assert_eq!(
        browser
            .eval(
                "return document.querySelector('[data-role]').dataset.role",
                json!([])
            )
            .await,
        "viewer"
    );
    for button in ["#bulk-retry", "#bulk-cancel"] {
        let disabled = browser
            .eval(
                &format!("return document.querySelector('{button}').disabled"),
                json!([]),
            )
            .await;
        assert_eq!(disabled, true, "{button} is disabled for a viewer");
    }
    open(&browser, &app, &format!("/admin/agents/tasks/{failed}")).await;
    for button in ["#action-retry", "#action-cancel", "#action-approve"] {
        let disabled = browser
            .eval(
                &format!("return document.querySelector('{button}').disabled"),
                json!([]),
            )
            .await;
        assert_eq!(disabled, true, "{button} is disabled for a viewer");
    }
    // The page's own session, calling the API as a script would: refused.
    let status = browser
        .eval(
            &format!(
                "const r = new XMLHttpRequest(); r.open('POST', '/api/agents/tasks/{failed}/run', false); \
                 r.setRequestHeader('Authorization', 'Bearer ' + sessionStorage.getItem('zora.console.token')); \
                 r.setRequestHeader('Content-Type', 'application/json'); r.send('{{}}'); \
                 return [r.status, JSON.parse(r.responseText).error];"
            ),
            json!([]),
        )
        .await;
    assert_eq!(
        status,
        json!([403, "FORBIDDEN"]),
        "the server refuses a viewer's retry"
    );
    assert_eq!(task(&app, &founder, &failed).await["status"], "failed");
    // Without `--dev` there is no development sign-in at all.
    let dev = common::answer(
        app.client
            .post(format!("{}/admin/session", app.base))
            .send()
            .await
            .expect("post"),
    )
    .await;
    dev.assert_error(404, "NOT_FOUND");
    browser.quit().await;
}

async fn a_cross_site_form_post_is_refused(backend: TestBackend) {
    let app = spawn_with_worker(backend, |state| {
        state.dev_sign_in = Some(DEFAULT_TENANT_ID);
    })
    .await;
    let founder = app.token(DEFAULT_TENANT_ID, Role::Founder);
    let target = create(
        &app,
        &founder,
        json!({"agent_id": "SAM", "task_type": "test.scripted_in_tx", "title": "Must stay pending",
               "payload": {"action": "complete"}, "run_at": "2999-01-01T00:00:00Z"}),
    )
    .await;
    // Another site's page (another origin on the same host: the cookie's SameSite does
    // not tell them apart, so the server's own check must) that posts a form at once.
    let attack = format!(
        "<form id=f method=post action='{}/api/agents/tasks/{target}/cancel'>\
         <input name=reason value=gotcha></form><script>document.getElementById('f').submit()</script>",
        app.base
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let evil = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let page = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(attack) }),
        );
        let _ = axum::serve(listener, page).await;
    });

    let browser = Browser::start(LAPTOP.0, LAPTOP.1).await;
    browser
        .goto(&format!("{}/admin/agents/tasks", app.base))
        .await;
    browser
        .wait_for(
            "document.body.dataset.dev === 'true'",
            "the development sign-in",
        )
        .await;
    browser.click("button.danger").await;
    browser
        .wait_for(
            "document.body.dataset.ready === 'true'",
            "signed in by cookie",
        )
        .await;
    assert_eq!(
        browser
            .eval(
                "return document.querySelector('[data-role]').dataset.role",
                json!([])
            )
            .await,
        "founder"
    );
    browser.goto(&evil).await;
    browser
        .wait_for(
            "document.body && document.body.innerText.includes('Cross-site request refused')",
            "the server's refusal of the forged post",
        )
        .await;
    let after = task(&app, &founder, &target).await;
    assert_eq!(after["status"], "pending", "nothing cancelled: {after}");
    assert!(after["cancelled_at"].is_null());
    browser.quit().await;

    // The same refusal without a browser: the cookie, and an Origin of another site.
    let forged = app
        .client
        .post(format!("{}/api/agents/tasks/{target}/cancel", app.base))
        .header("cookie", format!("zora_access_token={founder}"))
        .header("origin", "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    let forged = common::answer(forged).await;
    forged.assert_error(403, "FORBIDDEN");
    // Its own pages, and scripts without a browser's headers, still may.
    let own = app
        .client
        .post(format!("{}/api/agents/tasks/{target}/cancel", app.base))
        .header("cookie", format!("zora_access_token={founder}"))
        .header("origin", &app.base)
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(own.status(), 200);
}
