//! The admin console: the pages under `/admin/agents/...`, one HTML shell whose script
//! (embedded in the binary, no build step) draws the page its path names from the JSON
//! API, signed in by a pasted token (kept in the tab's session storage, sent as a bearer
//! token), by ZORA CORE's `zora_access_token` cookie, or, under `zora serve --dev`, by
//! the loudly marked development sign-in, which sets that cookie.

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zora_core::UserId;

use crate::auth::{COOKIE_NAME, Claims, Role};
use crate::error::ApiError;
use crate::state::AppState;

const SHELL: &str = include_str!("shell.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// The pages a browser may open; each is the shell, which draws the page of its path.
pub const PAGES: &[&str] = &[
    "/admin/agents/tasks",
    "/admin/agents/tasks/{id}",
    "/admin/agents/approvals",
    "/admin/agents/console",
    "/admin/agents/schedules",
    "/admin/agents/health",
];

/// The console's routes (no token needed to load them: they sign in from there).
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route(
            "/admin",
            get(|| async { Redirect::to("/admin/agents/tasks") }),
        )
        .route(
            "/admin/agents",
            get(|| async { Redirect::to("/admin/agents/tasks") }),
        )
        .route("/admin/assets/console.js", get(script))
        .route("/admin/assets/console.css", get(style))
        .route("/admin/session", post(dev_sign_in))
        .route("/admin/sign-out", post(sign_out));
    for page in PAGES {
        router = router.route(page, get(shell));
    }
    router
}

async fn shell(State(state): State<AppState>) -> Response {
    let dev = if state.dev_sign_in.is_some() {
        "true"
    } else {
        "false"
    };
    let mut response = Html(SHELL.replace("{{DEV}}", dev)).into_response();
    no_store(&mut response);
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, content_type.parse().expect("content type"));
    no_store(&mut response);
    response
}

/// The pages and assets come with the binary: a new binary must never meet an old
/// script in a cache.
fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, "no-store".parse().expect("cache control"));
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

fn cookie(value: &str, max_age: i64) -> String {
    format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
}

/// `POST /admin/session` under `zora serve --dev`: signs the browser in as a founder of
/// the development tenant by cookie (a 404 otherwise, as for any unknown route).
async fn dev_sign_in(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(tenant) = state.dev_sign_in else {
        return ApiError::NotFound("The requested endpoint does not exist".into()).into_response();
    };
    if let Err(refused) = crate::cross_site::check_headers(&headers, &state.trusted_origins) {
        return refused.into_response();
    }
    let Some(token) = state
        .auth
        .issue(&Claims::for_user(tenant, UserId::new(), Role::Founder))
    else {
        return ApiError::AuthNotConfigured.into_response();
    };
    tracing::warn!(%tenant, "DEVELOPMENT MODE: the console signed a browser in as a founder");
    (
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, cookie(&token, 24 * 3600))],
    )
        .into_response()
}

/// `POST /admin/sign-out`: forgets the cookie.
async fn sign_out() -> Response {
    (StatusCode::NO_CONTENT, [(SET_COOKIE, cookie("", 0))]).into_response()
}
