//! Retention: which finished tasks `zora prune` and a worker's `--retention` delete.
//! Journal entries are never pruned.

use std::time::Duration;

use serde::Serialize;

use crate::ids::TaskId;

crate::label_enum! {
    /// The finished tasks a prune deletes.
    pub enum PruneStatus (field = "status") {
        Completed => "completed",
        Failed => "failed",
        /// Completed and failed.
        All => "all",
    }
}

/// What a prune deletes: tasks finished (by `completed_at`) longer than `older_than` ago
/// on the database clock, of `status`, never a parent of a task not yet finished. A prune
/// walks the table in windows of `window` rows by id (the primary key: no index of its
/// own, no sort), one short statement each: no long lock, no table rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prune {
    pub older_than: Duration,
    pub status: PruneStatus,
    pub window: u32,
}

impl PruneStatus {
    /// The `status` values it covers.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            Self::Completed => &["completed"],
            Self::Failed => &["failed"],
            Self::All => &["completed", "failed"],
        }
    }
}

/// What one window of a prune did (or, dry, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PruneBatch {
    pub deleted: u64,
    /// Old enough but kept: a task not yet finished depends on them.
    pub kept_as_parents: u64,
    /// The last id the window looked at, where the next window starts; `None` once the
    /// window reached the end of the table.
    pub next_after: Option<TaskId>,
}
