//! A PostgreSQL cluster of the chaos run's own: `initdb` into a scratch directory (as the
//! `postgres` user when run as root: `initdb` refuses root), started on a free port,
//! stopped fast or immediately mid-run, and removed at the end. Never the shared cluster.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::exit::CliError;

/// How a stop ends the server's sessions (`pg_ctl stop -m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Rolls back open transactions, checkpoints, exits.
    Fast,
    /// Exits at once; the next start replays the WAL (a crash, as PostgreSQL sees it).
    Immediate,
}

impl StopMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Immediate => "immediate",
        }
    }
}

/// A running cluster; stopped and removed on drop.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    dir: PathBuf,
    port: u16,
    /// The unprivileged user the server runs as, when this process is root.
    run_as: Option<(u32, u32)>,
}

impl Cluster {
    /// Creates and starts a cluster under `dir` (the caller removes it).
    pub fn start(dir: &Path, bin: Option<&Path>) -> Result<Self, CliError> {
        let bin = match bin {
            Some(bin) => bin.to_owned(),
            None => find_bin_dir()?,
        };
        let run_as = running_as_root().then(unprivileged_user).transpose()?;
        std::fs::create_dir_all(dir).map_err(|e| io_failed(dir, e))?;
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| io_failed(dir, e))?;
        }
        let cluster = Self {
            data: dir.join("data"),
            dir: dir.to_owned(),
            bin,
            port: free_port()?,
            run_as,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data.display().to_string(),
                "-U",
                "zora",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        cluster.up()?;
        Ok(cluster)
    }

    /// The superuser's URL (the `zora` role, trusted on this cluster's loopback port).
    pub fn url(&self) -> String {
        format!("postgres://zora@127.0.0.1:{}/postgres", self.port)
    }

    /// The port the server listens on (loopback).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) -> Result<(), CliError> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &self.dir.join("server.log").display().to_string(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
    }

    /// Stops the server the way `mode` says.
    pub fn down(&self, mode: StopMode) -> Result<(), CliError> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                mode.name(),
                "-w",
                "stop",
            ],
        )
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), CliError> {
        let mut command = Command::new(self.bin.join(program));
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        let output = command
            .output()
            .map_err(|e| CliError::Failed(format!("cannot run {program}: {e}")))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(CliError::Failed(format!(
                "{program} {} failed: {}",
                args.last().copied().unwrap_or_default(),
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

/// Stops the server; its directory goes with the trial's scratch directory (or stays,
/// under `--keep`, for a look: `pg_ctl -D DIR/data start` as the user that made it).
impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.down(StopMode::Immediate);
    }
}

/// The newest `/usr/lib/postgresql/*/bin` with an `initdb` (Debian's layout), else the
/// directory of the `initdb` on `PATH`.
fn find_bin_dir() -> Result<PathBuf, CliError> {
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    debian.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
    });
    if let Some(bin) = debian.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").exists())
        .ok_or_else(|| {
            CliError::Config(
                "no PostgreSQL server binaries (initdb, pg_ctl) found: install them with \
                 `apt-get install -y postgresql-15`, or pass --pg-bin DIR"
                    .into(),
            )
        })
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of `postgres` (Debian's packages create it), else of `nobody`.
fn unprivileged_user() -> Result<(u32, u32), CliError> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let of = |name: &str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&name) && fields.len() > 3)
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
    };
    of("postgres").or_else(|| of("nobody")).ok_or_else(|| {
        CliError::Config(
            "running as root, and neither a `postgres` nor a `nobody` user exists to run \
             initdb as (it refuses root)"
                .into(),
        )
    })
}

fn free_port() -> Result<u16, CliError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| CliError::Failed(format!("cannot find a free port: {e}")))
}

fn io_failed(path: &Path, error: std::io::Error) -> CliError {
    CliError::Failed(format!("{}: {error}", path.display()))
}
