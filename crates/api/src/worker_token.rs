//! Worker tokens: a JWT signed like every API token, whose `role` is `worker`, for a
//! process that serves task types over HTTP. With a `tenant_id` it serves that tenant
//! only, without one every tenant; a `types` claim limits the types it may register and
//! claim. A worker token is refused on every route that is not a worker route
//! ([`crate::AuthConfig::verify`]), so a leaked one reads and creates nothing of a
//! tenant's.

use std::time::Duration;

use serde_json::Value;
use zora_core::{TenantId, UserId};

use crate::auth::{AuthConfig, Claims, claim, invalid_claim};
use crate::error::ApiError;

/// The `role` claim of a worker token.
pub const WORKER_ROLE: &str = "worker";

/// The longest task type name.
pub const MAX_TYPE_NAME: usize = 100;

/// A verified worker token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerAuth {
    /// The token's own id (its `user_id` claim).
    pub token_id: UserId,
    /// The one tenant it serves; `None`: every tenant.
    pub tenant_id: Option<TenantId>,
    /// The types it may register and claim; `None`: any.
    pub types: Option<Vec<String>>,
}

impl WorkerAuth {
    /// Whether the token may register and claim tasks of `kind`.
    pub fn may_serve_type(&self, kind: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == kind))
    }

    /// Whether the token may claim and finish tasks of `tenant`.
    pub fn may_serve_tenant(&self, tenant: TenantId) -> bool {
        self.tenant_id.is_none_or(|own| own == tenant)
    }
}

/// Why `name` cannot be a task type's name, if it cannot: 1 to 100 characters of
/// `[a-z0-9_.]`.
pub fn check_type_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_TYPE_NAME {
        return Err(format!(
            "A task type name has 1 to {MAX_TYPE_NAME} characters, got {}",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '.'))
    {
        Some(c) => Err(format!(
            "A task type name is made of a-z, 0-9, '_' and '.', got {c:?} in {name:?}"
        )),
        None => Ok(()),
    }
}

impl Claims {
    /// The claims of a worker token for `tenant` (`None`: every tenant) and `types`
    /// (`None`: any), valid for `ttl`.
    pub fn for_worker(tenant: Option<TenantId>, types: Option<Vec<String>>, ttl: Duration) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            tenant_id: tenant.map_or(Value::Null, |t| Value::from(t.to_string())),
            user_id: Value::from(UserId::new().to_string()),
            role: Value::from(WORKER_ROLE),
            types: types.map_or(Value::Null, Value::from),
            account_type: None,
            iat: Some(now),
            exp: Some(now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))),
            nbf: None,
        }
    }

    /// Whether these are a worker token's claims.
    pub(crate) fn is_worker(&self) -> bool {
        self.role.as_str() == Some(WORKER_ROLE)
    }

    /// The worker these claims name; a claim of the wrong form is `INVALID_PAYLOAD`.
    fn worker(self) -> Result<WorkerAuth, ApiError> {
        let token_id = claim(&self.user_id, "user_id")?;
        let tenant_id = match &self.tenant_id {
            Value::Null => None,
            value => Some(claim(value, "tenant_id")?),
        };
        let types = match self.types {
            Value::Null => None,
            Value::Array(items) => Some(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(name) if check_type_name(&name).is_ok() => Ok(name),
                        _ => Err(invalid_claim("types")),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => return Err(invalid_claim("types")),
        };
        Ok(WorkerAuth {
            token_id,
            tenant_id,
            types,
        })
    }
}

impl AuthConfig {
    /// Checks a worker token and returns the worker it names; a user's token is refused.
    pub fn verify_worker(&self, token: &str) -> Result<WorkerAuth, ApiError> {
        let claims = self.decode(token)?;
        if !claims.is_worker() {
            return Err(ApiError::Forbidden(
                "Only worker tokens may claim tasks".into(),
            ));
        }
        claims.worker()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn auth() -> AuthConfig {
        AuthConfig::with_secret("test secret")
    }

    #[test]
    fn a_worker_token_names_its_tenant_and_types() {
        let tenant = TenantId::new();
        let claims = Claims::for_worker(
            Some(tenant),
            Some(vec!["review_accessibility".into()]),
            Duration::from_secs(3600),
        );
        let token = auth().issue(&claims).expect("signed");
        let worker = auth().verify_worker(&token).expect("a worker token");
        assert_eq!(worker.tenant_id, Some(tenant));
        assert!(worker.may_serve_type("review_accessibility"));
        assert!(!worker.may_serve_type("climate.create_single_mission"));
        assert!(worker.may_serve_tenant(tenant));
        assert!(!worker.may_serve_tenant(TenantId::new()));
    }

    #[test]
    fn a_worker_token_without_tenant_or_types_serves_all() {
        let claims = Claims::for_worker(None, None, Duration::from_secs(60));
        let token = auth().issue(&claims).expect("signed");
        let worker = auth().verify_worker(&token).expect("a worker token");
        assert!(worker.may_serve_tenant(TenantId::new()));
        assert!(worker.may_serve_type("anything.at_all"));
    }

    #[test]
    fn each_token_is_kept_to_its_own_routes() {
        let worker = auth()
            .issue(&Claims::for_worker(None, None, Duration::from_secs(60)))
            .expect("signed");
        let refused = auth()
            .verify(&worker)
            .expect_err("a worker token is no user");
        assert!(matches!(refused, ApiError::Forbidden(_)), "{refused:?}");
        let user = auth()
            .issue(&Claims::for_user(
                TenantId::new(),
                UserId::new(),
                Role::Founder,
            ))
            .expect("signed");
        let refused = auth()
            .verify_worker(&user)
            .expect_err("a user is no worker");
        assert!(
            matches!(&refused, ApiError::Forbidden(m) if m == "Only worker tokens may claim tasks"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_wrong_claim_is_invalid_payload_naming_it() {
        let mut claims = Claims::for_worker(None, None, Duration::from_secs(60));
        claims.types = Value::from(vec!["Not A Type"]);
        let token = auth().issue(&claims).expect("signed");
        let refused = auth().verify_worker(&token).expect_err("bad types");
        assert!(
            matches!(&refused, ApiError::Unauthorized { code: "INVALID_PAYLOAD", message } if message.contains("types")),
            "{refused:?}"
        );
        let mut claims = Claims::for_worker(None, None, Duration::from_secs(60));
        claims.tenant_id = Value::from("not a uuid");
        let token = auth().issue(&claims).expect("signed");
        let refused = auth().verify_worker(&token).expect_err("bad tenant");
        assert!(
            matches!(&refused, ApiError::Unauthorized { code: "INVALID_PAYLOAD", message } if message.contains("tenant_id")),
            "{refused:?}"
        );
    }

    #[test]
    fn type_names_are_checked() {
        assert!(check_type_name("review_accessibility").is_ok());
        assert!(check_type_name("zora_shop.record_supplier_audit").is_ok());
        assert!(check_type_name("").is_err());
        assert!(check_type_name(&"a".repeat(101)).is_err());
        assert!(check_type_name("Review").is_err());
        assert!(check_type_name("a b").is_err());
    }
}
