//! [`PgTx`]: one open transaction, with its controls ([`TxControl`]) and the connection a
//! domain's SQL runs on ([`HandlerTx`]); the queue's writes are implemented in their own
//! modules (`tasks`, `journal`, `commands`, `tenants`, ...).

use std::sync::Arc;

use sqlx::{PgConnection, Postgres, Transaction};
use tokio::sync::OnceCell;
use zora_core::{Connection, HandlerTx, ReadTx, StoreError, TxControl, TxLimits};
use zora_store_sql::{SAVEPOINT, TaskPart};

use crate::error::store_error;
use crate::sql::Db;

/// One PostgreSQL transaction; dropped without commit, it rolls back. It has nothing to
/// tell anyone on commit: the triggers of migration 0006 notify of runnable tasks and the
/// outcome statements of finished ones, and PostgreSQL delivers both on commit.
#[derive(Debug)]
pub(crate) struct PgTx {
    /// Where the reads run; writes go through [`PgTx::write`].
    pub(crate) tx: KeptTx,
    part: TaskPart,
    /// The store's knowledge of `agent_task_policies` (see `PgStore`).
    pub(crate) policies: Arc<OnceCell<bool>>,
}

/// An open transaction and whether its statements may stay prepared (its store's
/// setting): where the queries of a [`PgTx`] run.
#[derive(Debug)]
pub(crate) struct KeptTx {
    tx: Transaction<'static, Postgres>,
    keep: bool,
}

impl Db for KeptTx {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
    fn keep(&self) -> bool {
        self.keep
    }
}

impl PgTx {
    /// A transaction of a store that keeps its statements prepared (`keep`) or not.
    pub(crate) fn new(
        tx: Transaction<'static, Postgres>,
        keep: bool,
        policies: Arc<OnceCell<bool>>,
    ) -> Self {
        Self {
            tx: KeptTx { tx, keep },
            part: TaskPart::default(),
            policies,
        }
    }

    /// Where a write runs: first the task's savepoint, if this is its first write.
    pub(crate) async fn write(&mut self) -> Result<&mut KeptTx, StoreError> {
        if self.part.savepoint_needed() {
            self.run(SAVEPOINT).await?;
        }
        Ok(&mut self.tx)
    }

    /// Runs one parameterless statement with the simple query protocol: one round trip,
    /// nothing prepared (which suits a pooler too).
    async fn run(&mut self, sql: &'static str) -> Result<(), StoreError> {
        sqlx::Executor::execute(&mut *self.tx.tx, sql)
            .await
            .map(|_| ())
            .map_err(store_error)
    }
}

impl ReadTx for PgTx {
    fn reader(&mut self) -> Connection<'_> {
        let keep = self.tx.keep;
        Connection::new(&mut *self.tx.tx, keep)
    }
}

#[zora_store_sql::async_trait]
impl HandlerTx for PgTx {
    async fn writer(&mut self) -> Result<Connection<'_>, StoreError> {
        let kept = self.write().await?;
        let keep = kept.keep;
        Ok(Connection::new(&mut *kept.tx, keep))
    }
}

#[zora_store_sql::async_trait]
impl TxControl for PgTx {
    async fn limit(&mut self, limits: TxLimits) -> Result<(), StoreError> {
        limit(&mut self.tx, limits).await
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.tx.commit().await.map_err(store_error)
    }
    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.tx.rollback().await.map_err(store_error)
    }
    fn begin_task(&mut self, undoable: bool) {
        self.part.begin(undoable);
    }
    async fn end_task(&mut self, keep: bool) -> Result<(), StoreError> {
        for statement in self.part.end(keep)? {
            self.run(statement).await?;
        }
        Ok(())
    }
}

/// Runs `call` in a transaction of its own (statements kept prepared when `keep`),
/// committed when it succeeds: a queue method whose statements must commit together.
pub(crate) async fn in_transaction<T>(
    pool: &sqlx::PgPool,
    keep: bool,
    call: impl AsyncFnOnce(&mut KeptTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = pool
        .begin_with(format!("BEGIN; {NO_JIT}"))
        .await
        .map_err(store_error)?;
    let mut kept = KeptTx { tx, keep };
    let value = call(&mut kept).await?;
    kept.tx.commit().await.map_err(store_error)?;
    Ok(value)
}

/// Sets the limits for this transaction only (`set_config(..., true)` is `SET LOCAL`), in
/// one statement.
pub(crate) async fn limit(db: &mut impl Db, limits: TxLimits) -> Result<(), StoreError> {
    let statement = limits.statement.as_millis().max(1).to_string();
    let idle = limits.idle.as_millis().max(1).to_string();
    crate::sql::query(
        db.keep(),
        "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), \
           set_config('idle_in_transaction_session_timeout', $2, true)",
    )
    .bind(statement)
    .bind(idle)
    .execute(db.conn())
    .await
    .map(|_| ())
    .map_err(store_error)
}

/// The engine's statements are short (a few milliseconds); PostgreSQL's JIT compiles a
/// statement whose estimated cost passes `jit_above_cost` for some 20 ms. The fair-share
/// claim's estimate (the planner guesses a hundred tenants, each with a batch) passes it
/// for batches above about 64 tasks, and the claim then took ten times as long. So the
/// store turns JIT off: as a startup option when connected directly, and in every
/// transaction that begins with this statement (which a pooler carries).
pub(crate) const NO_JIT: &str = "SET LOCAL jit = off";

/// `BEGIN` with [`limit`]'s settings and [`NO_JIT`] in the same simple query: one round
/// trip. The values are whole milliseconds written into the text (nothing from outside).
pub(crate) fn begin_limited_sql(limits: TxLimits) -> String {
    let statement = limits.statement.as_millis().max(1);
    let idle = limits.idle.as_millis().max(1);
    format!(
        "BEGIN; SET LOCAL statement_timeout = {statement}; SET LOCAL lock_timeout = {statement}; \
         SET LOCAL idle_in_transaction_session_timeout = {idle}; {NO_JIT}"
    )
}
