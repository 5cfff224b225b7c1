-- Waiters on a task's outcome (`GET /api/agents/tasks/{id}/wait`, `?wait=true`): a row
-- while a process waits on the task. The engine's outcome statements (complete, fail for
-- good, rescue to failed) notify the channel zora_agent_tasks_finished with the id of
-- each finished task that has a row here, so that waiting costs completions nothing
-- when nobody waits: no trigger runs per completion. A waiter deletes its row when it
-- stops waiting; rows left by a process that died are pruned after an hour. A new
-- table: nothing of ZORA CORE's is touched.
SET LOCAL lock_timeout = '10s';

CREATE TABLE IF NOT EXISTS agent_task_waiters (
  id uuid PRIMARY KEY,
  task_id uuid NOT NULL,
  since timestamptz NOT NULL DEFAULT now());
