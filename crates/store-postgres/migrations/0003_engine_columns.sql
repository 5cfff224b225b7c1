-- The engine's additions to agent_tasks, and task dependencies. Every column is nullable or
-- defaulted with a constant (or now(), which is stable), so adding it rewrites no row
-- and older ZORA CORE code keeps working beside the engine. Foreign keys on existing
-- tables are added NOT VALID here and validated in 0004, which does not block writers.
SET LOCAL lock_timeout = '10s';

ALTER TABLE agent_tasks
  ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS max_attempts integer,
  ADD COLUMN IF NOT EXISTS run_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS lease_owner text,
  ADD COLUMN IF NOT EXISTS lease_expires_at timestamptz,
  ADD COLUMN IF NOT EXISTS idempotency_key text,
  ADD COLUMN IF NOT EXISTS errors jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN IF NOT EXISTS cancelled_at timestamptz,
  ADD COLUMN IF NOT EXISTS requires_approval boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS approved_by_user_id uuid,
  ADD COLUMN IF NOT EXISTS approved_at timestamptz,
  ADD COLUMN IF NOT EXISTS rejected_by_user_id uuid,
  ADD COLUMN IF NOT EXISTS rejected_at timestamptz,
  ADD COLUMN IF NOT EXISTS decision_reason text;

-- ZORA CORE 3.x adds the approval columns with their foreign keys; add ours only where
-- the column has none.
DO $$
DECLARE col TEXT;
BEGIN
  FOREACH col IN ARRAY ARRAY['approved_by_user_id', 'rejected_by_user_id'] LOOP
    IF NOT EXISTS (
      SELECT 1 FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.conrelid = 'agent_tasks'::regclass AND c.contype = 'f' AND a.attname = col
    ) THEN
      EXECUTE format('ALTER TABLE agent_tasks ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES users(id) ON DELETE SET NULL NOT VALID',
                     'agent_tasks_' || col || '_fkey', col);
    END IF;
  END LOOP;
END $$;

-- A hot queue table: leave room on each page so claims, heartbeats and completions stay
-- HOT updates, and vacuum it long before the default 20% of dead rows.
ALTER TABLE agent_tasks SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02);

CREATE TABLE IF NOT EXISTS agent_task_dependencies (
  task_id uuid NOT NULL REFERENCES agent_tasks(id) ON DELETE CASCADE,
  depends_on_task_id uuid NOT NULL REFERENCES agent_tasks(id) ON DELETE CASCADE,
  inputs jsonb,
  PRIMARY KEY (task_id, depends_on_task_id));
