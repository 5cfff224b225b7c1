//! The command line: global flags and subcommands (clap). ZORA CORE's commands keep their
//! names and flags (`run-pending-tasks --limit=10 --verbose` is valid); the engine's own
//! sit beside them.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// ZORA CORE's task execution engine.
///
/// Claims agent tasks from the database, runs the handler of each task type, and records
/// results, errors and journal entries. PostgreSQL is the production store; SQLite is the
/// zero-setup default.
///
/// Exit codes: 0 success, 1 the operation ran and failed (a task failed, a refusal),
/// 2 usage or configuration error.
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
    /// 00000000-0000-0000-0000-000000000001; `worker` and `tokens worker` serve every
    /// tenant unless it is given.
    #[arg(long, global = true, env = "ZORA_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// More logs on stderr: -v for info, -vv for debug (RUST_LOG overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print results as JSON on stdout, for scripts.
    #[arg(long, global = true)]
    pub json: bool,

    /// How log lines on stderr are written: `text` for people, `json` for a log
    /// collector (one object per line, with the fields of its spans: a task's id, type,
    /// tenant and attempt).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "ZORA_LOG_FORMAT")]
    pub log_format: LogFormat,
}

/// The form of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the tenant's pending tasks of the supported types, highest priority first.
    ///
    /// Tasks of other types stay pending, untouched, for ZORA CORE's legacy runtime.
    /// Exits 1 only when nothing completed and something failed.
    RunPendingTasks(RunPendingArgs),
    /// Run one task now, by id (a pending task, due or not, or one whose lease expired).
    RunTask(RunTaskArgs),
    /// List the task types this engine runs, with their payload fields. Needs no database,
    /// unless `--external` asks for the types external workers registered too.
    TaskTypes(TaskTypesArgs),
    /// Show the tenant's queue (or every tenant's): tasks per type and status, the oldest
    /// due task's age, the last hour's failure rate, the workers alive, the next pending tasks.
    Status(StatusArgs),
    /// Create a pending task: AGENT TYPE TITLE (an alias of `tasks add`).
    CreateTask(CreateTaskArgs),
    /// Create, list, inspect, retry and run tasks.
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// The command console: free-text commands planned into tasks by LUMINA.
    #[command(subcommand)]
    Commands(CommandsCommand),
    /// Periodic schedules: a task made from a template at each slot of a cron expression,
    /// enqueued once per slot by whichever `zora worker` (or `zora serve` with workers)
    /// leads.
    #[command(subcommand)]
    Schedules(SchedulesCommand),
    /// Delete finished tasks older than an age (by `completed_at`), in short batches,
    /// never a parent of a task not yet finished; journal entries stay. Every tenant's.
    Prune(PruneArgs),
    /// Apply the database migrations (safe on a live ZORA CORE database, and twice).
    Migrate(MigrateArgs),
    /// Run tasks as they arrive, for every tenant (or `--tenant-id`'s), until SIGINT or
    /// SIGTERM. Its first stdout line is `worker ID ready`, with the tenants it serves. Any
    /// number of workers may run against one PostgreSQL database; none runs a task twice.
    Worker(WorkerArgs),
    /// Serve the HTTP API ZORA CORE's clients call. Its first stdout line is
    /// `listening on http://ADDR`. Needs `ZORA_JWT_SECRET` (or `--dev`); allows the origins
    /// in `ZORA_CORS_ORIGINS` (comma-separated). Stops gracefully on SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Serve the engine's tools to a model over MCP on stdin and stdout (for a desktop
    /// assistant that starts it): list, create, chain, wait for, run, cancel and decide
    /// tasks, submit commands, read the queue's health and the schedules, as `--role` of
    /// the tenant `--tenant-id` names. Logs go to stderr. `zora serve` answers MCP over
    /// HTTP at /mcp, with each request's own token.
    Mcp(McpArgs),
    /// The tenant's model spend: calls, tokens and cost recorded with the tasks' outcomes,
    /// summed per day, model, task type or agent over the last `--since`.
    Usage(UsageArgs),
    /// Measure the engine against hand-written SQL doing the same work: the limit, the
    /// worker pool at concurrency 1, 4 and 16, a mix of the four types, pick-up latency,
    /// the HTTP API against a real `zora serve` beside a create limit, claims beside a
    /// million finished tasks, the worker's peak RSS. Runs on SQLite (a scratch file) and,
    /// with --database-url postgres://..., on PostgreSQL (a scratch database it creates and
    /// drops: the role needs CREATEDB). Prints a Markdown table; --json prints the rows.
    /// About 2.5 minutes on 2 cores; --quick takes seconds.
    Bench(BenchArgs),
    /// Proves the engine through crashes: enqueues tasks of every deterministic type (with
    /// dependencies, approvals decided mid-run and injected faults) while `zora worker`
    /// processes drain them, SIGKILLs a random worker every few hundred milliseconds, and
    /// on PostgreSQL (a cluster of its own, made with initdb) stops the server twice, fast
    /// and immediately; then counts with SQL what must be zero (unfinished tasks, effects
    /// missing or doubled, failures without a reason, ...). Exit 1 when any is not. A
    /// store of its own: DATABASE_URL is not used.
    Chaos(ChaosCommand),
    /// Issue API tokens, signed with the server's secret (`ZORA_JWT_SECRET`).
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Seed the tenant with demo data (a climate profile, a weekly plan, brands, a product),
    /// enqueue a task of every v1 type plus a few invalid ones, and run them. Safe to run
    /// again: each run adds a fresh batch.
    Demo,
}

