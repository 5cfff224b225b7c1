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

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !state.auth.is_configured() {
            return Err(ApiError::AuthNotConfigured);
        }
        let (token, source) = token(parts)?;
        let user = state.auth.verify(&token)?;
        if source == TokenSource::Cookie {
            crate::cross_site::check(parts, &state.trusted_origins)?;
        }
        state
            .known_tenants
            .require(state.store.as_ref(), user.tenant_id)
            .await?;
        Ok(user)
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
        if !state.auth.is_configured() {
            return Err(ApiError::AuthNotConfigured);
        }
        let (token, _) = token(parts)?;
        let worker = state.auth.verify_worker(&token)?;
        if let Some(tenant) = worker.tenant_id {
            state
                .known_tenants
                .require(state.store.as_ref(), tenant)
                .await?;
        }
        Ok(worker)
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
        if !state.auth.is_configured() {
            return Err(ApiError::AuthNotConfigured);
        }
        let (token, _) = token(parts)?;
        if state.auth.verify_worker(&token).is_ok() {
            return WorkerAuth::from_request_parts(parts, state)
                .await
                .map(Self::Worker);
        }
        AuthUser::from_request_parts(parts, state)
            .await
            .map(Self::User)
    }
}
