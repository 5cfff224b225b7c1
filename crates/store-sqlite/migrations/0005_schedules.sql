-- Periodic schedules (PostgreSQL's 0010): schedules, one row per slot enqueued (the
-- unique key on (schedule, slot)), and the leader's lease row.
CREATE TABLE agent_task_schedules (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  task TEXT NOT NULL CHECK (json_valid(task)),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  next_run_at TEXT,
  last_run_at TEXT,
  last_task_id TEXT,
  created_by_user_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX idx_agent_task_schedules_tenant ON agent_task_schedules (tenant_id, name);
CREATE INDEX idx_agent_task_schedules_due ON agent_task_schedules (next_run_at) WHERE enabled = 1;

CREATE TABLE agent_task_schedule_runs (
  schedule_id TEXT NOT NULL REFERENCES agent_task_schedules(id) ON DELETE CASCADE,
  slot TEXT NOT NULL,
  task_id TEXT NOT NULL UNIQUE REFERENCES agent_tasks(id) ON DELETE CASCADE,
  PRIMARY KEY (schedule_id, slot));

CREATE TABLE agent_task_leaders (
  role TEXT PRIMARY KEY NOT NULL,
  holder TEXT NOT NULL,
  expires_at TEXT NOT NULL);
