//! The authenticated user as a handler's argument: the token verified, and its tenant
//! required to exist ([`crate::tenants`]), before the handler runs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{AuthUser, token};
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
        let user = state.auth.verify(&token(parts)?)?;
        state
            .known_tenants
            .require(state.store.as_ref(), user.tenant_id)
            .await?;
        Ok(user)
    }
}
