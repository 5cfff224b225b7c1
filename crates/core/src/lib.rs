//! The engine's domain model: ids, task states and rows, the domain rows the v1 handlers
//! read and write, the store traits every storage backend implements, and their errors.
//!
//! This crate knows nothing of SQL, HTTP or the command line: storage crates implement
//! the parts of [`Store`] and [`StoreTx`], and everything above them talks only to those
//! traits.

pub mod agent;
pub mod climate;
pub mod command;
pub mod dependency;
pub mod error;
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
pub mod shop;
pub mod stats;
mod status;
pub mod store;
pub mod task;
pub mod tenant;
pub mod worker;

pub use agent::AgentId;
pub use error::{ParseError, StoreError};
pub use ids::*;
pub use page::{MAX_PAGE_SIZE, Page, Paginated};
pub use store::{
    ClimateTx, CommandStore, CommandTx, FinishWatch, InsightTx, JournalTx, Queue, QueueTx,
    ScheduleStore, ScheduleTx, SchemaState, ShopTx, Store, StoreTx, TaskWakeups, TenantTx,
    TxControl, TxLimits,
};
pub use task::{
    ClaimById, ClaimRequest, ClaimScope, Completion, Decision, Failure, FailureKind, Lease,
    NewTask, RescuePolicy, Task, TaskErrorRecord, TaskFilter, TaskOrder, TaskState, TaskStatus,
    sort_in_claim_order,
};
pub use worker::{WorkerInfo, WorkerRegistration};
