//! One module per resource.

pub mod batch;
pub mod commands;
pub mod create;
mod create_body;
mod depends_on;
pub mod health;
pub mod metrics;
pub mod run;
pub mod tasks;
pub mod waiting;
