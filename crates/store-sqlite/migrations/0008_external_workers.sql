-- Which kind of process a worker's row is (PostgreSQL's 0012): one of the engine's own
-- workers, or an external worker that claims over HTTP.
ALTER TABLE agent_task_workers ADD COLUMN kind TEXT NOT NULL DEFAULT 'engine'
  CHECK (kind IN ('engine', 'external'));

-- A type delivered by push instead of claimed (PostgreSQL's 0012): the URL, the answer's
-- time bound, the signing secret.
ALTER TABLE agent_task_types ADD COLUMN push_url TEXT;
ALTER TABLE agent_task_types ADD COLUMN push_timeout_s INTEGER
  CHECK (push_timeout_s BETWEEN 1 AND 300);
ALTER TABLE agent_task_types ADD COLUMN push_secret TEXT;
