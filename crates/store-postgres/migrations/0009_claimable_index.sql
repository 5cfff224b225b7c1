-- The claim index changes its predicate: `idx_agent_tasks_claimable` (built concurrently by
-- the migrator beside the numbered migrations, see migrate/indexes.rs) replaces
-- `idx_agent_tasks_due`. Same keys; it leaves out blocked tasks (a parent not completed:
-- `run_at` is the marker 9999-12-31T23:59:59.999Z) and tasks awaiting a decision, so that
-- a claim never walks past them, however many there are.
--
-- DROP INDEX takes a brief exclusive lock on agent_tasks; it waits at most 10 seconds for
-- running transactions, then this migration fails and can simply be run again.
SET LOCAL lock_timeout = '10s';
DROP INDEX IF EXISTS idx_agent_tasks_due;
