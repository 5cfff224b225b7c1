-- Which kind of process a worker's row is: one of the engine's own workers, or an external
-- worker that claims over HTTP. Only an engine worker's death makes the others cautious.
ALTER TABLE agent_task_workers ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'engine'
  CHECK (kind IN ('engine', 'external'));
