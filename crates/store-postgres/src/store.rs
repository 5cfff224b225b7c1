//! [`PgStore`]: the pool; `Store` comes from `zora_store_sql::delegate_store!`.

use sqlx::PgPool;
use zora_core::{SchemaState, StoreError, StoreTx, TaskWakeups, TxLimits};

use crate::error::store_error;
use crate::session::Session;
use crate::tx::PgTx;
use crate::wakeups::Listening;

/// The PostgreSQL store. Cheap to clone: it is a handle on a connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    behind_pooler: bool,
    listening: Listening,
}

impl PgStore {
    /// Wraps an open pool, connected directly to the server.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            behind_pooler: false,
            listening: Listening::default(),
        }
    }

    /// Wraps an open pool on a transaction-mode pooler: every method runs in a
    /// transaction (see [`PgStoreOptions::behind_pooler`](crate::PgStoreOptions)).
    pub fn behind_pooler(pool: PgPool) -> Self {
        Self {
            behind_pooler: true,
            ..Self::new(pool)
        }
    }

    /// The pool, for migrations and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn read_session(&self) -> Result<Session, StoreError> {
        Session::open(&self.pool, self.behind_pooler).await
    }

    async fn write_session(&self) -> Result<Session, StoreError> {
        Session::open(&self.pool, self.behind_pooler).await
    }

    /// A transaction that keeps its statements prepared unless this store is behind a
    /// pooler.
    fn tx_of(&self, tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Box<dyn StoreTx> {
        Box::new(PgTx::new(tx, !self.behind_pooler))
    }

    async fn begin_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self.pool.begin().await.map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    async fn begin_read_tx(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self
            .pool
            .begin_with("BEGIN READ ONLY")
            .await
            .map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    async fn begin_limited_tx(&self, limits: TxLimits) -> Result<Box<dyn StoreTx>, StoreError> {
        let tx = self
            .pool
            .begin_with(crate::tx::begin_limited_sql(limits))
            .await
            .map_err(store_error)?;
        Ok(self.tx_of(tx))
    }

    async fn wakeups(&self) -> Result<Box<dyn TaskWakeups>, StoreError> {
        if self.behind_pooler {
            // A LISTEN would stay on whichever server connection ran it, and its
            // notifications would reach other clients of the pooler mid-query.
            return Err(StoreError::Unavailable(
                "LISTEN does not work behind a transaction-mode pooler; poll instead \
                 (`zora worker --no-listen`)"
                    .into(),
            ));
        }
        self.listening
            .subscribe(&self.pool, |hubs| hubs.wakeups.subscribe())
            .await
    }

    async fn watch_finish_of(
        &self,
        id: zora_core::TaskId,
    ) -> Result<Option<Box<dyn zora_core::FinishWatch>>, StoreError> {
        if self.behind_pooler {
            return Ok(None);
        }
        let watch = self
            .listening
            .subscribe(&self.pool, |hubs| hubs.finishes.watch(id))
            .await?;
        let watch = crate::waiters::PgFinishWatch::register(&self.pool, id, watch).await?;
        Ok(Some(Box::new(watch)))
    }

    /// Nothing to tell: the outcome statements notify the waited tasks themselves.
    fn tell_finished(&self, _ids: &[zora_core::TaskId]) {}

    async fn read_schema_state(&self) -> Result<SchemaState, StoreError> {
        zora_store_sql::in_session!(self.read_session(), |db| async {
            crate::migrate::schema_state_on(db)
                .await
                .map_err(|e| match e {
                    crate::PgError::Store(inner) => inner,
                    other => StoreError::Schema(other.to_string()),
                })
        })
    }
}

zora_store_sql::delegate_store!(PgStore, "postgres");
