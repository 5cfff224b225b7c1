//! A task's status (ZORA CORE's four), its fine-grained state, and the orders a listing
//! takes: the labels every other module of the queue speaks in.

crate::label_enum! {
    /// `agent_task_status`: the four states ZORA CORE's clients count by.
    pub enum TaskStatus (field = "status") {
        /// Waiting to be claimed (once `run_at` is due).
        Pending => "pending",
        /// Claimed by a worker holding a lease (or by ZORA CORE's legacy runtime, without one).
        InProgress => "in_progress",
        /// Ran; its effects and result are committed.
        Completed => "completed",
        /// Gave up; `error_message` says why.
        Failed => "failed",
    }
}

crate::label_enum! {
    /// The fine-grained state of a task, computed by the store from its row:
    /// `status` stays within ZORA CORE's four.
    pub enum TaskState (field = "state") {
        /// Pending and runnable now.
        Available => "available",
        /// Pending, `run_at` in the future (a retry waiting out its backoff too).
        Scheduled => "scheduled",
        /// Pending, a parent in `depends_on` not yet `completed`.
        Blocked => "blocked",
        /// Pending, `requires_approval` and no decision yet.
        AwaitingApproval => "awaiting_approval",
        /// `in_progress`: claimed under a lease.
        Running => "running",
        Completed => "completed",
        /// Failed for good.
        Failed => "failed",
        /// `cancelled_at` is set.
        Cancelled => "cancelled",
        /// `rejected_at` is set.
        Rejected => "rejected",
    }
}

crate::label_enum! {
    /// The order of a task listing.
    #[derive(Default)]
    pub enum TaskOrder (field = "order") {
        /// ZORA CORE's queue order: `priority DESC, created_at ASC, id ASC`.
        #[default]
        Queue => "queue",
        /// The newest first: `created_at DESC, id DESC`.
        Newest => "newest",
        /// The oldest first: `created_at ASC, id ASC`.
        Oldest => "oldest",
    }
}

impl TaskStatus {
    /// Whether a task in this status has its outcome: completed, or failed for good.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}
