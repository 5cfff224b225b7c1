//! One test, both stores: [`TestBackend`] is a fresh PostgreSQL database or SQLite file,
//! with the raw-SQL hooks behaviour tests need, and [`both_stores!`](crate::both_stores)
//! runs a case on each.

use std::sync::Arc;

use sqlx::Row;
use zora_core::{Store, TenantId};
use zora_store_sqlite::SqliteStore;

use crate::{TestDatabase, TestSqlite};

/// A fresh database of either store.
#[derive(Debug)]
pub enum TestBackend {
    Postgres(TestDatabase),
    Sqlite(TestSqlite, SqliteStore),
}

/// Instantiates each case, an `async fn(TestBackend)`, as a test on PostgreSQL (module
/// `postgres`) and on SQLite (module `sqlite`).
#[macro_export]
macro_rules! both_stores {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case($crate::backend::TestBackend::postgres().await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case($crate::backend::TestBackend::sqlite().await).await;
                }
            )*
        }
    };
}

impl TestBackend {
    /// A migrated PostgreSQL database of the test's own.
    pub async fn postgres() -> Self {
        Self::Postgres(TestDatabase::migrated().await)
    }

    /// A SQLite file of the test's own.
    pub async fn sqlite() -> Self {
        let files = TestSqlite::new();
        let store = files.store().await;
        Self::Sqlite(files, store)
    }

    /// The database's URL through the transaction-mode PgBouncer ([`TestDatabase::pooler_url`]).
    ///
    /// # Panics
    /// On SQLite, which has no pooler.
    pub async fn pooler_url(&self) -> String {
        match self {
            Self::Postgres(db) => db.pooler_url().await,
            Self::Sqlite(..) => panic!("SQLite has no pooler"),
        }
    }

    /// The store, as the engine uses it.
    pub async fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Postgres(db) => db.dyn_store().await,
            Self::Sqlite(_, store) => Arc::new(store.clone()),
        }
    }

    /// A store of its own on the same database (its own pool), as another process on
    /// another host would open it.
    pub async fn separate_store(&self) -> Arc<dyn Store> {
        match self {
            Self::Postgres(db) => db.dyn_store().await,
            Self::Sqlite(files, _) => files.dyn_store().await,
        }
    }

    /// The reads only tests make, on this database.
    pub async fn inspect(&self) -> crate::Inspector {
        match self {
            Self::Postgres(db) => crate::Inspector::Postgres(db.store().await),
            Self::Sqlite(_, store) => crate::Inspector::Sqlite(store.clone()),
        }
    }

    /// The `DATABASE_URL` of this database, for the `zora` binary.
    pub fn url(&self) -> String {
        match self {
            Self::Postgres(db) => db.url().to_owned(),
            Self::Sqlite(files, _) => files.url(),
        }
    }

    /// Runs one statement (or, on PostgreSQL, a script).
    pub async fn execute(&self, sql: &str) {
        match self {
            Self::Postgres(db) => db.run_script(sql).await,
            Self::Sqlite(_, store) => {
                sqlx::raw_sql(sql)
                    .execute(store.writer())
                    .await
                    .expect("run SQL");
            }
        }
    }

    /// Makes the database refuse to insert a mission titled `title`, as a test trigger.
    pub async fn refuse_missions_titled(&self, title: &str) {
        let title = title.replace('\'', "''");
        match self {
            Self::Postgres(_) => {
                self.execute(&format!(
                    "CREATE FUNCTION refuse_mission() RETURNS trigger AS $$ BEGIN \
                       IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; \
                       RETURN NEW; END; $$ LANGUAGE plpgsql; \
                     CREATE TRIGGER refuse_mission BEFORE INSERT ON climate_missions \
                       FOR EACH ROW EXECUTE FUNCTION refuse_mission();"
                ))
                .await;
            }
            Self::Sqlite(..) => {
                self.execute(&format!(
                    "CREATE TRIGGER refuse_mission BEFORE INSERT ON climate_missions \
                     WHEN NEW.title = '{title}' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;"
                ))
                .await;
            }
        }
    }

    /// Whether another session holds a write transaction open on this database (a worker
    /// mid-batch): PostgreSQL's `pg_stat_activity`; on SQLite, whether the write lock is
    /// taken (a `BEGIN IMMEDIATE` that may not wait fails).
    pub async fn a_writer_is_mid_transaction(&self) -> bool {
        match self {
            Self::Postgres(db) => {
                let open: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
                     AND xact_start IS NOT NULL",
                )
                .fetch_one(db.pool())
                .await
                .expect("read pg_stat_activity");
                open > 0
            }
            Self::Sqlite(files, _) => {
                use sqlx::{ConnectOptions, Connection, Executor};
                let options: sqlx::sqlite::SqliteConnectOptions =
                    files.url().parse().expect("sqlite url");
                let mut conn = options
                    .busy_timeout(std::time::Duration::ZERO)
                    .connect()
                    .await
                    .expect("open the file");
                let held = conn.execute("BEGIN IMMEDIATE").await.is_err();
                if !held {
                    conn.execute("ROLLBACK").await.expect("rollback");
                }
                conn.close().await.expect("close");
                held
            }
        }
    }

    /// Rows of `table` belonging to `tenant`.
    pub async fn count(&self, table: &str, tenant: TenantId) -> i64 {
        match self {
            Self::Postgres(db) => sqlx::query(&format!(
                "SELECT count(*) FROM {table} WHERE tenant_id = $1"
            ))
            .bind(tenant.0)
            .fetch_one(db.pool())
            .await
            .and_then(|row| row.try_get(0))
            .expect("count"),
            Self::Sqlite(_, store) => sqlx::query(&format!(
                "SELECT count(*) FROM {table} WHERE tenant_id = ?1"
            ))
            .bind(tenant.to_string())
            .fetch_one(store.writer())
            .await
            .and_then(|row| row.try_get(0))
            .expect("count"),
        }
    }
}
