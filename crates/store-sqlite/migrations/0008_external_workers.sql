-- Which kind of process a worker's row is (PostgreSQL's 0012): one of the engine's own
-- workers, or an external worker that claims over HTTP.
ALTER TABLE agent_task_workers ADD COLUMN kind TEXT NOT NULL DEFAULT 'engine'
  CHECK (kind IN ('engine', 'external'));
