//! The authenticated user as a handler's argument: the token verified, a cookie-borne one
//! only from this server's pages when the request changes something
//! ([`crate::cross_site`]), and its tenant required to exist ([`crate::tenants`]), before
//! the handler runs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{AuthUser, TokenSource, token};
use crate::error::ApiError;
use crate::state::AppState;
use crate::worker_token::WorkerAuth;

/// The request's token, once the server has a secret to verify it with.
fn presented(parts: &Parts, state: &AppState) -> Result<(String, TokenSource), ApiError> {
    if !state.auth.is_configured() {
        return Err(ApiError::AuthNotConfigured);
    }
    token(parts)
}

/// A user's token checked ([`AuthConfig::verify`](crate::AuthConfig::verify)), a
/// cookie-borne one only from this server's pages, its tenant required to exist.
async fn user(
    parts: &Parts,
    state: &AppState,
    token: &str,
    source: TokenSource,
) -> Result<AuthUser, ApiError> {
    let user = state.auth.verify(token)?;
    if source == TokenSource::Cookie {
        crate::cross_site::check(parts, &state.trusted_origins)?;
    }
    state
        .known_tenants
        .require(state.store.as_ref(), user.tenant_id)
        .await?;
    Ok(user)
}

/// A worker, its tenant (when it names one) required to exist.
async fn known_worker(state: &AppState, worker: WorkerAuth) -> Result<WorkerAuth, ApiError> {
    if let Some(tenant) = worker.tenant_id {
        state
            .known_tenants
            .require(state.store.as_ref(), tenant)
            .await?;
    }
    Ok(worker)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, source) = presented(parts, state)?;
        user(parts, state, &token, source).await
    }
}

/// The worker token of a worker route: verified (a user's token is refused), and its
/// tenant, when it names one, required to exist.
impl FromRequestParts<AppState> for WorkerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, _) = presented(parts, state)?;
        known_worker(state, state.auth.verify_worker(&token)?).await
    }
}

/// A worker token, or a user's token (held to the users' routes' checks): for a route
/// both may call.
#[derive(Debug, Clone)]
pub enum WorkerOrUser {
    Worker(WorkerAuth),
    User(AuthUser),
}

impl FromRequestParts<AppState> for WorkerOrUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, source) = presented(parts, state)?;
        match state.auth.verify_worker(&token) {
            Ok(worker) => known_worker(state, worker).await.map(Self::Worker),
            Err(_) => user(parts, state, &token, source).await.map(Self::User),
        }
    }
}
