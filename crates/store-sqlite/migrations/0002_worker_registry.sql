-- The workers' registry (PostgreSQL's 0005): one row per worker, beaten while it runs.
CREATE TABLE agent_task_workers (
  id TEXT PRIMARY KEY NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  task_types TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(task_types)),
  concurrency INTEGER NOT NULL CHECK (concurrency > 0),
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  heartbeat_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  expires_at TEXT NOT NULL,
  stopped_at TEXT);
