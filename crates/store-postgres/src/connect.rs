//! Opening a pool on a `postgres://` URL, with errors an operator can act on.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use zora_store_sql::MigrationSet;

use crate::error::PgError;
use crate::store::PgStore;

/// How to open the pool.
#[derive(Debug, Clone)]
pub struct PgStoreOptions {
    /// Connections in the pool. Defaults to 10.
    pub max_connections: u32,
    /// How long to wait for the server, and for a free connection. Defaults to 5s.
    pub connect_timeout: Duration,
    /// The application name the server shows in `pg_stat_activity`. Defaults to `zora`.
    pub application_name: String,
    /// The URL leads to a transaction-mode pooler (PgBouncer, Supabase's pooler on port
    /// 6543), which hands each transaction to any server connection: keep no prepared
    /// statements (sqlx's statement cache off) and send no startup parameter a pooler
    /// refuses (`extra_float_digits`). `LISTEN` does not work there either: a worker
    /// polls ([`zora_core::Store::subscribe_wakeups`] is not for this mode). Defaults to off.
    pub behind_pooler: bool,
    /// The domains' migrations, applied after the queue's (`migrate`) and compared with
    /// the database (`schema_state`). Defaults to none.
    pub domains: Vec<MigrationSet>,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            application_name: "zora".into(),
            behind_pooler: false,
            domains: Vec::new(),
        }
    }
}

/// Connects to the database at `url` and checks that it answers.
pub async fn connect(url: &str, options: &PgStoreOptions) -> Result<PgStore, PgError> {
    let mut connect_options = PgConnectOptions::from_str(url)
        .map_err(|e| PgError::InvalidUrl(one_line(&e.to_string())))?
        .application_name(&options.application_name);
    if options.behind_pooler {
        connect_options = connect_options
            .statement_cache_capacity(0)
            .extra_float_digits(None);
    } else {
        // No JIT: see `tx::NO_JIT`. Behind a pooler, which refuses startup options, each
        // transaction says so itself.
        connect_options = connect_options.options([("jit", "off")]);
    }
    let target = format!(
        "{}:{}/{}",
        connect_options.get_host(),
        connect_options.get_port(),
        connect_options
            .get_database()
            .unwrap_or("(default database)")
    );
    // One direct connection first: the pool would retry a refused connection until its
    // timeout and then report only that it timed out; this reports why.
    let probe = tokio::time::timeout(
        options.connect_timeout,
        PgConnection::connect_with(&connect_options),
    )
    .await
    .map_err(|_| PgError::Connect {
        target: target.clone(),
        reason: format!(
            "the server did not answer within {:?}",
            options.connect_timeout
        ),
        unreachable: true,
    })?
    .map_err(|e| PgError::Connect {
        target: target.clone(),
        reason: connect_reason(&e),
        unreachable: unreachable(&e),
    })?;
    let _ = probe.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.connect_timeout)
        .connect_lazy_with(connect_options);
    Ok(if options.behind_pooler {
        PgStore::behind_pooler(pool, &options.domains)
    } else {
        PgStore::new(pool, &options.domains)
    })
}

/// The server is not there (yet): no answer, starting up or shutting down (SQLSTATE 57P03,
/// `cannot_connect_now`), or ending the connection as it stops (57P01 `admin_shutdown`,
/// 57P02 `crash_shutdown`, met by a connection made as a fast or immediate stop begins).
pub(crate) fn unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

fn connect_reason(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => one_line(db.message()),
        sqlx::Error::PoolTimedOut => "the server did not answer in time".into(),
        sqlx::Error::Io(e) => one_line(&e.to_string()),
        other => one_line(&other.to_string()),
    }
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
