-- The engine's claim index changes shape: `idx_agent_tasks_due` (built concurrently by the
-- migrator beside the numbered migrations, see migrate/indexes.rs) replaces
-- `idx_agent_tasks_claim`. The new one leads with the tenant, as the claim does, and
-- carries `run_at` as its last key, so a claim tests `run_at <= now()` in the index and
-- passes over tasks that are not yet due without reading their rows.
--
-- DROP INDEX takes a brief exclusive lock on agent_tasks; it waits at most 10 seconds for
-- running transactions, then this migration fails and can simply be run again.
SET LOCAL lock_timeout = '10s';
DROP INDEX IF EXISTS idx_agent_tasks_claim;
