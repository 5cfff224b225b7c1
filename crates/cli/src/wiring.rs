//! Wiring: the registry of task types and the executor the commands use.

use std::sync::Arc;
use std::time::Duration;

use zora_core::Store;
use zora_engine::{Executor, ExecutorSettings, Registry};

/// The task types this binary runs.
pub fn registry() -> Registry {
    Registry::new(zora_handlers::v1())
}

/// An executor over `store`, holding claims for `lease_duration`.
pub fn executor(store: Arc<dyn Store>, lease_duration: Duration) -> Executor {
    let mut settings = ExecutorSettings::new("cli");
    settings.lease_duration = lease_duration;
    Executor::new(store, Arc::new(registry()), settings)
}
