//! A `zora serve --dev` process of this binary, for the commands that measure or try the
//! API from outside (`zora bench`, `zora chaos`): port 0, its address and development
//! token read from its first lines, killed when dropped; and a process's memory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::exit::CliError;

/// A running `zora serve`, killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A founder token of the default tenant (`--dev`); empty for a server started with a
    /// secret, whose caller signs its own tokens.
    pub token: String,
}

impl Server {
    /// `zora serve --dev --workers 0` on `url` with `extra` arguments, its log (at
    /// `RUST_LOG=warn`) to `log`, once it said where it listens and printed its token.
    pub fn start(url: &str, extra: &[&str], log: Stdio) -> Result<Self, CliError> {
        let exe = std::env::current_exe().map_err(|e| {
            CliError::Failed(format!("cannot find this program to start a server: {e}"))
        })?;
        let mut child = Command::new(exe)
            .args(["serve", "--dev", "--workers", "0", "--bind", "127.0.0.1:0"])
            .args(["--database-url", url])
            .args(extra)
            .env("RUST_LOG", "warn")
            .env_remove("ZORA_JWT_SECRET")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| CliError::Failed(format!("cannot start zora serve: {e}")))?;
        let mut lines = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let mut reader = BufReader::new(stdout);
            for _ in 0..3 {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                lines.push(line.trim_end().to_owned());
            }
        }
        let base = lines
            .first()
            .and_then(|l| l.strip_prefix("listening on "))
            .map(str::to_owned);
        match (base, lines.get(2)) {
            (Some(base), Some(token)) => Ok(Self {
                child,
                base,
                token: token.clone(),
            }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                Err(CliError::Failed(format!(
                    "zora serve did not start (it said {lines:?})"
                )))
            }
        }
    }

    /// `zora serve --workers 0` on `url`, verifying tokens with `secret` (`token` is empty:
    /// the caller signs its own), once it said where it listens.
    pub fn start_with_secret(url: &str, secret: &str, log: Stdio) -> Result<Self, CliError> {
        let exe = std::env::current_exe().map_err(|e| {
            CliError::Failed(format!("cannot find this program to start a server: {e}"))
        })?;
        let mut child = Command::new(exe)
            .args(["serve", "--workers", "0", "--bind", "127.0.0.1:0"])
            .args(["--database-url", url])
            .env("ZORA_JWT_SECRET", secret)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| CliError::Failed(format!("cannot start zora serve: {e}")))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        match line.trim_end().strip_prefix("listening on ") {
            Some(base) => Ok(Self {
                base: base.to_owned(),
                child,
                token: String::new(),
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(CliError::Failed(format!(
                    "zora serve did not start (it said {line:?})"
                )))
            }
        }
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// A field of a process's `/proc/PID/status` in KiB (`VmRSS`: resident now, `VmHWM`:
/// its peak), in MiB.
pub fn memory_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: f64 = line.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
