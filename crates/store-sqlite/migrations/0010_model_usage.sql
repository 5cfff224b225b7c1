-- Model usage (PostgreSQL's 0014): one row per model call, written with its outcome.
CREATE TABLE agent_model_usage (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  task_id TEXT,
  command_id TEXT,
  task_type TEXT,
  agent_id TEXT,
  attempt INTEGER,
  model TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
  prompt_tokens INTEGER NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens INTEGER NOT NULL CHECK (completion_tokens >= 0),
  cost_usd REAL CHECK (cost_usd >= 0),
  lost INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX idx_agent_model_usage_tenant_created ON agent_model_usage (tenant_id, created_at);
CREATE INDEX idx_agent_model_usage_task ON agent_model_usage (task_id);
