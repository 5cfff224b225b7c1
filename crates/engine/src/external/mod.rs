//! Task types served outside the engine, by workers in any language over HTTP: their
//! registration, their payloads' and results' schemas, and the claims and outcomes of
//! their tasks under a lease.

mod batch;
mod claim;
mod outcome;
pub(crate) mod payload_check;
pub mod push;
pub mod registration;
pub mod schema;
mod shown;
mod wakeup_hub;

pub use batch::{BatchCompletion, BatchHeartbeat, Taken, complete_all, heartbeat_all};
pub use claim::{ClaimedTask, ExternalClaim, ExternalWorkers, MAX_CLAIM, MAX_LEASE, MAX_WAIT};
pub use outcome::{
    ExternalCompletion, ExternalFailure, LeaseError, Recorded, WorkerJournalEntry, WorkerUsage,
    complete, fail, heartbeat,
};
pub use push::{Pusher, REPLAY_WINDOW, signature};
pub use registration::{RegisterError, check_definition, external_type, register_type};
pub use schema::{Schema, SchemaFault};
pub use shown::{type_object, workers_serving};
pub use wakeup_hub::WakeupHub;
