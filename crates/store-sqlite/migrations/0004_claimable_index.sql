-- PostgreSQL's 0009: the claim index leaves out blocked tasks (a parent not completed:
-- `run_at` is the marker 9999-12-31T23:59:59.999Z) and tasks awaiting a decision, so that a
-- claim never walks past them, however many there are.
DROP INDEX IF EXISTS idx_agent_tasks_due;
CREATE INDEX idx_agent_tasks_claimable ON agent_tasks (tenant_id, priority DESC, created_at, id, run_at)
  WHERE status = 'pending' AND run_at < '9999-12-31T23:59:59.999Z'
    AND (requires_approval = 0 OR approved_at IS NOT NULL);
