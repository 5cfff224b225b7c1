//! Running the `zora` binary in tests: a clean environment, captured output.

#![allow(dead_code)]

use std::process::{Command, Output};

/// `zora` with a clean environment: no database, tenant or Supabase variables inherited.
pub fn zora(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zora"));
    command.args(args);
    for var in [
        "DATABASE_URL",
        "ZORA_TENANT_ID",
        "SUPABASE_URL",
        "SUPABASE_SERVICE_KEY",
        "RUST_LOG",
        "ZORA_AGENTS",
    ] {
        command.env_remove(var);
    }
    command.current_dir(std::env::temp_dir());
    command
}

/// `zora` on the database at `url`.
pub fn zora_on(url: &str, args: &[&str]) -> Command {
    let mut command = zora(args);
    command.env("DATABASE_URL", url);
    command
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("run zora")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Exit `code` with exactly one `error: ...` line on stderr containing `expected`.
pub fn assert_one_line_error(output: &Output, code: i32, expected: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(expected),
        "{err}"
    );
}

/// Runs `command` in `dir` (where a default `sqlite://zora.db` lands).
pub fn run_in(command: &mut Command, dir: &std::path::Path) -> Output {
    run(command.current_dir(dir))
}
