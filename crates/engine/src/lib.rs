//! The executor: the registry of task types, claiming tasks in batches under leases,
//! applying each batch in one transaction (a savepoint per task), running one task by
//! id, and validating new tasks the way they will be run.
//!
//! ARCHITECTURE.md says how this crate runs tasks.

mod apply;
mod approval;
mod cancel;
mod catalog;
pub mod chat;
mod claim_plan;
mod commands;
mod create;
mod due_times;
mod executor;
pub mod external;
pub mod faults;
mod heartbeat;
mod http;
pub mod metrics;
mod pipeline;
pub mod planner;
pub mod prices;
mod ready;
mod registry;
mod report;
mod request;
pub mod rescuer;
pub mod schedule;
mod settings;
mod wait;
mod worker;

pub use approval::{DecisionError, decide_task};
pub use cancel::{CancelError, Cancelled, cancel_task, cancelled_message};
pub use commands::{CommandOutcome, CommandRequest, NO_TASKS, submit_command};
pub use create::{
    BatchError, CreateError, Created, check_new_task, create_batch, create_task, validate_new_task,
};
pub use executor::{Executor, RunSummary, RunTaskError};
pub use http::{http_client, http_client_builder};
pub use pipeline::LockedBatch;
pub use registry::Registry;
pub use report::{TaskOutcome, TaskReport};
pub use request::{RequestedRun, RunRequestError, not_runnable, not_runnable_now, request_run};
pub use settings::ExecutorSettings;
pub use wait::{Waited, wait_for_outcome};
pub use worker::{LOST_WORKER_CAUTION, Worker, WorkerReport, WorkerSettings};
