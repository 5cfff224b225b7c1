-- Validates the foreign keys 0003 added NOT VALID. VALIDATE CONSTRAINT takes a SHARE
-- UPDATE EXCLUSIVE lock: reads and writes go on while the rows are checked.
-- Already-valid constraints (3.x's own) are left alone.
DO $$
DECLARE con TEXT;
BEGIN
  FOR con IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'agent_tasks'::regclass AND contype = 'f' AND NOT convalidated
               AND conname IN ('agent_tasks_approved_by_user_id_fkey', 'agent_tasks_rejected_by_user_id_fkey') LOOP
    EXECUTE format('ALTER TABLE agent_tasks VALIDATE CONSTRAINT %I', con);
  END LOOP;
END $$;
