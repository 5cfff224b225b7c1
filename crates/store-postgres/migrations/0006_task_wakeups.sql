-- Wake-ups: when tasks become runnable, notify the channel zora_agent_tasks with in how
-- many milliseconds they are due ('0': now), so that idle workers that LISTEN claim at
-- once instead of at their next poll. Whoever writes the rows (the engine, ZORA CORE's
-- own code, psql) wakes the workers. Notifications are sent on commit and PostgreSQL
-- folds identical ones of a transaction into one: a bulk insert sends one or two.
SET LOCAL lock_timeout = '10s';

CREATE OR REPLACE FUNCTION agent_tasks_notify_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One statement, one call: whether some are due now, and when the soonest later one is.
  PERFORM pg_notify('zora_agent_tasks', due.ms::text)
  FROM (SELECT DISTINCT ON (due_now) ms, due_now
        FROM (SELECT GREATEST(0, ceil(extract(epoch FROM n.run_at - now()) * 1000))::bigint AS ms,
                     n.run_at <= now() AS due_now
              FROM inserted_agent_tasks n WHERE n.status = 'pending') d
        ORDER BY due_now, ms) due;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION agent_tasks_notify_pending() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('zora_agent_tasks',
    GREATEST(0, ceil(extract(epoch FROM NEW.run_at - now()) * 1000))::bigint::text);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS agent_tasks_notify_inserted ON agent_tasks;
CREATE TRIGGER agent_tasks_notify_inserted AFTER INSERT ON agent_tasks
  REFERENCING NEW TABLE AS inserted_agent_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION agent_tasks_notify_inserted();

-- Back to pending (a retry, a release, a rescue, a reset) or made due sooner. The WHEN
-- clause is checked without calling the function, so claims and completions cost nothing.
DROP TRIGGER IF EXISTS agent_tasks_notify_pending ON agent_tasks;
CREATE TRIGGER agent_tasks_notify_pending AFTER UPDATE OF status, run_at ON agent_tasks
  FOR EACH ROW
  WHEN (NEW.status = 'pending'
        AND (OLD.status IS DISTINCT FROM NEW.status OR NEW.run_at < OLD.run_at))
  EXECUTE FUNCTION agent_tasks_notify_pending();
