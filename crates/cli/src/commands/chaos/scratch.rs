//! What every trial shares: a scratch directory of its own, a store of its own in it (a
//! SQLite file, or a PostgreSQL cluster made for the run), and the ending: the report
//! printed, as JSON or for people, and exit 1 unless it passed.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;
use zora_core::Store;

use super::checks::Database;
use super::cluster::Cluster;
use crate::cli::ChaosStore;
use crate::exit::CliError;
use crate::output::print_json;

/// A store of the trial's own, and how to reach it.
pub struct OwnStore {
    /// The PostgreSQL cluster, stopped on drop (its directory is in the scratch one); none
    /// for SQLite.
    pub cluster: Option<Cluster>,
    pub url: String,
    pub store: Arc<dyn Store>,
    /// The same database, for the trial's SQL counts.
    pub database: Database,
}

impl OwnStore {
    /// A migrated store of `kind` in `dir`: the database `name` of a new cluster (its
    /// binaries in `pg_bin`, else found), or the file `name.db`.
    pub async fn open(
        kind: ChaosStore,
        dir: &Path,
        pg_bin: Option<&Path>,
        name: &str,
    ) -> Result<Self, CliError> {
        Ok(match kind {
            ChaosStore::Postgres => {
                let cluster = Cluster::start(&dir.join("pg"), pg_bin)?;
                let url = zora_store_postgres::create_database(&cluster.url(), name).await?;
                let store =
                    zora_store_postgres::connect(&url, &crate::open::postgres_options()).await?;
                zora_store_postgres::migrate(store.pool(), crate::open::POSTGRES_DOMAINS).await?;
                Self {
                    cluster: Some(cluster),
                    url,
                    database: Database::Postgres(store.pool().clone()),
                    store: Arc::new(store),
                }
            }
            ChaosStore::Sqlite => {
                let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
                let store = crate::open::open_sqlite(&url).await?;
                Self {
                    cluster: None,
                    url,
                    database: Database::Sqlite(store.writer().clone()),
                    store: Arc::new(store),
                }
            }
        })
    }
}

/// Runs `trial` in the scratch directory `zora-chaos-PID-NAME`, removed after it unless
/// `keep`.
pub async fn in_scratch<T>(
    name: &str,
    keep: bool,
    trial: impl AsyncFnOnce(&Path) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let dir = std::env::temp_dir().join(format!("zora-chaos-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    let outcome = trial(&dir).await;
    if keep {
        eprintln!("zora chaos: kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    outcome
}

/// Prints `report`, as JSON or as `print` writes it; exit 1 unless `passed`.
pub fn conclude<R: Serialize>(
    report: &R,
    passed: bool,
    json: bool,
    print: impl FnOnce(),
) -> Result<ExitCode, CliError> {
    if json {
        print_json(report)?;
    } else {
        print();
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
