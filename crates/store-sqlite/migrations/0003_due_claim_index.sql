-- PostgreSQL's 0007: the claim index leads with the tenant, as the claim does, and ends
-- with run_at, so a claim tests due-ness on the index entry and passes over tasks that are
-- not yet due without reading their rows.
DROP INDEX IF EXISTS idx_agent_tasks_claim;
CREATE INDEX idx_agent_tasks_due ON agent_tasks (tenant_id, priority DESC, created_at, id, run_at)
  WHERE status = 'pending';
