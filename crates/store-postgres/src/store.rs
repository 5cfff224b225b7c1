//! [`PgStore`]: the pool; `Store` comes from `zora_store_sql::delegate_store!`.

use sqlx::PgPool;
use zora_core::{SchemaState, StoreError, StoreTx, TaskWakeups};

use crate::error::store_error;
use crate::tx::PgTx;
use crate::wakeups::Listening;

/// The PostgreSQL store. Cheap to clone: it is a handle on a connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    listening: Listening,
}

impl PgStore {
    /// Wraps an open pool.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            listening: Listening::default(),
        }
    }

    /// The pool, for migrations and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn readers(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self.pool.begin().await.map_err(store_error)?;
        Ok(Box::new(PgTx::new(tx)))
    }

    async fn wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError> {
        self.listening.subscribe(&self.pool).await
    }

    async fn read_schema_state(&self) -> Result<SchemaState, StoreError> {
        crate::migrate::schema_state(&self.pool)
            .await
            .map_err(|e| match e {
                crate::PgError::Store(inner) => inner,
                other => StoreError::Schema(other.to_string()),
            })
    }
}

zora_store_sql::delegate_store!(PgStore, "postgres");