#[derive(Debug, Args)]
pub struct RunPendingArgs {
    /// The most tasks to run. Defaults to 10.
    #[arg(long, default_value_t = 10)]
    pub limit: u32,
    /// Only tasks of this type (repeatable). Defaults to every supported type.
    #[arg(long = "task-type")]
    pub task_types: Vec<String>,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

#[derive(Debug, Args)]
pub struct TaskTypesArgs {
    /// Also list the types external workers registered for the tenant (or for every
    /// tenant) in the database, each with its workers alive.
    #[arg(long)]
    pub external: bool,
}

#[derive(Debug, Args)]
pub struct RunTaskArgs {
    /// The task's id.
    pub id: String,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

#[derive(Debug, Args)]
pub struct LeaseArgs {
    /// How long a claimed task is held before another process may take it back, as
    /// `30s`, `5m`. Defaults to 60s.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub lease_duration: Duration,
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Create a pending task; its payload is checked as it will be when it runs.
    Add(TasksAddArgs),
    /// List the tenant's tasks, highest priority first.
    List(TasksListArgs),
    /// Show one task in full.
    Show {
        /// The task's id.
        id: String,
    },
    /// Reset a failed task to pending for a retry (a pending one is made due now).
    Retry {
        /// The task's id.
        id: String,
    },
    /// Ask for a task to run: queued for the workers, or with `--wait` run here and now.
    Run(TasksRunArgs),
    /// Cancel a task: a pending one fails at once, a running one at its worker's next
    /// lease check (nothing of its attempt is committed); its dependents fail with it.
    Cancel {
        /// The task's id.
        id: String,
        /// Why, recorded as `Cancelled: REASON`.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Approve a task awaiting a decision: it may run once its parents complete.
    Approve {
        /// The task's id.
        id: String,
        /// Why, kept as its `decision_reason`.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a task awaiting a decision: it fails (`Rejected: REASON`), its dependents too.
    Reject {
        /// The task's id.
        id: String,
        /// Why, recorded as `Rejected: REASON`.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Which task types need a decision before they run.
#[derive(Debug, Clone, Args)]
pub struct ApprovalArgs {
    /// Task types whose every new task needs a founder's decision before it may run,
    /// comma-separated (on a ZORA CORE 3.x database, `agent_task_policies` adds its own).
    #[arg(
        long = "approval-types",
        env = "ZORA_APPROVAL_TYPES",
        value_delimiter = ','
    )]
    pub approval_types: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TasksRunArgs {
    /// The task's id.
    pub id: String,
    /// Run it now, in this process, and print how it ended.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum CommandsCommand {
    /// Submit a command: LUMINA plans it into 1 to 5 pending tasks.
    Submit {
        /// The command, in free text.
        prompt: String,
        /// The agents it is for, comma-separated (CONNOR, LUMINA, EIVOR, ORACLE, AEGIS, SAM).
        #[arg(long, value_delimiter = ',')]
        agents: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchedulesCommand {
    /// Add a schedule, e.g. `zora schedules add weekly-plan --cron "0 9 * * MON"
    /// --timezone Europe/Copenhagen --agent SAM --type climate.create_missions_from_plan
    /// --title "Weekly plan" --payload '{"plan_id": "..."}'`.
    Add(SchedulesAddArgs),
    /// The tenant's schedules, with their next and last slot.
    List,
    /// Stop enqueuing; a paused schedule makes nothing.
    Pause {
        /// The schedule's id.
        id: String,
    },
    /// Enqueue again from the next slot on (the slots of the pause are not replayed).
    Resume {
        /// The schedule's id.
        id: String,
    },
    /// Delete a schedule; the tasks it made stay.
    Delete {
        /// The schedule's id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct SchedulesAddArgs {
    /// A name for the schedule.
    pub name: String,
    /// Five fields: minute hour day-of-month month day-of-week, with ranges, lists, steps
    /// and names (`*/15 9-17 * * MON-FRI`), or a nickname (`@daily`).
    #[arg(long)]
    pub cron: String,
    /// The IANA time zone the cron's fields are read in. Across a DST change, a fixed time
    /// in the skipped hour runs just after it and one in the repeated hour runs once.
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// The agent of the tasks it makes: CONNOR, LUMINA, EIVOR, ORACLE, AEGIS or SAM.
    #[arg(long)]
    pub agent: String,
    /// The task type, e.g. climate.create_single_mission.
    #[arg(long = "type")]
    pub task_type: String,
    /// The tasks' title.
    #[arg(long)]
    pub title: String,
    /// The tasks' payload, a JSON object (each task adds `schedule_id` and `scheduled_for`).
    /// Defaults to `{}`.
    #[arg(long)]
    pub payload: Option<String>,
    /// Higher runs first. Defaults to 0.
    #[arg(long, default_value_t = 0)]
    pub priority: i32,
    /// Attempts before a task fails for good. Defaults to its type's policy.
    #[arg(long)]
    pub max_attempts: Option<i32>,
    /// Each task waits for a founder's decision before it runs.
    #[arg(long)]
    pub requires_approval: bool,
    /// Create it paused (`zora schedules resume ID` starts it).
    #[arg(long)]
    pub paused: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Delete tasks finished longer ago than this: `30d`, `12h`, `90m`.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub older_than: Duration,
    /// Which finished tasks: completed, failed or all. Defaults to all.
    #[arg(long, default_value = "all", value_parser = parse_prune_status)]
    pub status: zora_core::retention::PruneStatus,
    /// Count what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows looked at per statement (each a short transaction). Defaults to 1000.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,
}

fn parse_prune_status(text: &str) -> Result<zora_core::retention::PruneStatus, String> {
    text.parse()
        .map_err(|e: zora_core::ParseError| e.to_string())
}

#[derive(Debug, Args)]
pub struct TasksAddArgs {
    /// The agent: CONNOR, LUMINA, EIVOR, ORACLE, AEGIS or SAM (`ZORA_AGENTS` replaces the list).
    #[arg(long)]
    pub agent: String,
    /// The task type, e.g. climate.create_single_mission.
    #[arg(long = "type")]
    pub task_type: String,
    /// A human-readable title.
    #[arg(long)]
    pub title: String,
    #[command(flatten)]
    pub options: TaskOptions,
}

#[derive(Debug, Args)]
pub struct CreateTaskArgs {
    /// The agent: CONNOR, LUMINA, EIVOR, ORACLE, AEGIS or SAM.
    pub agent: String,
    /// The task type.
    pub task_type: String,
    /// A human-readable title.
    pub title: String,
    #[command(flatten)]
    pub options: TaskOptions,
}

/// What `tasks add` and `create-task` share.
#[derive(Debug, Args)]
pub struct TaskOptions {
    /// The payload, a JSON object. Defaults to `{}`.
    #[arg(long)]
    pub payload: Option<String>,
    /// Higher runs first. Defaults to 0.
    #[arg(long, default_value_t = 0)]
    pub priority: i32,
    /// A longer description.
    #[arg(long)]
    pub description: Option<String>,
    /// Not before this time: RFC 3339 (`2026-12-01T09:00:00Z`) or a delay from now (`10m`).
    /// Defaults to now.
    #[arg(long)]
    pub run_at: Option<String>,
    /// A key that makes creating the same task twice a no-op (unique per tenant).
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Attempts before the task fails for good. Defaults to its type's policy.
    #[arg(long)]
    pub max_attempts: Option<i32>,
    /// A parent that must complete first: `ID`, or `ID:child_field=parent_field,...` to
    /// fill payload fields from the parent's result when this task becomes runnable.
    /// Repeatable (at most 20).
    #[arg(long = "depends-on", value_name = "ID[:CHILD=PARENT,...]")]
    pub depends_on: Vec<String>,
    /// The task waits for a founder's decision (`zora tasks approve|reject`) before it runs.
    #[arg(long)]
    pub requires_approval: bool,
}

#[derive(Debug, Args)]
pub struct TasksListArgs {
    /// Only this status: pending, in_progress, completed or failed.
    #[arg(long)]
    pub status: Option<String>,
    /// Only these fine-grained states, comma-separated: available, scheduled, blocked,
    /// awaiting_approval, running, completed, failed, cancelled, rejected.
    #[arg(long)]
    pub state: Option<String>,
    /// Only this agent (any case).
    #[arg(long)]
    pub agent: Option<String>,
    /// Only this task type.
    #[arg(long = "type")]
    pub task_type: Option<String>,
    /// Only tasks whose title contains this text (any case).
    #[arg(long)]
    pub title: Option<String>,
    /// The order: queue (highest priority, then oldest), newest or oldest.
    #[arg(long, default_value = "queue")]
    pub order: String,
    /// Rows to show, at most 200. Defaults to 50.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Rows to skip. Defaults to 0.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub approval: ApprovalArgs,
    /// Batches applied at once. Defaults to the machine's cores.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Only tasks of this type (repeatable). Defaults to every supported type.
    #[arg(long = "task-type")]
    pub task_types: Vec<String>,
    /// Tasks per claim and per transaction (at most 500: a batch holds its rows' locks
    /// until it commits). Defaults to 100.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub batch_size: u32,
    /// How often to look for work when nothing wakes the worker. Defaults to 1s.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
    /// How long a claim holds a task before another worker may take it back. Defaults to 30s.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub lease_duration: Duration,
    /// How often a task's lease is extended while it runs `prepare`, outside the
    /// database transaction. Defaults to a third of --lease-duration (10s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub heartbeat_interval: Option<Duration>,
    /// How often to take back tasks whose lease expired. Defaults to 5s.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub rescue_interval: Duration,
    /// How long in-flight tasks may finish after SIGINT/SIGTERM; the rest are given back
    /// unrun and uncharged. Defaults to 30s.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,
    /// Attempts a task may lose to an expired lease (its worker killed, or cut off from the
    /// database) before the rescue fails it as one that likely stops its worker. A lost
    /// attempt costs none of the task's max_attempts. Defaults to 50.
    #[arg(long, default_value_t = zora_core::RescuePolicy::DEFAULT_MAX_LOST_ATTEMPTS,
          value_parser = clap::value_parser!(i32).range(1..))]
    pub max_lost_attempts: i32,
    /// The most tasks of one tenant per claim while other tenants have work too (unless an
    /// even share of the batch is larger), so a busy tenant cannot starve the others; a
    /// tenant alone fills the batch. Defaults to 10.
    #[arg(long, default_value_t = 10)]
    pub per_tenant_cap: u32,
    /// The most tasks of one type this worker holds at once, as TYPE=N (repeatable), for a
    /// type whose handler calls a rate-limited service. Defaults to the handler's own limit,
    /// if any (the v1 types have none).
    #[arg(long = "type-concurrency", value_name = "TYPE=N", value_parser = parse_type_limit)]
    pub type_concurrency: Vec<(String, usize)>,
    /// For a database behind a transaction-mode pooler (PgBouncer, Supabase's pooler on
    /// port 6543): no LISTEN (the worker polls every --poll-interval), no prepared
    /// statements kept, no startup parameters a pooler refuses. Defaults to off: the worker
    /// listens for new tasks (PostgreSQL LISTEN/NOTIFY; in-process on SQLite).
    #[arg(long)]
    pub no_listen: bool,
    /// Claim every task visibly under a lease (`in_progress` while it runs), also the types
    /// without a `prepare` step, which by default are claimed, applied and completed in one
    /// transaction (one row version per task: faster, and a crash rolls the claim back
    /// with the effects, nothing to rescue; such a task is never seen `in_progress`).
    #[arg(long)]
    pub claim_visibly: bool,
    /// Serve this process's metrics at http://ADDR/metrics in the Prometheus text format
    /// (tasks claimed, completed, failed, retried and their durations per type, lease
    /// rescues, the queue's depth, the oldest due task's age, live workers), e.g.
    /// 0.0.0.0:9187; port 0 picks a free port. Defaults to none.
    #[arg(long, env = "ZORA_METRICS_ADDR", value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub scheduling: SchedulingArgs,
    #[command(flatten)]
    pub startup: StartupArgs,
    /// For `zora chaos` only: fail this share of tasks after their handler wrote, as
    /// `transient=2%,permanent=0.5%` (a transient fault fails a task's first attempt, a
    /// permanent one every attempt; which tasks, their ids decide). Never in production.
    #[arg(long, hide = true, value_name = "SHARES")]
    pub inject_faults: Option<zora_engine::faults::FaultPlan>,
}

/// Schedules and retention, as a worker (or `zora serve`'s workers) takes part in them.
#[derive(Debug, Args)]
pub struct SchedulingArgs {
    /// Do not take part in enqueuing schedules (nor in --retention): another process
    /// leads. Defaults to taking part: one process leads at a time, any takes over within
    /// seconds of a leader's death.
    #[arg(long)]
    pub no_schedules: bool,
    /// While leading, also delete finished tasks older than this (`30d`), as `zora prune`
    /// does, at a low rate (1,000 rows looked at every 5 seconds). Defaults to off: ZORA
    /// CORE's data is not deleted unless asked.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "AGE")]
    pub retention: Option<Duration>,
}

/// Starting a long-running process (`worker`, `serve`).
#[derive(Debug, Args)]
pub struct StartupArgs {
    /// How long to wait at start for a PostgreSQL server that does not answer yet (down,
    /// restarting, starting up), trying every second; a refusal (a wrong password, no
    /// such database) exits at once. Once running, the process rides out outages of any
    /// length. Defaults to 60s.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub wait_for_database: Duration,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub approval: ApprovalArgs,
    #[command(flatten)]
    pub startup: StartupArgs,
    #[command(flatten)]
    pub scheduling: SchedulingArgs,
    /// Workers run inside the server process. Defaults to 1 on SQLite (other processes can
    /// only poll it), 0 on PostgreSQL (run `zora worker` processes).
    #[arg(long)]
    pub workers: Option<usize>,
    /// The address to listen on; port 0 picks a free port. Defaults to 127.0.0.1:8787.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub bind: std::net::SocketAddr,
    /// Local development: without `ZORA_JWT_SECRET`, make a secret for this run and print
    /// a founder token for the tenant. Tokens are still required.
    #[arg(long)]
    pub dev: bool,
    /// The HS256 secret tokens are signed with.
    #[arg(long, env = "ZORA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Origins allowed by CORS, comma-separated. Defaults to none.
    #[arg(long, env = "ZORA_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// How far back (`7d`, `24h`, `30d`). Defaults to 7 days.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub since: Duration,
    /// What to sum by: day, model, task_type or agent. Defaults to day.
    #[arg(long, default_value = "day", value_parser = parse_grouping)]
    pub by: zora_core::usage::UsageGrouping,
}

fn parse_grouping(text: &str) -> Result<zora_core::usage::UsageGrouping, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("unknown grouping {text:?}: one of day, model, task_type, agent"))
}

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(flatten)]
    pub approval: ApprovalArgs,
    #[command(flatten)]
    pub startup: StartupArgs,
    /// The role the tools act with: founder, brand_admin, member or viewer (a viewer
    /// lists and reads only). Defaults to founder.
    #[arg(long, default_value = "founder", value_parser = parse_role)]
    pub role: zora_api::Role,
}

/// A role of ZORA CORE's users.
fn parse_role(text: &str) -> Result<zora_api::Role, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("unknown role {text:?}: one of founder, brand_admin, member, viewer"))
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Every tenant's tasks and workers (the view the metrics give) instead of one
    /// tenant's; --tenant-id is then ignored.
    #[arg(long)]
    pub all_tenants: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Tasks per engine line (and per limit line of 10 and 100). Defaults to 20,000.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub tasks: u64,
    /// A small run that checks the command works (seconds; its figures mean little).
    #[arg(long)]
    pub quick: bool,
    /// Instead of the other lines: drain --soak-tasks tasks queued at once and report the
    /// rate of each tenth of the run, then prune them all and report the table's size
    /// before and after. On the one store the URL names (PostgreSQL given
    /// --database-url postgres://..., else SQLite); about 8 minutes on 2 cores.
    #[arg(long)]
    pub soak: bool,
    /// Tasks of the soak. Defaults to 1,000,000.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..))]
    pub soak_tasks: u64,
    /// The soak on PostgreSQL with this fillfactor on agent_tasks (10 to 100), to compare;
    /// defaults to the migrations' own (80).
    #[arg(long, value_parser = clap::value_parser!(u8).range(10..=100))]
    pub fillfactor: Option<u8>,
    /// A Python with the SDK installed (`pip install ./clients/python`): adds, on
    /// PostgreSQL, the line of 4 SDK worker processes with a no-op function draining
    /// --tasks tasks through a real `zora serve`, beside the engine's lines.
    #[arg(long, value_name = "PATH")]
    pub python: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ChaosCommand {
    #[command(subcommand)]
    pub scenario: Option<ChaosScenario>,
    #[command(flatten)]
    pub crashes: ChaosArgs,
}

/// The other trials of `zora chaos`.
#[derive(Debug, Subcommand)]
pub enum ChaosScenario {
    /// The database gone and back under `zora serve` and workers: PostgreSQL (a cluster
    /// of its own) stopped for --outage, then the network to it cut (a proxy that stops
    /// forwarding) for as long, while a client calls the API every 100 ms. Checks that
    /// /health stays up, /ready says not ready, every call needing the database is
    /// answered within 3 s with 503 SERVICE_UNAVAILABLE and Retry-After, nothing exits,
    /// work resumes and nothing is lost. Exit 1 when any check fails.
    Outage(OutageArgs),
    /// Overload: --clients concurrent API clients for --duration against `zora serve`
    /// while workers drain what they create. Reports answers by status, latency
    /// percentiles and the server's memory; checks every answer is a success or a 429/503
    /// with Retry-After, none hangs, the server's memory stays under 1 GiB, and every
    /// create is made exactly once and drained. Exit 1 when any check fails.
    Overload(OverloadArgs),
}

#[derive(Debug, Args)]
pub struct OverloadArgs {
    /// Concurrent clients, each calling without pause. Defaults to 200.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u16).range(1..=2000))]
    pub clients: u16,
    /// How long the load lasts. Defaults to 60s.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// The store: PostgreSQL (a cluster of its own) or a SQLite file.
    #[arg(long, value_enum, default_value_t = ChaosStore::Postgres)]
    pub store: ChaosStore,
    #[command(flatten)]
    pub api: ApiTrialArgs,
}

/// A trial of `zora serve` and its workers.
#[derive(Debug, Args)]
pub struct ApiTrialArgs {
    /// `zora worker` processes beside the server. Defaults to 2.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub workers: u16,
    #[command(flatten)]
    pub scratch: ScratchArgs,
}

/// Where a trial keeps its store of its own.
#[derive(Debug, Args)]
pub struct ScratchArgs {
    /// Where PostgreSQL's server binaries are. Defaults to the newest
    /// /usr/lib/postgresql/*/bin, else the initdb on PATH.
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<std::path::PathBuf>,
    /// Keep the run's directory (database, server and worker logs) for a look after.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct OutageArgs {
    /// How long each outage lasts. Defaults to 30s.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub outage: Duration,
    #[command(flatten)]
    pub api: ApiTrialArgs,
}

#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// The store to run on: a PostgreSQL cluster made for the run (initdb, as the
    /// `postgres` user when run as root) or a SQLite file. Defaults to both in turn.
    #[arg(long, value_enum)]
    pub store: Option<ChaosStore>,
    /// Tasks enqueued (rounded up to whole groups of eight). Defaults to 100,000.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(8..))]
    pub tasks: u64,
    /// The short run of the test suite: 2,000 tasks (about 10 s on SQLite, 20 s on
    /// PostgreSQL, on 2 cores).
    #[arg(long)]
    pub quick: bool,
    /// Worker processes; every other one claims visibly under a lease, so kills leave
    /// leases to rescue. Defaults to 4.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
    /// About how often a worker is SIGKILLed (then started again). Defaults to 300ms.
    #[arg(long, default_value = "300ms", value_parser = humantime::parse_duration)]
    pub kill_every: Duration,
    /// The faults the workers inject: a share of tasks failing once (transient) or for
    /// good (permanent), after their handler wrote.
    #[arg(
        long,
        default_value = "transient=2%,permanent=0.5%",
        value_name = "SHARES",
        value_parser = parse_faults
    )]
    pub faults: String,
    #[command(flatten)]
    pub scratch: ScratchArgs,
}

