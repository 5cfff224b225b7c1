-- Periodic schedules (ENGINE.md, "Periodic schedules"): the engine's own tables, nothing
-- of ZORA CORE's is touched (3.x's `autonomy_schedules` stays its own). The foreign key
-- of the runs onto agent_tasks takes a brief lock there; it waits at most 10 seconds for
-- running transactions, then this migration fails and can simply be run again.
SET LOCAL lock_timeout = '10s';
--
-- `agent_task_schedules`: a cron expression in a time zone and a task template. The
-- leader enqueues a schedule when `next_run_at` is due and moves it on in the same
-- transaction, conditional on it being what it read.
CREATE TABLE IF NOT EXISTS agent_task_schedules (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  cron text NOT NULL,
  timezone text NOT NULL DEFAULT 'UTC',
  task jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  next_run_at timestamptz,
  last_run_at timestamptz,
  last_task_id uuid,
  created_by_user_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS idx_agent_task_schedules_tenant
  ON agent_task_schedules (tenant_id, name);
CREATE INDEX IF NOT EXISTS idx_agent_task_schedules_due
  ON agent_task_schedules (next_run_at) WHERE enabled;

-- One row per slot enqueued: the unique key on (schedule, slot) that two leaders cannot
-- both pass. A pruned task takes its row with it (its slot is long past the schedule's
-- `next_run_at` by then); a deleted schedule takes its rows, not its tasks.
CREATE TABLE IF NOT EXISTS agent_task_schedule_runs (
  schedule_id uuid NOT NULL REFERENCES agent_task_schedules(id) ON DELETE CASCADE,
  slot timestamptz NOT NULL,
  task_id uuid NOT NULL UNIQUE REFERENCES agent_tasks(id) ON DELETE CASCADE,
  PRIMARY KEY (schedule_id, slot));

-- Leadership by lease row (not a session advisory lock, which a transaction-mode pooler
-- cannot keep): one row per role, held by `holder` until `expires_at` on the database
-- clock, renewed while it lives.
CREATE TABLE IF NOT EXISTS agent_task_leaders (
  role text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL);
