//! The workers' registry: a row per running worker, beaten while it runs, so that "which
//! workers are alive" is a query (`zora status`, the API's metrics) and a dead one shows as
//! such once its row expires.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::TenantId;

crate::label_enum! {
    /// Which kind of process a worker is.
    pub enum WorkerKind (field = "kind") {
        /// One of the engine's own workers (`zora worker`, `zora serve`'s): it runs the
        /// types compiled into it. Only such a worker's death makes the others cautious.
        Engine => "engine",
        /// A process that claims over HTTP (`POST /api/workers/claim`) and serves
        /// registered external types; its row lives as long as its claims and beats.
        External => "external",
    }
}

/// What a worker says about itself when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRegistration {
    /// The worker's id: the `lease_owner` it writes on the tasks it holds.
    pub id: String,
    pub kind: WorkerKind,
    /// The machine it runs on.
    pub host: String,
    /// Its process id there.
    pub pid: i32,
    /// The one tenant it serves, or `None` for every tenant.
    pub tenant: Option<TenantId>,
    /// The task types it runs.
    pub task_types: Vec<String>,
    /// Batches it applies at once.
    pub concurrency: i32,
    /// How long the row counts as alive without a beat.
    pub ttl: Duration,
}

/// A worker as the registry shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerInfo {
    pub id: String,
    pub kind: WorkerKind,
    pub host: String,
    pub pid: i32,
    /// `None`: it serves every tenant.
    pub tenant_id: Option<TenantId>,
    pub task_types: Vec<String>,
    pub concurrency: i32,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    /// The tasks it holds now (`in_progress` under its lease).
    pub tasks_in_hand: i32,
}

/// How long a stopped or expired worker's row is kept before registration prunes it.
pub const WORKER_ROW_RETENTION: Duration = Duration::from_secs(24 * 3600);
