//! The clock schedules run by: the database's in production (one authority for every
//! host), a hand-driven one in tests, so that simulated hours run in seconds.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use zora_core::{Store, StoreError};

/// Where the time comes from.
#[async_trait]
pub trait Clock: Send + Sync + std::fmt::Debug {
    async fn now(&self) -> Result<DateTime<Utc>, StoreError>;
}

/// The database's clock ([`zora_core::Queue::database_now`]): every host agrees on it.
#[derive(Debug, Clone)]
pub struct DatabaseClock(pub Arc<dyn Store>);

#[async_trait]
impl Clock for DatabaseClock {
    async fn now(&self) -> Result<DateTime<Utc>, StoreError> {
        self.0.database_now().await
    }
}

/// A clock that moves only when told: tests step a schedule through simulated time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn at(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Moves the clock by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// The time it shows.
    pub fn read(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Clock for ManualClock {
    async fn now(&self) -> Result<DateTime<Utc>, StoreError> {
        Ok(self.read())
    }
}
