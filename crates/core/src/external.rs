//! Task types served by external workers: registered over HTTP with their payload and
//! result schemas, for one tenant or for every tenant (`agent_task_types`). The rows and
//! the store trait; the registration's checks are the engine's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::error::StoreError;
use crate::ids::{TenantId, UserId};

/// What a registration says of its type. Registering the same definition again changes
/// nothing; another one replaces it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalTypeDefinition {
    pub agent_id: String,
    pub description: String,
    /// A JSON Schema (draft 2020-12) every payload of the type must meet.
    pub payload_schema: Value,
    /// A JSON Schema every result must meet, if any.
    pub result_schema: Option<Value>,
    /// How long a claim holds a task of the type by default, in seconds.
    pub timeout_s: i32,
    /// The tasks' attempts, when the type sets them.
    pub max_attempts: Option<i32>,
    /// Delivered by push to this target instead of claimed by external workers.
    pub push: Option<PushTarget>,
}

/// Where the engine's workers deliver a push type's tasks: an HTTP `POST` of each task to
/// `url`, signed with `secret` (HMAC-SHA256), its answer awaited `timeout_s` at most.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct PushTarget {
    pub url: String,
    pub timeout_s: i32,
    /// Never shown: it signs the bodies.
    #[serde(skip_serializing)]
    pub secret: String,
}

impl std::fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("url", &self.url)
            .field("timeout_s", &self.timeout_s)
            .finish_non_exhaustive()
    }
}

/// A registered external type, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalType {
    /// The one tenant it is registered for; `None`: every tenant.
    pub tenant_id: Option<TenantId>,
    pub task_type: String,
    #[serde(flatten)]
    pub definition: ExternalTypeDefinition,
    /// The worker token that registered it last.
    pub registered_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A type to register (or to register again, replacing its definition).
#[derive(Debug, Clone, PartialEq)]
pub struct NewExternalType {
    pub tenant_id: Option<TenantId>,
    pub task_type: String,
    pub definition: ExternalTypeDefinition,
    pub registered_by: Option<UserId>,
}

/// The registered external types.
#[async_trait]
pub trait ExternalTypeStore: Send + Sync {
    /// Registers `new` for its tenant (or every tenant): inserted, or its definition
    /// replaced when the type is registered there already (`created_at` kept). Returns
    /// the stored row.
    async fn register_external_type(
        &self,
        new: &NewExternalType,
    ) -> Result<ExternalType, StoreError>;

    /// The types registered for `tenant` itself or for every tenant (a tenant's own
    /// registration of a name hides every tenant's), by name; `None`: every tenant's
    /// registrations only.
    async fn external_types(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<ExternalType>, StoreError>;

    /// Every registration delivered by push, of every scope.
    async fn push_types(&self) -> Result<Vec<ExternalType>, StoreError>;

    /// Unregisters `task_type` for `tenant` (`None`: the every-tenant registration);
    /// `false` when it was not registered there. Its tasks are left as they are.
    async fn unregister_external_type(
        &self,
        tenant: Option<TenantId>,
        task_type: &str,
    ) -> Result<bool, StoreError>;
}
