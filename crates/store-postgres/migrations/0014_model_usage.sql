-- Model usage: one row per model call a task (or a command's planner) made, written with
-- the outcome it belongs to. No foreign key to the task: a pruned task keeps its spend.
CREATE TABLE IF NOT EXISTS agent_model_usage (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  task_id uuid,
  command_id uuid,
  task_type text,
  agent_id text,
  attempt integer,
  model text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
  prompt_tokens bigint NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens bigint NOT NULL CHECK (completion_tokens >= 0),
  cost_usd double precision CHECK (cost_usd >= 0),
  lost boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_agent_model_usage_tenant_created
  ON agent_model_usage (tenant_id, created_at);
CREATE INDEX IF NOT EXISTS idx_agent_model_usage_task ON agent_model_usage (task_id);
