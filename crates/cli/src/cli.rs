//! The command line: global flags and subcommands (clap).

use clap::{Args, Parser, Subcommand};

/// ZORA CORE's task execution engine.
///
/// Claims agent tasks from the database, runs the handler of each task type, and
/// records results, errors and journal entries. PostgreSQL is the production store;
/// SQLite is the zero-setup default.
#[derive(Debug, Parser)]
#[command(name = "zora", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes, anywhere on the line.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database to use: `postgres://user:pass@host:port/db` (or `postgresql://`), or
    /// `sqlite://path`. Defaults to `sqlite://zora.db`.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Tenant to act for, a UUID. Defaults to ZORA CORE's default tenant,
    /// 00000000-0000-0000-0000-000000000001.
    #[arg(long, global = true, env = "ZORA_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// More logs on stderr: -v for info, -vv for debug (RUST_LOG overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print results as JSON on stdout, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the database migrations (safe on a live ZORA CORE database, and twice).
    Migrate(MigrateArgs),
    /// Show the tenant's queue: tasks per status and type, the next pending tasks.
    Status,
    /// Seed the tenant with demo data (a climate profile, a weekly plan, brands, a product)
    /// and enqueue tasks of every v1 type, plus a few invalid ones. Safe to run again: each
    /// run adds a fresh batch.
    Demo,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Change nothing: exit 1 when migrations are pending, 0 when the schema is current.
    #[arg(long)]
    pub check: bool,
}
