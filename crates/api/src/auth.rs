//! Authentication as ZORA CORE's clients send it: an HS256 JWT from `Authorization: Bearer` or the
//! `zora_access_token` cookie, ZORA CORE's 401 codes, roles, and the tenant every query is
//! scoped to.
//!
//! `jsonwebtoken`'s defaults are not ZORA CORE's rules: it requires `exp`, allows 60 s of
//! leeway and skips `nbf`. Here only HS256 is accepted, `exp` and `nbf` are checked when
//! present, with no leeway.

use std::sync::Arc;

use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zora_core::{TenantId, UserId};

use crate::error::ApiError;

zora_core::label_enum! {
    /// A user's role, from the token.
    pub enum Role (field = "role") {
        Founder => "founder",
        BrandAdmin => "brand_admin",
        Member => "member",
        Viewer => "viewer",
    }
}

/// The name of the cookie newer ZORA CORE frontends send the token in.
pub const COOKIE_NAME: &str = "zora_access_token";

/// The HS256 secret, when the server has one.
#[derive(Clone)]
pub struct AuthConfig {
    secret: Option<Arc<Vec<u8>>>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("configured", &self.secret.is_some())
            .finish()
    }
}

impl AuthConfig {
    /// Tokens signed with `secret`.
    pub fn with_secret(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: Some(Arc::new(secret.into())),
        }
    }

    /// Whether the server has a secret to verify tokens with.
    pub fn is_configured(&self) -> bool {
        self.secret.is_some()
    }

    /// The secret, for what else the server signs with it (lease tokens).
    pub(crate) fn secret(&self) -> Option<&[u8]> {
        self.secret.as_deref().map(Vec::as_slice)
    }

    /// No secret: protected routes answer 500 `AUTH_NOT_CONFIGURED`.
    pub fn unconfigured() -> Self {
        Self { secret: None }
    }

    /// Signs `claims` (for `zora serve --dev` and tests).
    pub fn issue(&self, claims: &Claims) -> Option<String> {
        let secret = self.secret.as_ref()?;
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret),
        )
        .ok()
    }

    /// Checks a user's token and returns who it names. A worker token is refused: it may
    /// call the worker routes only ([`crate::worker_token`]).
    pub fn verify(&self, token: &str) -> Result<AuthUser, ApiError> {
        let claims = self.decode(token)?;
        if claims.is_worker() {
            return Err(ApiError::Forbidden(
                "A worker token may call the worker routes only".into(),
            ));
        }
        claims.user()
    }

    /// Checks a token's signature, algorithm and times, and returns its claims.
    pub(crate) fn decode(&self, token: &str) -> Result<Claims, ApiError> {
        let Some(secret) = &self.secret else {
            return Err(ApiError::AuthNotConfigured);
        };
        if token.split('.').count() != 3 {
            return Err(unauthorized("INVALID_TOKEN", "Invalid token format"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("INVALID_TOKEN", "Invalid token"))?;
        if header.alg != Algorithm::HS256 {
            return Err(unauthorized(
                "INVALID_TOKEN",
                "Invalid token algorithm: only HS256 is accepted",
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims.clear();
        let data =
            jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
                .map_err(|err| match err.kind() {
                ErrorKind::InvalidSignature => {
                    unauthorized("INVALID_SIGNATURE", "Invalid token signature")
                }
                ErrorKind::ExpiredSignature => unauthorized("TOKEN_EXPIRED", "Token has expired"),
                ErrorKind::ImmatureSignature => {
                    unauthorized("INVALID_TOKEN", "Token is not valid yet")
                }
                ErrorKind::InvalidClaimFormat(claim) => unauthorized(
                    "INVALID_PAYLOAD",
                    &format!("Invalid token payload: {claim}"),
                ),
                ErrorKind::Json(_) => unauthorized("INVALID_PAYLOAD", "Invalid token payload"),
                _ => unauthorized("INVALID_TOKEN", "Invalid token"),
            })?;
        Ok(data.claims)
    }
}

/// A claim read as text and parsed; absent or of the wrong form, `INVALID_PAYLOAD` naming
/// it.
pub(crate) fn claim<T: std::str::FromStr>(value: &Value, name: &str) -> Result<T, ApiError> {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| invalid_claim(name))
}

/// `INVALID_PAYLOAD` naming the claim at fault.
pub(crate) fn invalid_claim(name: &str) -> ApiError {
    unauthorized("INVALID_PAYLOAD", &format!("Invalid token payload: {name}"))
}

pub(crate) fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: message.to_owned(),
    }
}

/// The claims ZORA CORE's tokens carry. Values are read loosely and checked by
/// [`Claims::user`], so a wrong claim is `INVALID_PAYLOAD`, not a parse failure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub tenant_id: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub user_id: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub role: Value,
    /// A worker token's task types (names); absent: any.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub types: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

impl Claims {
    /// Claims for a user of `tenant` with `role`, valid for a day.
    pub fn for_user(tenant: TenantId, user: UserId, role: Role) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            tenant_id: Value::from(tenant.to_string()),
            user_id: Value::from(user.to_string()),
            role: Value::from(role.as_str()),
            types: Value::Null,
            account_type: None,
            iat: Some(now),
            exp: Some(now + 24 * 3600),
            nbf: None,
        }
    }

    fn user(self) -> Result<AuthUser, ApiError> {
        let tenant_id = claim(&self.tenant_id, "tenant_id")?;
        let user_id = claim(&self.user_id, "user_id")?;
        let role = claim(&self.role, "role")?;
        Ok(AuthUser {
            tenant_id,
            user_id,
            role,
            account_type: self.account_type,
        })
    }
}

/// The caller, from a verified token. Every query a handler makes is scoped to
/// `tenant_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub role: Role,
    pub account_type: Option<String>,
}

impl AuthUser {
    /// Whether the role may run and change tasks: founders and brand admins.
    pub fn is_operator(&self) -> bool {
        matches!(self.role, Role::Founder | Role::BrandAdmin)
    }

    /// Founders and brand admins may run and change tasks.
    pub fn require_operator(&self, message: &str) -> Result<(), ApiError> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(message.to_owned()))
        }
    }
}

/// Where a request's token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// `Authorization: Bearer ...`: a script or a page that holds the token itself; no
    /// browser adds it on its own.
    Header,
    /// The `zora_access_token` cookie, which a browser sends with any request to this
    /// server, a cross-site one too: see [`crate::extract`].
    Cookie,
}

/// The token from `Authorization: Bearer ...`, else from the cookie.
pub(crate) fn token(parts: &Parts) -> Result<(String, TokenSource), ApiError> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let header = header.to_str().map_err(|_| {
            unauthorized("INVALID_AUTH_HEADER", "Invalid authorization header format")
        })?;
        let Some(token) = header.strip_prefix("Bearer ") else {
            if header.trim() == "Bearer" {
                return Err(unauthorized("MISSING_TOKEN", "No token provided"));
            }
            return Err(unauthorized(
                "INVALID_AUTH_HEADER",
                "Invalid authorization header format",
            ));
        };
        if token.trim().is_empty() {
            return Err(unauthorized("MISSING_TOKEN", "No token provided"));
        }
        return Ok((token.trim().to_owned(), TokenSource::Header));
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
        .map(|value| (value, TokenSource::Cookie))
        .ok_or_else(|| unauthorized("MISSING_TOKEN", "No authorization header provided"))
}
