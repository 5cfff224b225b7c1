//! Lease tokens: what a claim hands an external worker for each task it claimed, and what
//! the worker sends back with each heartbeat, completion and failure. The token names the
//! lease (its owner and attempt), the task's tenant and type and the lease's length, signed with
//! the server's secret (HMAC-SHA256 over the task's id and those), so that no worker can
//! make one for a task it did not claim.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zora_core::{Lease, TaskId, TenantId};

use crate::auth::AuthConfig;
use crate::error::ApiError;

/// What a lease token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseToken {
    pub tenant: TenantId,
    pub task_type: String,
    pub lease: Lease,
    /// The length of the lease claimed: a heartbeat extends it by as much unless told.
    pub lease_for: Duration,
    /// When the task was claimed (its `started_at`), for the time an outcome took.
    pub claimed_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
struct Body {
    tenant: TenantId,
    task_type: String,
    owner: String,
    attempt: i32,
    lease_s: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_ms: Option<i64>,
}

fn signature(secret: &[u8], task: TaskId, body: &str) -> Result<Hmac<Sha256>, ApiError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|err| ApiError::Internal(format!("lease signing key: {err}")))?;
    mac.update(b"zora-lease-v1:");
    mac.update(task.to_string().as_bytes());
    mac.update(b":");
    mac.update(body.as_bytes());
    Ok(mac)
}

impl AuthConfig {
    /// The token of `lease`.
    pub fn sign_lease(&self, token: &LeaseToken) -> Result<String, ApiError> {
        let secret = self.secret().ok_or(ApiError::AuthNotConfigured)?;
        let body = serde_json::to_vec(&Body {
            tenant: token.tenant,
            task_type: token.task_type.clone(),
            owner: token.lease.owner.clone(),
            attempt: token.lease.attempt,
            lease_s: token.lease_for.as_secs(),
            claimed_ms: token.claimed_at.map(|at| at.timestamp_millis()),
        })
        .map_err(|err| ApiError::Internal(format!("lease token: {err}")))?;
        let body = URL_SAFE_NO_PAD.encode(body);
        let mac = signature(secret, token.lease.task_id, &body)?.finalize();
        Ok(format!(
            "{body}.{}",
            URL_SAFE_NO_PAD.encode(mac.into_bytes())
        ))
    }

    /// What `token` says of a lease of `task`; a token this server did not sign for that
    /// task is refused as field `lease`.
    pub fn open_lease(&self, task: TaskId, token: &str) -> Result<LeaseToken, ApiError> {
        let secret = self.secret().ok_or(ApiError::AuthNotConfigured)?;
        let refused = || {
            ApiError::field(
                "lease",
                format!("lease is not a lease token of task {task}"),
            )
        };
        let (body, mac) = token.split_once('.').ok_or_else(refused)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| refused())?;
        signature(secret, task, body)?
            .verify_slice(&mac)
            .map_err(|_| refused())?;
        let body: Body = URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(refused)?;
        Ok(LeaseToken {
            tenant: body.tenant,
            task_type: body.task_type,
            lease: Lease {
                task_id: task,
                owner: body.owner,
                attempt: body.attempt,
                locked: false,
            },
            lease_for: Duration::from_secs(body.lease_s),
            claimed_at: body.claimed_ms.and_then(DateTime::from_timestamp_millis),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> LeaseToken {
        LeaseToken {
            tenant: TenantId::new(),
            task_type: "review_accessibility".into(),
            lease: Lease {
                task_id: TaskId::new(),
                owner: "py-1".into(),
                attempt: 2,
                locked: false,
            },
            lease_for: Duration::from_secs(60),
            claimed_at: DateTime::from_timestamp_millis(1_765_000_000_123),
        }
    }

    #[test]
    fn a_lease_token_says_what_was_signed() {
        let auth = AuthConfig::with_secret("lease secret");
        let token = token();
        let signed = auth.sign_lease(&token).expect("signed");
        assert_eq!(
            auth.open_lease(token.lease.task_id, &signed)
                .expect("opens"),
            token
        );
    }

    #[test]
    fn a_token_for_another_task_or_from_another_server_is_refused() {
        let auth = AuthConfig::with_secret("lease secret");
        let token = token();
        let signed = auth.sign_lease(&token).expect("signed");
        let refused = auth
            .open_lease(TaskId::new(), &signed)
            .expect_err("another task");
        assert!(
            matches!(&refused, ApiError::Validation { fields, .. } if fields[0].field == "lease")
        );
        let other = AuthConfig::with_secret("another secret");
        assert!(other.open_lease(token.lease.task_id, &signed).is_err());
        assert!(auth.open_lease(token.lease.task_id, "garbage").is_err());
        let (body, _) = signed.split_once('.').expect("two parts");
        let forged = format!("{body}.{}", URL_SAFE_NO_PAD.encode([0u8; 32]));
        assert!(auth.open_lease(token.lease.task_id, &forged).is_err());
    }
}
