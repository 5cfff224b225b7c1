-- Which worker completed a task (PostgreSQL's 0013); the worker behind each failed or
-- lost attempt is kept in that attempt's `errors` record as `worker`.
ALTER TABLE agent_tasks ADD COLUMN completed_by TEXT;
