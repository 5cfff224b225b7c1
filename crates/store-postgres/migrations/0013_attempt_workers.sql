-- Which worker ran a task's attempts: the one that completed it (the worker behind each
-- failed or lost attempt is kept in that attempt's `errors` record as `worker`).
ALTER TABLE agent_tasks ADD COLUMN IF NOT EXISTS completed_by text;
