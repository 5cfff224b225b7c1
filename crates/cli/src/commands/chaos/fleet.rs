//! The chaos run's `zora worker` processes: started with injected faults, half of them
//! claiming visibly under short leases (so a kill leaves leases to rescue), SIGKILLed at
//! random and started again.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use zora_core::TaskId;

use crate::exit::CliError;

/// The worker processes.
#[derive(Debug)]
pub struct Fleet {
    exe: PathBuf,
    url: String,
    /// The faults to inject (`--inject-faults`), if any.
    faults: Option<String>,
    log: PathBuf,
    workers: Vec<Option<Child>>,
    /// Workers SIGKILLed.
    pub kills: u64,
    /// Workers that exited without being killed (each started again).
    pub exits: Vec<String>,
}

impl Fleet {
    /// `size` workers on `url` injecting `faults`, their stderr appended to `log`.
    pub fn start(
        size: usize,
        url: &str,
        faults: Option<&str>,
        log: &Path,
    ) -> Result<Self, CliError> {
        let exe = std::env::current_exe()
            .map_err(|e| CliError::Failed(format!("cannot find the zora binary: {e}")))?;
        let mut fleet = Self {
            exe,
            url: url.to_owned(),
            faults: faults.map(str::to_owned),
            log: log.to_owned(),
            workers: (0..size).map(|_| None).collect(),
            kills: 0,
            exits: Vec::new(),
        };
        for slot in 0..size {
            fleet.spawn(slot)?;
        }
        Ok(fleet)
    }

    fn spawn(&mut self, slot: usize) -> Result<(), CliError> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| CliError::Failed(format!("{}: {e}", self.log.display())))?;
        let mut command = Command::new(&self.exe);
        command
            .args(["--database-url", &self.url, "worker", "--no-schedules"])
            .args(["--batch-size", "20", "--poll-interval", "200ms"])
            .args(["--lease-duration", "3s", "--rescue-interval", "500ms"])
            .args(["--shutdown-timeout", "1s", "--concurrency", "2"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(faults) = &self.faults {
            command.args(["--inject-faults", faults]);
        }
        if slot % 2 == 1 {
            command.arg("--claim-visibly");
        }
        let child = command
            .spawn()
            .map_err(|e| CliError::Failed(format!("cannot start a worker: {e}")))?;
        self.workers[slot] = Some(child);
        Ok(())
    }

    /// SIGKILLs a worker picked at random and starts another in its place.
    pub fn kill_one(&mut self) -> Result<(), CliError> {
        let slot = random_below(self.workers.len());
        if let Some(mut child) = self.workers[slot].take() {
            let _ = child.kill();
            let _ = child.wait();
            self.kills += 1;
        }
        self.spawn(slot)
    }

    /// Starts again any worker that exited by itself, noting how it ended.
    pub fn restart_exited(&mut self) -> Result<(), CliError> {
        for slot in 0..self.workers.len() {
            let exited = match self.workers[slot].as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                _ => None,
            };
            if let Some(status) = exited {
                self.exits.push(format!("worker {slot}: {status}"));
                self.spawn(slot)?;
            }
        }
        Ok(())
    }

    /// SIGKILLs them all.
    pub fn stop(&mut self) {
        for child in self.workers.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.workers.clear();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A number in `0..n`, from a fresh id's random bits.
pub fn random_below(n: usize) -> usize {
    (TaskId::new().0.as_u128() as u64 % n.max(1) as u64) as usize
}