/// The stores `zora chaos` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChaosStore {
    Postgres,
    Sqlite,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Change nothing: exit 1 when migrations are pending, 0 when the schema is current.
    #[arg(long)]
    pub check: bool,
}

/// `zora tokens`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// A worker token, for a process that serves task types over HTTP: for the tenant
    /// `--tenant-id` names (every tenant when it is not given), limited to `--types` when
    /// they are given, valid for `--ttl`. It may call the worker routes only. Printed on
    /// stdout; `--json` prints it with its claims.
    Worker(WorkerTokenArgs),
}

#[derive(Debug, Args)]
pub struct WorkerTokenArgs {
    /// The task types it may register and claim, comma-separated (each 1 to 100
    /// characters of a-z, 0-9, '_' and '.'). Defaults to any.
    #[arg(long, value_delimiter = ',', value_parser = parse_type_name)]
    pub types: Vec<String>,
    /// How long it is valid, at least a minute (`30d`, `12h`). Defaults to 30 days.
    #[arg(long, default_value = "30d", value_parser = parse_ttl)]
    pub ttl: Duration,
    /// The HS256 secret the server verifies tokens with.
    #[arg(long, env = "ZORA_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

/// A task type's name, as a worker token may list it.
fn parse_type_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    zora_api::check_type_name(name).map(|()| name.to_owned())
}

