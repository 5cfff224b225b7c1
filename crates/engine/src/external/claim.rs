//! An external worker's claim: up to `max` due tasks of its types in one statement, as
//! the engine's own workers claim (the same order, the same fairness across tenants, only
//! tasks approved where needed and with every parent completed), each under a lease; with
//! nothing to claim, it waits up to `wait` for the store's word that tasks became
//! runnable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::time::Instant;
use zora_core::worker::WorkerKind;
use zora_core::{
    ClaimRequest, ClaimScope, Lease, Store, StoreError, Task, TenantId, WorkerRegistration,
};

use crate::external::wakeup_hub::WakeupHub;

/// The longest lease a claim may ask for.
pub const MAX_LEASE: Duration = Duration::from_secs(600);
/// The longest a claim may wait for work.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// A claim over every tenant takes at most this many tasks of one tenant while others
/// have work too (unless an even share is larger).
pub const DEFAULT_PER_TENANT_CAP: u32 = 10;
/// The most tasks one claim takes.
pub const MAX_CLAIM: u32 = 100;

/// What an external worker asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalClaim {
    /// The worker's name: the lease owner written on what it claims.
    pub worker: String,
    /// The one tenant it serves; `None`: every tenant.
    pub tenant: Option<TenantId>,
    /// The types it claims (each registered, checked by the caller).
    pub types: Vec<String>,
    pub max: u32,
    /// How long to wait for work when none is due.
    pub wait: Duration,
    pub lease: Duration,
}

/// A task claimed, with its lease.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedTask {
    pub task: Task,
    pub lease: Lease,
    pub expires_at: DateTime<Utc>,
}

/// The engine's side of external workers on a server: the one wakeup subscription their
/// long-polls share, and their rows in the workers' registry.
#[derive(Debug, Clone)]
pub struct ExternalWorkers {
    store: Arc<dyn Store>,
    hub: WakeupHub,
    /// A claim over every tenant takes at most this many of one tenant's tasks while
    /// others have work (see [`ClaimScope::AllTenants`]).
    per_tenant_cap: u32,
    /// When each worker's row was last written by this server.
    rows_written: Arc<Mutex<HashMap<String, Instant>>>,
}

impl ExternalWorkers {
    /// Claims over every tenant take at most [`DEFAULT_PER_TENANT_CAP`] tasks of one
    /// tenant while others have work, as `zora worker`'s do by default.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            hub: WakeupHub::new(store.clone()),
            store,
            per_tenant_cap: DEFAULT_PER_TENANT_CAP,
            rows_written: Arc::default(),
        }
    }

    /// Claims for `claim` (see the module documentation): the tasks claimed, possibly
    /// none once the wait is over or `shutdown` turns `true` (the wait ends then; a claim
    /// under way is finished and answered).
    pub async fn claim(
        &self,
        claim: &ExternalClaim,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Vec<ClaimedTask>, StoreError> {
        self.seen(claim).await;
        let request = ClaimRequest {
            scope: match claim.tenant {
                Some(tenant) => ClaimScope::Tenant(tenant),
                None => ClaimScope::AllTenants {
                    per_tenant_cap: self.per_tenant_cap,
                },
            },
            task_types: claim.types.clone(),
            limit: claim.max.clamp(1, MAX_CLAIM),
            owner: claim.worker.clone(),
            lease_duration: claim.lease.min(MAX_LEASE),
        };
        let deadline = Instant::now() + claim.wait.min(MAX_WAIT);
        let mut word = self.hub.subscribe();
        loop {
            word.mark_unchanged();
            let claimed = self.store.claim_tasks(&request).await?;
            if !claimed.is_empty() || Instant::now() >= deadline {
                return Ok(claimed
                    .into_iter()
                    .map(|task| leased(task, &request))
                    .collect());
            }
            if *shutdown.borrow() {
                return Ok(Vec::new());
            }
            tokio::select! {
                changed = tokio::time::timeout_at(deadline, word.changed()) => match changed {
                    Ok(Ok(())) => {}
                    // The wait is over, or the hub is gone.
                    Ok(Err(_)) | Err(_) => return Ok(Vec::new()),
                },
                () = stopped(shutdown) => return Ok(Vec::new()),
            }
        }
    }

    /// Whether `worker`'s row is due to be written again: not written by this server
    /// within a third of `ttl`.
    fn row_due(&self, worker: &str, ttl: Duration) -> bool {
        let mut written = self.rows_written.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let due = written
            .get(worker)
            .is_none_or(|at| now.duration_since(*at) >= ttl / 3);
        if due {
            written.insert(worker.to_owned(), now);
        }
        due
    }

    /// A worker beat for a task it holds: its row lives `lease` longer (written at most
    /// every third of that).
    pub async fn beat(&self, worker: &str, tenant: TenantId, lease: Duration) {
        if !self.row_due(worker, lease) {
            return;
        }
        match self.store.beat_worker(worker, lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(worker, %tenant, "a beating external worker has no row; its next claim writes one")
            }
            Err(err) => {
                tracing::warn!(worker, error = %err, "could not beat an external worker's row")
            }
        }
    }

    /// Writes the worker's row in the registry (kind `external`, alive for its lease and
    /// wait), at most every third of that per worker and server, so that a busy worker's
    /// claims do not each write it.
    async fn seen(&self, claim: &ExternalClaim) {
        let ttl = claim.lease.min(MAX_LEASE) + claim.wait.min(MAX_WAIT);
        if !self.row_due(&claim.worker, ttl) {
            return;
        }
        let registration = WorkerRegistration {
            id: claim.worker.clone(),
            kind: WorkerKind::External,
            host: "external".into(),
            pid: 0,
            tenant: claim.tenant,
            task_types: claim.types.clone(),
            concurrency: i32::try_from(claim.max).unwrap_or(i32::MAX),
            ttl,
        };
        if let Err(err) = self.store.register_worker(&registration).await {
            tracing::warn!(worker = %claim.worker, error = %err, "could not write an external worker's row");
        }
    }
}

/// Resolves once `shutdown` turns `true`; never when its sender is gone without it.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn leased(task: Task, request: &ClaimRequest) -> ClaimedTask {
    let expires_at = task.lease_expires_at.unwrap_or_else(|| {
        Utc::now() + chrono::Duration::from_std(request.lease_duration).unwrap_or_default()
    });
    ClaimedTask {
        lease: Lease {
            task_id: task.id,
            owner: request.owner.clone(),
            attempt: task.attempts,
            locked: false,
        },
        expires_at,
        task,
    }
}
