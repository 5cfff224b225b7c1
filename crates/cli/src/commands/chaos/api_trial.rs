//! The frame of the trials of `zora serve` (`outage`, `overload`): the server and its
//! workers on a store of the trial's own, and a client creating single missions for a
//! profile seeded for it. At the end the creates not answered a success are sent again
//! with their key, the workers are given time to finish every task, and what must hold
//! of that is counted.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use zora_core::{DEFAULT_TENANT_ID, Store};
use zora_domain::ids::{PlanId, ProfileId};

use super::checks::{Check, Database};
use super::client::Client;
use super::fleet::Fleet;
use crate::commands::demo;
use crate::commands::served::Server;
use crate::exit::CliError;

/// A running server, its workers and a client.
pub struct ApiTrial {
    pub server: Server,
    fleet: Fleet,
    pub client: Client,
}

/// How a trial ended.
pub struct Ending {
    /// The server and workers alive, every task finished, one task per key sent.
    pub checks: Vec<Check>,
    pub tasks_created: i64,
    /// From the last create until every task finished.
    pub drained_after_seconds: f64,
}

impl ApiTrial {
    /// Seeds a profile in `store` and starts `zora serve` and `workers` workers on `url`
    /// (which may lead to `store` another way), their logs in `dir`.
    pub async fn start(
        store: &dyn Store,
        url: &str,
        workers: u16,
        dir: &Path,
    ) -> Result<Self, CliError> {
        let profile = ProfileId::new();
        let mut tx = store.begin().await?;
        demo::seed_climate(
            tx.as_mut(),
            DEFAULT_TENANT_ID,
            profile,
            PlanId::new(),
            "trial",
        )
        .await?;
        tx.commit().await?;
        let log = std::fs::File::create(dir.join("serve.log"))
            .map(Stdio::from)
            .map_err(|e| CliError::Failed(format!("cannot write serve.log: {e}")))?;
        let server = Server::start(url, &[], log)?;
        let fleet = Fleet::start(usize::from(workers), url, None, &dir.join("workers.log"))?;
        let client = Client::new(&server, profile)?;
        Ok(Self {
            server,
            fleet,
            client,
        })
    }

    /// Sends again each create of `refused_keys` until it succeeds, waits up to `drain`
    /// for every task to finish, stops the processes, and counts: their exits, the tasks
    /// unfinished, and how far the tasks are from one per key of `keys_sent`.
    pub async fn finish(
        mut self,
        refused_keys: &[String],
        keys_sent: usize,
        database: &Database,
        drain: Duration,
    ) -> Result<Ending, CliError> {
        for key in refused_keys {
            self.client.create_until_done(key).await?;
        }
        let created = Instant::now();
        let unfinished = database.wait_finished(drain).await?;
        let drained_after_seconds = created.elapsed().as_secs_f64();
        let server_exited = !self.server.running();
        self.fleet.restart_exited()?;
        let exits = i64::from(server_exited) + self.fleet.exits.len() as i64;
        self.fleet.stop();
        let tasks_created = database.count("SELECT count(*) FROM agent_tasks").await?;
        Ok(Ending {
            checks: vec![
                Check {
                    name: "zora serve and zora worker exits",
                    found: exits,
                },
                Check {
                    name: "tasks not finished when the workers' time was up",
                    found: unfinished,
                },
                Check {
                    name: "creates made (each a new key) and tasks differ",
                    found: (keys_sent as i64 - tasks_created).abs(),
                },
            ],
            tasks_created,
            drained_after_seconds,
        })
    }
}
