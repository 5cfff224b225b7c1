-- Task types served by external workers (PostgreSQL's 0011): one registration per scope
-- (a tenant, or every tenant: tenant_id NULL) and name.
CREATE TABLE agent_task_types (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  task_type TEXT NOT NULL CHECK (length(task_type) BETWEEN 1 AND 100
    AND task_type NOT GLOB '*[^a-z0-9_.]*'),
  agent_id TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  payload_schema TEXT NOT NULL CHECK (json_valid(payload_schema)),
  result_schema TEXT CHECK (result_schema IS NULL OR json_valid(result_schema)),
  timeout_s INTEGER NOT NULL CHECK (timeout_s BETWEEN 1 AND 86400),
  max_attempts INTEGER CHECK (max_attempts >= 1),
  registered_by TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE UNIQUE INDEX idx_agent_task_types_scope ON agent_task_types (COALESCE(tenant_id, ''), task_type);