/// A token's lifetime: at least a minute.
fn parse_ttl(text: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if ttl < Duration::from_secs(60) {
        return Err(format!("a token lives at least a minute, got {text}"));
    }
    Ok(ttl)
}

/// Fault shares as `zora worker --inject-faults` reads them, checked here and kept as
/// written (the workers are given the text).
fn parse_faults(text: &str) -> Result<String, String> {
    text.parse::<zora_engine::faults::FaultPlan>()
        .map(|_| text.to_owned())
}

/// `TYPE=N` with N at least 1.
fn parse_type_limit(text: &str) -> Result<(String, usize), String> {
    let (kind, limit) = text
        .split_once('=')
        .ok_or_else(|| format!("expected TYPE=N, got `{text}`"))?;
    let limit: usize = limit.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
        format!("the limit of {kind} must be a whole number of at least 1, got `{limit}`")
    })?;
    Ok((kind.trim().to_owned(), limit))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// `docs/CONFIGURATION.md` names every flag of the long-running commands (hidden
    /// ones, for `zora chaos`, aside).
    #[test]
    fn the_configuration_page_names_every_flag_of_worker_and_serve() {
        let page = include_str!("../../../docs/CONFIGURATION.md");
        let cli = Cli::command();
        let mut missing = Vec::new();
        for name in ["worker", "serve"] {
            let command = cli.find_subcommand(name).expect("the command exists");
            for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
                let Some(long) = arg.get_long() else { continue };
                if ["help", "version"].contains(&long) {
                    continue;
                }
                if !page.contains(&format!("`--{long}`")) {
                    missing.push(format!("{name} --{long}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "docs/CONFIGURATION.md lacks: {missing:?}"
        );
    }
}
