//! The authenticated user as a handler's argument: the token verified, a cookie-borne one
//! only from this server's pages when the request changes something
//! ([`crate::cross_site`]), and its tenant required to exist ([`crate::tenants`]), before
//! the handler runs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{AuthUser, TokenSource, token};
use crate::error::ApiError;
use crate::state::AppState;

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
