//! The engine's model: ids, task states and rows, the store traits every storage backend
//! implements, the handler seam every task type implements, and their errors.
//!
//! This crate knows nothing of SQL, HTTP or the command line, nor of any domain's tables:
//! storage crates implement the parts of [`Store`] and [`StoreTx`], domains implement
//! [`handler::TaskHandler`] with their own SQL on [`HandlerTx`]'s connection, and
//! everything above them talks only to those traits.

pub mod agent;
pub mod command;
pub mod dependency;
pub mod error;
pub mod external;
pub mod handler;
pub mod ids;
pub mod insight;
pub mod journal;
mod label;
pub mod model;
mod outcome;
pub mod page;
pub mod retention;
pub mod schedule;
pub mod stats;
mod status;
pub mod store;
pub mod task;
pub mod tenant;
pub mod usage;
pub mod worker;

pub use agent::AgentId;
pub use error::{ParseError, StoreError};
pub use ids::*;
pub use page::{MAX_PAGE_SIZE, Page, Paginated};
pub use store::{
    CommandStore, CommandTx, Connection, ExternalTypeStore, FinishWatch, HandlerTx, InsightTx,
    JournalTx, Queue, QueueTx, ReadTx, ScheduleStore, ScheduleTx, SchemaState, Store, StoreTx,
    TaskWakeups, TxControl, TxLimits, UsageStore, UsageTx,
};
pub use task::{
    ClaimById, ClaimRequest, ClaimScope, Completion, Decision, Failure, FailureKind, Lease,
    NewTask, RescuePolicy, Task, TaskErrorRecord, TaskFilter, TaskOrder, TaskState, TaskStatus,
    sort_in_claim_order,
};
pub use worker::{WorkerInfo, WorkerRegistration};
