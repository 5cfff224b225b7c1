//! The PostgreSQL test harness: each test gets a database of its own, dropped at the end.
//!
//! The server comes from `ZORA_TEST_DATABASE_URL` (an admin URL of a role that may
//! create databases), defaulting to what `scripts/pg-up` sets up. A test that finds no
//! server fails with the command that fixes it; it never skips.

use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use zora_core::Store;
use zora_store_postgres::{PgStore, PgStoreOptions, drop_database, url_with_database};

/// Where the tests find PostgreSQL when `ZORA_TEST_DATABASE_URL` is unset.
pub const DEFAULT_ADMIN_URL: &str = "postgres://zora:zora@127.0.0.1:5432/postgres";

/// Where the tests find the transaction-mode PgBouncer when `ZORA_TEST_PGBOUNCER_URL` is
/// unset (`scripts/pgbouncer-up` starts it).
pub const DEFAULT_PGBOUNCER_URL: &str = "postgres://zora:zora@127.0.0.1:6432/postgres";

/// The admin URL the harness uses.
pub fn admin_url() -> String {
    std::env::var("ZORA_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A database created for one test and dropped (with its connections) when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    pool: PgPool,
}

impl TestDatabase {
    /// Creates an empty database.
    ///
    /// # Panics
    /// When PostgreSQL is not reachable, with the command that starts it.
    pub async fn create() -> Self {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}). Run the tests with `scripts/test`, \
                 which starts it, or start it with `scripts/pg-up`, or point ZORA_TEST_DATABASE_URL \
                 at a server where this role may create databases."
            )
        });
        let name = format!("zora_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        let _ = conn.close().await;
        let url = url_with_database(&admin, &name);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect(&url)
            .await
            .expect("connect to the test database");
        Self { name, url, pool }
    }

    /// Creates a database and applies the engine's migrations.
    pub async fn migrated() -> Self {
        let db = Self::create().await;
        db.migrate().await;
        db
    }

    /// Applies the engine's migrations (to a database a test shaped first).
    pub async fn migrate(&self) {
        zora_store_postgres::migrate(&self.pool, &[zora_domain::migrations::POSTGRES])
            .await
            .expect("migrate");
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool on the database, for raw SQL in tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A store on the database, through the same connect path the binary uses.
    pub async fn store(&self) -> PgStore {
        zora_store_postgres::connect(&self.url, &store_options())
            .await
            .expect("connect the store")
    }

    /// This database's URL through the transaction-mode PgBouncer of
    /// `scripts/pgbouncer-up` (`ZORA_TEST_PGBOUNCER_URL`, defaulting to port 6432).
    ///
    /// # Panics
    /// When no PgBouncer answers there, with the command that starts one.
    pub async fn pooler_url(&self) -> String {
        let pooler = std::env::var("ZORA_TEST_PGBOUNCER_URL")
            .unwrap_or_else(|_| DEFAULT_PGBOUNCER_URL.to_owned());
        let probe = pooler
            .parse::<PgConnectOptions>()
            .expect("ZORA_TEST_PGBOUNCER_URL is a postgres:// URL")
            .extra_float_digits(None);
        if let Err(e) = PgConnection::connect_with(&probe).await {
            panic!(
                "PgBouncer is not reachable at {pooler} ({e}). Run the tests with `scripts/test`, \
                 which starts it, or start it with `scripts/pgbouncer-up` (Debian: apt-get install \
                 pgbouncer), or point ZORA_TEST_PGBOUNCER_URL at a transaction-mode pooler in \
                 front of ZORA_TEST_DATABASE_URL's server."
            );
        }
        url_with_database(&pooler, &self.name)
    }

    /// A store on the database through the pooler, as `zora worker --no-listen` opens it.
    pub async fn store_behind_pooler(&self) -> PgStore {
        let options = PgStoreOptions {
            behind_pooler: true,
            ..store_options()
        };
        zora_store_postgres::connect(&self.pooler_url().await, &options)
            .await
            .expect("connect the store through the pooler")
    }

    /// The store as the trait object the engine uses.
    pub async fn dyn_store(&self) -> Arc<dyn Store> {
        Arc::new(self.store().await)
    }

    /// Runs a script of several statements (fixtures), as psql would.
    pub async fn run_script(&self, sql: &str) {
        sqlx::raw_sql(sql)
            .execute(&self.pool)
            .await
            .expect("run SQL script");
    }
}

/// How long a test waits for its database to be dropped before it lets the drop finish
/// on its own.
const DROP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = admin_url();
        let name = self.name.clone();
        // Drop may run inside or outside a runtime: do the async work on a thread of its
        // own, and never touch the pool there (its sockets belong to the test's runtime,
        // which is blocked here): FORCE ends its connections.
        //
        // The wait is bounded: `DROP DATABASE` waits until every backend of the server
        // has taken its signal, and a backend still authenticating a connection the
        // test's runtime was opening (a store's probe, a worker's LISTEN) takes it only at
        // `authentication_timeout` (60 s), because that runtime is blocked here. Past the
        // bound the statement runs on: the backend ends when this process does, and the
        // database is dropped then.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let _ = drop_database(&admin, &name).await;
            });
            let _ = done.send(());
        });
        let _ = finished.recv_timeout(DROP_PATIENCE);
    }
}

/// The options a test's store opens with: the defaults, and ZORA's domain.
pub fn store_options() -> PgStoreOptions {
    PgStoreOptions {
        domains: vec![zora_domain::migrations::POSTGRES],
        ..PgStoreOptions::default()
    }
}
