-- Which kind of process a worker's row is: one of the engine's own workers, or an external
-- worker that claims over HTTP. Only an engine worker's death makes the others cautious.
ALTER TABLE agent_task_workers ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'engine'
  CHECK (kind IN ('engine', 'external'));

-- A type delivered by push instead of claimed: the URL the engine's workers POST its
-- tasks to, how long they wait for the answer, and the secret they sign each body with.
ALTER TABLE agent_task_types ADD COLUMN IF NOT EXISTS push_url text;
ALTER TABLE agent_task_types ADD COLUMN IF NOT EXISTS push_timeout_s integer
  CHECK (push_timeout_s BETWEEN 1 AND 300);
ALTER TABLE agent_task_types ADD COLUMN IF NOT EXISTS push_secret text;
