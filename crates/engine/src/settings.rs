//! [`ExecutorSettings`]: who claims (the lease owner), for how long, how often leases beat,
//! how large a batch is, where outcomes are counted; and the limits each apply
//! transaction gets from them.

use std::time::Duration;

use zora_core::{TaskId, TxLimits};

use crate::metrics::Metrics;

/// How the executor claims and applies.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    /// The lease owner written on claimed tasks: who holds them.
    pub owner: String,
    /// How long a claim lasts before the rescuer may take the task back. Defaults to 60s.
    pub lease_duration: Duration,
    /// How often the leases of tasks in `prepare` are extended; `None` for a third of
    /// `lease_duration`.
    pub heartbeat_interval: Option<Duration>,
    /// Tasks applied in one transaction. Defaults to 100. A batch of several takes no
    /// savepoint per task (see `TxControl::begin_task`), so PostgreSQL's 64 cached
    /// subtransactions do not bound it.
    pub batch_size: u32,
    /// Where claims and outcomes are counted. Defaults to a handle of its own; give the
    /// one the process renders at `/metrics`.
    pub metrics: Metrics,
}

impl ExecutorSettings {
    /// Settings with a fresh owner token naming `role` and this process.
    pub fn new(role: &str) -> Self {
        let token = TaskId::new().to_string();
        Self {
            owner: format!(
                "{role}:{}:{}",
                std::process::id(),
                &token[token.len() - 8..]
            ),
            lease_duration: Duration::from_secs(60),
            heartbeat_interval: None,
            batch_size: 100,
            metrics: Metrics::default(),
        }
    }

    /// The limits on each apply transaction, well under the lease so that its row locks
    /// are gone before the lease lapses: a statement at most a third of the lease, idle
    /// at most half of it (with floors of 1s and 2s for test-sized leases).
    pub fn tx_limits(&self) -> TxLimits {
        TxLimits {
            statement: (self.lease_duration / 3).max(Duration::from_secs(1)),
            idle: (self.lease_duration / 2).max(Duration::from_secs(2)),
        }
    }

    /// The heartbeat interval in force: the one set, else a third of the lease.
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_interval.unwrap_or(self.lease_duration / 3)
    }
}
